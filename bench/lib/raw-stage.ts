import { Queue, Redis, Worker, jobOptionsFor, loadOpenAI } from './deps.ts';

/**
 * One stage of the raw 3-stage baseline, as its own process: a BullMQ worker whose processor does
 * nothing but hand the job on to the next queue (none for the last stage) — the least a BullMQ
 * pipeline of three hand-offs can cost. Jobs keep the pipeline's own retention options, so the two
 * differ only in what the stages do. Configured by environment; prints `{"event":"ready"}` when up.
 *
 * With `RAW_SDK_CALL` (`create`, `retrieve` or `content`) the stage also makes that one `openai` SDK
 * call to the simulator at `OPENAI_BASE_URL` before handing on — the SDK floor of the throughput
 * figure (see throughput.ts): each stage's one mandated provider call and nothing else of Reelay's.
 */
const env = process.env;
const connection = new Redis(env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const prefix = env['RAW_PREFIX'] ?? '{raw}';
const nextName = env['RAW_NEXT'] ?? '';
const next = nextName
  ? new Queue(nextName, { connection, prefix, defaultJobOptions: jobOptionsFor('download') })
  : undefined;
const sdkCall = await providerCall(env['RAW_SDK_CALL']);
const worker = new Worker(
  env['RAW_QUEUE'] ?? 'raw-a',
  async (job) => {
    const data = sdkCall ? await sdkCall(job.data as StageData) : job.data;
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

interface StageData {
  i: number;
  video?: string;
}

/** The stage's one SDK call, as the pipeline's adapter makes it (retries off), or none. */
async function providerCall(kind: string | undefined) {
  if (kind === undefined || kind === '') return undefined;
  const { default: OpenAI } = await loadOpenAI();
  const client = new OpenAI({
    baseURL: env['OPENAI_BASE_URL'],
    apiKey: env['OPENAI_API_KEY'],
    maxRetries: 0,
  });
  return async (data: StageData): Promise<StageData> => {
    if (kind === 'create') {
      const video = await client.videos.create({
        prompt: `bench clip ${data.i}`,
        seconds: '4',
        model: 'sora-2',
      });
      return { ...data, video: video.id };
    }
    if (!data.video) throw new Error('no video id to read');
    if (kind === 'retrieve') await client.videos.retrieve(data.video);
    else {
      const response = await client.videos.downloadContent(data.video);
      for await (const _ of response.body ?? []) {
        // drained, as the download stage streams it to storage
      }
    }
    return data;
  };
}
