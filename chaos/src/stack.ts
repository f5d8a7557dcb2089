import { readdir } from 'node:fs/promises';
import {
  type GenerationRecord,
  GenerationStore,
  type ProducerContext,
  type StageQueues,
  closeStageQueues,
  createStageQueues,
  enqueueGeneration,
  isTerminal,
} from '@reelay/core';
import {
  type PipelineServices,
  type PipelineServicesOptions,
  startPipelineServices,
  waitFor,
} from '@reelay/testing';
import { Redis } from 'ioredis';

export interface ChaosStackOptions extends PipelineServicesOptions {
  /** First retry delay of the jobs this producer enqueues, ms. Default 50 (as the workers' env). */
  retryBaseMs?: number;
}

/**
 * The services of one scenario (Redis, simulator, storage dir, worker processes — from
 * @reelay/testing's pipeline harness) and the producer side in the test process: records and the
 * submit queue through @reelay/core, exactly as a producer uses them.
 */
export interface ChaosStack extends PipelineServices {
  /** Direct connection of the test process (never through a fault proxy); retries forever. */
  connection: Redis;
  store: GenerationStore;
  queues: StageQueues;
  producer: ProducerContext;
  /**
   * Enqueues `n` distinct 4 s clips, spread evenly over `overMs` (default: all at once), so faults
   * land on every stage while work keeps arriving; resolves with their generation ids.
   */
  enqueue(n: number, options?: { label?: string; overMs?: number }): Promise<string[]>;
  /** Waits until every generation is terminal (reads the records; no queue events, which die with Redis). */
  waitTerminal(ids: readonly string[], timeoutMs: number): Promise<GenerationRecord[]>;
  close(): Promise<void>;
}

export async function startChaosStack(options: ChaosStackOptions = {}): Promise<ChaosStack> {
  const retryBaseMs = options.retryBaseMs ?? 50;
  const services = await startPipelineServices({
    ...options,
    workerEnv: { REELAY_RETRY_BASE_MS: String(retryBaseMs), ...options.workerEnv },
  });
  const connection = new Redis(services.redis.url, { maxRetriesPerRequest: null });
  // Scenarios kill Redis on purpose: the connection reconnects by itself, its errors are expected.
  connection.on('error', () => {});
  const store = new GenerationStore(connection, services.prefix);
  const queues = createStageQueues(connection, services.prefix, { retryBaseMs });
  for (const queue of Object.values(queues)) queue.on('error', () => {});
  const producer: ProducerContext = {
    store,
    queues,
    options: { defaultTenant: 'default', providerName: 'openai' },
  };
  let counter = 0;
  return {
    ...services,
    connection,
    store,
    queues,
    producer,
    async enqueue(n, { label = 'chaos clip', overMs = 0 } = {}) {
      const ids: string[] = [];
      const began = Date.now();
      for (let i = 0; i < n; i++) {
        const due = began + (overMs * i) / n;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const { id } = await enqueueGeneration(producer, { prompt: `${label} ${counter++}`, seconds: '4' });
        ids.push(id);
      }
      return ids;
    },
    waitTerminal: (ids, timeoutMs) => waitTerminal(store, ids, timeoutMs),
    async close() {
      await Promise.all(services.workers.map((w) => w.kill()));
      for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
      await closeStageQueues(queues);
      connection.disconnect();
      await services.close();
    },
  };
}

/** Reads the records until all are terminal; the error names how many are not and their statuses. */
export async function waitTerminal(
  store: GenerationStore,
  ids: readonly string[],
  timeoutMs: number,
): Promise<GenerationRecord[]> {
  const done = new Map<string, GenerationRecord>();
  const pending = new Map<string, string>();
  const began = Date.now();
  let reported = began;
  try {
    await waitFor(
      async () => {
        if (Date.now() - reported >= 5000) {
          reported = Date.now();
          const byStatus: Record<string, number> = {};
          for (const status of pending.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
          process.stderr.write(
            `[chaos] ${Math.round((reported - began) / 1000)} s: ${done.size}/${ids.length} terminal; pending ${JSON.stringify(byStatus)}\n`,
          );
        }
        for (const id of ids) {
          if (done.has(id)) continue;
          const record = await store.get(id);
          if (record && isTerminal(record.status)) {
            done.set(id, record);
            pending.delete(id);
          } else pending.set(id, record?.status ?? 'missing');
        }
        return done.size === ids.length;
      },
      { timeoutMs, intervalMs: 250, message: `${ids.length} generations terminal` },
    );
  } catch (error) {
    const byStatus: Record<string, number> = {};
    for (const status of pending.values()) byStatus[status] = (byStatus[status] ?? 0) + 1;
    const sample = [...pending.keys()].slice(0, 5).join(', ');
    throw new Error(
      `${pending.size} of ${ids.length} generations not terminal after ${timeoutMs} ms ` +
        `(${JSON.stringify(byStatus)}; e.g. ${sample})`,
      { cause: error },
    );
  }
  return ids.map((id) => done.get(id)!);
}

export interface StoredCheck {
  /** Generations whose record is `completed`. */
  completed: number;
  /** Distinct provider video ids among them. */
  distinctVideos: number;
  /** Video objects in the store (`<generation>/video.mp4`). */
  videoObjects: number;
  /** Completed generations whose stored bytes, record sha256 and the simulator's bytes all agree. */
  matching: number;
  /** Objects that are not one of a completed generation's video or manifest (partial, orphan). */
  strays: string[];
  /**
   * Hidden temp files (`.<name>.<hex>.partial`) a put killed mid-stream left beside its key: never an
   * object at a key (the local store renames complete files into place), garbage on disk until removed.
   */
  crashLeftovers: string[];
  /** Completed generations whose stored object is missing or differs (ids). */
  corrupt: string[];
}

/**
 * Checks the store against the records and the simulator: one video object per completed generation,
 * its sha256 equal to the record's and to the sha256 of the bytes the simulator serves, and nothing else.
 */
export async function checkStored(
  stack: PipelineServices,
  records: GenerationRecord[],
): Promise<StoredCheck> {
  const completed = records.filter((r) => r.status === 'completed');
  const expected = new Set<string>();
  for (const r of completed) {
    expected.add(`${r.id}/video.mp4`);
    expected.add(`${r.id}/manifest.json`);
  }
  const files = (await readdir(stack.storageDir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) =>
      `${entry.parentPath.slice(stack.storageDir.length + 1)}/${entry.name}`.replace(/^\//, ''),
    );
  const leftover = (f: string) => /(^|\/)\.[^/]+\.[0-9a-f]{12}\.partial$/.test(f);
  const crashLeftovers = files.filter(leftover);
  const strays = files.filter((f) => !expected.has(f) && !leftover(f));
  const corrupt: string[] = [];
  let matching = 0;
  for (const r of completed) {
    try {
      const stored = await stack.fileSha256(r.storage!.uri);
      const served = await stack.simSha256(r.providerVideoId!);
      if (stored === r.storage!.sha256 && served === stored) matching++;
      else corrupt.push(r.id);
    } catch {
      corrupt.push(r.id);
    }
  }
  return {
    completed: completed.length,
    distinctVideos: new Set(completed.map((r) => r.providerVideoId)).size,
    videoObjects: files.filter((f) => f.endsWith('/video.mp4')).length,
    matching,
    strays,
    crashLeftovers,
    corrupt,
  };
}

/**
 * Samples the active jobs of the submit, poll and download queues and keeps the longest time any job
 * has been held by a worker (`now − processedOn`). A job whose worker was SIGKILLed stays active until
 * BullMQ's stalled check moves it back to wait, so this is the longest a generation was stuck on a
 * dead worker (plus the little time its work took before the kill).
 */
export function sampleActiveAges(queues: StageQueues, intervalMs = 100) {
  let max = 0;
  let maxJob = '';
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      try {
        for (const stage of ['submit', 'poll', 'download'] as const) {
          const jobs = await queues[stage].getJobs(['active']);
          const now = Date.now();
          for (const job of jobs) {
            if (!job?.processedOn) continue;
            const age = now - job.processedOn;
            if (age > max) {
              max = age;
              maxJob = `${stage}:${job.id}`;
            }
          }
        }
      } catch {
        // Redis away for a moment: the next sample sees the same jobs.
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    max: () => max,
    maxJob: () => maxJob,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}
