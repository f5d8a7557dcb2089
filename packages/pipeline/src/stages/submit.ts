import { type GenerationRecord, ReelayError, isTerminal, jobIdFor, jobSchemas } from '@reelay/core';
import type { ProviderVideo } from '@reelay/providers';
import type { Job, Worker } from 'bullmq';
import { type JobContext, type PipelineContext, forJob } from '../context.ts';
import { ensureFailureCallback, handleStageError, throwIfNotAdmitted } from '../control-flow.ts';
import { shouldCrashAfterCreate } from '../faults.ts';
import { firstCheckDelay } from '../poll-schedule.ts';
import { type StageSummary, stageSummary } from '../stage-summary.ts';

/** Lock extension before a create when the worker's lock duration is unknown (BullMQ's default). */
const LOCK_EXTENSION_MS = 30_000;

/**
 * submit: create the video at the provider, at most once per generation round.
 *
 * The ledger is the record itself: `submitIntentAt` is written before the create is sent and
 * `providerVideoId` right after it answers. A run that finds an intent without a video id knows an
 * earlier create may have reached the provider (it crashed or timed out after sending), so it
 * reconciles first — the provider's list, newest first, for an unclaimed video with the same
 * request — and only creates when none is found. The create itself carries
 * `Idempotency-Key: <job id>`, which protects again at providers that honour it.
 */
export async function processSubmit(
  pipeline: PipelineContext,
  job: Job,
  token?: string,
  worker?: Worker,
): Promise<StageSummary | undefined> {
  const ctx = forJob(pipeline, 'submit', job);
  const { generationId, round } = jobSchemas.submit.parse(job.data);
  try {
    return await submitOnce(ctx, generationId, round, job, token, worker?.opts.lockDuration);
  } catch (error) {
    await handleStageError(ctx, job, worker, error, generationId, token);
  }
}

async function submitOnce(
  ctx: JobContext,
  generationId: string,
  round: number,
  job?: Job,
  token?: string,
  lockMs: number = LOCK_EXTENSION_MS,
): Promise<StageSummary | undefined> {
  const record = await ctx.store.get(generationId);
  if (!record || isTerminal(record.status) || record.attempts.resubmits !== round) {
    await ensureFailureCallback(ctx, record);
    return;
  }
  if (record.providerVideoId) {
    ctx.bindVideo(record.providerVideoId);
    await handOff(ctx, record, record.providerVideoId, round);
    return undefined;
  }

  const intentAt = record.timings.submitIntentAt ?? 0;
  if (intentAt > 0) {
    const found = await reconcile(ctx, record, intentAt);
    if (found) return recordVideo(ctx, record, found, round, record);
  }

  // The estimate (if new) goes on the record with the intent below: one record write, not two.
  const decision = await ctx.admission.admit(record, { deferCost: true });
  throwIfNotAdmitted(decision);
  // Every admitted run tells the admission whether and how its create went out, exactly once.
  let reported = false;
  const report = async (outcome: 'answered' | 'unknown' | 'not_sent') => {
    if (reported) return;
    reported = true;
    try {
      await ctx.admission.afterCreate?.(record, outcome);
    } catch (err) {
      // Never turn a paid create into a failure; the slot then counts until its send bound.
      ctx.logger.warn({ err }, 'could not report the create to the rate limiter');
    }
  };
  let video: ProviderVideo;
  let left: GenerationRecord = record; // the record as this run has written it so far
  try {
    // The intent is dated at the admission's instant: its cost was reserved in that instant's periods.
    const now = (decision.admitted ? decision.at : undefined) ?? Date.now();
    const cost = decision.admitted ? decision.cost : undefined;
    const marked = await ctx.store.update(
      generationId,
      {
        timings: { submitIntentAt: now },
        attempts: { submit: record.attempts.submit + 1 },
        ...(cost ? { cost } : {}),
      },
      { status: 'submitting', from: ['queued', 'submitting'] },
    );
    if (!marked.applied) {
      await report('not_sent');
      await ctx.admission.abandon(record); // cancelled meanwhile
      return undefined;
    }
    left = {
      ...record,
      status: 'submitting',
      attempts: { ...record.attempts, submit: record.attempts.submit + 1 },
      timings: { ...record.timings, submitIntentAt: now },
      ...(cost ? { cost } : {}),
    };

    // Fence: a run whose lock lapsed (its event loop stalled past the lock duration) may have been
    // handed to another worker; only the holder of a live lock may pay for a create. Extending the
    // lock right before sending both checks ownership and covers the create's duration.
    if (job && token && (await job.extendLock(token, lockMs)) !== 1) {
      throw new ReelayError('transient', 'lost the submit lock before creating; another run owns it', {
        retryable: true,
      });
    }
    try {
      video = await ctx.provider.create(record.request, { idempotencyKey: jobIdFor(generationId, round) });
      ctx.bindVideo(video.id);
    } catch (error) {
      const err = ctx.provider.classifyError(error);
      await report(err.outcomeUnknown ? 'unknown' : 'answered');
      // A definite refusal (429, 4xx) created nothing, so the next attempt need not reconcile. When the
      // outcome is unknown (reset, timeout, 5xx) the intent stays: the create may have landed.
      if (!err.outcomeUnknown) {
        await ctx.admission.abandon(record);
        await ctx.store.update(
          generationId,
          { timings: { submitIntentAt: 0 } },
          { status: 'queued', from: ['submitting'] },
        );
      }
      throw err;
    }
    await report('answered');
  } finally {
    await report('not_sent'); // left before the create was sent (an error above): nothing went out
  }
  // TEST-ONLY fault hook (faults.ts, REELAY_FAULT_CRASH_AFTER_CREATE, off by default): die between the
  // paid create and the record write, the window the ledger and reconciliation exist for.
  if (shouldCrashAfterCreate()) process.kill(process.pid, 'SIGKILL');
  return recordVideo(ctx, record, video, round, left);
}

async function reconcile(
  ctx: JobContext,
  record: GenerationRecord,
  intentAt: number,
): Promise<ProviderVideo | null> {
  const found = await ctx.provider.findCreated({
    prompt: record.request.prompt,
    model: record.request.model,
    seconds: record.request.seconds,
    size: record.request.size,
    createdAfterSec: Math.floor(intentAt / 1000),
    clockSkewSec: ctx.options.reconcileSkewSeconds,
    // Skip videos other generations own; one this generation already claimed (it crashed between the
    // claim and the record write) is its own and must be found again, not paid for twice.
    exclude: async (videoId) => {
      const owner = await ctx.store.generationForVideo(videoId);
      return owner !== null && owner !== record.id;
    },
  });
  if (found) {
    ctx.bindVideo(found.id);
    ctx.logger.info('reconciled an earlier create');
  }
  return found;
}

/** Returns the record as it leaves it (for the stage-end report), or undefined when it was not applied. */
async function recordVideo(
  ctx: JobContext,
  record: GenerationRecord,
  video: ProviderVideo,
  round: number,
  left: GenerationRecord,
): Promise<StageSummary | undefined> {
  let chosen = video;
  if (!(await ctx.store.claimVideo(chosen.id, record.id))) {
    // Another generation reconciled onto the video we just created, so the one it created is ours.
    const other = await reconcile(ctx, record, record.timings.submitIntentAt ?? Date.now());
    if (!other || !(await ctx.store.claimVideo(other.id, record.id))) {
      throw new ReelayError(
        'transient',
        'created video was claimed by another generation; reconciling again',
        {
          retryable: true,
        },
      );
    }
    chosen = other;
  }
  const submittedAt = Date.now();
  const { applied } = await ctx.store.update(
    record.id,
    { providerVideoId: chosen.id, timings: { submittedAt } },
    { status: 'generating', from: ['queued', 'submitting'] },
  );
  ctx.logger.info({ round, tenant: record.tenant }, 'submitted to provider');
  await handOff(ctx, record, chosen.id, round);
  if (!applied) return undefined; // cancelled meanwhile: the report reads what it became
  return stageSummary(
    {
      ...left,
      status: 'generating',
      providerVideoId: chosen.id,
      timings: { ...left.timings, submittedAt, updatedAt: submittedAt },
    },
    false,
  );
}

async function handOff(
  ctx: JobContext,
  record: GenerationRecord,
  videoId: string,
  round: number,
): Promise<void> {
  const delay = firstCheckDelay(ctx.options, record.request.model, record.request.seconds);
  await ctx.queues.poll.add(
    'poll',
    { generationId: record.id, videoId, round },
    { jobId: jobIdFor(record.id, round), delay },
  );
}
