import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE, seededRng, sized } from '../src/scale.ts';
import { type ChaosStack, checkStored, startChaosStack } from '../src/stack.ts';

// Scenario 5, expiry: downloads are held back (the download queue paused) until the provider's
// `expires_at` has passed, and every download attempt made meanwhile is cut mid-stream. Those
// generations must fail with a clear `asset_expired`, leaving no object — partial or whole — in the
// store; a first batch with living assets, some of its downloads cut too, is stored intact beside them.

const N_LIVE = sized(10, 50);
const N_EXPIRING = sized(10, 50);
const TIME_SCALE = 40;
/** The expiring batch's asset lifetime, wall seconds (provider seconds ÷ time scale). */
const TTL_WALL_S = 2;

let stack: ChaosStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe(`chaos: expiry (${SCALE})`, () => {
  it('fails held-back downloads with asset_expired and never leaves a partial object in the store', async () => {
    const rng = seededRng('expiry');
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-expiry',
      timeScale: TIME_SCALE,
      // Retries spread over seconds: cut attempts keep going until the asset is gone.
      retryBaseMs: 200,
      simFlags: {
        ttlSeconds: TIME_SCALE * 3600,
        videoBytes: 256 * 1024,
        // A quarter of the streams cut: all 8 attempts of one download cut has odds 0.25^8 ≈ 1.5e-5.
        dropDownloadRate: 0.25,
        dropAfterBytes: 64 * 1024,
        seed: `expiry-${rng.seed}`,
      },
    });
    const s = stack;
    await Promise.all([s.start('submit'), s.start('poll'), s.start('download')]);

    // Batch 1: assets that live an hour; some downloads are cut and retried.
    const live = await s.waitTerminal(await s.enqueue(N_LIVE, { label: 'living asset clip' }), 90_000);

    // Batch 2: assets that live TTL_WALL_S; downloads held back, and every stream cut midway.
    const afterLive = await s.sim.stats<{ downloadsDropped: number }>();
    await s.queues.download.pause();
    await s.sim.configure({ ttlSeconds: TIME_SCALE * TTL_WALL_S, dropDownloadRate: 1 });
    const expiringIds = await s.enqueue(N_EXPIRING, { label: 'expiring asset clip' });
    await waitFor(
      async () => {
        for (const id of expiringIds) if ((await s.store.get(id))?.status !== 'downloading') return false;
        return true;
      },
      { timeoutMs: 60_000, message: 'the expiring batch waiting for its downloads' },
    );
    await s.queues.download.resume();
    const expiring = await s.waitTerminal(expiringIds, 90_000);

    const stats = await s.sim.stats<{ downloadsDropped: number; contentRequests: number }>();
    const stored = await checkStored(s, [...live, ...expiring]);
    const expired = expiring.filter((r) => r.status === 'failed' && r.error?.code === 'asset_expired');
    await recordFigures(
      'expiry',
      {
        generations: N_LIVE + N_EXPIRING,
        held_back: N_EXPIRING,
        asset_expired: expired.length,
        live_completed: live.filter((r) => r.status === 'completed').length,
        downloads_cut: stats.downloadsDropped,
        expiring_downloads_cut: stats.downloadsDropped - afterLive.downloadsDropped,
        content_requests: stats.contentRequests,
        corrupt_objects: stored.corrupt.length + stored.strays.length + stored.crashLeftovers.length,
      },
      { seed: rng.seed, seconds: (Date.now() - startedAt) / 1000 },
    );

    expect(live.map((r) => r.status)).toEqual(live.map(() => 'completed'));
    expect(expiring.map((r) => [r.status, r.error?.code])).toEqual(
      expiring.map(() => ['failed', 'asset_expired']),
    );
    for (const record of expiring) expect(record.storage).toBeUndefined();
    // Nothing but the living batch's videos and manifests, each exactly the bytes the provider served.
    expect(stored.strays).toEqual([]);
    // No process was killed here: a failed put must have cleaned its temp file up.
    expect(stored.crashLeftovers).toEqual([]);
    expect(stored.corrupt).toEqual([]);
    expect(stored.matching).toBe(N_LIVE);
    expect(stats.downloadsDropped).toBeGreaterThan(0);
  });
});
