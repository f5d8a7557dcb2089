import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type WorkerProcess, startWorker } from './processes.ts';
import { type RedisFixture, type StartRedisOptions, startRedis } from './redis.ts';
import { type SimulatorFixture, startSimulator } from './simulator.ts';

/** Time scale of the simulator and the workers unless a harness asks for another. */
export const PIPELINE_TIME_SCALE = 400;

export interface PipelineServicesOptions {
  /** Simulator flags, over `{ timeScale, videoBytes: 48 KiB, seed: 'e2e' }`. */
  simFlags?: Record<string, string | number | boolean>;
  /** Environment of every worker process, over the harness's own. */
  workerEnv?: Record<string, string>;
  /** Options of the Redis fixture (a private server, production settings). */
  redis?: StartRedisOptions;
  /** Simulator and worker time scale. Default 400. */
  timeScale?: number;
  /** Name inside the key prefix and the storage dir. Default `e2e`. */
  name?: string;
}

/**
 * The services of a private pipeline run — Redis, the simulator, a storage dir and worker processes
 * per stage — with no Reelay library loaded in the test process: the tests (apps/worker, chaos) add
 * their own producer side (records, queues) from @reelay/core and @reelay/pipeline, which this dev
 * package must not depend on (they depend on it).
 */
export interface PipelineServices {
  redis: RedisFixture;
  sim: SimulatorFixture;
  prefix: string;
  storageDir: string;
  timeScale: number;
  /** Environment every worker process gets (REDIS_URL, prefix, provider, storage, time scale). */
  env: Record<string, string>;
  /** Every worker process started so far, running or not. */
  workers: WorkerProcess[];
  /** A worker process for `stage` (`submit`, `poll`, `download`, a comma list or `all`). */
  start(stage: string, extraEnv?: Record<string, string>): Promise<WorkerProcess>;
  /** sha256 of the bytes the simulator serves for a video (faults switched off first). */
  simSha256(videoId: string): Promise<string>;
  /** sha256 of a stored `file://` object. */
  fileSha256(uri: string): Promise<string>;
  /** Kills the workers, stops the simulator and Redis, removes the storage dir. */
  close(): Promise<void>;
}

export async function startPipelineServices(
  options: PipelineServicesOptions = {},
): Promise<PipelineServices> {
  const timeScale = options.timeScale ?? PIPELINE_TIME_SCALE;
  const name = options.name ?? 'e2e';
  const redis = await startRedis(options.redis);
  const sim = await startSimulator({
    flags: { timeScale, videoBytes: 48 * 1024, seed: 'e2e', ...options.simFlags },
  }).catch(async (error: unknown) => {
    await redis.stop();
    throw error;
  });
  const prefix = redis.prefix(name);
  const storageDir = await mkdtemp(join(tmpdir(), `reelay-${name}-`));
  const env: Record<string, string> = {
    REDIS_URL: redis.url,
    REELAY_PREFIX: prefix,
    OPENAI_BASE_URL: sim.baseURL,
    OPENAI_API_KEY: sim.apiKey,
    REELAY_STORAGE_URL: `file://${storageDir}`,
    REELAY_PROVIDER_TIME_SCALE: String(timeScale),
    LOG_LEVEL: 'info',
    REELAY_RETRY_BASE_MS: '50',
    ...options.workerEnv,
  };
  const workers: WorkerProcess[] = [];
  return {
    redis,
    sim,
    prefix,
    storageDir,
    timeScale,
    env,
    workers,
    async start(stage, extraEnv = {}) {
      const worker = await startWorker(stage, { ...env, ...extraEnv });
      workers.push(worker);
      return worker;
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
      if (!res.ok) throw new Error(`simulator content of ${videoId}: HTTP ${res.status}`);
      return createHash('sha256')
        .update(Buffer.from(await res.arrayBuffer()))
        .digest('hex');
    },
    async fileSha256(uri) {
      return createHash('sha256')
        .update(await readFile(new URL(uri).pathname))
        .digest('hex');
    },
    async close() {
      await Promise.all(workers.map((w) => w.kill()));
      await sim.stop();
      await redis.stop();
      await rm(storageDir, { recursive: true, force: true });
    },
  };
}
