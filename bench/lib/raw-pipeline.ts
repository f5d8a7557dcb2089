import { trackCompletions } from './completions.ts';
import { Queue, jobOptionsFor } from './deps.ts';
import { RAW_STAGE_MAIN } from './paths.ts';
import { type NodeProcess, parseJson, spawnNode } from './process.ts';
import { type BenchRedis, commandDelta, commandStats } from './redis.ts';

export interface RawOptions {
  /** Worker concurrency of each of the three stage processes. */
  concurrency: [number, number, number];
  /** Adds in flight at once from the producer (the same lanes the pipeline's enqueue uses). */
  enqueueConcurrency: number;
  timeoutMs: number;
  /** Stage process script (default the no-op `raw-stage.ts`) and extra environment per stage. */
  stageMain?: string;
  stageEnv?: Array<Record<string, string>>;
  /** Key prefix (default `{raw-bench}`); two raw pipelines on one Redis need their own. */
  prefix?: string;
}

export interface PushResult {
  itemsPerS: number;
  elapsedMs: number;
  /** Calls per command over the measured span, largest first. */
  commands: Array<[string, number]>;
}

export interface RawPipeline {
  /** The three stage processes, for CPU accounting. */
  pids: number[];
  /** Adds `count` jobs and waits until all left the third stage. */
  push(count: number): Promise<PushResult>;
  stop(): Promise<void>;
}

const QUEUES = ['raw-a', 'raw-b', 'raw-c'] as const;

/**
 * The raw 3-stage BullMQ baseline: three queues, a no-op worker process per queue handing each job on,
 * jobs added like the pipeline's enqueue adds generations, timed from the first add to the last
 * completion in the third queue, with the INFO commandstats delta over the same span.
 */
export async function startRawPipeline(redis: BenchRedis, options: RawOptions): Promise<RawPipeline> {
  const prefix = options.prefix ?? '{raw-bench}';
  const processes: NodeProcess<true>[] = [];
  const head = new Queue(QUEUES[0], {
    connection: redis.client,
    prefix,
    defaultJobOptions: jobOptionsFor('download'),
  });
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await head.close();
  };
  const started = await Promise.allSettled(
    QUEUES.map((queue, i) =>
      spawnNode(
        `raw(${queue})`,
        [options.stageMain ?? RAW_STAGE_MAIN],
        {
          REDIS_URL: redis.url,
          RAW_PREFIX: prefix,
          RAW_QUEUE: queue,
          RAW_NEXT: QUEUES[i + 1] ?? '',
          RAW_CONCURRENCY: String(options.concurrency[i]),
          ...options.stageEnv?.[i],
        },
        (line) => (parseJson(line)?.['event'] === 'ready' ? (true as const) : undefined),
      ),
    ),
  );
  for (const s of started) if (s.status === 'fulfilled') processes.push(s.value);
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  let sequence = 0;
  return {
    pids: processes.map((p) => p.pid),
    async push(count) {
      const tracker = await trackCompletions({
        redisUrl: redis.url,
        prefix,
        queue: QUEUES[2],
        count,
        timeoutMs: options.timeoutMs,
      });
      try {
        const before = await commandStats(redis.client);
        const start = Date.now();
        let added = 0;
        const lane = async () => {
          while (added < count) {
            added++;
            await head.add('job', { i: sequence++ });
          }
        };
        await Promise.all(Array.from({ length: options.enqueueConcurrency }, lane));
        const end = await tracker.done;
        const commands = commandDelta(before, await commandStats(redis.client));
        return { itemsPerS: (count * 1000) / (end - start), elapsedMs: end - start, commands };
      } finally {
        await tracker.close();
      }
    },
    stop,
  };
}
