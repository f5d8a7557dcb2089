import type { GenerationStore, Logger, Stage, StageQueues } from '@reelay/core';
import type { VideoProvider } from '@reelay/providers';
import type { ObjectStore } from '@reelay/storage';
import type { Job } from 'bullmq';
import type { Admission } from './admission.ts';
import type { PipelineOptions } from './pipeline-options.ts';

/** Everything a stage handler needs, built once per process. */
export interface PipelineContext {
  store: GenerationStore;
  queues: StageQueues;
  provider: VideoProvider;
  objects: ObjectStore;
  logger: Logger;
  options: PipelineOptions;
  /** Rate limits, in-flight cap, budgets. `admitAll` when none are configured. */
  admission: Admission;
}

/**
 * One stage job's logging: `logger` is a child of the process's that puts `generationId`,
 * `providerVideoId` (once known), `stage` and `attempt` on every line the job writes, so a line
 * never needs to repeat them (and must not: pino would print such a key twice).
 */
export interface JobLogging {
  logger: Logger;
  /** The provider video id bound to the lines, if any yet. */
  readonly providerVideoId: string | undefined;
  /**
   * Binds the provider's video id to every later line of this job: submit once the create answered
   * or reconciliation found the video, notify once it read the record. A no-op for the id already bound.
   */
  bindVideo(videoId: string): void;
}

/** What the stages run with: the process's context, its logger replaced by the job's. */
export type JobContext = PipelineContext & JobLogging;

/**
 * The context of one run of `job`. `attempt` is BullMQ's attempt number of this run, counted before
 * the run as `attemptsMade + 1`; a caller that sees the job after BullMQ counted the run (its
 * `failed` event) passes `attemptsMade` instead. One child logger per job, one more when the video id
 * is bound later; each is made from the process's logger, so a re-bound id replaces the old one.
 */
export function jobContext<C extends { logger: Logger }>(
  ctx: C,
  stage: Stage,
  job: Job,
  attempt = job.attemptsMade + 1,
): C & JobLogging {
  const data = (job.data ?? {}) as { generationId?: string; videoId?: string };
  // pino leaves out bindings whose value is undefined: no providerVideoId key until there is one.
  const child = (providerVideoId: string | undefined) =>
    ctx.logger.child({ generationId: data.generationId, providerVideoId, stage, attempt });
  let providerVideoId = data.videoId;
  let logger = child(providerVideoId);
  return {
    ...ctx,
    get logger() {
      return logger;
    },
    get providerVideoId() {
      return providerVideoId;
    },
    bindVideo(videoId: string) {
      if (videoId === providerVideoId) return;
      providerVideoId = videoId;
      logger = child(videoId);
    },
  };
}

/**
 * `ctx` itself when it is a job's context already (the stage workers pass one), else a new one for
 * `job`: a caller that runs a stage function directly (a test) still gets the fields on its lines.
 */
export function forJob<C extends { logger: Logger }>(ctx: C, stage: Stage, job: Job): C & JobLogging {
  return typeof (ctx as Partial<JobLogging>).bindVideo === 'function'
    ? (ctx as C & JobLogging)
    : jobContext(ctx, stage, job);
}
