import { describe, expect, it } from 'vitest';
import { wantsLeanHeap } from '../src/lean-heap.ts';

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
