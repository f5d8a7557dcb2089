import OpenAI from '../../packages/providers/node_modules/openai/index.mjs';
import { Queue, Redis, Worker, jobOptionsFor } from './deps.ts';

const env = process.env;
const connection = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const prefix = env['RAW_PREFIX'] ?? '{raw}';
const nextName = env['RAW_NEXT'] ?? '';
const kind = env['FLOOR_CALL'] ?? 'none';
const client = new OpenAI({ baseURL: env['OPENAI_BASE_URL'], apiKey: env['OPENAI_API_KEY'], maxRetries: 0 });
const next = nextName
  ? new Queue(nextName, { connection, prefix, defaultJobOptions: jobOptionsFor('download') })
  : undefined;
const worker = new Worker(
  env['RAW_QUEUE'] ?? 'raw-a',
  async (job) => {
    let data = job.data as { i: number; video?: string };
    if (kind === 'create') {
      const v = await client.videos.create({ prompt: `bench clip ${data.i}`, seconds: '4', model: 'sora-2' });
      data = { ...data, video: v.id };
    } else if (kind === 'retrieve') {
      await client.videos.retrieve(data.video!);
    } else if (kind === 'content') {
      const r = await client.videos.downloadContent(data.video!);
      for await (const _ of r.body!) {
        /* drain */
      }
    }
    if (next) await next.add(job.name, data);
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
