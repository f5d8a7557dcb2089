import { type PipelineServices, startPipelineServices } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { SHUTDOWN_SLACK_MS } from '../src/env.ts';

let services: PipelineServices | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

const SHUTDOWN_TIMEOUT_MS = 1000;

describe('worker shutdown', () => {
  it('exits within its bound on SIGTERM even when Redis is gone and nothing it waits on returns', async () => {
    // A private Redis, so it can be killed; every stage in one process, so the fair dispatcher, the
    // stage workers and the queues all have Redis calls to wait on while shutting down.
    services = await startPipelineServices({
      redis: { private: true },
      workerEnv: { REELAY_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
      name: 'shutdown',
    });
    const worker = await services.start('all');
    await services.redis.kill();
    const sent = Date.now();
    const code = await worker.stop();
    const tookMs = Date.now() - sent;
    // It exits on its own (the process is not killed for it), and reports the overrun.
    expect(code).not.toBeNull();
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SHUTDOWN_SLACK_MS + 2000);
    if (code !== 0) expect(worker.lines.some((l) => l.includes('shutdown overran'))).toBe(true);
  });
});

describe('worker health', () => {
  it('runs a comma list of stages and answers /healthz while alive, /readyz 503 once Redis is gone', async () => {
    services = await startPipelineServices({ redis: { private: true }, name: 'health' });
    const worker = await services.start('poll,download');
    const ready = JSON.parse(worker.readyLine) as { port: number; stages: string[] };
    expect(ready.stages).toEqual(['poll', 'download']);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${ready.port}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    expect(await get('/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await get('/readyz')).toMatchObject({ status: 200, body: { ok: true, redis: 'ok' } });
    await services.redis.kill();
    // Alive, not ready: a probe takes it out of rotation without restarting it.
    expect(await get('/healthz')).toEqual({ status: 200, body: { ok: true } });
    expect(await get('/readyz')).toMatchObject({ status: 503, body: { ok: false } });
  });
});
