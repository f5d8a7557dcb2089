import type { BenchOptions } from './bench-options.ts';
import { trackCompletions } from './completions.ts';
import { cpuSnapshot } from './cpu.ts';
import { type PushResult, startRawPipeline } from './raw-pipeline.ts';
import { commandDelta, commandStats, startBenchRedis } from './redis.ts';
import { type Stack, startStack } from './reelay-stack.ts';

/**
 * End-to-end generations/s of the pipeline (submit, poll, download, each in its own process) against a
 * zero-latency simulator with local storage, beside the raw 3-stage BullMQ baseline on the same Redis
 * with the same N, lanes and concurrency; and Redis commands per generation beside commands per raw job.
 * Also the SDK floor: the raw pipeline with each stage making only its one `openai` SDK call to the same
 * simulator — the most `pipeline.throughput_ratio` could be with the provider calls the issue mandates
 * and no record, storage, limit or log of Reelay's at all.
 * Both stay up for the whole run and are measured in alternating rounds, best of each: the machine may
 * be shared, and a noisy neighbour during one round should not decide the ratio.
 */
export async function measureThroughput(options: BenchOptions): Promise<Record<string, number>> {
  const redis = await startBenchRedis();
  const { concurrency: c } = options;
  try {
    const raw = await startRawPipeline(redis, {
      concurrency: [c.submit, c.poll, c.download],
      enqueueConcurrency: options.enqueueConcurrency,
      timeoutMs: options.runTimeoutMs,
    });
    try {
      const stack = await startStack({
        redis,
        sim: { timeScale: options.zeroLatencyScale, videoBytes: options.throughputVideoBytes },
        processes: ['submit', 'poll', 'download'],
        workerEnv: {
          REELAY_PROVIDER_TIME_SCALE: String(options.workerFastScale),
          REELAY_SUBMIT_CONCURRENCY: String(c.submit),
          REELAY_POLL_CONCURRENCY: String(c.poll),
          REELAY_DOWNLOAD_CONCURRENCY: String(c.download),
        },
      });
      // The SDK floor: the raw pipeline again, each stage making its one `openai` SDK call to the same
      // simulator (create, retrieve, content) and nothing else of Reelay's.
      const floor = await startRawPipeline(redis, {
        concurrency: [c.submit, c.poll, c.download],
        enqueueConcurrency: options.enqueueConcurrency,
        timeoutMs: options.runTimeoutMs,
        prefix: '{floor-bench}',
        stageEnv: (['create', 'retrieve', 'content'] as const).map((call) => ({
          RAW_SDK_CALL: call,
          OPENAI_BASE_URL: stack.sim.baseURL,
          OPENAI_API_KEY: stack.sim.apiKey,
        })),
      }).catch(async (error: unknown) => {
        await stack.close();
        throw error;
      });
      try {
        await raw.push(options.warmupCount);
        await floor.push(options.warmupCount);
        await push(stack, options.warmupCount, options);
        const oursPids = {
          redis: redis.pid,
          sim: stack.sim.pid,
          ...Object.fromEntries([...stack.workers].map(([stage, w]) => [stage, w.pid])),
        };
        const rawPids = {
          redis: redis.pid,
          ...Object.fromEntries(raw.pids.map((pid, i) => [`raw${i + 1}`, pid])),
        };
        const floorPids = {
          redis: redis.pid,
          sim: stack.sim.pid,
          ...Object.fromEntries(floor.pids.map((pid, i) => [`floor${i + 1}`, pid])),
        };
        let bestRaw: Measured | undefined;
        let bestFloor: Measured | undefined;
        let bestOurs: Measured | undefined;
        for (let round = 0; round < options.throughputRounds; round++) {
          const r = await measured(rawPids, options.throughputCount, () => raw.push(options.throughputCount));
          if (!bestRaw || r.itemsPerS > bestRaw.itemsPerS) bestRaw = r;
          const f = await measured(floorPids, options.throughputCount, () =>
            floor.push(options.throughputCount),
          );
          if (!bestFloor || f.itemsPerS > bestFloor.itemsPerS) bestFloor = f;
          const o = await measured(oursPids, options.throughputCount, () =>
            push(stack, options.throughputCount, options),
          );
          if (!bestOurs || o.itemsPerS > bestOurs.itemsPerS) bestOurs = o;
          if (process.env['REELAY_BENCH_VERBOSE']) {
            printCpu('raw', r.cpuPerItem);
            printCpu('sdk floor', f.cpuPerItem);
            printCpu('pipeline', o.cpuPerItem);
          }
        }
        if (!bestRaw || !bestFloor || !bestOurs) throw new Error('throughputRounds must be at least 1');
        if (process.env['REELAY_BENCH_VERBOSE']) {
          printBreakdown('pipeline', bestOurs.commands, options.throughputCount);
          printBreakdown('raw', bestRaw.commands, options.throughputCount);
        }
        const oursCpu = total(bestOurs.cpuPerItem);
        const rawCpu = total(bestRaw.cpuPerItem);
        return {
          'pipeline.generations_per_s': bestOurs.itemsPerS,
          'pipeline.raw_jobs_per_s': bestRaw.itemsPerS,
          'pipeline.throughput_ratio': bestOurs.itemsPerS / bestRaw.itemsPerS,
          'pipeline.sdk_floor_jobs_per_s': bestFloor.itemsPerS,
          'pipeline.sdk_floor_ratio': bestFloor.itemsPerS / bestRaw.itemsPerS,
          'pipeline.sdk_floor_cpu_ms_per_job': total(bestFloor.cpuPerItem),
          'pipeline.redis_cmds_per_generation': sum(bestOurs.commands) / options.throughputCount,
          'pipeline.raw_redis_cmds_per_job': sum(bestRaw.commands) / options.throughputCount,
          'pipeline.cpu_ms_per_generation': oursCpu,
          'pipeline.raw_cpu_ms_per_job': rawCpu,
          'pipeline.cpu_ratio': rawCpu / oursCpu,
        };
      } finally {
        await floor.stop();
        await stack.close();
      }
    } finally {
      await raw.stop();
    }
  } finally {
    await redis.stop();
  }
}

interface Measured extends PushResult {
  /** CPU ms per item by process (`bench` = this process: enqueue/add and event reading). */
  cpuPerItem: Record<string, number>;
}

/**
 * Runs one push and charges it the CPU time every involved process used meanwhile. CPU time is far
 * less sensitive than wall time to other work on the machine, so the CPU ratio says what the wall-clock
 * ratio would be on a quiet machine where the CPUs are the bottleneck.
 */
async function measured(
  pids: Record<string, number>,
  count: number,
  run: () => Promise<PushResult>,
): Promise<Measured> {
  const before = await cpuSnapshot(pids);
  const self = process.cpuUsage();
  const result = await run();
  const after = await cpuSnapshot(pids);
  const selfUsed = process.cpuUsage(self);
  const cpuPerItem: Record<string, number> = {};
  for (const name of Object.keys(pids)) cpuPerItem[name] = ((after[name] ?? 0) - (before[name] ?? 0)) / count;
  cpuPerItem['bench'] = (selfUsed.user + selfUsed.system) / 1000 / count;
  return { ...result, cpuPerItem };
}

function total(values: Record<string, number>): number {
  return Object.values(values).reduce((a, b) => a + b, 0);
}

/** Enqueues `count` generations and waits until every one is stored; any failure ends the run. */
async function push(stack: Stack, count: number, options: BenchOptions): Promise<PushResult> {
  const requests = Array.from({ length: count }, (_, i) => ({
    prompt: `bench clip ${i}`,
    seconds: '4' as const,
  }));
  const failedBefore = await stack.store.countByStatus('failed');
  const tracker = await trackCompletions({
    redisUrl: stack.redis.url,
    prefix: stack.prefix,
    queue: 'download',
    count,
    timeoutMs: options.runTimeoutMs,
    check: async () => {
      const failed = (await stack.store.countByStatus('failed')) - failedBefore;
      if (failed === 0) return undefined;
      const [id] = await stack.store.idsByStatus('failed', { limit: 1 });
      const record = id ? await stack.store.get(id) : null;
      return `${failed} generation(s) failed, e.g. ${record?.error?.code}: ${record?.error?.message}`;
    },
    describe: async () => {
      const states = ['queued', 'submitting', 'generating', 'downloading', 'completed'] as const;
      const counts = await Promise.all(states.map((s) => stack.store.countByStatus(s)));
      return states.map((s, i) => `${s} ${counts[i]}`).join(', ');
    },
  });
  try {
    const before = await commandStats(stack.redis.client);
    const start = Date.now();
    await stack.enqueue(requests, options.enqueueConcurrency);
    const end = await tracker.done;
    const commands = commandDelta(before, await commandStats(stack.redis.client));
    return { itemsPerS: (count * 1000) / (end - start), elapsedMs: end - start, commands };
  } finally {
    await tracker.close();
  }
}

function sum(commands: Array<[string, number]>): number {
  return commands.reduce((total, [, calls]) => total + calls, 0);
}

/** The heaviest commands per generation (per raw job), for finding where the calls go. */
function printBreakdown(label: string, commands: Array<[string, number]>, count: number): void {
  const top = commands.slice(0, 14).map(([name, calls]) => `${name} ${(calls / count).toFixed(1)}`);
  process.stdout.write(`  ${label} commands per item: ${top.join(', ')}\n`);
}

/** CPU ms per item by process: where the time of a generation (a raw job) goes. */
function printCpu(label: string, perItem: Record<string, number>): void {
  const parts = Object.entries(perItem).map(([name, ms]) => `${name} ${ms.toFixed(2)}`);
  process.stdout.write(`  ${label} CPU ms per item: ${parts.join(', ')}\n`);
}
