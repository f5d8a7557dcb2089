import type { GenerationRecord } from '@reelay/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE, seededRng, sized } from '../src/scale.ts';
import { type ChaosStack, checkStored, sampleActiveAges, startChaosStack } from '../src/stack.ts';
import { type WorkerPool, every, startWorkerPool } from '../src/worker-pool.ts';

// Scenario 1, killed workers: SIGKILL a random worker process of any stage every 1–3 s while the
// generations run, and start a new one in its place (as a ReplicaSet would). The simulator ignores
// Idempotency-Key, so only Reelay's ledger stands between a killed submit and a second paid video.

const N = sized(50, 500);
/** Generations arrive over this long, so kills land on every stage while work keeps coming. */
const ARRIVAL_MS = sized(15_000, 150_000);
/** 40×: a 4 s clip (≈ 74 s at the provider) takes ≈ 2 s, so many generations are mid-flight at each kill. */
const TIME_SCALE = 40;
/** BullMQ's stalled-job check (REELAY_STALLED_INTERVAL_MS): one pass marks a dead worker's job, the next moves it back. */
const STALLED_INTERVAL_MS = 2000;
/**
 * Allowed on top of the 2 × interval bound: the job's own work before the kill (it counts from when the
 * worker took the job), the 100 ms sampling, and timer latency on a loaded 2-core box.
 */
const LATENCY_ALLOWANCE_MS = 1500;

let stack: ChaosStack | undefined;
let pool: WorkerPool | undefined;
afterEach(async () => {
  pool?.stop();
  await stack?.close();
  stack = undefined;
  pool = undefined;
});

describe(`chaos: killed workers (${SCALE})`, () => {
  it(`completes ${N}/${N}, pays ${N} videos and stores each once while worker processes are SIGKILLed`, async () => {
    const rng = seededRng('killed_workers');
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-kill',
      // A real hour of asset lifetime is far longer than any recovery here; at 40× it would be 90 s.
      timeScale: TIME_SCALE,
      simFlags: {
        idempotency: false,
        ttlSeconds: TIME_SCALE * 3600,
        // Large enough that a download takes a moment, so some kills land mid-stream.
        videoBytes: 256 * 1024,
        seed: `kill-${rng.seed}`,
      },
      workerEnv: {
        REELAY_LOCK_DURATION_MS: '1000',
        REELAY_STALLED_INTERVAL_MS: String(STALLED_INTERVAL_MS),
        REELAY_SWEEP_INTERVAL_MS: '3000',
        REELAY_SUBMIT_CONCURRENCY: '4',
        REELAY_DOWNLOAD_CONCURRENCY: '4',
      },
    });
    pool = await startWorkerPool(stack, { submit: 2, poll: 2, download: 2 });
    const ages = sampleActiveAges(stack.queues);
    const monkey = every(rng, 1000, 3000, () => pool!.killRandom(rng));
    let records: GenerationRecord[];
    try {
      const ids = await stack.enqueue(N, { label: 'killed workers clip', overMs: ARRIVAL_MS });
      records = await stack.waitTerminal(ids, sized(90_000, 900_000));
    } finally {
      await monkey.stop();
      await ages.stop();
    }
    const stats = await stack.sim.stats<{ videosCreated: number }>();
    const stored = await checkStored(stack, records);
    const figures = {
      generations: N,
      kills: pool.kills(),
      completed: stored.completed,
      videos_created: stats.videosCreated,
      duplicates: stats.videosCreated - stored.distinctVideos,
      lost: N - stored.completed,
      stored_objects: stored.videoObjects,
      matching_objects: stored.matching,
      visible_strays: stored.strays.length,
      partial_temp_files: stored.crashLeftovers.length,
      max_stuck_ms: ages.max(),
      stalled_interval_ms: STALLED_INTERVAL_MS,
    };
    await recordFigures('killed_workers', figures, {
      seed: rng.seed,
      seconds: (Date.now() - startedAt) / 1000,
    });

    expect(records.filter((r) => r.status !== 'completed').map((r) => [r.id, r.status, r.error])).toEqual([]);
    expect(stats.videosCreated).toBe(N);
    expect(stored.distinctVideos).toBe(N);
    expect(stored.videoObjects).toBe(N);
    expect(stored.matching).toBe(N);
    // Nothing at any other key; a download SIGKILLed mid-put may leave a hidden temp file beside its
    // key (counted as partial_temp_files, see GUARANTEES.md), never a partial object at a key.
    expect(stored.strays).toEqual([]);
    expect(pool.kills()).toBeGreaterThan(0);
    expect(ages.max(), `longest held job: ${ages.maxJob()}`).toBeLessThanOrEqual(
      2 * STALLED_INTERVAL_MS + LATENCY_ALLOWANCE_MS,
    );
  });
});
