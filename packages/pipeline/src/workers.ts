import { ReelayError, type Stage, jobIdFor } from '@reelay/core';
import { type Job, Worker, type WorkerOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PipelineContext } from './context.ts';
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
  /** Worker options passed through (lockDuration, stalledInterval, ...). */
  worker?: Partial<Omit<WorkerOptions, 'connection' | 'prefix' | 'concurrency' | 'limiter'>>;
}

const DEFAULT_CONCURRENCY: Record<Stage, number> = { submit: 10, poll: 50, download: 4, notify: 20 };

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
  for (const stage of stages) {
    const notify = options.notify;
    if (stage === 'notify' && !notify) {
      throw new ReelayError(
        'config_invalid',
        'the notify stage needs callback signing secrets (REELAY_CALLBACK_SECRET)',
      );
    }
    let worker: Worker | undefined;
    const processor = async (job: Job, token?: string) => {
      switch (stage) {
        case 'submit':
          return processSubmit(ctx, job, token, worker);
        case 'poll':
          return processPoll(ctx, job, token, worker);
        case 'download':
          return processDownload(ctx, job, token, worker);
        case 'notify':
          return notify?.(ctx, job, token, worker);
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
    worker.on('failed', (job, err) =>
      ctx.logger.warn(
        { stage, generationId: job?.data?.generationId, attempt: job?.attemptsMade, err: err.message },
        'job failed',
      ),
    );
    workers.set(stage, worker);
  }

  const sweepMs = options.sweepIntervalMs ?? 30_000;
  const sweeper =
    stages.includes('submit') && sweepMs > 0
      ? setInterval(() => void sweepOrphans(ctx, sweepMs), sweepMs)
      : undefined;
  sweeper?.unref();

  return {
    workers,
    async close(timeoutMs = 30_000) {
      if (sweeper) clearInterval(sweeper);
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
