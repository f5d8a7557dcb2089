import { Queue, type JobsOptions, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { STAGES, type Stage } from './catalog.ts';
import { processTelemetry } from './telemetry/tracing.ts';

/**
 * Default options per stage's jobs. Retries and backoff are BullMQ's (exponential with jitter);
 * finished jobs are kept for a bounded age and count so Redis memory stays flat while operators
 * can still inspect recent history (the generation record outlives the job anyway).
 */
export const DEFAULT_JOB_OPTIONS: Record<Stage, JobsOptions> = {
  // A submit retries transient provider errors; each retry reconciles before creating (no double pay).
  submit: { attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 } },
  // A poll waits with moveToDelayed (no attempt spent); attempts only count real failures.
  poll: { attempts: 20, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 } },
  download: { attempts: 8, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 } },
  notify: { attempts: 20, backoff: { type: 'exponential', delay: 5000, jitter: 0.5 } },
};

const KEEP = {
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
} satisfies JobsOptions;

export interface StageQueueOptions {
  /**
   * First retry delay of every stage, ms; later retries double it (with jitter). Default: each
   * stage's own (1 s; 5 s for notify). Tests and benchmarks shorten it.
   */
  retryBaseMs?: number;
  /**
   * BullMQ telemetry (tracing). Default: the tracing this process started (`startTracing`), if any,
   * so a job added while another is processed joins its trace.
   */
  telemetry?: Telemetry;
}

export function jobOptionsFor(stage: Stage, options: StageQueueOptions = {}): JobsOptions {
  const defaults = DEFAULT_JOB_OPTIONS[stage];
  const backoff =
    options.retryBaseMs !== undefined
      ? { type: 'exponential', delay: options.retryBaseMs, jitter: 0.5 }
      : defaults.backoff;
  return { ...KEEP, ...defaults, ...(backoff ? { backoff } : {}) };
}

export type StageQueues = Record<Stage, Queue>;

/** One BullMQ queue per stage, all under one prefix, sharing one connection. */
export function createStageQueues(
  connection: Redis,
  prefix: string,
  options: StageQueueOptions = {},
): StageQueues {
  const telemetry = options.telemetry ?? processTelemetry();
  const entries = STAGES.map(
    (stage) =>
      [
        stage,
        new Queue(stage, {
          connection,
          prefix,
          defaultJobOptions: jobOptionsFor(stage, options),
          ...(telemetry ? { telemetry } : {}),
        }),
      ] as const,
  );
  return Object.fromEntries(entries) as StageQueues;
}

export async function closeStageQueues(queues: StageQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}
