import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { wantsLeanHeap } from '../src/lean-heap.ts';

const execFileAsync = promisify(execFile);

describe('lean heap (small V8 young generation)', () => {
  it('is on in processes that run the download stage, off in the others', () => {
    expect(wantsLeanHeap(['--stage', 'download'], {})).toBe(true);
    expect(wantsLeanHeap(['--stage=submit,download'], {})).toBe(true);
    expect(wantsLeanHeap([], {})).toBe(true); // default stages: all
    expect(wantsLeanHeap([], { REELAY_STAGES: 'all' })).toBe(true);
    expect(wantsLeanHeap(['--stage', 'poll'], {})).toBe(false);
    expect(wantsLeanHeap([], { REELAY_STAGES: 'submit,poll' })).toBe(false);
  });

  it('REELAY_LEAN_HEAP forces it either way', () => {
    expect(wantsLeanHeap(['--stage', 'poll'], { REELAY_LEAN_HEAP: 'true' })).toBe(true);
    expect(wantsLeanHeap(['--stage', 'download'], { REELAY_LEAN_HEAP: 'false' })).toBe(false);
    expect(wantsLeanHeap(['--stage', 'download'], { REELAY_LEAN_HEAP: '' })).toBe(true);
  });
});

/**
 * A child process that imports lean-heap.ts, then allocates `mib` MiB of short-lived 64 KiB
 * ArrayBuffers the way a streamed download does (a few alive at a time, each dropped within a tick),
 * and prints the most ArrayBuffer memory it saw.
 */
async function peakArrayBuffersMb(env: Record<string, string>, mib: number): Promise<number> {
  const leanHeap = new URL('../src/lean-heap.ts', import.meta.url).href;
  const script = `
    await import(${JSON.stringify(leanHeap)});
    let peak = 0;
    const live = [];
    for (let i = 0; i < ${mib * 16}; i++) {
      live.push(new Uint8Array(65536).fill(1));
      if (live.length > 4) live.shift();
      // Let the pacer's timer run, as the event loop does between socket reads.
      if (i % 32 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
    }
    console.log(peak / 1048576);`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  return Number(stdout.trim());
}

describe('GC pacer (lean heap)', () => {
  it('keeps dead ArrayBuffers of a fast stream to a few MiB; without it they pile up to tens of MiB', async () => {
    const paced = await peakArrayBuffersMb({ REELAY_LEAN_HEAP: 'true' }, 512);
    const unpaced = await peakArrayBuffersMb({ REELAY_LEAN_HEAP: 'false' }, 512);
    expect(paced).toBeLessThan(32);
    expect(unpaced).toBeGreaterThan(48);
  }, 60_000);
});

/**
 * A WebAssembly module, hex: `(func (export "f") (param $n i32) (result i32) (local $sum i32)
 * (loop (local.set $sum (i32.add $sum $n)) (br_if 0 (local.tee $n (i32.sub $n 1)))) $sum)`, a hot loop.
 */
const SUM_WASM = [
  '0061736d01000000', // magic, version
  '01060160017f017f', // type section: (i32) -> i32
  '03020100', // function section: function 0 has type 0
  '07050101660000', // export section: "f" = function 0
  '0a1b0119', // code section: one body of 25 bytes
  '01017f', // one i32 local
  '0340', // loop
  '200120006a2101', // sum += n
  '200041016b2200', // n -= 1 (tee)
  '0d000b', // br_if 0, end loop
  '20010b', // return sum
].join('');

/**
 * A child process that imports lean-heap.ts, then calls an exported WebAssembly function until V8
 * has recompiled it with TurboFan (at most 2,000 calls). Tier-up runs synchronously
 * (`--wasm-sync-tier-up`), so "not yet" cannot be mistaken for "never".
 */
async function wasmTierUp(env: Record<string, string>): Promise<{ turboFan: boolean; calls: number }> {
  const leanHeap = new URL('../src/lean-heap.ts', import.meta.url).href;
  const script = `
    const { setFlagsFromString } = await import('node:v8');
    setFlagsFromString('--wasm-sync-tier-up');
    setFlagsFromString('--allow-natives-syntax');
    await import(${JSON.stringify(leanHeap)});
    const bytes = Buffer.from('${SUM_WASM}', 'hex');
    const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes));
    if (exports.f(10) !== 55) throw new Error('wrong module');
    const isTurboFan = new Function('f', 'return %IsTurboFanFunction(f)');
    let calls = 0;
    while (calls < 2000 && !isTurboFan(exports.f)) {
      exports.f(10000);
      calls++;
    }
    console.log(JSON.stringify({ turboFan: isTurboFan(exports.f), calls }));`;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env },
  });
  return JSON.parse(stdout.trim()) as { turboFan: boolean; calls: number };
}

describe('WebAssembly tiers (lean heap)', () => {
  it('keeps hot WebAssembly (fetch’s HTTP parser) in Liftoff; without lean heap V8 recompiles it with TurboFan', async () => {
    const lean = await wasmTierUp({ REELAY_LEAN_HEAP: 'true' });
    const plain = await wasmTierUp({ REELAY_LEAN_HEAP: 'false' });
    expect(lean).toEqual({ turboFan: false, calls: 2000 });
    expect(plain.turboFan).toBe(true);
  }, 30_000);
});

describe('settleHeap (lean heap)', () => {
  it('collects garbage that startup left in the old generation', async () => {
    const leanHeap = new URL('../src/lean-heap.ts', import.meta.url).href;
    // ~30 MB of objects alive across young-generation GCs (so promoted), then dropped, as a module
    // graph's load leaves its parse-time garbage.
    const script = `
      const { settleHeap } = await import(${JSON.stringify(leanHeap)});
      const { getHeapStatistics } = await import('node:v8');
      let startup = Array.from({ length: 300_000 }, (_, i) => ({ i, name: 'module-' + i }));
      startup = startup.length;
      const before = getHeapStatistics().used_heap_size;
      settleHeap();
      const after = getHeapStatistics().used_heap_size;
      console.log(JSON.stringify({ freedMb: (before - after) / 1048576 }));`;
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, REELAY_LEAN_HEAP: 'true' },
    });
    const { freedMb } = JSON.parse(stdout.trim()) as { freedMb: number };
    expect(freedMb).toBeGreaterThan(15);
  });
});

/**
 * Every output line of a worker started through the launcher with V8's `--trace-gc`, from its start
 * until it exited after logging ready (stopped with SIGTERM then).
 */
async function gcTraceUntilReady(stage: string, redis: RedisFixture): Promise<string[]> {
  const launcher = fileURLToPath(new URL('../bin/reelay-worker.js', import.meta.url));
  const child = spawn(process.execPath, ['--trace-gc', launcher, '--stage', stage], {
    env: {
      ...process.env,
      REDIS_URL: redis.url,
      REELAY_PREFIX: redis.prefix(stage),
      REELAY_WORKER_PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // 'close', not 'exit': it comes once both output streams are read to the end.
  const closed = once(child, 'close');
  await new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"worker ready"')) resolve();
      });
    }
    void closed.then(() =>
      reject(new Error(`the ${stage} worker exited before ready:\n${lines.join('\n')}`)),
    );
  });
  child.kill('SIGTERM');
  await closed;
  return lines;
}

describe('settleHeap in a started worker', () => {
  let redis: RedisFixture;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(() => redis.stop());

  // V8 traces a GC asked for through its `gc()` with the reason "testing"; in a worker only settleHeap
  // asks for a full one (the GC pacer asks for young-generation ones).
  const requestedFullGcs = (lines: string[]) => lines.filter((l) => /Mark-Compact.*\btesting\b/.test(l));

  it('a download worker has asked for one full GC by the time it is ready; a poll worker (no lean heap) for none', async () => {
    const download = await gcTraceUntilReady('download', redis);
    const poll = await gcTraceUntilReady('poll', redis);
    expect(requestedFullGcs(download)).toHaveLength(1);
    expect(requestedFullGcs(poll)).toHaveLength(0);
    // Both traced their GCs at all (the flag reached V8).
    expect(poll.some((l) => l.includes('Scavenge') || l.includes('Mark-Compact'))).toBe(true);
  }, 60_000);
});

describe('young generation after an idle shrink (lean heap)', () => {
  it('grows again under load, so a worker that idled does not stream with a 1 MB young generation', async () => {
    // Started at 1 MB, where V8 leaves an idle process's young generation; then objects that live
    // across a few scavenges, as a busy stage's do. At growth factor 1 it stayed at 1–2 MB for good
    // and a download that followed ran at half speed on 2.5× the CPU (see lean-heap.ts).
    const leanHeap = new URL('../src/lean-heap.ts', import.meta.url).href;
    const script = `
      await import(${JSON.stringify(leanHeap)});
      const { getHeapSpaceStatistics } = await import('node:v8');
      const size = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size;
      const before = size();
      const keep = new Array(20_000);
      for (let i = 0; i < 200_000; i++) keep[i % keep.length] = { i, s: 'x'.repeat(16) };
      console.log(JSON.stringify({ before, after: size() }));`;
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--min-semi-space-size=1', '--input-type=module', '-e', script],
      { env: { ...process.env, REELAY_LEAN_HEAP: 'true' } },
    );
    const { before, after } = JSON.parse(stdout) as { before: number; after: number };
    expect(after).toBeGreaterThanOrEqual(4 * before);
  });
});
