import { createHash } from 'node:crypto';
import { type GenerationRecord, type GenerationStorage, ReelayError, jobSchemas } from '@reelay/core';
import type { Job, Worker } from 'bullmq';
import { type JobContext, type PipelineContext, forJob } from '../context.ts';
import { ensureFailureCallback, handleStageError, throwIfNotAdmitted } from '../control-flow.ts';
import { type Manifest, buildManifest, objectKeys } from '../manifest.ts';
import { addNotifyJob } from '../notify/stage.ts';
import { type StageSummary, stageSummary } from '../stage-summary.ts';

/**
 * download: stream the finished video (and thumbnail, when asked) from the provider straight into
 * the object store — no file in memory — with the sha256 computed on the way, then a manifest
 * beside it. Idempotent: a manifest already stored whose video is still there with the same sha256
 * means an earlier run finished; the record is completed from it without downloading again.
 * A put that fails midway leaves nothing at the key (the store's promise), so a retry starts clean.
 */
export async function processDownload(
  pipeline: PipelineContext,
  job: Job,
  token?: string,
  worker?: Worker,
): Promise<StageSummary | undefined> {
  const ctx = forJob(pipeline, 'download', job);
  const data = jobSchemas.download.parse(job.data);
  try {
    return await downloadOnce(ctx, data.generationId, data.videoId);
  } catch (error) {
    return handleStageError(ctx, job, worker, error, data.generationId, token);
  }
}

async function downloadOnce(
  ctx: JobContext,
  generationId: string,
  videoId: string,
): Promise<StageSummary | undefined> {
  const record = await ctx.store.get(generationId);
  if (record?.status === 'notifying' && record.providerVideoId === videoId) {
    // An earlier run stored the video and died before adding the callback job (as poll's hand-off,
    // chaos/test/handoff-lost.test.ts): add it again; same job id, so a no-op when it exists.
    await addNotifyJob(ctx.queues, generationId);
    return undefined;
  }
  if (record?.status !== 'downloading' || record.providerVideoId !== videoId) {
    await ensureFailureCallback(ctx, record);
    return undefined;
  }
  const keys = objectKeys(generationId);

  // A manifest exists only if an earlier download run got this far, and every run counts itself in
  // `attempts.download` before it fetches: on a first run there is nothing to look for.
  const existing = record.attempts.download > 0 ? await ctx.objects.getJson<Manifest>(keys.manifest) : null;
  if (existing && existing.providerVideoId === videoId) {
    if (await storedIntact(ctx, keys.video, existing.video)) {
      const storage: GenerationStorage = {
        ...existing.video,
        manifest: { uri: ctx.objects.uri(keys.manifest), key: keys.manifest },
      };
      if (existing.thumbnail) storage.thumbnail = existing.thumbnail;
      return finish(ctx, record, storage);
    }
  }

  assertNotExpired(record);
  const startedAt = Date.now();
  await ctx.store.update(generationId, {
    timings: { downloadStartedAt: startedAt },
    attempts: { download: record.attempts.download + 1 },
  });

  const video = await fetchInto(ctx, record, videoId, 'video', keys.video, 'video/mp4');
  const storage: GenerationStorage = { ...video };
  if (record.request.thumbnail) {
    storage.thumbnail = await fetchInto(ctx, record, videoId, 'thumbnail', keys.thumbnail, 'image/webp');
  }
  const completedRecord: GenerationRecord = {
    ...record,
    timings: { ...record.timings, downloadStartedAt: startedAt, completedAt: Date.now() },
  };
  const manifest = await ctx.objects.putJson(keys.manifest, buildManifest(completedRecord, videoId, storage));
  storage.manifest = { uri: manifest.uri, key: manifest.key };
  ctx.logger.info({ bytes: video.bytes, ms: Date.now() - startedAt }, 'stored video');
  return finish(ctx, { ...record, timings: { ...record.timings, downloadStartedAt: startedAt } }, storage);
}

/**
 * Whether the object at `key` is the one the manifest describes: its length, then its sha256, read
 * back. Reading the whole object costs a pass over it, but only on this rare path (a run that died
 * between the manifest and the record write), and a length alone would take a replaced or damaged
 * object for the video the provider served.
 */
async function storedIntact(
  ctx: JobContext,
  key: string,
  described: { bytes: number; sha256: string },
): Promise<boolean> {
  const head = await ctx.objects.head(key);
  if (!head || head.bytes !== described.bytes) return false;
  const hash = createHash('sha256');
  for await (const chunk of await ctx.objects.createReadStream(key)) hash.update(chunk as Buffer);
  return hash.digest('hex') === described.sha256;
}

async function fetchInto(
  ctx: JobContext,
  record: GenerationRecord,
  videoId: string,
  variant: 'video' | 'thumbnail',
  key: string,
  contentType: string,
) {
  if (ctx.admission.beforeRead) throwIfNotAdmitted(await ctx.admission.beforeRead());
  let content: Awaited<ReturnType<JobContext['provider']['downloadContent']>>;
  try {
    content = await ctx.provider.downloadContent(videoId, variant);
  } catch (error) {
    const err = ctx.provider.classifyError(error);
    if (err.code === 'not_found') assertNotExpired(record);
    throw err;
  }
  try {
    const stored = await ctx.objects.put(key, content.body, {
      contentType: content.contentType ?? contentType,
      ...(content.contentLength !== null ? { expectedBytes: content.contentLength } : {}),
    });
    return { uri: stored.uri, key: stored.key, bytes: stored.bytes, sha256: stored.sha256 };
  } catch (error) {
    content.body.destroy();
    // A stream cut mid-way or a short body: the provider still has the asset, try again.
    throw new ReelayError('transient', `storing the ${variant} failed: ${(error as Error).message}`, {
      retryable: true,
      cause: error,
    });
  }
}

function assertNotExpired(record: GenerationRecord): void {
  if (record.providerExpiresAt !== undefined && Date.now() >= record.providerExpiresAt * 1000) {
    throw new ReelayError('asset_expired', 'the provider deleted the asset before it was stored', {
      details: { expiresAt: record.providerExpiresAt },
    });
  }
}

async function finish(
  ctx: JobContext,
  record: GenerationRecord,
  storage: GenerationStorage,
): Promise<StageSummary | undefined> {
  const notify = record.callbackUrl !== undefined;
  const completedAt = Date.now();
  const status = notify ? 'notifying' : 'completed';
  const { applied } = await ctx.store.update(
    record.id,
    { storage, progress: 100, timings: { completedAt } },
    { status, from: ['downloading'] },
  );
  if (!applied) return undefined; // cancelled meanwhile: the report reads what it became
  if (notify) {
    await addNotifyJob(ctx.queues, record.id);
  }
  // The record read at the start of this job already holds the settled cost (poll settles first).
  return stageSummary(
    {
      ...record,
      status,
      storage,
      progress: 100,
      timings: { ...record.timings, completedAt, updatedAt: completedAt },
    },
    status === 'completed',
  );
}
