import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type GenerationRecord,
  GenerationStore,
  type StageQueues,
  closeStageQueues,
  createStageQueues,
} from '@reelay/core';
import { enqueueGeneration, resolvePipelineOptions, waitForGeneration } from '@reelay/pipeline';
import { type RedisFixture, type SimulatorFixture, startRedis, startSimulator } from '@reelay/testing';
import { Redis } from 'ioredis';
import { type AppProcess, startWorker } from './processes.ts';

const TIME_SCALE = 400;

/** A small real pipeline: Redis, the simulator and a worker process, under a private prefix. */
export interface PipelineRun {
  redis: RedisFixture;
  sim: SimulatorFixture;
  prefix: string;
  connection: Redis;
  queues: StageQueues;
  store: GenerationStore;
  worker: AppProcess | undefined;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  enqueue(n: number): Promise<string[]>;
  waitAll(ids: string[]): Promise<GenerationRecord[]>;
  close(): Promise<void>;
}

export async function startPipeline(): Promise<PipelineRun> {
  const redis = await startRedis();
  const sim = await startSimulator({ flags: { timeScale: TIME_SCALE, videoBytes: 16 * 1024, seed: 'dash' } });
  const prefix = redis.prefix('dash-e2e');
  const storageDir = await mkdtemp(join(tmpdir(), 'reelay-dash-'));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const store = new GenerationStore(connection, prefix);
  const queues = createStageQueues(connection, prefix, { retryBaseMs: 50 });
  const options = resolvePipelineOptions();
  const env = {
    REDIS_URL: redis.url,
    REELAY_PREFIX: prefix,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_API_KEY: sim.apiKey,
    REELAY_STORAGE_URL: `file://${storageDir}`,
    REELAY_PROVIDER_TIME_SCALE: String(TIME_SCALE),
    REELAY_RETRY_BASE_MS: '50',
    REELAY_MAX_IN_FLIGHT: '8',
  };
  let counter = 0;
  const run: PipelineRun = {
    redis,
    sim,
    prefix,
    connection,
    queues,
    store,
    worker: undefined,
    async startWorker() {
      run.worker = await startWorker('all', env);
    },
    async stopWorker() {
      await run.worker?.stop();
      run.worker = undefined;
    },
    async enqueue(n) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const input = { prompt: `dashboard clip ${counter++}`, seconds: '4' as const };
        ids.push((await enqueueGeneration({ store, queues, options }, input)).id);
      }
      return ids;
    },
    waitAll(ids) {
      return Promise.all(ids.map((id) => waitForGeneration(store, connection, id, { timeoutMs: 60_000 })));
    },
    async close() {
      await run.worker?.stop();
      for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
      await closeStageQueues(queues);
      connection.disconnect();
      await sim.stop();
      await redis.stop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
  return run;
}
