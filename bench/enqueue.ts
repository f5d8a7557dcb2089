import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Reelay } from '../packages/client/src/index.ts';
import { Queue, type Redis } from './lib/deps.ts';
import { startBenchRedis } from './lib/redis.ts';

// The enqueue benchmark: the producer SDK's `createMany` of N generations (validation, friendly
// mapping, records, fair-backlog check and parked/ready submit jobs) against raw BullMQ `addBulk` of N
// plain jobs, on the same private redis-server in the same run. Both write in chunks of 1,000 (one
// `addBulk` per chunk for the baseline; one pipelined record write, one backlog check and one
// `addBulk` per chunk for the SDK). Rounds alternate the two, each on a fresh prefix, and the best
// round of each is kept, so a noisy moment on a shared machine does not decide the ratio.
// Run alone: `node bench/enqueue.ts` (prints the figures, writes nothing).

const N = Number(process.env['REELAY_BENCH_ENQUEUE_N'] ?? 20_000);
const ROUNDS = Number(process.env['REELAY_BENCH_ROUNDS'] ?? 3);
const CHUNK = 1000;

export async function benchEnqueue(): Promise<Record<string, number>> {
  const redis = await startBenchRedis();
  try {
    // Warm-up (JIT, script loading, schema compilation) for both sides, not timed.
    await rawAddBulk(redis.client, redis.fixture.prefix('warm-raw'), 2000);
    await sdkCreateMany(redis.client, redis.fixture.prefix('warm-sdk'), 2000);
    await redis.client.flushall();
    let raw = 0;
    let sdk = 0;
    for (let round = 0; round < ROUNDS; round++) {
      raw = Math.max(raw, await rawAddBulk(redis.client, redis.fixture.prefix('raw')));
      sdk = Math.max(sdk, await sdkCreateMany(redis.client, redis.fixture.prefix('sdk')));
      await redis.client.flushall();
    }
    return {
      'enqueue.raw_add_bulk_per_s': raw,
      'enqueue.create_many_per_s': sdk,
      'enqueue.create_many_ratio': sdk / raw,
    };
  } finally {
    await redis.stop();
  }
}

async function rawAddBulk(connection: Redis, prefix: string, n = N) {
  const queue = new Queue('submit', { connection, prefix });
  await queue.waitUntilReady();
  const started = performance.now();
  for (let i = 0; i < n; i += CHUNK) {
    const jobs = [];
    for (let j = i; j < Math.min(n, i + CHUNK); j++) {
      jobs.push({
        name: 'submit',
        data: { generationId: `gen_${j.toString(16).padStart(24, '0')}`, round: 0 },
      });
    }
    await queue.addBulk(jobs);
  }
  const rate = n / ((performance.now() - started) / 1000);
  if ((await queue.count()) !== n) throw new Error('raw addBulk lost jobs');
  await queue.close();
  return rate;
}

async function sdkCreateMany(connection: Redis, prefix: string, n = N) {
  const client = new Reelay({ redis: connection, prefix });
  const items = Array.from({ length: n }, (_, i) => ({
    params: {
      prompt: `benchmark clip ${i}: a lighthouse at dusk`,
      duration: 8,
      aspect_ratio: '16:9' as const,
    },
    options: { tenant: `t${i % 8}` },
  }));
  const started = performance.now();
  const res = await client.generations.createMany(items, { chunkSize: CHUNK });
  const rate = n / ((performance.now() - started) / 1000);
  if (res.created !== n) throw new Error(`createMany created ${res.created} of ${n}`);
  await client.close();
  return rate;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const [name, value] of Object.entries(await benchEnqueue())) {
    process.stdout.write(
      `${name.padEnd(32)} ${value.toFixed(name.endsWith('ratio') ? 3 : 0).padStart(10)}\n`,
    );
  }
}
