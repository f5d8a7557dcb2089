import { type RedisFixture, startRedis } from '@reelay/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GenerationStore, type GenerationRequest, generationIdFor, newGenerationId } from '../src/index.ts';

const request: GenerationRequest = {
  prompt: 'a red fox',
  model: 'sora-2',
  seconds: '4',
  size: '720x1280',
  thumbnail: false,
};

let fixture: RedisFixture;
let redis: Redis;
beforeAll(async () => {
  fixture = await startRedis();
  redis = new Redis(fixture.url);
});
afterAll(async () => {
  redis.disconnect();
  await fixture.stop();
});

describe('GenerationStore', () => {
  it('creates a record readable by id from another connection, indexed by status', async () => {
    const store = new GenerationStore(redis, fixture.prefix('rec'));
    const id = newGenerationId();
    const result = await store.create({
      id,
      tenant: 'acme',
      request,
      provider: 'openai',
      metadata: { campaign: 'x' },
    });
    expect(result).toEqual({ created: true, id, status: 'queued' });

    const other = new Redis(fixture.url);
    const record = await new GenerationStore(other, store.prefix).get(id);
    other.disconnect();
    expect(record).toMatchObject({
      id,
      status: 'queued',
      tenant: 'acme',
      request,
      metadata: { campaign: 'x' },
      progress: 0,
    });
    expect(record?.attempts).toEqual({ submit: 0, poll: 0, download: 0, notify: 0, resubmits: 0 });
    expect(await store.idsByStatus('queued')).toEqual([id]);
  });

  it('moves status and indexes together, and refuses to leave a terminal status', async () => {
    const store = new GenerationStore(redis, fixture.prefix('rec'));
    const id = newGenerationId();
    await store.create({ id, tenant: 't', request, provider: 'openai' });
    const moved = await store.update(
      id,
      { providerVideoId: 'video_1', timings: { submittedAt: 5 } },
      { status: 'generating' },
    );
    expect(moved).toEqual({ applied: true, previous: 'queued' });
    expect(await store.countByStatus('queued')).toBe(0);
    expect(await store.idsByStatus('generating')).toEqual([id]);

    await store.update(id, {}, { status: 'cancelled' });
    const late = await store.update(id, { progress: 50 }, { status: 'downloading' });
    expect(late).toEqual({ applied: false, previous: 'cancelled' });
    const record = await store.get(id);
    expect(record?.status).toBe('cancelled');
    expect(record?.progress).toBe(0);
    expect(record?.timings.submittedAt).toBe(5);
  });

  it('applies a guarded update only from the named statuses', async () => {
    const store = new GenerationStore(redis, fixture.prefix('rec'));
    const id = newGenerationId();
    await store.create({ id, tenant: 't', request, provider: 'openai' });
    expect((await store.update(id, {}, { status: 'downloading', from: ['generating'] })).applied).toBe(false);
    expect((await store.update(id, {}, { status: 'submitting', from: ['queued'] })).applied).toBe(true);
    expect(await store.update('gen_000000000000000000000000', {}, { status: 'failed' })).toEqual({
      applied: false,
      previous: undefined,
    });
  });

  it('treats the same idempotency key as the same generation, and a different request under it as a conflict', async () => {
    const store = new GenerationStore(redis, fixture.prefix('rec'));
    const id = generationIdFor('t', 'order-42');
    expect(id).toBe(generationIdFor('t', 'order-42'));
    expect(id).not.toBe(generationIdFor('other-tenant', 'order-42'));
    const keyed = { id, tenant: 't', request, provider: 'openai', idempotencyKey: 'order-42' };
    expect((await store.create(keyed)).created).toBe(true);
    expect((await store.create(keyed)).created).toBe(false);
    await expect(
      store.create({ ...keyed, request: { ...request, prompt: 'something else' } }),
    ).rejects.toMatchObject({ code: 'invalid_request', param: 'idempotencyKey' });
    // Without a key an id is random, so meeting an existing one is a bug, never a replay.
    const fresh = newGenerationId();
    await store.create({ id: fresh, tenant: 't', request, provider: 'openai' });
    await expect(store.create({ id: fresh, tenant: 't', request, provider: 'openai' })).rejects.toMatchObject(
      {
        code: 'internal',
      },
    );
  });

  it('binds a provider video to exactly one generation', async () => {
    const store = new GenerationStore(redis, fixture.prefix('rec'));
    expect(await store.claimVideo('video_a', 'gen_1')).toBe(true);
    expect(await store.claimVideo('video_a', 'gen_1')).toBe(true);
    expect(await store.claimVideo('video_a', 'gen_2')).toBe(false);
    expect(await store.generationForVideo('video_a')).toBe('gen_1');
  });
});
