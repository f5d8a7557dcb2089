import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newGenerationId } from '@reelay/core';
import { waitFor } from '@reelay/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type PipelineContext, buildManifest, objectKeys, processDownload } from '../src/index.ts';
import { type InProcess, startInProcess } from './helpers/in-process.ts';

// A download job that runs again after an earlier run stored the video and its manifest but died
// before the record said so (SIGKILL between the writes): it must complete from what is stored,
// without fetching the video again — but only when the stored object is the one the manifest
// describes, byte for byte (its sha256), not merely of the same length.

interface SimStats {
  contentRequests: number;
}

let env: InProcess;
beforeAll(async () => {
  env = await startInProcess('resume');
});
afterEach(() => env.cleanup());
afterAll(() => env.stop());

/** A generation in `downloading` whose video and manifest an earlier run already stored. */
async function storedByAnEarlierRun(ctx: PipelineContext) {
  const id = newGenerationId();
  const request = {
    prompt: `resumed ${id}`,
    model: 'sora-2',
    seconds: '4',
    size: '720x1280',
    thumbnail: false,
  } as const;
  await ctx.store.create({ id, tenant: 'default', provider: 'openai', request });
  const video = await ctx.provider.create(request, { idempotencyKey: id });
  await waitFor(async () => (await ctx.provider.retrieve(video.id)).status === 'completed', {
    timeoutMs: 10_000,
    message: 'the simulator did not finish the video',
  });
  await ctx.store.update(
    id,
    { providerVideoId: video.id, attempts: { download: 1 } },
    { status: 'downloading', from: ['queued'] },
  );
  const keys = objectKeys(id);
  const content = await ctx.provider.downloadContent(video.id, 'video');
  const stored = await ctx.objects.put(keys.video, content.body);
  const record = (await ctx.store.get(id))!;
  await ctx.objects.putJson(keys.manifest, buildManifest(record, video.id, stored));
  await ctx.queues.download.add('download', { generationId: id, videoId: video.id, round: 0 }, { jobId: id });
  const { job, worker } = await env.take(ctx, 'download', 'again');
  return { id, videoId: video.id, stored, path: join(env.storageDir, keys.video), job, worker };
}

const contentRequests = async () => (await env.sim.stats<SimStats>()).contentRequests;
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('download run again after the video was stored', () => {
  it('completes from the stored video and manifest without fetching it again', async () => {
    const ctx = env.context();
    const { id, stored, job, worker } = await storedByAnEarlierRun(ctx);
    const before = await contentRequests();
    await processDownload(ctx, job, 'again', worker);
    expect(await contentRequests()).toBe(before);
    const record = await ctx.store.get(id);
    expect(record?.status).toBe('completed');
    expect(record?.storage).toMatchObject({ sha256: stored.sha256, bytes: stored.bytes });
  });

  it('fetches the video again when the stored object has the length but not the sha256 of the manifest', async () => {
    const ctx = env.context();
    const { id, stored, path, job, worker } = await storedByAnEarlierRun(ctx);
    const damaged = await readFile(path);
    const last = damaged.length - 1;
    damaged[last] = (damaged[last] ?? 0) ^ 0xff; // same length, one byte changed
    await writeFile(path, damaged);
    const before = await contentRequests();
    await processDownload(ctx, job, 'again', worker);
    expect(await contentRequests()).toBe(before + 1);
    const record = await ctx.store.get(id);
    expect(record?.status).toBe('completed');
    expect(record?.storage?.sha256).toBe(stored.sha256);
    expect(sha256(await readFile(path))).toBe(stored.sha256);
  });
});
