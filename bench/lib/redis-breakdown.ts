import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveBenchOptions } from './bench-options.ts';
import { trackCompletions } from './completions.ts';
import { Redis } from './deps.ts';
import { type Stack, startStack } from './reelay-stack.ts';

/**
 * Where a generation's Redis commands go, by script: the throughput stack (same settings as the
 * `pipeline.redis_cmds_per_generation` run) pushes `REELAY_BENCH_MONITOR_N` generations (default 200)
 * after a warm-up while a MONITOR connection attributes every command run inside a Lua script to the
 * script that ran it (BullMQ's by name, ours by sha and first key). A diagnostic, not a figure: MONITOR
 * itself slows Redis. Run: `node bench/lib/redis-breakdown.ts`.
 */
export async function redisBreakdown(count: number): Promise<string> {
  const o = resolveBenchOptions();
  const names = bullmqScriptNames();
  const stack = await startStack({
    sim: { timeScale: o.zeroLatencyScale, videoBytes: o.throughputVideoBytes },
    processes: ['submit', 'poll', 'download'],
    workerEnv: {
      REELAY_PROVIDER_TIME_SCALE: String(o.workerFastScale),
      REELAY_SUBMIT_CONCURRENCY: String(o.concurrency.submit),
      REELAY_POLL_CONCURRENCY: String(o.concurrency.poll),
      REELAY_DOWNLOAD_CONCURRENCY: String(o.concurrency.download),
    },
  });
  const monitor = new Redis(stack.redis.url);
  try {
    await push(stack, o.warmupCount, o.runTimeoutMs);
    const top = new Map<string, number>();
    const inner = new Map<string, number>();
    const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
    let script = 'client';
    let total = 0;
    const feed = await monitor.monitor();
    feed.on('monitor', (_time: string, args: unknown[], source: string) => {
      total++;
      const cmd = String(args[0]).toLowerCase();
      if (source === 'lua') {
        bump(top, script);
        bump(inner, `${script} > ${cmd}`);
        return;
      }
      if (cmd === 'evalsha' || cmd === 'eval') {
        const sha = cmd === 'eval' ? sha1(String(args[1])) : String(args[1]);
        script = names.get(sha) ?? `script ${sha.slice(0, 8)} ${shape(String(args[3] ?? ''))}`;
        bump(top, script);
        return;
      }
      bump(top, `${cmd} ${shape(String(args[1] ?? ''))}`);
    });
    await push(stack, count, o.runTimeoutMs);
    feed.disconnect();
    const table = (m: Map<string, number>) =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${(v / count).toFixed(2).padStart(8)}  ${k}`)
        .join('\n');
    return [
      `commands per generation: ${(total / count).toFixed(1)}`,
      '--- by top-level command (a script with the commands it ran)',
      table(top),
      '--- inside scripts',
      table(inner),
    ].join('\n');
  } finally {
    monitor.disconnect();
    await stack.close();
  }
}

async function push(stack: Stack, count: number, timeoutMs: number): Promise<void> {
  const tracker = await trackCompletions({
    redisUrl: stack.redis.url,
    prefix: stack.prefix,
    queue: 'download',
    count,
    timeoutMs,
  });
  try {
    await stack.enqueue(
      Array.from({ length: count }, (_, i) => ({ prompt: `breakdown clip ${i}`, seconds: '4' as const })),
    );
    await tracker.done;
  } finally {
    await tracker.close();
  }
}

/** sha1 of every BullMQ script → `bull:<name>` (BullMQ loads them by that sha). */
function bullmqScriptNames(): Map<string, string> {
  const require = createRequire(import.meta.url);
  const dir = resolve(
    require.resolve('../../packages/core/node_modules/bullmq/dist/cjs/index.js'),
    '../scripts',
  );
  const names = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    for (const value of Object.values(require(`${dir}/${file}`) as Record<string, unknown>)) {
      const s = value as { name?: unknown; content?: unknown } | null;
      if (s && typeof s.content === 'string') names.set(sha1(s.content), `bull:${String(s.name)}`);
    }
  }
  return names;
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** A key with its ids folded (`{p}:gen:gen_abc…` → `{p}:gen:*`), so keys of one kind count together. */
function shape(key: string): string {
  return key.replace(/[0-9a-zA-Z_-]{16,}.*/, '*').replace(/:\d+$/, ':N');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const n = Number(process.env['REELAY_BENCH_MONITOR_N'] ?? 200);
  if (!(Number.isInteger(n) && n > 0))
    throw new Error(`REELAY_BENCH_MONITOR_N must be a positive integer, got "${n}"`);
  console.log(await redisBreakdown(n));
}
