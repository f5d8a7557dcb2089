import { type GenerationRecord, ReelayError, type Stage, isTerminal, jobIdFor } from '@reelay/core';
import {
  DelayedError,
  type Job,
  RateLimitError,
  UnrecoverableError,
  WaitingError,
  Worker,
  type WorkerOptions,
} from 'bullmq';
import type { Redis } from 'ioredis';
import { type JobContext, type PipelineContext, jobContext } from './context.ts';
import { failGeneration } from './control-flow.ts';
import { type StageSummary, isStageSummary } from './stage-summary.ts';
import type { NotifyProcessor } from './notify/stage.ts';
import { processDownload } from './stages/download.ts';
import { processPoll } from './stages/poll.ts';
import { processSubmit } from './stages/submit.ts';

export interface StageWorkerOptions {
  /** Jobs processed at once per stage in this process. Defaults: submit 10, poll 50, download 4, notify 20. */
  concurrency?: Partial<Record<Stage, number>>;
  /**
   * Requests per window per stage queue, for all replicas together (BullMQ's limiter). Unset = no
   * limit. The strict sliding-window limiter of the quota work replaces this for the provider.
   */
  limiter?: Partial<Record<Stage, { max: number; duration: number }>>;
  /**
   * How often the submit worker looks for `queued` records without a submit job (an enqueue that
   * crashed between the record and the job), ms. Default 30000; 0 disables.
   */
  sweepIntervalMs?: number;
  /** The notify stage's processor (callbacks need secrets and an SSRF policy); required for `notify`. */
  notify?: NotifyProcessor;
  /** Told about every stage job this process ran (metrics); must not throw. */
  onStageEnd?: (report: StageEndReport) => void;
  /**
   * How often one job may be started (BullMQ's `attemptsStarted`) before it ends and its generation
   * ends `failed` with `rate_limited`. Every start counts: a pause for a provider 429, an admission
   * wait, a poll re-check, a budget recheck. Default 10,000 (`DEFAULT_MAX_STARTED_ATTEMPTS`).
   * Checked by the stage processor, not left to BullMQ's own `maxStartedAttempts`: that one fails the
   * job before any processor runs, so the record would be failed only after the job's `failed` event,
   * and a producer waiting on the queue events would read the record too early and wait on forever.
   */
  maxStartedAttempts?: number;
  /** Worker options passed through (lockDuration, stalledInterval, ...). */
  worker?: Partial<Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'limiter'>>;
}

/** One stage job's end, as seen by the process that ran it. */
export interface StageEndReport {
  stage: Stage;
  /** `delayed`: the job rescheduled itself (a poll that found the video still running, a wait). */
  outcome: 'completed' | 'failed' | 'delayed';
  seconds: number;
  /** The record after the job (completed/failed only). */
  record?: GenerationRecord | undefined;
  /** This job moved the record to a terminal status (so it is counted once, by this process). */
  finished: boolean;
}

const DEFAULT_CONCURRENCY: Record<Stage, number> = { submit: 10, poll: 50, download: 4, notify: 20 };

/**
 * Why 10,000: above every start count a job reaches while it waits for something that will come — a
 * poll re-checked at its 1 s floor until the 30 min deadline (1,800 starts), a budget wait rechecked
 * every 5 min through a 31-day month (8,928) — so it only ends a job the provider keeps refusing:
 * ≈ 3 h of 429s a second apart, where without a bound it would be paused and started forever.
 */
export const DEFAULT_MAX_STARTED_ATTEMPTS = 10_000;

export interface StageWorkers {
  workers: Map<Stage, Worker>;
  /** Stop taking jobs, wait for running ones up to `timeoutMs`, then force-close. */
  close(timeoutMs?: number): Promise<void>;
}

export function startStageWorkers(
  ctx: PipelineContext,
  connection: Redis,
  stages: readonly Stage[],
  options: StageWorkerOptions = {},
): StageWorkers {
  const workers = new Map<Stage, Worker>();
  const maxStartedAttempts = options.maxStartedAttempts ?? DEFAULT_MAX_STARTED_ATTEMPTS;
  // The context of each job's latest run in this process, so its `failed` event logs with the same
  // fields (the provider video id included, when the run learnt it). BullMQ emits the event with the
  // job object it gave the processor; the entry goes with that object.
  const runs = new WeakMap<Job, JobContext>();
  for (const stage of stages) {
    const notify = options.notify;
    if (stage === 'notify' && !notify) {
      throw new ReelayError(
        'config_invalid',
        'the notify stage needs callback signing secrets (REELAY_CALLBACK_SECRET)',
      );
    }
    let worker: Worker | undefined;
    const run = async (jctx: JobContext, job: Job, token?: string) => {
      switch (stage) {
        case 'submit':
          return processSubmit(jctx, job, token, worker);
        case 'poll':
          return processPoll(jctx, job, token, worker);
        case 'download':
          return processDownload(jctx, job, token, worker);
        case 'notify':
          return notify?.(jctx, job, token, worker);
      }
    };
    const processor = async (job: Job, token?: string) => {
      const startedAt = Date.now();
      const jctx = jobContext(ctx, stage, job);
      runs.set(job, jctx);
      try {
        if (job.attemptsStarted > maxStartedAttempts) {
          await gaveUpStarting(jctx, stage, job);
          throw new UnrecoverableError(`started ${job.attemptsStarted} times (maxStartedAttempts)`);
        }
        const result = await run(jctx, job, token);
        // A summary is for the report only: BullMQ would store it as the job's return value.
        const summary = isStageSummary(result) ? result : undefined;
        void reportEnd(jctx, job, stage, 'completed', startedAt, options.onStageEnd, summary);
        return summary ? undefined : result;
      } catch (error) {
        // These are control flow (the job moved itself back to delayed or waiting, or the queue is
        // rate limited), not failures; none emits a worker event, so they are seen here.
        const delayed =
          error instanceof DelayedError || error instanceof RateLimitError || error instanceof WaitingError;
        void reportEnd(jctx, job, stage, delayed ? 'delayed' : 'failed', startedAt, options.onStageEnd);
        throw error;
      }
    };
    const limiter = options.limiter?.[stage];
    worker = new Worker(stage, processor, {
      ...options.worker,
      connection,
      prefix: ctx.store.prefix,
      concurrency: options.concurrency?.[stage] ?? DEFAULT_CONCURRENCY[stage],
      ...(limiter ? { limiter } : {}),
    });
    worker.on('error', (err) => ctx.logger.error({ stage, err }, 'worker error'));
    worker.on('failed', (job, err) => {
      if (!job) {
        ctx.logger.warn({ stage, err: err.message }, 'job failed');
        return;
      }
      // A job failed before any run here (BullMQ fails a job that stalled too often when a worker
      // takes it) has no run context: the fields come from its data; BullMQ has counted the attempt.
      const jctx = runs.get(job) ?? jobContext(ctx, stage, job, job.attemptsMade);
      jctx.logger.warn({ err: err.message }, 'job failed');
      if (err.message === STALLED_LIMIT && (stage === 'poll' || stage === 'download')) {
        void readdStalled(jctx, stage, job);
      }
    });
    workers.set(stage, worker);
  }

  const sweepMs = options.sweepIntervalMs ?? 30_000;
  const sweeping = stages.includes('submit') && sweepMs > 0;
  // Also once shortly after start: a submit process that never lives a whole interval (crash loops,
  // frequent redeploys) must still sweep, or a stranded generation would wait for a long-lived one.
  const firstSweep = sweeping
    ? setTimeout(() => void sweepOrphans(ctx, sweepMs), Math.min(sweepMs, 1000))
    : undefined;
  firstSweep?.unref();
  const sweeper = sweeping ? setInterval(() => void sweepOrphans(ctx, sweepMs), sweepMs) : undefined;
  sweeper?.unref();

  return {
    workers,
    async close(timeoutMs = 30_000) {
      if (sweeper) clearInterval(sweeper);
      if (firstSweep) clearTimeout(firstSweep);
      const graceful = Promise.all([...workers.values()].map((w) => w.close()));
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const outcome = await Promise.race([graceful.then(() => 'closed' as const), timeout]);
      clearTimeout(timer);
      // Jobs still running are left locked; their lock expires and another worker takes them over
      // (stalled-job recovery). Every stage is idempotent, so running one again is safe.
      if (outcome === 'timeout') await Promise.all([...workers.values()].map((w) => w.close(true)));
    },
  };
}

/**
 * The stage-transition log line (the job's fields, tenant, duration, outcome, status) and the
 * metrics report. A delayed poll is not a transition: debug level, and no record read.
 */
async function reportEnd(
  ctx: JobContext,
  job: Job,
  stage: Stage,
  outcome: StageEndReport['outcome'],
  startedAt: number,
  onStageEnd: StageWorkerOptions['onStageEnd'],
  summary?: StageSummary,
): Promise<void> {
  const durationMs = Date.now() - startedAt;
  const data = (job.data ?? {}) as { generationId?: string };
  try {
    if (outcome === 'delayed') {
      onStageEnd?.({ stage, outcome, seconds: durationMs / 1000, finished: false });
      ctx.logger.debug({ outcome, durationMs }, 'stage rescheduled');
      return;
    }
    const record = summary
      ? summary.record
      : data.generationId
        ? await ctx.store.get(data.generationId)
        : null;
    // Notify runs after the terminal status; a record written terminal during this job was moved there by it.
    const finished = summary
      ? summary.finished
      : stage !== 'notify' &&
        record !== null &&
        isTerminal(record.status) &&
        record.timings.updatedAt >= startedAt;
    onStageEnd?.({ stage, outcome, seconds: durationMs / 1000, record: record ?? undefined, finished });
    // A run that never learnt the video id (it found the record moved on by another) takes the record's.
    if (ctx.providerVideoId === undefined && record?.providerVideoId) ctx.bindVideo(record.providerVideoId);
    ctx.logger.info(
      { tenant: record?.tenant, durationMs, outcome, status: record?.status },
      'stage transition',
    );
  } catch (err) {
    ctx.logger.warn({ err }, 'could not report a stage end');
  }
}

/** BullMQ's reason for a job whose workers died more than `maxStalledCount` times; our processor never ran. */
const STALLED_LIMIT = 'job stalled more than allowable limit';

/**
 * A poll or download job BullMQ failed because its workers kept dying (`maxStalledCount`) never reached
 * the stage, so the record still says `generating`/`downloading` and nothing would ever move it: the
 * sweeper only re-adds submit work. Re-add the job (fresh, same id) while the record is still at that
 * stage and round. Found by the chaos suite: a download whose holder was SIGKILLed more often than the
 * limit left its generation `downloading` forever.
 */
async function readdStalled(ctx: JobContext, stage: 'poll' | 'download', job: Job): Promise<void> {
  const data = (job.data ?? {}) as { generationId?: string; round?: number };
  try {
    const record = data.generationId ? await ctx.store.get(data.generationId) : null;
    const waiting = stage === 'poll' ? 'generating' : 'downloading';
    if (record?.status !== waiting || record.attempts.resubmits !== (data.round ?? 0)) return;
    await job.remove();
    await ctx.queues[stage].add(stage, job.data, { jobId: job.id });
    ctx.logger.error({ jobId: job.id }, 'job failed after its workers died repeatedly; re-added');
  } catch (err) {
    ctx.logger.error({ err }, 'could not re-add a stalled job');
  }
}

/**
 * A job started more than `maxStartedAttempts` times (a provider that kept answering 429, or a wait
 * that never ended): its generation ends `failed` with `rate_limited` — when the record is still at
 * this job's round; otherwise (a notify job: its generation has ended already) the job is only
 * logged and dropped. Failing the record matters: for submit the sweeper would otherwise re-add the
 * job and start the loop again. A poll's reservation is settled as its deadline would settle it.
 */
async function gaveUpStarting(ctx: JobContext, stage: Stage, job: Job): Promise<void> {
  const data = (job.data ?? {}) as { generationId?: string; round?: number; videoId?: string };
  const starts = job.attemptsStarted;
  try {
    const record = data.generationId ? await ctx.store.get(data.generationId) : null;
    if (!record || isTerminal(record.status) || record.attempts.resubmits !== (data.round ?? 0)) {
      ctx.logger.error({ starts }, 'job started too often; dropped');
      return;
    }
    if (stage === 'poll' && data.videoId)
      await ctx.admission.settle(record, { status: 'failed', videoId: data.videoId, billedSeconds: 0 });
    await failGeneration(
      ctx,
      record.id,
      new ReelayError('rate_limited', `gave up: the ${stage} job was started ${starts} times`, {
        details: { stage, starts },
      }),
    );
  } catch (err) {
    ctx.logger.error({ err }, 'could not fail a job started too often');
  }
}

/**
 * Re-adds the submit job of `queued` or `submitting` records untouched for `olderThanMs` that have no
 * live submit job: an enqueue that crashed between the record and the job, or a submit job BullMQ
 * failed after its workers died too often (`maxStalledCount`). A `submitting` record keeps its intent,
 * so the new job reconciles before it creates: the sweep never pays twice.
 */
export async function sweepOrphans(ctx: PipelineContext, olderThanMs: number): Promise<number> {
  let added = 0;
  const cutoff = Date.now() - olderThanMs;
  try {
    for (const status of ['queued', 'submitting'] as const) {
      const ids = await ctx.store.idsByStatus(status, { before: cutoff, limit: 200 });
      for (const id of ids) {
        const record = await ctx.store.get(id);
        if (record?.status !== status || record.timings.updatedAt > cutoff) continue;
        const jobId = jobIdFor(id, record.attempts.resubmits);
        const job = await ctx.queues.submit.getJob(jobId);
        if (job && !(await job.isCompleted()) && !(await job.isFailed())) continue;
        if (job) await job.remove();
        await ctx.queues.submit.add(
          'submit',
          { generationId: id, round: record.attempts.resubmits },
          { jobId },
        );
        added++;
      }
    }
    if (added > 0) ctx.logger.warn({ added }, 're-added submit jobs for generations that had none');
  } catch (err) {
    ctx.logger.error({ err }, 'orphan sweep failed');
  }
  return added;
}
