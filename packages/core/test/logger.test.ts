import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { REDACTED, createLogger } from '../src/index.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ name: 'test', format: 'json', destination });
  return { logger, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger redaction', () => {
  it('redacts an apiKey nested three levels down and an authorization header', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        provider: { config: { credentials: { apiKey: 'sk-live-abcdef123456' } } },
        request: {
          headers: { authorization: 'Bearer abc.def.ghi-123456', 'content-type': 'application/json' },
        },
      },
      'calling provider',
    );
    const text = lines.join('\n');
    expect(text).not.toContain('sk-live-abcdef123456');
    expect(text).not.toContain('abc.def.ghi-123456');
    const line = JSON.parse(lines[0]!) as {
      provider: { config: { credentials: unknown } };
      request: { headers: Record<string, string> };
    };
    // `credentials` is itself a secret-named key, so the whole subtree goes.
    expect(line.provider.config.credentials).toBe(REDACTED);
    expect(line.request.headers['authorization']).toBe(REDACTED);
    expect(line.request.headers['content-type']).toBe('application/json');
  });

  it('redacts secret-named keys at any depth, inside arrays, and survives cycles', () => {
    const { logger, parsed } = capture();
    const cyclic: Record<string, unknown> = { name: 'a' };
    cyclic['self'] = cyclic;
    logger.info({ a: { b: { c: { d: [{ webhookSecret: 'whsec_c2VjcmV0c2VjcmV0', keep: 1 }] } } }, cyclic });
    const line = parsed()[0] as { a: { b: { c: { d: Array<Record<string, unknown>> } } } };
    expect(line.a.b.c.d[0]).toEqual({ webhookSecret: REDACTED, keep: 1 });
  });

  it('scrubs keys quoted inside messages and error objects', () => {
    const { logger, lines } = capture();
    const err = new Error('401 from provider for key sk-proj-0123456789abcdef');
    logger.error({ err }, 'request failed with Authorization: Bearer sk-proj-0123456789abcdef');
    const text = lines.join('\n');
    expect(text).not.toContain('0123456789abcdef');
    expect(text).toContain('401 from provider');
  });
});
