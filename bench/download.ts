import { statfs } from 'node:fs/promises';
import { setTimeout } from 'node:timers/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BenchOptions, resolveBenchOptions } from './lib/bench-options.ts';
import { plainCopy } from './lib/plain-copy.ts';
import { procMemoryMb } from './lib/process.ts';
import { type Stack, benchTmpParent, startStack, trackStored } from './lib/reelay-stack.ts';

/** How often the download worker's resident memory is sampled, ms (VmHWM at the end catches spikes between). */
const RSS_SAMPLE_MS = 50;
const MB = 1024 * 1024;

/**
 * The download worker streaming large videos: its peak resident memory, and its bytes/s beside a plain
 * fetch-to-file copy of the same videos, the same number at a time, in the same run.
 */
export async function benchDownload(): Promise<Record<string, number>> {
  const options = resolveBenchOptions();
  const parent = benchTmpParent();
  const total = options.downloadCount * options.downloadVideoBytes;
  const free = await statfs(parent).then((s) => s.bavail * s.bsize);
  // Ours and the copies run one after the other, each deleted before the next: room for one set, plus slack.
  if (free < total * 1.25) {
    throw new Error(
      `download bench needs ${(total / 2 ** 30).toFixed(1)} GiB free under ${parent}; set REELAY_BENCH_TMPDIR`,
    );
  }
  const stack = await startStack({
    sim: { timeScale: options.zeroLatencyScale, videoBytes: options.downloadVideoBytes },
    processes: ['submit,poll', 'download'],
    workerEnv: { REELAY_PROVIDER_TIME_SCALE: String(options.workerFastScale) },
    processEnv: { download: { REELAY_DOWNLOAD_CONCURRENCY: String(options.downloadConcurrency) } },
    tmpParent: parent,
  });
  try {
    const worker = stack.workers.get('download')!;
    const idleRss = await procMemoryMb(worker.pid, 'VmRSS');
    let peakSample = idleRss;
    const sampler = setInterval(() => {
      void procMemoryMb(worker.pid, 'VmRSS').then((mb) => {
        if (mb > peakSample) peakSample = mb;
      });
    }, RSS_SAMPLE_MS);
    let fresh: Batch;
    let afterIdle: Batch;
    try {
      fresh = await downloadBatch(stack, options, 'download bench clip');
      // Our copies go before the next run, so each writes to an equally empty disk.
      await stack.dropStoredObjects();
      // A long-lived worker between batches: V8 shrinks an idle process's young generation.
      await setTimeout(envIdleMs());
      afterIdle = await downloadBatch(stack, options, 'download bench clip after idle');
      await stack.dropStoredObjects();
    } finally {
      clearInterval(sampler);
    }
    const peakRss = Math.max(peakSample, await procMemoryMb(worker.pid, 'VmHWM'));
    const copyBytesPerS = await plainCopy(
      stack.sim,
      fresh.videoIds,
      options.downloadConcurrency,
      parent,
      false,
    );
    const fsyncCopyBytesPerS = await plainCopy(
      stack.sim,
      fresh.videoIds,
      options.downloadConcurrency,
      parent,
      true,
    );
    const oursBytesPerS = fresh.bytesPerS;
    return {
      'download.peak_rss_mb': peakRss,
      'download.idle_rss_mb': idleRss,
      'download.mb_per_s': oursBytesPerS / MB,
      'download.copy_mb_per_s': copyBytesPerS / MB,
      'download.fsync_copy_mb_per_s': fsyncCopyBytesPerS / MB,
      'download.throughput_ratio': oursBytesPerS / copyBytesPerS,
      'download.after_idle_mb_per_s': afterIdle.bytesPerS / MB,
      'download.after_idle_throughput_ratio': afterIdle.bytesPerS / copyBytesPerS,
    };
  } finally {
    await stack.close();
  }
}

interface Batch {
  bytesPerS: number;
  videoIds: string[];
}

/** Idle time of the download worker between its two measured batches, ms (`REELAY_BENCH_DOWNLOAD_IDLE_MS`). */
function envIdleMs(): number {
  const value = Number(process.env['REELAY_BENCH_DOWNLOAD_IDLE_MS'] ?? 20_000);
  if (!Number.isFinite(value) || value < 0)
    throw new Error('REELAY_BENCH_DOWNLOAD_IDLE_MS must be a number ≥ 0');
  return value;
}

/** Enqueues `downloadCount` videos and waits until all are stored: bytes ÷ (first download start → last stored). */
async function downloadBatch(stack: Stack, options: BenchOptions, prompt: string): Promise<Batch> {
  const tracker = await trackStored(stack, options.downloadCount, options.runTimeoutMs);
  let ids: string[];
  try {
    ids = await stack.enqueue(
      Array.from({ length: options.downloadCount }, (_, i) => ({ prompt: `${prompt} ${i}` })),
    );
    await tracker.done;
  } finally {
    await tracker.close();
  }
  const records = await Promise.all(ids.map((id) => stack.store.get(id)));
  let bytes = 0;
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  const videoIds: string[] = [];
  for (const record of records) {
    if (!record?.storage || !record.providerVideoId || !record.timings.downloadStartedAt) {
      throw new Error(`generation ${record?.id} was not stored`);
    }
    bytes += record.storage.bytes;
    first = Math.min(first, record.timings.downloadStartedAt);
    last = Math.max(last, record.timings.completedAt ?? 0);
    videoIds.push(record.providerVideoId);
  }
  return { bytesPerS: (bytes * 1000) / (last - first), videoIds };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await benchDownload());
}
