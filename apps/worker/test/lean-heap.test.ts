import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
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
