import type { GenerationRecord } from '@reelay/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE, seededRng, sized } from '../src/scale.ts';
import { type ChaosStack, checkStored, startChaosStack } from '../src/stack.ts';

// Scenario 3, provider outage: every provider request is answered 503 for 60 s while generations are
// at every stage, then the provider recovers. All must complete afterwards, none paid twice, and the
// requests sent during the outage are bounded by the retry backoff and reported.
//
// Time-scaled: the outage is 60 s ÷ SPEEDUP of wall time and the workers' first retry delay is the
// production 1 s ÷ SPEEDUP, so the outage spans the same number of backoff steps as a real 60 s one.
// `full` runs it unscaled: a real 60 s outage against the production retry delay.

const SPEEDUP = sized(15, 1);
const OUTAGE_MS = Math.round(60_000 / SPEEDUP);
const RETRY_BASE_MS = Math.round(1000 / SPEEDUP);
const N = sized(20, 100);
const ARRIVAL_MS = sized(3000, 20_000);
/** Provider speed: a 4 s clip takes ≈ 2 s (ci) or ≈ 7 s (full), well inside the generation deadline. */
const TIME_SCALE = sized(40, 10);
/**
 * Requests one generation may send during an outage of OUTAGE_MS: one per attempt (two for a submit
 * that reconciles: list, then create), attempts spaced by exponential backoff from RETRY_BASE_MS with
 * jitter (each delay at least half its nominal value), plus the one in flight when it began.
 */
const MAX_REQUESTS_PER_GENERATION = 2 * (Math.ceil(Math.log2((2 * OUTAGE_MS) / RETRY_BASE_MS + 1)) + 1);

interface Counters {
  createRequests: number;
  retrieveRequests: number;
  contentRequests: number;
  listRequests: number;
  serverErrors: number;
  videosCreated: number;
}
const requests = (c: Counters) => c.createRequests + c.retrieveRequests + c.contentRequests + c.listRequests;

let stack: ChaosStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe(`chaos: provider outage (${SCALE})`, () => {
  it(`completes every generation after ${OUTAGE_MS / 1000} s of 503s, with the requests sent meanwhile bounded`, async () => {
    const rng = seededRng('provider_outage');
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-outage',
      timeScale: TIME_SCALE,
      retryBaseMs: RETRY_BASE_MS,
      simFlags: { idempotency: false, ttlSeconds: TIME_SCALE * 3600, seed: `outage-${rng.seed}` },
    });
    const s = stack;
    await Promise.all([s.start('submit'), s.start('poll'), s.start('download')]);

    const arriving = s.enqueue(N, { label: 'provider outage clip', overMs: ARRIVAL_MS });
    // The outage begins halfway through the arrivals: generations are queued, generating and downloading.
    await new Promise((resolve) => setTimeout(resolve, ARRIVAL_MS / 2));
    const before = await s.sim.stats<Counters>();
    await s.sim.configure({ serverErrorRate: 1, serverErrorStatus: 503 });
    const outageBegan = Date.now();
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    await s.sim.configure({ serverErrorRate: 0 });
    const outageMs = Date.now() - outageBegan;
    const during = await s.sim.stats<Counters>();
    const ids = await arriving;
    const records: GenerationRecord[] = await s.waitTerminal(ids, sized(90_000, 600_000));
    const recoveredAfterMs = Date.now() - outageBegan - outageMs;
    const after = await s.sim.stats<Counters>();
    const stored = await checkStored(s, records);
    const duringOutage = requests(during) - requests(before);
    await recordFigures(
      'provider_outage',
      {
        generations: N,
        outage_ms: outageMs,
        speedup: SPEEDUP,
        requests_during_outage: duringOutage,
        requests_during_outage_per_generation: Math.round((duringOutage / N) * 100) / 100,
        request_bound_per_generation: MAX_REQUESTS_PER_GENERATION,
        server_errors: after.serverErrors,
        completed: stored.completed,
        lost: N - stored.completed,
        videos_created: after.videosCreated,
        duplicates: after.videosCreated - stored.distinctVideos,
        recovered_after_ms: recoveredAfterMs,
      },
      { seed: rng.seed, seconds: (Date.now() - startedAt) / 1000 },
    );

    expect(records.filter((r) => r.status !== 'completed').map((r) => [r.id, r.status, r.error])).toEqual([]);
    expect(after.videosCreated).toBe(N);
    expect(stored.matching).toBe(N);
    expect(stored.strays).toEqual([]);
    // No process was killed here: a failed put must have cleaned its temp file up.
    expect(stored.crashLeftovers).toEqual([]);
    // The outage really hit, and the workers backed off instead of hammering the provider.
    expect(after.serverErrors).toBeGreaterThan(0);
    // Bounded with every generation counted as unfinished when the outage began (an upper bound).
    expect(duringOutage).toBeLessThanOrEqual(N * MAX_REQUESTS_PER_GENERATION);
  });
});
