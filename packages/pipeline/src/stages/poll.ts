import { type GenerationRecord, ReelayError, jobIdFor, jobSchemas, type JobData } from '@reelay/core';
import { type ProviderVideo, classifyVideoFailure } from '@reelay/providers';
import { DelayedError, type Job, type Worker } from 'bullmq';
import { type JobContext, type PipelineContext, forJob } from '../context.ts';
import {
  ensureFailureCallback,
  failGeneration,
  handleStageError,
  throwIfNotAdmitted,
} from '../control-flow.ts';
import { expectedDurationMs, nextPollDelay } from '../poll-schedule.ts';
import { type StageSummary, stageSummary } from '../stage-summary.ts';

/**
 * poll: one look at the provider's video. Still running → the same job is put back to wait with
 * `moveToDelayed` + `DelayedError` (no attempt spent, no worker held) for an interval computed from
 * the progress rate; completed → hand on to download; failed → classified (`classifyVideoFailure`):
 * content policy and invalid requests are final, the provider's own failures start a new round (a new
 * video) a bounded number of times. A provider webhook promotes the
 * delayed job, so it runs at once; it never trusts the webhook's payload, it looks for itself.
 */
export async function processPoll(
  pipeline: PipelineContext,
  job: Job,
  token: string | undefined,
  worker?: Worker,
): Promise<StageSummary | undefined> {
  const ctx = forJob(pipeline, 'poll', job);
  const data = jobSchemas.poll.parse(job.data);
  let outcome: { delayUntil: number; data: JobData<'poll'> } | StageSummary | undefined;
  try {
    outcome = await pollOnce(ctx, data);
  } catch (error) {
    await handleStageError(ctx, job, worker, error, data.generationId, token);
  }
  if (outcome && 'delayUntil' in outcome) {
    await job.updateData(outcome.data);
    await job.moveToDelayed(outcome.delayUntil, token);
    throw new DelayedError();
  }
  return outcome;
}

async function pollOnce(
  ctx: JobContext,
  data: JobData<'poll'>,
): Promise<{ delayUntil: number; data: JobData<'poll'> } | StageSummary | undefined> {
  const record = await ctx.store.get(data.generationId);
  if (record?.status === 'cancelled') {
    // Cancelled while at the provider (or while its create was in flight, before the video id was
    // written): free the slot and try to delete the provider's video; then this watch ends.
    if (record.providerVideoId === undefined || record.providerVideoId === data.videoId) {
      await cancelled(ctx, record, data.videoId);
    }
    return undefined;
  }
  if (record?.status === 'downloading' && record.providerVideoId === data.videoId) {
    // An earlier run moved the record on and died before handing on (SIGKILL between the two writes;
    // found by the chaos suite): hand on again. Same job id, so a no-op when the download job exists.
    await ctx.queues.download.add(
      'download',
      { generationId: record.id, videoId: data.videoId, round: data.round },
      { jobId: jobIdFor(record.id, data.round) },
    );
    return undefined;
  }
  if (record?.status !== 'generating' || record.providerVideoId !== data.videoId) {
    await ensureFailureCallback(ctx, record);
    return undefined;
  }

  if (ctx.admission.beforeRead) throwIfNotAdmitted(await ctx.admission.beforeRead());
  let video: ProviderVideo;
  try {
    video = await ctx.provider.retrieve(data.videoId);
  } catch (error) {
    throw ctx.provider.classifyError(error);
  }
  const now = Date.now();
  switch (video.status) {
    case 'completed':
      return completed(ctx, record, video, data.round);
    case 'failed':
      await failed(ctx, record, video, data.round);
      return undefined;
    default: {
      const submittedAt = record.timings.submittedAt ?? record.timings.createdAt;
      if (now - submittedAt > ctx.options.deadlineMs / ctx.options.durationScale) {
        await ctx.admission.settle(record, { status: 'failed', videoId: video.id, billedSeconds: 0 });
        await failGeneration(
          ctx,
          record.id,
          new ReelayError('timeout', `still ${video.status} at the provider after the deadline`, {
            details: { videoId: video.id, progress: video.progress },
          }),
        );
        return undefined;
      }
      if (video.progress !== record.progress) await ctx.store.update(record.id, { progress: video.progress });
      const previous =
        data.lastAt !== undefined && data.lastProgress !== undefined
          ? { at: data.lastAt, progress: data.lastProgress }
          : undefined;
      const delay = nextPollDelay(ctx.options, {
        submittedAt,
        expectedMs: expectedDurationMs(ctx.options, record.request.model, record.request.seconds),
        now: { at: now, progress: video.progress },
        ...(previous ? { previous } : {}),
      });
      return { delayUntil: now + delay, data: { ...data, lastProgress: video.progress, lastAt: now } };
    }
  }
}

async function cancelled(ctx: JobContext, record: GenerationRecord, videoId: string) {
  await ctx.admission.settle(record, { status: 'cancelled', videoId });
  try {
    await ctx.provider.delete(videoId);
    ctx.logger.info('cancelled; provider video deleted');
  } catch (error) {
    // Providers may refuse to delete a video still in progress (the simulator deletes only finished
    // ones); the cancel stands either way — the slot is free and nothing is downloaded.
    ctx.logger.info(
      { reason: ctx.provider.classifyError(error).message },
      'cancelled; provider refused to delete the video',
    );
  }
}

async function completed(
  ctx: JobContext,
  record: GenerationRecord,
  video: ProviderVideo,
  round: number,
): Promise<StageSummary | undefined> {
  // The settled cost goes on the record with the move to downloading: one record write, not two.
  const settled = await ctx.admission.settle(
    record,
    { status: 'completed', videoId: video.id, billedSeconds: Number(video.seconds) },
    { deferCost: true },
  );
  const cost = settled ? settled.cost : undefined;
  const patch = {
    ...(cost ? { cost } : {}),
    progress: 100,
    timings: {
      generatedAt: Date.now(),
      ...(video.completedAt !== null ? { providerCompletedAt: video.completedAt * 1000 } : {}),
    },
    ...(video.expiresAt !== null ? { providerExpiresAt: video.expiresAt } : {}),
  };
  const { applied } = await ctx.store.update(record.id, patch, {
    status: 'downloading',
    from: ['generating'],
  });
  // Cancelled meanwhile: the cost settled above still goes on the record, whatever its status.
  if (!applied && cost) await ctx.store.update(record.id, { cost }, { from: '*' });
  ctx.logger.info('generated; handing on to download');
  await ctx.queues.download.add(
    'download',
    { generationId: record.id, videoId: video.id, round },
    { jobId: jobIdFor(record.id, round) },
  );
  if (!applied) return undefined; // cancelled meanwhile: the report reads what it became
  const { providerExpiresAt, ...rest } = record;
  return stageSummary(
    {
      ...rest,
      ...(patch.providerExpiresAt !== undefined ? { providerExpiresAt: patch.providerExpiresAt } : {}),
      ...(cost ? { cost } : {}),
      status: 'downloading',
      progress: 100,
      timings: { ...record.timings, ...patch.timings },
    },
    false,
  );
}

async function failed(ctx: JobContext, record: GenerationRecord, video: ProviderVideo, round: number) {
  const code = video.error?.code ?? 'unknown';
  const message = video.error?.message ?? 'the provider reported the generation as failed';
  const verdict = classifyVideoFailure(video.error?.code);
  const resubmit = verdict.resubmit && round < ctx.options.maxResubmits;
  await ctx.admission.settle(record, {
    status: resubmit ? 'resubmitted' : 'failed',
    videoId: video.id,
    billedSeconds: 0,
  });
  if (!verdict.resubmit) {
    await failGeneration(
      ctx,
      record.id,
      new ReelayError(verdict.code, message, { details: { videoId: video.id, providerCode: code } }),
    );
    return;
  }
  if (round >= ctx.options.maxResubmits) {
    await failGeneration(
      ctx,
      record.id,
      new ReelayError('provider_failed', message, {
        details: { videoId: video.id, providerCode: code, rounds: round + 1 },
      }),
    );
    return;
  }
  const next = round + 1;
  const { applied } = await ctx.store.update(
    record.id,
    { progress: 0, attempts: { resubmits: next }, timings: { submitIntentAt: 0 } },
    { status: 'queued', from: ['generating'], unset: ['providerVideoId', 'providerExpiresAt'] },
  );
  if (!applied) return;
  ctx.logger.warn({ providerCode: code, round: next }, 'provider failed the video; resubmitting');
  await ctx.queues.submit.add(
    'submit',
    { generationId: record.id, round: next },
    { jobId: jobIdFor(record.id, next) },
  );
}
