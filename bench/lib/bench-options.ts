/**
 * Settings of the pipeline, poll and download benchmarks. Every field: unit, default, why. Sizes can be
 * overridden by environment for a quicker or longer run; `resolveBenchOptions` applies the defaults once.
 */
export interface BenchOptions {
  /** Generations (and raw jobs) in the measured throughput run. Default 2000 (`REELAY_BENCH_N`): long
   * enough (a few seconds) that start-up and the last stragglers weigh little. */
  throughputCount: number;
  /** Measured rounds of each (raw, then pipeline, alternating); the best of each counts. Default 2
   * (`REELAY_BENCH_ROUNDS`). */
  throughputRounds: number;
  /** Generations (and raw jobs) pushed through first, unmeasured, to warm JIT, pools and scripts. Default 200. */
  warmupCount: number;
  /** Enqueue calls (and raw adds) in flight at once. Default 50: a busy producer, not one at a time. */
  enqueueConcurrency: number;
  /** Jobs at once per stage process, the same for the raw baseline's stages. Default submit 64, poll 128,
   * download 64: enough that no stage waits on its own concurrency at zero provider latency. */
  concurrency: { submit: number; poll: number; download: number };
  /** Simulator time scale of the throughput run. Default 1e6 (its maximum): a 70 s clip takes 70 µs,
   * so the provider adds no latency. The simulator has no separate zero-latency mode. */
  zeroLatencyScale: number;
  /** `REELAY_PROVIDER_TIME_SCALE` of the workers in the throughput and download runs. Default 1e5, the
   * worker's maximum: the first poll lands at its 20 ms floor. */
  workerFastScale: number;
  /** Size of each simulated video in the throughput run, bytes. Default 1 KiB (the simulator serves its
   * ≈ 9 KB real clip at minimum). */
  throughputVideoBytes: number;
  /** Time scale of the poll runs (simulator and workers alike). Default 25 (`REELAY_BENCH_POLL_SCALE`):
   * a 74 s clip takes 3 s. Hops between processes (tens of ms of real time, which do not shrink with
   * a provider's speed) then weigh on the ratio about as much as they would at real durations / 10;
   * at 200× they alone would exceed a tenth of a generation. */
  pollScale: number;
  /** Generations per poll run (poll-only, fixed 10 s poller, webhooks), all enqueued at once. Default 120
   * (`REELAY_BENCH_POLL_N`): 40 each of 4, 8 and 12 s clips. */
  pollCount: number;
  /** Generations pushed through each poll stack first, unmeasured: a cold worker's first calls are slow
   * enough to distort a few hundred ms of time-scaled generation. Default 20. */
  pollWarmupCount: number;
  /** Videos in the download run. Default 8. */
  downloadCount: number;
  /** Bytes of each downloaded video. Default 256 MiB (`REELAY_BENCH_VIDEO_MB`). */
  downloadVideoBytes: number;
  /** Downloads at once: `REELAY_DOWNLOAD_CONCURRENCY` of the worker and lanes of the plain copy. Default 4. */
  downloadConcurrency: number;
  /** Longest wait for one measured run before it is reported as an error, ms. Default 90 000. */
  runTimeoutMs: number;
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0)
    throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function resolveBenchOptions(): BenchOptions {
  return {
    throughputCount: Math.round(envNumber('REELAY_BENCH_N', 2000)),
    throughputRounds: Math.round(envNumber('REELAY_BENCH_ROUNDS', 2)),
    warmupCount: 200,
    enqueueConcurrency: 50,
    concurrency: { submit: 64, poll: 128, download: 64 },
    zeroLatencyScale: 1_000_000,
    workerFastScale: 100_000,
    throughputVideoBytes: 1024,
    pollScale: envNumber('REELAY_BENCH_POLL_SCALE', 25),
    pollCount: Math.round(envNumber('REELAY_BENCH_POLL_N', 120)),
    pollWarmupCount: 20,
    downloadCount: 8,
    downloadVideoBytes: Math.round(envNumber('REELAY_BENCH_VIDEO_MB', 256) * 1024 * 1024),
    downloadConcurrency: 4,
    runTimeoutMs: 90_000,
  };
}
