import { type ErrorCode, type GenerationRecord, ReelayError, serializeError } from '@reelay/core';
import { DelayedError, type Job, UnrecoverableError, Worker } from 'bullmq';
import type { AdmissionDecision } from './admission.ts';
import type { JobContext, PipelineContext } from './context.ts';
import { addNotifyJob } from './notify/stage.ts';

/**
 * How each class of error maps onto BullMQ's control flow:
 * - rate limited → `worker.rateLimit(ms)` + `RateLimitError`: every replica pauses that queue, the job
 *   goes back to wait without spending an attempt (bounded by the job's `maxStartedAttempts`);
 * - retryable (transient) → rethrow: BullMQ retries with exponential backoff and jitter; on the last
 *   attempt the record is failed with the error's code first;
 * - final (invalid, content policy, auth, quota, not found, expired, timeout) → the record is failed
 *   with the stable code, then `UnrecoverableError` ends the job without retries.
 */
export async function handleStageError(
  ctx: JobContext,
  job: Job,
  worker: Worker | undefined,
  error: unknown,
  generationId: string,
  token?: string,
): Promise<never> {
  if (error instanceof WaitSignal) return wait(job, worker, error, token);
  const err = toReelayError(error);
  if (err.code === 'rate_limited' && worker) {
    const ms = Math.max(err.retryAfterMs ?? 1000, 50);
    ctx.logger.warn({ retryAfterMs: ms }, 'provider rate limit: pausing queue');
    await worker.rateLimit(ms);
    throw Worker.RateLimitError();
  }
  const attempts = job.opts.attempts ?? 1;
  const lastAttempt = job.attemptsMade + 1 >= attempts;
  if (err.retryable && !lastAttempt) {
    ctx.logger.warn({ code: err.code, err: err.message }, 'stage failed; will retry');
    throw err;
  }
  await failGeneration(ctx, generationId, err);
  if (err.code === 'quota_exceeded' || err.code === 'auth_failed') {
    // Every further submit would fail the same way: stop submitting until an operator resumes.
    ctx.logger.error({ code: err.code }, 'provider refused our account: pausing the submit queue');
    await ctx.queues.submit.pause();
  }
  throw new UnrecoverableError(`${err.code}: ${err.message}`);
}

/** Fails the record; the job's logger names the stage that did it. */
export async function failGeneration(
  ctx: JobContext,
  generationId: string,
  error: ReelayError,
): Promise<void> {
  const { applied } = await ctx.store.update(
    generationId,
    { error: serializeError(error), timings: { completedAt: Date.now() } },
    { status: 'failed' },
  );
  if (applied) ctx.logger.error({ code: error.code, err: error.message }, 'generation failed');
  await ensureFailureCallback(ctx, await ctx.store.get(generationId));
}

/**
 * Adds the `generation.failed` callback's job of a failed generation with a callback URL whose
 * callback has not run yet. Called right after failing it, and again by any stage run that finds the
 * generation already failed: a worker killed between the two writes leaves its stage job to run again
 * (stalled-job recovery), and that run repairs the hand-off. Same job id as every notify job of the
 * generation, so adding it twice is one job; once notify has run (`attempts.notify` > 0) it is not
 * added again, so a delivered callback is not sent twice.
 */
export async function ensureFailureCallback(
  ctx: Pick<PipelineContext, 'queues'>,
  record: GenerationRecord | null,
): Promise<void> {
  if (record?.status !== 'failed' || record.callbackUrl === undefined || record.attempts.notify > 0) return;
  await addNotifyJob(ctx.queues, record.id);
}

export function fail(code: ErrorCode, message: string, details?: Record<string, unknown>): ReelayError {
  return new ReelayError(code, message, details ? { details } : {});
}

function toReelayError(error: unknown): ReelayError {
  if (error instanceof ReelayError) return error;
  return new ReelayError('internal', error instanceof Error ? error.message : String(error), {
    retryable: true,
    cause: error,
  });
}

/**
 * Thrown inside a stage when admission says "not now". Not a failure: no attempt is spent. A wait for
 * the whole queue (`rate`, `in_flight`) pauses it for every replica via `worker.rateLimit`; a wait of
 * one job (`budget`) puts just that job back to the delayed set.
 */
export class WaitSignal extends Error {
  readonly retryInMs: number;
  readonly reason: 'rate' | 'in_flight' | 'budget';
  constructor(decision: Extract<AdmissionDecision, { admitted: false }>) {
    super(`waiting ${decision.retryInMs} ms: ${decision.reason}`);
    this.name = 'WaitSignal';
    this.retryInMs = Math.max(1, Math.ceil(decision.retryInMs));
    this.reason = decision.reason;
  }
}

export function throwIfNotAdmitted(decision: AdmissionDecision): void {
  if (!decision.admitted) throw new WaitSignal(decision);
}

async function wait(
  job: Job,
  worker: Worker | undefined,
  signal: WaitSignal,
  token?: string,
): Promise<never> {
  if (signal.reason !== 'budget' && worker) {
    await worker.rateLimit(signal.retryInMs);
    throw Worker.RateLimitError();
  }
  await job.moveToDelayed(Date.now() + signal.retryInMs, token);
  throw new DelayedError();
}
