import { type Harness, createHarness } from '../apps/worker/test/harness.ts';
import { createLogger } from '../packages/core/src/index.ts';
import {
  type FairDispatcher,
  enqueueGeneration,
  resolvePipelineOptions,
  startFairDispatcher,
} from '../packages/pipeline/src/index.ts';

// Two figures, each from a private pipeline (own Redis prefix, simulator, worker processes per stage,
// all on 127.0.0.1), each bounded in time:
//
// fairness.light_tenant_slowdown — a light tenant's 10 generations, enqueued behind a heavy tenant's
//   300, against a provider taking 10 creates/s: time from the light enqueue to its last completion,
//   divided by the same with the light tenant alone on a provider taking 5 creates/s (its fair share
//   of two equal-weight tenants). Target ≤ 2; FIFO would give ≈ 300/10 s ÷ ~2 s ≈ 15.
//
// cost.duplicate_creates — 500 generations at a provider without idempotency while submit workers
//   SIGKILL themselves between the paid create and the record write (fault hook at rate 0.05) and are
//   restarted: videos the simulator billed minus generations. Target 0.

const LIGHT = 10;
const HEAVY = 300;
const CREATES_PER_SECOND = 10;
const logger = createLogger({ name: 'bench', level: 'warn', format: 'json' });

async function withDispatcher<T>(h: Harness, run: () => Promise<T>): Promise<T> {
  const dispatcher: FairDispatcher = startFairDispatcher(
    { store: h.store, queues: h.queues, logger },
    h.connection,
    { readyWindow: 4 },
  );
  try {
    const deadline = Date.now() + 10_000;
    while ((await h.connection.exists(`${h.prefix}:fair:alive`)) !== 1) {
      if (Date.now() > deadline) throw new Error('fair dispatcher did not start');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return await run();
  } finally {
    await dispatcher.close();
  }
}

/** Seconds from the light tenant's enqueue to its last completed generation. */
async function lightCompletionSeconds(createsPerSecond: number, heavy: number): Promise<number> {
  const h = await createHarness({ createRpm: createsPerSecond, windowMs: 1000 });
  try {
    await Promise.all([
      h.start('submit', { REELAY_SUBMIT_CONCURRENCY: '4' }),
      h.start('poll'),
      h.start('download'),
    ]);
    return await withDispatcher(h, async () => {
      const ctx = { store: h.store, queues: h.queues, options: resolvePipelineOptions() };
      await Promise.all(
        Array.from({ length: heavy }, (_, i) =>
          enqueueGeneration(ctx, { prompt: `heavy ${i}` }, { tenant: 'heavy' }),
        ),
      );
      const start = Date.now();
      const light: string[] = [];
      for (let i = 0; i < LIGHT; i++) {
        light.push((await enqueueGeneration(ctx, { prompt: `light ${i}` }, { tenant: 'light' })).id);
      }
      const records = await h.waitAll(light, 40_000);
      if (records.some((r) => r.status !== 'completed'))
        throw new Error('a light generation did not complete');
      return (Math.max(...records.map((r) => r.timings.completedAt ?? 0)) - start) / 1000;
    });
  } finally {
    await h.close();
  }
}

export async function benchFairness(): Promise<Record<string, number>> {
  const alone = await lightCompletionSeconds(CREATES_PER_SECOND / 2, 0);
  const shared = await lightCompletionSeconds(CREATES_PER_SECOND, HEAVY);
  return {
    'fairness.light_tenant_slowdown': Number((shared / alone).toFixed(3)),
    'fairness.light_alone_s': Number(alone.toFixed(3)),
    'fairness.light_with_heavy_s': Number(shared.toFixed(3)),
  };
}

const GENERATIONS = 500;
const SUBMIT_PROCESSES = 6;
const EXACTLY_ONCE_BUDGET_MS = 80_000;

export async function benchExactlyOnce(): Promise<Record<string, number>> {
  const h = await createHarness(
    { idempotency: false, timeScale: 2000, videoBytes: 16 * 1024, ttlSeconds: 2000 * 3600 },
    { REELAY_PROVIDER_TIME_SCALE: '2000' },
  );
  let stopping = false;
  let kills = 0;
  const env = {
    REELAY_FAULT_CRASH_AFTER_CREATE: '0.05',
    REELAY_SUBMIT_CONCURRENCY: '1',
    REELAY_LOCK_DURATION_MS: '1000',
    REELAY_STALLED_INTERVAL_MS: '500',
  };
  const keepOne = async (): Promise<void> => {
    while (!stopping) {
      try {
        await (await h.start('submit', env)).exited;
      } catch {
        // died before it was ready: counted below like any other death
      }
      if (!stopping) kills++;
    }
  };
  try {
    for (let i = 0; i < SUBMIT_PROCESSES; i++) void keepOne();
    await Promise.all([h.start('poll'), h.start('download', { REELAY_DOWNLOAD_CONCURRENCY: '16' })]);
    // A fifth of the generations share one request, so reconciliation must tell them apart.
    const ids = [
      ...(await h.enqueue(GENERATIONS * 0.8)),
      ...(await h.enqueue(GENERATIONS * 0.2, { prompt: 'one request, asked for many times' })),
    ];
    const deadline = Date.now() + EXACTLY_ONCE_BUDGET_MS;
    let completed = 0;
    while (Date.now() < deadline) {
      completed = await h.store.countByStatus('completed');
      if (completed + (await h.store.countByStatus('failed')) >= ids.length) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const stats = await h.sim.stats<{ videosCreated: number }>();
    // Every generation that left `queued` has at most one billed video if the ledger holds (one still
    // mid-create may have none yet, so an unfinished run can only under-count, by ≤ SUBMIT_PROCESSES;
    // `cost.exactly_once_completed` says whether it finished).
    let started = 0;
    for (const id of ids) if ((await h.store.get(id))?.status !== 'queued') started++;
    return {
      'cost.duplicate_creates': stats.videosCreated - started,
      'cost.exactly_once_completed': completed,
      'cost.exactly_once_generations': ids.length,
      'cost.submit_worker_kills': kills,
    };
  } finally {
    stopping = true;
    await h.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify({ ...(await benchFairness()), ...(await benchExactlyOnce()) }, null, 2));
}
