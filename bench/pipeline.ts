import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBenchOptions } from './lib/bench-options.ts';
import { measurePoll } from './lib/poll.ts';
import { measureThroughput } from './lib/throughput.ts';

/**
 * The pipeline figures: end-to-end throughput and Redis commands per generation beside a raw 3-stage
 * BullMQ pipeline (`pipeline.*`), then polls per video and detection delay beside the seed's fixed 10 s
 * polling, poll-only and with provider webhooks (`poll.*`). See bench/README.md for each figure.
 */
export async function benchPipeline(): Promise<Record<string, number>> {
  const options = resolveBenchOptions();
  return { ...(await measureThroughput(options)), ...(await measurePoll(options)) };
}

/** Throughput and Redis commands only (`node bench/pipeline.ts throughput`). */
export function benchThroughput(): Promise<Record<string, number>> {
  return measureThroughput(resolveBenchOptions());
}

/** Polls and detection delay only (`node bench/pipeline.ts poll`). */
export function benchPoll(): Promise<Record<string, number>> {
  return measurePoll(resolveBenchOptions());
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const part = process.argv[2];
  const run = part === 'throughput' ? benchThroughput : part === 'poll' ? benchPoll : benchPipeline;
  console.log(await run());
}
