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
