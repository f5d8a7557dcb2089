import {
  GenerationStore,
  type StageQueues,
  ValidationError,
  closeStageQueues,
  createLogger,
  createStageQueues,
} from '@reelay/core';
import { type RedisFixture, startRedis, waitFor } from '@reelay/testing';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type EnqueueOptions,
  FairBacklog,
  type FairDispatcher,
  type FairnessOptionsInput,
  enqueueGeneration,
  resolvePipelineOptions,
  startFairDispatcher,
} from '../src/index.ts';

// The dispatcher against a real Redis and a real BullMQ worker on the submit queue. The worker's
// processor only records the order in which generations reach it: what is under test is who gets the
// next create, not the create itself (the worker app's tests run the real stages).

let redis: RedisFixture;
let connection: Redis;
let prefix: string;
let store: GenerationStore;
let queues: StageQueues;
let backlog: FairBacklog;
const dispatchers: FairDispatcher[] = [];
const workers: Worker[] = [];
const options = resolvePipelineOptions();
const logger = createLogger({ name: 'fairness-test', level: 'warn', format: 'json' });

beforeEach(async () => {
  redis ??= await startRedis();
  prefix = redis.prefix('fair');
  connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  store = new GenerationStore(connection, prefix);
  queues = createStageQueues(connection, prefix);
  backlog = new FairBacklog(connection, prefix);
});

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.close(true)));
  await Promise.all(dispatchers.splice(0).map((d) => d.close()));
  for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
  await closeStageQueues(queues);
  const keys = await connection.keys(`${prefix}*`);
  if (keys.length > 0) await connection.del(...keys);
  connection.disconnect();
});

async function dispatcher(input: FairnessOptionsInput = {}): Promise<FairDispatcher> {
  const d = startFairDispatcher({ store, queues, logger }, connection, { tickMs: 100, ...input });
  dispatchers.push(d);
  await waitFor(async () => (await connection.exists(backlog.presenceKey)) === 1, {
    message: 'dispatcher presence',
  });
  return d;
}

function enqueue(tenant: string, label: string, extra: EnqueueOptions = {}): Promise<string> {
  return enqueueGeneration(
    { store, queues, options },
    { prompt: `${tenant} ${label}` },
    { tenant, ...extra },
  ).then((r) => r.id);
}

/** A submit-queue consumer that records the prompts it is handed, one at a time. */
function consumer(seen: string[]): Worker {
  const worker = new Worker(
    'submit',
    async (job: Job) => {
      const record = await store.get(job.data.generationId);
      seen.push(record!.request.prompt);
    },
    { connection: connection.duplicate(), prefix, concurrency: 1 },
  );
  workers.push(worker);
  return worker;
}

describe('fair dispatch of submit work between tenants', () => {
  it('serves backlogged tenants in proportion to their weights, so a big backlog starves nobody', async () => {
    await dispatcher({ readyWindow: 1, weights: { gold: 3 } });
    // The first enqueue fills the one-job ready window; everything after waits in the backlogs.
    await enqueue('warmup', 'first');
    for (let i = 0; i < 60; i++) await enqueue('bulk', `b${i}`); // weight 1, arrived first
    for (let i = 0; i < 60; i++) await enqueue('gold', `g${i}`); // weight 3
    for (let i = 0; i < 5; i++) await enqueue('small', `s${i}`); // weight 1, 5 generations

    const seen: string[] = [];
    consumer(seen);
    await waitFor(() => seen.length >= 41, { message: '41 generations consumed' });
    const next40 = seen.slice(1, 41);
    const count = (tenant: string) => next40.filter((p) => p.startsWith(`${tenant} `)).length;
    // Shares 3 : 1 : 1 while all three have work: 24 / 8 / 8 of 40, ± the interleaving at the edges.
    expect(count('gold')).toBeGreaterThanOrEqual(22);
    expect(count('gold')).toBeLessThanOrEqual(26);
    // The small tenant, arriving last behind 120 queued generations, is done within the first 40.
    expect(count('small')).toBe(5);
    expect(count('bulk')).toBeGreaterThanOrEqual(7);
    // FIFO within each tenant.
    const bulk = next40.filter((p) => p.startsWith('bulk '));
    expect(bulk).toEqual(bulk.map((_, i) => `bulk b${i}`));
  });

  it('orders a tenant’s own work by priority, then arrival', async () => {
    await dispatcher({ readyWindow: 1 });
    await enqueue('other', 'blocker');
    await enqueue('acme', 'p5', { priority: 5 });
    await enqueue('acme', 'p0-a');
    await enqueue('acme', 'p3', { priority: 3 });
    await enqueue('acme', 'p0-b', { priority: 0 });
    const seen: string[] = [];
    consumer(seen);
    await waitFor(() => seen.length === 5, { message: 'all consumed' });
    expect(seen).toEqual(['other blocker', 'acme p0-a', 'acme p0-b', 'acme p3', 'acme p5']);
  });

  it('keeps "same idempotency key → same generation" and enqueues nothing for invalid input', async () => {
    await dispatcher({ readyWindow: 1 });
    await enqueue('other', 'blocker');
    const first = await enqueueGeneration(
      { store, queues, options },
      { prompt: 'once' },
      { tenant: 'acme', idempotencyKey: 'k1' },
    );
    const again = await enqueueGeneration(
      { store, queues, options },
      { prompt: 'once' },
      { tenant: 'acme', idempotencyKey: 'k1' },
    );
    expect(again).toEqual({ id: first.id, status: 'queued', created: false });
    expect(await backlog.depth('acme')).toBe(1);
    expect(await queues.submit.getJobCountByTypes('delayed')).toBe(1);

    const before = (await connection.keys(`${prefix}*`)).sort();
    await expect(
      enqueueGeneration({ store, queues, options }, { prompt: '' }, { tenant: 'acme' }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      enqueueGeneration({ store, queues, options }, { prompt: 'fine' }, { tenant: 'acme', priority: -1 }),
    ).rejects.toThrow(/priority/);
    expect((await connection.keys(`${prefix}*`)).sort()).toEqual(before);
    expect(await backlog.depth('acme')).toBe(1);
  });

  it('loses nothing when a dispatcher dies mid-dispatch or an enqueue dies before its job', async () => {
    // A dispatcher was alive when these were enqueued, then died after popping them.
    await backlog.markAlive(60_000);
    const popped = [await enqueue('acme', 'a'), await enqueue('acme', 'b')];
    expect((await backlog.pop(10)).map((i) => i.generationId)).toEqual(popped);
    // An enqueue that died between the backlog push and the submit job add.
    const { id: orphan } = await store.create({
      id: 'gen_0123456789abcdef01234567',
      tenant: 'acme',
      request: { prompt: 'acme orphan', model: 'sora-2', seconds: '4', size: '720x1280', thumbnail: false },
      provider: 'openai',
    });
    expect(await backlog.push(orphan, 'acme', 0)).toBe(1);

    const seen: string[] = [];
    consumer(seen);
    await dispatcher({ staleAfterMs: 50 });
    await waitFor(() => seen.length === 3, { message: 'all three consumed' });
    expect(seen.sort()).toEqual(['acme a', 'acme b', 'acme orphan']);
    expect(await backlog.stale(Date.now() + 1)).toEqual([]);
  });

  it('adds submit jobs straight to the queue (FIFO) while no dispatcher runs', async () => {
    const id = await enqueue('acme', 'direct');
    expect(await queues.submit.getJobState(id)).toBe('waiting');
    expect(await backlog.depth('acme')).toBe(0);
  });
});
