import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type RedisFixture,
  type SimulatorFixture,
  startRedis,
  startSimulator,
  waitFor,
} from '@reelay/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Reelay } from '../src/index.ts';
import { type WorkerProcess, startWorker } from './worker-process.ts';

// Slow enough that a video is still in progress when the test cancels it (a few seconds).
const TIME_SCALE = 15;

let redis: RedisFixture;
let sim: SimulatorFixture;
let connection: Redis;
let storageDir: string;
let prefix: string;
let worker: WorkerProcess;
let client: Reelay;

beforeAll(async () => {
  redis = await startRedis();
  sim = await startSimulator({ flags: { timeScale: TIME_SCALE, videoBytes: 16 * 1024, seed: 'client' } });
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  storageDir = await mkdtemp(join(tmpdir(), 'reelay-client-'));
  prefix = redis.prefix('client-e2e');
  worker = await startWorker('submit,poll,download', {
    REDIS_URL: redis.url,
    REELAY_PREFIX: prefix,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_API_KEY: sim.apiKey,
    REELAY_STORAGE_URL: `file://${storageDir}`,
    REELAY_PROVIDER_TIME_SCALE: String(TIME_SCALE),
    REELAY_RETRY_BASE_MS: '50',
    LOG_LEVEL: 'info',
  });
  client = new Reelay({ redis: connection, prefix });
}, 60_000);

afterAll(async () => {
  await worker?.kill();
  await client?.close();
  for (const name of ['submit', 'poll', 'download', 'notify']) {
    const q = new Queue(name, { connection, prefix });
    await q.obliterate({ force: true }).catch(() => {});
    await q.close();
  }
  connection?.disconnect();
  await sim?.stop();
  await redis?.stop();
  if (storageDir) await rm(storageDir, { recursive: true, force: true });
});

describe('against the simulator and a worker process', () => {
  it('cancel after submit: one video created, polling stops, nothing downloaded, record cancelled', async () => {
    const { data } = await client.generations.create({ prompt: 'a slow sunrise', seconds: 8 });
    const id = data[0]!.id;
    const generating = await waitFor(
      async () => {
        const g = await client.generations.retrieve(id);
        return g.status === 'generating' ? g : undefined;
      },
      { timeoutMs: 20_000, message: 'generation to reach the provider' },
    );
    expect(generating.providerVideoId).toBeDefined();
    const cancelled = await client.generations.cancel(id);
    expect(cancelled.status).toBe('cancelled');
    // The promoted poll job runs at once and ends the watch (it completes instead of delaying again).
    await waitFor(() => worker.lines.some((l) => l.includes(id) && l.includes('cancelled; provider')), {
      timeoutMs: 20_000,
      message: 'the poll stage to handle the cancel',
    });
    const stats = await sim.stats<{
      videosCreated: number;
      contentRequests: number;
      deleteRequests: number;
    }>();
    expect(stats.videosCreated).toBe(1);
    expect(stats.contentRequests).toBe(0);
    expect(stats.deleteRequests).toBe(1);
    const poll = new Queue('poll', { connection, prefix });
    expect(await (await poll.getJob(id))?.isDelayed()).toBe(false);
    await poll.close();
    expect((await client.generations.retrieve(id)).status).toBe('cancelled');
    expect(await readdir(storageDir, { recursive: true })).toEqual([]);
  }, 60_000);

  it('waitForCompletion resolves on completion', async () => {
    const { data } = await client.generations.create({ prompt: 'a quick wave', seconds: 4 });
    const done = await client.generations.waitForCompletion(data[0]!.id, { timeout: 60_000 });
    expect(done.status).toBe('completed');
    expect(done.storage?.bytes).toBeGreaterThan(0);
  }, 90_000);

  it('waitForCompletion resolves on failure', async () => {
    await sim.configure({ failureRate: 1, failureCode: 'moderation_blocked' });
    try {
      const { data } = await client.generations.create({ prompt: 'a blocked clip', seconds: 4 });
      const done = await client.generations.waitForCompletion(data[0]!.id, { timeout: 60_000 });
      expect(done.status).toBe('failed');
      expect(done.error?.code).toBe('content_policy');
    } finally {
      await sim.configure({ failureRate: 0 });
    }
  }, 90_000);
});
