import { resolve } from 'node:path';
import { resolveBenchOptions } from './bench-options.ts';
import { cpuSnapshot } from './cpu.ts';
import { startSimulator } from './deps.ts';
import { ROOT } from './paths.ts';
import { type PushResult, startRawPipeline } from './raw-pipeline.ts';
import { startBenchRedis } from './redis.ts';

const o = resolveBenchOptions();
const redis = await startBenchRedis();
const sim = await startSimulator({
  flags: {
    timeScale: o.zeroLatencyScale,
    videoBytes: o.throughputVideoBytes,
    seed: 'floor',
    ttlSeconds: 3.6e9,
  },
});
const c = o.concurrency;
const raw = await startRawPipeline(redis, {
  concurrency: [c.submit, c.poll, c.download],
  enqueueConcurrency: o.enqueueConcurrency,
  timeoutMs: 90000,
});
const env = { OPENAI_BASE_URL: sim.baseURL, OPENAI_API_KEY: sim.apiKey };
const floor = await startRawPipeline(redis, {
  concurrency: [c.submit, c.poll, c.download],
  enqueueConcurrency: o.enqueueConcurrency,
  timeoutMs: 90000,
  prefix: '{floor-bench}',
  stageMain: resolve(ROOT, 'bench/lib/floor-stage.ts'),
  stageEnv: ['create', 'retrieve', 'content'].map((k) => ({ ...env, FLOOR_CALL: k })),
});
async function measured(pids: Record<string, number>, run: () => Promise<PushResult>) {
  const before = await cpuSnapshot(pids);
  const self = process.cpuUsage();
  const r = await run();
  const after = await cpuSnapshot(pids);
  const s = process.cpuUsage(self);
  const cpu: Record<string, number> = {};
  for (const k of Object.keys(pids))
    cpu[k] = +(((after[k] ?? 0) - (before[k] ?? 0)) / o.throughputCount).toFixed(3);
  cpu['bench'] = +((s.user + s.system) / 1000 / o.throughputCount).toFixed(3);
  return {
    rps: Math.round(r.itemsPerS),
    cmds: r.commands.reduce((a, [, n]) => a + n, 0) / o.throughputCount,
    cpu,
  };
}
await raw.push(o.warmupCount);
await floor.push(o.warmupCount);
for (let i = 0; i < 2; i++) {
  const r = await measured(
    { redis: redis.pid, ...Object.fromEntries(raw.pids.map((p, i) => [`s${i}`, p])) },
    () => raw.push(o.throughputCount),
  );
  const f = await measured(
    { redis: redis.pid, sim: sim.pid, ...Object.fromEntries(floor.pids.map((p, i) => [`s${i}`, p])) },
    () => floor.push(o.throughputCount),
  );
  console.log(JSON.stringify({ raw: r, floor: f, ratio: +(f.rps / r.rps).toFixed(3) }));
}
await floor.stop();
await raw.stop();
await sim.stop();
await redis.stop();
