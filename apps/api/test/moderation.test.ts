import { createLogger } from '@reelay/core';
import { type RedisFixture, type SimulatorFixture, startRedis, startSimulator } from '@reelay/testing';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../src/app.ts';
import { buildApiContext } from '../src/context.ts';
import { loadApiEnv } from '../src/env.ts';
import { sha256 } from './producer-harness.ts';

// REELAY_MODERATION=on end to end: the api's own env → context → client → provider adapter →
// `POST /v1/moderations` of the real simulator, which flags a prompt exactly when it holds a word of
// its blocklist (category `violence`).

const KEY = 'rk_moderation_test_key';

let redis: RedisFixture;
let sim: SimulatorFixture;
beforeAll(async () => {
  [redis, sim] = await Promise.all([
    startRedis(),
    startSimulator({ flags: { moderationBlocklist: 'explosion' } }),
  ]);
});
afterAll(async () => {
  await sim.stop();
  await redis.stop();
});

interface Running {
  app: FastifyInstance;
  url: string;
  prefix: string;
  context: ReturnType<typeof buildApiContext>;
}
const running: Running[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.app.close();
    await r.context.closeProducer();
    r.context.redis.disconnect();
  }
});

async function startApi(env: Record<string, string>): Promise<Running> {
  const prefix = redis.prefix('moderation');
  const context = buildApiContext(
    loadApiEnv({
      REDIS_URL: redis.url,
      REELAY_PREFIX: prefix,
      REELAY_API_KEYS: `acme:${sha256(KEY)}`,
      OPENAI_BASE_URL: sim.baseURL,
      OPENAI_API_KEY: sim.apiKey,
      ...env,
    }),
    createLogger({ name: 'api-test', format: 'json', level: 'silent' }),
  );
  const app = buildApi(context.deps);
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  const r = { app, url, prefix, context };
  running.push(r);
  return r;
}

function post(api: Running, path: string, body: unknown) {
  return fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function enqueued(api: Running): Promise<{ records: number; jobs: number }> {
  const records = (await api.context.redis.keys(`${api.prefix}:gen:gen_*`)).length;
  const jobs = await api.context.queues.submit.count();
  return { records, jobs };
}

async function moderationRequests(): Promise<number> {
  const stats = await sim.stats<{ moderationRequests: number }>();
  return stats.moderationRequests;
}

describe('REELAY_MODERATION=on', () => {
  it('refuses a flagged prompt with 422 content_policy and its categories, enqueuing nothing', async () => {
    const api = await startApi({ REELAY_MODERATION: 'on' });
    const before = await moderationRequests();
    const res = await post(api, '/v1/generations', { prompt: 'a slow-motion explosion in a city', n: 2 });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: {
        code: 'content_policy',
        message: expect.stringContaining('flagged by moderation (violence)'),
        param: 'prompt',
        categories: ['violence'],
      },
    });
    expect(await enqueued(api)).toEqual({ records: 0, jobs: 0 });
    expect(await moderationRequests()).toBe(before + 1);

    // A clean prompt is checked too, then enqueued.
    const ok = await post(api, '/v1/generations', { prompt: 'a quiet harbour at dawn' });
    expect(ok.status).toBe(201);
    expect(await enqueued(api)).toEqual({ records: 1, jobs: 1 });
    expect(await moderationRequests()).toBe(before + 2);
  });

  it('checks campaigns too: a flagged campaign prompt creates no generation', async () => {
    const api = await startApi({ REELAY_MODERATION: 'on' });
    const res = await post(api, '/v1/campaigns', {
      prompt: 'an explosion of colour',
      platforms: ['tiktok', 'youtube'],
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('content_policy');
    expect(await enqueued(api)).toEqual({ records: 0, jobs: 0 });
  });

  it('is off by default: nothing is sent to the moderation endpoint', async () => {
    const api = await startApi({});
    const before = await moderationRequests();
    const res = await post(api, '/v1/generations', { prompt: 'an explosion of colour' });
    expect(res.status).toBe(201);
    expect(await moderationRequests()).toBe(before);
  });

  it('needs OPENAI_API_KEY when on, and says so', () => {
    expect(() =>
      buildApiContext(
        loadApiEnv({ REDIS_URL: redis.url, REELAY_MODERATION: 'on' }),
        createLogger({ name: 'api-test', format: 'json', level: 'silent' }),
      ),
    ).toThrow(/REELAY_MODERATION=on needs OPENAI_API_KEY/);
    expect(() => loadApiEnv({ REELAY_MODERATION: 'yes' })).toThrow(/REELAY_MODERATION/);
  });
});

describe('moderation unreachable', () => {
  it('answers 503 moderation_unavailable and enqueues nothing (never an unchecked create)', async () => {
    // A provider address where nothing listens: the moderation call cannot be made.
    const dead = await startSimulator();
    const baseURL = dead.baseURL;
    await dead.stop();
    const api = await startApi({ REELAY_MODERATION: 'on', OPENAI_BASE_URL: baseURL });
    const res = await post(api, '/v1/generations', { prompt: 'a quiet harbour at dawn' });
    expect(res.status).toBe(503);
    const body = (await res.json()) as { error: { code: string; message: string; param: string } };
    expect(body.error).toMatchObject({ code: 'moderation_unavailable', param: 'prompt' });
    expect(body.error.message).toMatch(/moderation check failed .*nothing was enqueued/);
    expect(body.error.message).not.toContain(sim.apiKey);
    expect(await enqueued(api)).toEqual({ records: 0, jobs: 0 });
  });
});
