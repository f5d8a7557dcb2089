import { Queue, Redis, Worker, jobOptionsFor } from './deps.ts';

/**
 * One stage of the raw 3-stage baseline, as its own process: a BullMQ worker whose processor does
 * nothing but hand the job on to the next queue (none for the last stage) — the least a BullMQ
 * pipeline of three hand-offs can cost. Jobs keep the pipeline's own retention options, so the two
 * differ only in what the stages do. Configured by environment; prints `{"event":"ready"}` when up.
 */
const env = process.env;
const connection = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const prefix = env['RAW_PREFIX'] ?? '{raw}';
const nextName = env['RAW_NEXT'] ?? '';
const next = nextName
  ? new Queue(nextName, { connection, prefix, defaultJobOptions: jobOptionsFor('download') })
  : undefined;
const worker = new Worker(
  env['RAW_QUEUE'] ?? 'raw-a',
  async (job) => {
    if (next) await next.add(job.name, job.data);
  },
  { connection, prefix, concurrency: Number(env['RAW_CONCURRENCY'] ?? 50) },
);
worker.on('error', (err) => console.error(JSON.stringify({ event: 'error', message: err.message })));
await worker.waitUntilReady();
console.log(JSON.stringify({ event: 'ready' }));

process.once('SIGTERM', () => {
  void (async () => {
    await worker.close();
    await next?.close();
    connection.disconnect();
    process.exit(0);
  })();
});
