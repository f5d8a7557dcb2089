import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
import { type WorkerProcess, startWorker } from './processes.ts';

export const TIME_SCALE = 400;

/** A private pipeline: its own prefix, simulator, storage dir, and worker processes per stage. */
export interface Harness {
  redis: RedisFixture;
  sim: SimulatorFixture;
  prefix: string;
  storageDir: string;
  env: Record<string, string>;
  store: GenerationStore;
  queues: StageQueues;
  connection: Redis;
  workers: WorkerProcess[];
  start(stage: string, extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  enqueue(
    n: number,
    request?: Partial<{ prompt: string; seconds: '4' | '8'; thumbnail: boolean }>,
  ): Promise<string[]>;
  waitAll(ids: string[], timeoutMs?: number): Promise<GenerationRecord[]>;
  /** sha256 of the bytes the simulator serves for a video. */
  simSha256(videoId: string): Promise<string>;
  fileSha256(record: GenerationRecord): Promise<string>;
  close(): Promise<void>;
}

export async function createHarness(
  simFlags: Record<string, string | number | boolean> = {},
  workerEnv: Record<string, string> = {},
): Promise<Harness> {
  const redis = await startRedis();
  const sim = await startSimulator({
    flags: { timeScale: TIME_SCALE, videoBytes: 48 * 1024, seed: 'e2e', ...simFlags },
  });
  const prefix = redis.prefix('e2e');
  const storageDir = await mkdtemp(join(tmpdir(), 'reelay-e2e-'));
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const store = new GenerationStore(connection, prefix);
  const queues = createStageQueues(connection, prefix, { retryBaseMs: 50 });
  const env = {
    REDIS_URL: redis.url,
    REELAY_PREFIX: prefix,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_API_KEY: sim.apiKey,
    REELAY_STORAGE_URL: `file://${storageDir}`,
    REELAY_PROVIDER_TIME_SCALE: String(TIME_SCALE),
    LOG_LEVEL: 'info',
    REELAY_RETRY_BASE_MS: '50',
    ...workerEnv,
  };
  const workers: WorkerProcess[] = [];
  const options = resolvePipelineOptions();
  const harness: Harness = {
    redis,
    sim,
    prefix,
    storageDir,
    env,
    store,
    queues,
    connection,
    workers,
    async start(stage, extraEnv = {}) {
      const worker = await startWorker(stage, { ...env, ...extraEnv });
      workers.push(worker);
      return worker;
    },
    async enqueue(n, request = {}) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const { id } = await enqueueGeneration(
          { store, queues, options },
          {
            prompt: request.prompt ?? `e2e clip ${i}`,
            seconds: request.seconds ?? '4',
            thumbnail: request.thumbnail ?? false,
          },
        );
        ids.push(id);
      }
      return ids;
    },
    async waitAll(ids, timeoutMs = 60_000) {
      return Promise.all(ids.map((id) => waitForGeneration(store, connection, id, { timeoutMs })));
    },
    async simSha256(videoId) {
      // Verification reads the provider's bytes without the faults the test injected.
      await sim.configure({
        serverErrorRate: 0,
        dropDownloadRate: 0,
        resetRate: 0,
        createRpm: 0,
        readRpm: 0,
      });
      const res = await fetch(`${sim.baseURL}/videos/${videoId}/content`, {
        headers: { authorization: `Bearer ${sim.apiKey}` },
      });
      if (!res.ok) throw new Error(`simulator content ${res.status}`);
      return createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex');
    },
    async fileSha256(record) {
      const path = new URL(record.storage!.uri).pathname;
      return createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
    },
    async close() {
      await Promise.all(workers.map((w) => (w.child.exitCode === null ? w.kill() : undefined)));
      for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
      await closeStageQueues(queues);
      connection.disconnect();
      await sim.stop();
      await redis.stop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
  return harness;
}
