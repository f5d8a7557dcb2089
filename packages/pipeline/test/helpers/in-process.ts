import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Stage, GenerationStore, closeStageQueues, createLogger, createStageQueues } from '@reelay/core';
import { createOpenAIProvider } from '@reelay/providers';
import { LocalObjectStore } from '@reelay/storage';
import { type RedisFixture, type SimulatorFixture, startRedis, startSimulator } from '@reelay/testing';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { type PipelineContext, admitAll, resolvePipelineOptions } from '../../src/index.ts';

/**
 * Stage code run in the test process against real services — a Redis, the simulator over HTTP through
 * the real openai SDK, a storage directory — for the paths no end-to-end run reaches by chance.
 */
export interface InProcess {
  redis: RedisFixture;
  sim: SimulatorFixture;
  connection: Redis;
  storageDir: string;
  /** A pipeline context whose provider talks to `baseURL` (the simulator, or a proxy in front of it). */
  context(baseURL?: string): PipelineContext;
  /** Takes the next job of `stage` as a worker would: active, locked with `token`. */
  take(ctx: PipelineContext, stage: Stage, token: string): Promise<{ job: Job; worker: Worker }>;
  /** Closes what the test made (queues, workers); the services stay up. */
  cleanup(): Promise<void>;
  stop(): Promise<void>;
}

export async function startInProcess(
  name: string,
  simFlags: Record<string, string | number> = {},
): Promise<InProcess> {
  const redis = await startRedis();
  const sim = await startSimulator({ flags: { timeScale: 400, videoBytes: 4096, seed: name, ...simFlags } });
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const storageDir = await mkdtemp(join(tmpdir(), `reelay-${name}-`));
  const cleanups: Array<() => Promise<void>> = [];
  return {
    redis,
    sim,
    connection,
    storageDir,
    context(baseURL = sim.baseURL) {
      const prefix = redis.prefix(name);
      const queues = createStageQueues(connection, prefix, { retryBaseMs: 50 });
      cleanups.push(() => closeStageQueues(queues));
      return {
        store: new GenerationStore(connection, prefix),
        queues,
        provider: createOpenAIProvider({ baseURL, apiKey: sim.apiKey, timeoutMs: 5000 }),
        objects: new LocalObjectStore(storageDir),
        logger: createLogger({ name: 'test', level: 'silent', format: 'json' }),
        options: resolvePipelineOptions({ durationScale: 400 }),
        admission: admitAll,
      };
    },
    async take(ctx, stage, token) {
      const worker = new Worker(stage, null, { connection, prefix: ctx.store.prefix, autorun: false });
      cleanups.push(() => worker.close());
      const job = await worker.getNextJob(token);
      if (!job) throw new Error(`no ${stage} job to take`);
      return { job, worker };
    },
    async cleanup() {
      for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
      await sim.reset();
    },
    async stop() {
      connection.disconnect();
      await sim.stop();
      await redis.stop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
