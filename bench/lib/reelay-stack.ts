import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GenerationStore,
  type GenerationRequestInput,
  type SimulatorFixture,
  type StageQueues,
  closeStageQueues,
  createStageQueues,
  enqueueGeneration,
  resolvePipelineOptions,
  startSimulator,
} from './deps.ts';
import { type CompletionTracker, trackCompletions } from './completions.ts';
import type { NodeProcess } from './process.ts';
import { type BenchRedis, startBenchRedis } from './redis.ts';
import { startApiProcess, startWorkerProcess } from './workers.ts';

export interface StackOptions {
  /** Simulator settings (its config keys). `seed` is set by the stack; `ttlSeconds` defaults to 1 h of wall time. */
  sim: Record<string, string | number | boolean>;
  /** Worker processes to start, one per entry: `submit`, `poll`, `download` or a comma list. */
  processes: string[];
  /** Environment of every worker process, over the stack's own (Redis, prefix, provider, storage). */
  workerEnv?: Record<string, string>;
  /** Extra environment per process entry. */
  processEnv?: Record<string, Record<string, string>>;
  /** Start the api and point the simulator's webhooks at it; workers get `REELAY_WEBHOOKS=true`. */
  webhooks?: boolean;
  /** Parent of the storage temp dir. Default: `REELAY_BENCH_TMPDIR` or the OS temp dir. */
  tmpParent?: string;
  /** A Redis to use (left running on close); default: a private one started and stopped by the stack. */
  redis?: BenchRedis;
}

/** A private pipeline: its own Redis, simulator, storage dir and worker processes. */
export interface Stack {
  redis: BenchRedis;
  sim: SimulatorFixture;
  seed: string;
  prefix: string;
  storageDir: string;
  store: GenerationStore;
  queues: StageQueues;
  workers: Map<string, NodeProcess<true>>;
  api: NodeProcess<string> | undefined;
  enqueue(requests: GenerationRequestInput[], concurrency?: number): Promise<string[]>;
  /** Deletes everything the pipeline stored so far (large videos must not outlive their measurement). */
  dropStoredObjects(): Promise<void>;
  close(): Promise<void>;
}

export function benchTmpParent(): string {
  return process.env['REELAY_BENCH_TMPDIR'] ?? tmpdir();
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const cleanups: Array<() => Promise<void>> = [];
  const close = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  };
  try {
    const redis = options.redis ?? (await startBenchRedis());
    if (!options.redis) cleanups.push(() => redis.stop());
    const seed = `bench-${randomBytes(4).toString('hex')}`;
    const scale = Number(options.sim['timeScale'] ?? 1);
    const sim = await startSimulator({
      flags: { ttlSeconds: 3600 * scale, ...options.sim, seed },
    });
    cleanups.push(() => sim.stop());
    const storageDir = await mkdtemp(join(options.tmpParent ?? benchTmpParent(), 'reelay-bench-'));
    cleanups.push(() => rm(storageDir, { recursive: true, force: true }));
    const prefix = '{reelay-bench}';
    const store = new GenerationStore(redis.client, prefix);
    const queues = createStageQueues(redis.client, prefix);
    cleanups.push(() => closeStageQueues(queues));

    const baseEnv: Record<string, string> = {
      REDIS_URL: redis.url,
      REELAY_PREFIX: prefix,
      OPENAI_BASE_URL: sim.baseURL,
      OPENAI_API_KEY: sim.apiKey,
      REELAY_STORAGE_URL: `file://${storageDir}`,
    };
    let api: NodeProcess<string> | undefined;
    if (options.webhooks) {
      // A fresh secret per run, handed to the simulator over its control endpoint (not a flag, which
      // `ps` would show) and to the api by environment; never printed.
      const secret = `whsec_${randomBytes(24).toString('base64')}`;
      api = await startApiProcess({ ...baseEnv, OPENAI_WEBHOOK_SECRET: secret });
      cleanups.push(() => api!.stop());
      // No simulated delivery jitter: the figure is Reelay's own latency from delivery to detection,
      // not the provider's (real ones add their own, which no receiver can shorten).
      await sim.configure({
        webhookUrl: `${api.ready}/webhooks/provider`,
        webhookSecret: secret,
        webhookJitterMs: 0,
      });
      baseEnv['REELAY_WEBHOOKS'] = 'true';
      baseEnv['OPENAI_WEBHOOK_SECRET'] = secret;
    }
    const workers = new Map<string, NodeProcess<true>>();
    const started = await Promise.allSettled(
      options.processes.map(async (stage) => {
        const env = { ...baseEnv, ...options.workerEnv, ...options.processEnv?.[stage] };
        const worker = await startWorkerProcess(stage, env);
        workers.set(stage, worker);
        cleanups.push(() => worker.stop());
      }),
    );
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;

    const pipelineOptions = resolvePipelineOptions();
    return {
      redis,
      sim,
      seed,
      prefix,
      storageDir,
      store,
      queues,
      workers,
      api,
      async enqueue(requests, concurrency = 50) {
        const ids: string[] = new Array(requests.length);
        let next = 0;
        const lane = async () => {
          while (next < requests.length) {
            const i = next++;
            const { id } = await enqueueGeneration({ store, queues, options: pipelineOptions }, requests[i]!);
            ids[i] = id;
          }
        };
        await Promise.all(Array.from({ length: Math.min(concurrency, requests.length) }, lane));
        return ids;
      },
      async dropStoredObjects() {
        for (const entry of await readdir(storageDir)) {
          await rm(join(storageDir, entry), { recursive: true, force: true });
        }
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Waits for `count` generations of this stack to be stored (their download jobs completed), giving up
 * early, naming the count, once any generation failed. Start it before enqueuing.
 */
export function trackStored(stack: Stack, count: number, timeoutMs: number): Promise<CompletionTracker> {
  return trackCompletions({
    redisUrl: stack.redis.url,
    prefix: stack.prefix,
    queue: 'download',
    count,
    timeoutMs,
    check: async () => {
      const failed = await stack.store.countByStatus('failed');
      return failed > 0 ? `${failed} generation(s) failed` : undefined;
    },
  });
}
