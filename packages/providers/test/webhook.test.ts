import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { createOpenAIProvider } from '../src/index.ts';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const signer = new Webhook(SECRET);
const provider = createOpenAIProvider({
  apiKey: 'test-key-webhooks',
  baseURL: 'http://127.0.0.1:9/v1',
  webhookSecret: SECRET,
  env: {},
});

function delivery(event: unknown, options: { at?: Date; id?: string; signWith?: Webhook } = {}) {
  const body = JSON.stringify(event);
  const at = options.at ?? new Date();
  const id = options.id ?? `msg_${randomBytes(6).toString('hex')}`;
  return {
    body,
    headers: {
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': (options.signWith ?? signer).sign(id, at, body),
      'content-type': 'application/json',
    } as Record<string, string | string[] | undefined>,
  };
}

const completed = {
  id: 'evt_1',
  object: 'event',
  created_at: 1_760_000_000,
  type: 'video.completed',
  data: { id: 'video_123' },
};

function rejection(run: () => unknown): Error & { kind?: string; code?: string } {
  try {
    run();
  } catch (error) {
    return error as Error & { kind?: string; code?: string };
  }
  throw new Error('expected the delivery to be rejected');
}

describe('verifyWebhook (Standard Webhooks)', () => {
  it('accepts a correctly signed video event and returns the delivery id for dedupe', () => {
    const d = delivery(completed, { id: 'msg_fixed' });
    expect(provider.verifyWebhook(d.body, d.headers)).toEqual({
      id: 'msg_fixed',
      type: 'video.completed',
      videoId: 'video_123',
      createdAt: 1_760_000_000,
    });
  });

  it('accepts one valid signature among several, and headers in any case or as arrays', () => {
    const d = delivery({ ...completed, type: 'video.failed' });
    const forged = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    const other = forged.sign(String(d.headers['webhook-id']), new Date(), d.body);
    const headers = {
      'Webhook-Id': d.headers['webhook-id'],
      'WEBHOOK-TIMESTAMP': [String(d.headers['webhook-timestamp'])],
      'webhook-signature': [other, String(d.headers['webhook-signature'])],
    };
    expect(provider.verifyWebhook(d.body, headers)).toMatchObject({
      type: 'video.failed',
      videoId: 'video_123',
    });
  });

  it('rejects a signature made with another secret', () => {
    const forged = new Webhook(`whsec_${randomBytes(24).toString('base64')}`);
    const d = delivery(completed, { signWith: forged });
    const e = rejection(() => provider.verifyWebhook(d.body, d.headers));
    expect(e).toMatchObject({
      name: 'ProviderError',
      kind: 'invalid',
      code: 'invalid_request',
      retryable: false,
    });
    expect(e.message).toMatch(/signature does not match/);
  });

  it('rejects a stale timestamp (older than 300 s), even when correctly signed', () => {
    const d = delivery(completed, { at: new Date(Date.now() - 301_000) });
    const e = rejection(() => provider.verifyWebhook(d.body, d.headers));
    expect(e).toMatchObject({ kind: 'invalid', code: 'invalid_request' });
    expect(e.message).toMatch(/older than 300 s/);
  });

  it('rejects a body altered after signing', () => {
    const d = delivery(completed);
    const tampered = d.body.replace('video_123', 'video_999');
    const e = rejection(() => provider.verifyWebhook(tampered, d.headers));
    expect(e).toMatchObject({ kind: 'invalid' });
    expect(e.message).toMatch(/signature does not match/);
  });

  it('rejects a delivery missing a signature header', () => {
    const d = delivery(completed);
    const { 'webhook-signature': _omit, ...headers } = d.headers;
    const e = rejection(() => provider.verifyWebhook(d.body, headers));
    expect(e).toMatchObject({ kind: 'invalid' });
    expect(e.message).toMatch(/missing webhook-id, webhook-timestamp or webhook-signature/);
  });

  it('rejects a correctly signed event that is not about a video', () => {
    const d = delivery({
      id: 'evt_2',
      object: 'event',
      created_at: 1,
      type: 'batch.completed',
      data: { id: 'batch_1' },
    });
    const e = rejection(() => provider.verifyWebhook(d.body, d.headers));
    expect(e).toMatchObject({ kind: 'invalid' });
    expect(e.message).toMatch(/not a video event \(type batch\.completed\)/);
  });

  it('without a secret it refuses with a configuration error, not a silent accept', () => {
    const bare = createOpenAIProvider({
      apiKey: 'test-key-webhooks',
      baseURL: 'http://127.0.0.1:9/v1',
      env: {},
    });
    const d = delivery(completed);
    const e = rejection(() => bare.verifyWebhook(d.body, d.headers));
    expect(e).toMatchObject({ code: 'config_invalid' });
  });

  it('reads OPENAI_WEBHOOK_SECRET as the fallback', () => {
    const fromEnv = createOpenAIProvider({
      env: { OPENAI_API_KEY: 'test-key-env', OPENAI_WEBHOOK_SECRET: SECRET },
    });
    const d = delivery(completed);
    expect(fromEnv.verifyWebhook(d.body, d.headers).videoId).toBe('video_123');
  });
});
