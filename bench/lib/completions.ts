import { QueueEvents } from './deps.ts';

export interface CompletionTracker {
  /** Resolves with the time the n-th distinct job completed (as this process saw the event). */
  done: Promise<number>;
  close(): Promise<void>;
}

export interface TrackOptions {
  redisUrl: string;
  prefix: string;
  queue: string;
  /** Distinct jobs to wait for. */
  count: number;
  /** Rejects after this long, with `describe()` in the message. */
  timeoutMs: number;
  /** Checked every second: a reason to give up early (e.g. generations that failed), or undefined. */
  check?: () => Promise<string | undefined>;
  /** Appended to a timeout message: where things stand. */
  describe?: () => Promise<string>;
}

/**
 * Counts `completed` events of a queue through QueueEvents (one blocking XREAD stream), rather than
 * polling Redis, so the counting adds next to nothing to the commands being measured. Start it before
 * the first job is added: it reads only events newer than its start.
 */
export async function trackCompletions(options: TrackOptions): Promise<CompletionTracker> {
  const url = new URL(options.redisUrl);
  const events = new QueueEvents(options.queue, {
    connection: { host: url.hostname, port: Number(url.port), maxRetriesPerRequest: null },
    prefix: options.prefix,
  });
  await events.waitUntilReady();
  const seen = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let checker: NodeJS.Timeout | undefined;
  const done = new Promise<number>((resolve, reject) => {
    events.on('completed', ({ jobId }) => {
      seen.add(jobId);
      if (seen.size >= options.count) resolve(Date.now());
    });
    timer = setTimeout(() => {
      void (async () => {
        const state = options.describe ? `; ${await options.describe().catch((e: Error) => e.message)}` : '';
        reject(
          new Error(
            `${options.queue}: ${seen.size}/${options.count} completed within ${options.timeoutMs} ms${state}`,
          ),
        );
      })();
    }, options.timeoutMs);
    if (options.check) {
      const check = options.check;
      checker = setInterval(() => {
        void check()
          .then((why) => {
            if (why !== undefined) reject(new Error(`${options.queue}: ${why}`));
          })
          .catch(() => {});
      }, 1000);
    }
  }).finally(() => {
    clearTimeout(timer);
    clearInterval(checker);
  });
  // Awaited by the caller; this only keeps an early close from surfacing as an unhandled rejection.
  done.catch(() => {});
  return {
    done,
    async close() {
      clearTimeout(timer);
      clearInterval(checker);
      await events.close();
    },
  };
}
