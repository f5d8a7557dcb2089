import { randomBytes } from 'node:crypto';
import {
  GenerationStore,
  type StageQueues,
  closeStageQueues,
  createLogger,
  createRedisConnection,
  createStageQueues,
  generationRequestSchema,
  jobIdFor,
  newGenerationId,
} from '@reelay/core';
import { createOpenAIProvider } from '@reelay/providers';
import { type RedisFixture, startRedis } from '@reelay/testing';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildApi } from '../src/app.ts';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const OTHER_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Far enough out that only a promote (never the clock) can take the job out of the delayed set. */
const POLL_DELAY_MS = 10 * 60_000;

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis();
});
afterAll(async () => {
  await fixture.stop();
});

interface Setup {
  app: FastifyInstance;
  redis: Redis;
  store: GenerationStore;
  queues: StageQueues;
}

/**
 * `webhookStore`: the store the receiver looks generations up in, when a test needs it on a connection
 * of its own (to break it) or held mid-request; by default the test's own store.
 */
async function setup(
  secret: string | undefined,
  webhookStore?: (prefix: string) => GenerationStore,
): Promise<Setup> {
  const prefix = fixture.prefix('api-webhook');
  const redis = createRedisConnection(fixture.url, { role: 'producer', name: 'api-test' });
  const store = new GenerationStore(redis, prefix);
  const queues = createStageQueues(redis, prefix);
  const logger = createLogger({ name: 'api-test', format: 'json', level: 'silent' });
  const provider = createOpenAIProvider({
    apiKey: 'sk-test',
    baseURL: 'http://127.0.0.1:9/v1',
    ...(secret ? { webhookSecret: secret } : {}),
  });
  const webhook = secret
    ? { provider, store: webhookStore?.(prefix) ?? store, queues, logger, redis, prefix }
    : undefined;
  const app = buildApi({ redis, logger, webhook });
  await app.ready();
  return { app, redis, store, queues };
}

async function teardown(s: Setup): Promise<void> {
  await s.app.close();
  await closeStageQueues(s.queues);
  s.redis.disconnect();
}

/** A generation the provider is working on, with its poll job waiting far in the future. */
async function generatingWithDelayedPoll(s: Setup, videoId: string): Promise<string> {
  const id = newGenerationId();
  await s.store.create({
    id,
    tenant: 'default',
    request: generationRequestSchema.parse({ prompt: 'a cat' }),
    provider: 'openai',
  });
  await s.store.update(
    id,
    { providerVideoId: videoId, timings: { submittedAt: Date.now() } },
    { status: 'generating' },
  );
  expect(await s.store.claimVideo(videoId, id)).toBe(true);
  await s.queues.poll.add(
    'poll',
    { generationId: id, videoId, round: 0 },
    { jobId: jobIdFor(id, 0), delay: POLL_DELAY_MS },
  );
  expect(await pollState(s, id)).toBe('delayed');
  return id;
}

async function pollState(s: Setup, generationId: string): Promise<string> {
  const job = await s.queues.poll.getJob(jobIdFor(generationId, 0));
  return job ? await job.getState() : 'missing';
}

function signed(
  videoId: string,
  options: { secret?: string; webhookId?: string; at?: Date; type?: string } = {},
): { body: string; headers: Record<string, string> } {
  const webhookId = options.webhookId ?? `wh_${randomBytes(8).toString('hex')}`;
  const at = options.at ?? new Date();
  // Claims `completed`: the receiver must not believe it, only poll sooner.
  const body = JSON.stringify({
    id: `evt_${randomBytes(8).toString('hex')}`,
    object: 'event',
    type: options.type ?? 'video.completed',
    created_at: Math.floor(at.getTime() / 1000),
    data: { id: videoId },
  });
  const signature = new Webhook(options.secret ?? SECRET).sign(webhookId, at, body);
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signature,
    },
  };
}

async function deliver(s: Setup, delivery: { body: string; headers: Record<string, string> }) {
  const response = await s.app.inject({
    method: 'POST',
    url: '/webhooks/provider',
    payload: delivery.body,
    headers: delivery.headers,
  });
  return { status: response.statusCode, body: response.json() as Record<string, unknown> };
}

describe('POST /webhooks/provider', () => {
  let s: Setup;
  beforeEach(async () => {
    s = await setup(SECRET);
  });
  afterEach(async () => {
    await teardown(s);
  });

  it('a correctly signed delivery promotes the delayed poll job, without changing the record', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_signed');
    const reply = await deliver(s, signed('video_signed'));
    expect(reply).toEqual({ status: 200, body: { ok: true, promoted: true } });
    expect(await pollState(s, id)).toBe('waiting');
    // The payload said "completed"; only the poll that now runs may decide that.
    expect((await s.store.get(id))?.status).toBe('generating');
  });

  it('the same webhook-id again answers 200 duplicate and promotes nothing', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_dup');
    const delivery = signed('video_dup');
    expect((await deliver(s, delivery)).body).toMatchObject({ ok: true, promoted: true });
    // Put a fresh delayed poll in place: a second promote would be visible on it.
    const job = await s.queues.poll.getJob(jobIdFor(id, 0));
    await job?.remove();
    await s.queues.poll.add(
      'poll',
      { generationId: id, videoId: 'video_dup', round: 0 },
      { jobId: jobIdFor(id, 0), delay: POLL_DELAY_MS },
    );
    const again = await deliver(s, delivery);
    expect(again).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(await pollState(s, id)).toBe('delayed');
  });

  it('a forged signature is refused with 400 and the job stays delayed', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_forged');
    const reply = await deliver(s, signed('video_forged', { secret: OTHER_SECRET }));
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ ok: false });
    expect(await pollState(s, id)).toBe('delayed');
  });

  it('a body altered after signing is refused with 400', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_altered');
    const delivery = signed('video_altered');
    const reply = await deliver(s, {
      ...delivery,
      body: delivery.body.replace('video.completed', 'video.failed'),
    });
    expect(reply.status).toBe(400);
    expect(await pollState(s, id)).toBe('delayed');
  });

  it('a stale timestamp (a replay from ten minutes ago) is refused with 400 and the job stays delayed', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_stale');
    const reply = await deliver(s, signed('video_stale', { at: new Date(Date.now() - 10 * 60_000) }));
    expect(reply.status).toBe(400);
    expect(await pollState(s, id)).toBe('delayed');
  });

  it('a delivery without signature headers is refused with 400', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_unsigned');
    const { body } = signed('video_unsigned');
    const reply = await deliver(s, { body, headers: { 'content-type': 'application/json' } });
    expect(reply.status).toBe(400);
    expect(await pollState(s, id)).toBe('delayed');
  });

  it('a signed delivery for a video nobody knows answers 2xx and changes nothing', async () => {
    const id = await generatingWithDelayedPoll(s, 'video_known');
    const reply = await deliver(s, signed('video_someone_elses'));
    expect(reply.status).toBeGreaterThanOrEqual(200);
    expect(reply.status).toBeLessThan(300);
    expect(reply.body).toMatchObject({ ok: true, promoted: false });
    expect(await pollState(s, id)).toBe('delayed');
  });
});

/**
 * The real store, whose video lookup waits at a gate the test opens: a delivery held in the middle of
 * its processing, so that a second copy can arrive meanwhile. Only the first lookup waits.
 */
class HeldStore extends GenerationStore {
  readonly entered = Promise.withResolvers<void>();
  readonly gate = Promise.withResolvers<void>();
  override async generationForVideo(videoId: string): Promise<string | null> {
    this.entered.resolve();
    await this.gate.promise;
    return super.generationForVideo(videoId);
  }
}

describe('a delivery whose processing fails is retried, not swallowed', () => {
  // The receiver looks generations up through a Redis connection of its own, which the tests close
  // for one request: a real fault (ioredis rejects with "Connection is closed") after the delivery
  // was verified and its webhook-id read, where a Redis hiccup would strike.
  let lookup: Redis;
  let s: Setup;
  beforeEach(() => {
    lookup = createRedisConnection(fixture.url, { role: 'producer', name: 'api-test-lookup' });
  });
  afterEach(async () => {
    await teardown(s);
    lookup.disconnect();
  });

  it('a delivery that fails answers 5xx; the same delivery again is processed; a third is a duplicate', async () => {
    s = await setup(SECRET, (prefix) => new GenerationStore(lookup, prefix));
    const id = await generatingWithDelayedPoll(s, 'video_retry');
    const delivery = signed('video_retry');

    lookup.disconnect();
    const failed = await deliver(s, delivery);
    expect(failed.status).toBe(500);
    expect(await pollState(s, id)).toBe('delayed');

    // Redis is back; the provider retries with the same webhook-id. Before the fix this answered
    // `duplicate` and the poll stayed delayed: the completion was only seen at the safety-net poll.
    await lookup.connect();
    expect(await deliver(s, delivery)).toEqual({ status: 200, body: { ok: true, promoted: true } });
    expect(await pollState(s, id)).toBe('waiting');
    expect(await deliver(s, delivery)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
  });

  it('a copy arriving while the first is processed is told to retry (409), and is processed once the first fails', async () => {
    let held!: HeldStore;
    s = await setup(SECRET, (prefix) => {
      held = new HeldStore(lookup, prefix);
      return held;
    });
    const id = await generatingWithDelayedPoll(s, 'video_concurrent_fail');
    const delivery = signed('video_concurrent_fail');

    const first = deliver(s, delivery);
    await held.entered.promise;
    // Answering this copy `duplicate` (2xx) would end the provider's retries for the id while the
    // first may still fail: the event would be lost. A 409 is retried like any non-2xx.
    const second = await deliver(s, delivery);
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ ok: false });

    lookup.disconnect();
    held.gate.resolve();
    expect((await first).status).toBe(500);
    expect(await pollState(s, id)).toBe('delayed');

    await lookup.connect();
    expect(await deliver(s, delivery)).toEqual({ status: 200, body: { ok: true, promoted: true } });
    expect(await pollState(s, id)).toBe('waiting');
  });

  it('of two copies at once, one promotes and the other, retried, is a duplicate: one promote', async () => {
    let held!: HeldStore;
    s = await setup(SECRET, (prefix) => {
      held = new HeldStore(lookup, prefix);
      return held;
    });
    const id = await generatingWithDelayedPoll(s, 'video_concurrent_ok');
    const delivery = signed('video_concurrent_ok');

    const first = deliver(s, delivery);
    await held.entered.promise;
    expect((await deliver(s, delivery)).status).toBe(409);
    held.gate.resolve();
    expect(await first).toEqual({ status: 200, body: { ok: true, promoted: true } });

    // A fresh delayed poll in place: a second promote would be visible on it.
    await (await s.queues.poll.getJob(jobIdFor(id, 0)))?.remove();
    await s.queues.poll.add(
      'poll',
      { generationId: id, videoId: 'video_concurrent_ok', round: 0 },
      { jobId: jobIdFor(id, 0), delay: POLL_DELAY_MS },
    );
    expect(await deliver(s, delivery)).toEqual({ status: 200, body: { ok: true, duplicate: true } });
    expect(await pollState(s, id)).toBe('delayed');
  });
});

describe('without a webhook secret', () => {
  it('the webhook route answers 503 naming OPENAI_WEBHOOK_SECRET, and promotes nothing', async () => {
    const s = await setup(undefined);
    try {
      const id = await generatingWithDelayedPoll(s, 'video_nosecret');
      const reply = await deliver(s, signed('video_nosecret'));
      expect(reply.status).toBe(503);
      expect(String(reply.body['error'])).toContain('OPENAI_WEBHOOK_SECRET');
      expect(await pollState(s, id)).toBe('delayed');
    } finally {
      await teardown(s);
    }
  });
});
