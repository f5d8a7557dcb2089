import type { Queue } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { Stage } from '../catalog.ts';
import type { StageQueues } from '../queues.ts';

/** One scope's figures, as the admission's `snapshot()` reports them (structural: core knows no pipeline). */
export interface SpendLineReading {
  spentUsd: number;
  reservedUsd: number;
  /** 0 = no limit. */
  limitUsd: number;
}

export interface SpendReading {
  global: { day: SpendLineReading; month: SpendLineReading };
  tenants: Record<string, { day: SpendLineReading; month: SpendLineReading }>;
  inFlight: number;
}

/** Where the scrape-time gauges read from; a gauge without a source is not exported. */
export interface ScrapeSources {
  /** The stage queues: `reelay_queue_jobs`, `reelay_queue_oldest_waiting_seconds`. */
  queues?: StageQueues | undefined;
  /** The admission's snapshot: `reelay_in_flight`, `reelay_spend_usd`, `reelay_budget_usd`. */
  spend?: (() => Promise<SpendReading>) | undefined;
  /** `reelay_in_flight_cap`; 0 = none. */
  inFlightCap?: number | undefined;
}

/**
 * Several gauges are filled from one read (the spend snapshot; the queues' counts). prom-client asks
 * each gauge separately, so one read serves every gauge of a scrape: the promise is reused while it
 * runs and for a moment after.
 */
function shared<T>(read: () => Promise<T>, keepMs = 250): () => Promise<T> {
  let last: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at > keepMs) {
      const value = read();
      last = { at: now, value };
      value.catch(() => {
        last = undefined;
      });
    }
    return last.value;
  };
}

interface QueueReading {
  counts: Record<string, number>;
  paused: boolean;
  oldestMs: number | undefined;
}

async function readQueue(queue: Queue): Promise<QueueReading> {
  const [counts, paused, ready] = await Promise.all([
    queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'),
    queue.isPaused(),
    // The next job of each ready list (wait is FIFO; prioritized is next by priority, close enough
    // to the oldest for a backlog-age signal).
    queue.getJobs(['wait', 'prioritized'], 0, 0, true),
  ]);
  const stamps = ready.map((j) => j?.timestamp).filter((t): t is number => typeof t === 'number');
  return { counts, paused, oldestMs: stamps.length > 0 ? Math.min(...stamps) : undefined };
}

const OTHER_STATES = ['prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

/** The gauges read from Redis when Prometheus scrapes (collect callbacks), registered in `registry`. */
export function createScrapeGauges(registry: Registry, sources: ScrapeSources): void {
  const registers = [registry];
  const { queues, spend } = sources;
  if (queues) {
    const read = shared(() =>
      Promise.all(
        (Object.entries(queues) as [Stage, Queue][]).map(
          async ([stage, q]) => [stage, await readQueue(q)] as const,
        ),
      ),
    );
    new Gauge({
      name: 'reelay_queue_jobs',
      help: 'Jobs per queue and state (a paused queue reports its waiting jobs as paused)',
      labelNames: ['queue', 'state'] as const,
      registers,
      async collect() {
        this.reset();
        for (const [queue, r] of await read()) {
          // BullMQ 6 keeps a paused queue's jobs in `wait`: report them as paused, so a scaler
          // reading waiting+prioritized does not add replicas to a stage an operator stopped.
          const waiting = r.counts['waiting'] ?? 0;
          this.set({ queue, state: 'waiting' }, r.paused ? 0 : waiting);
          this.set({ queue, state: 'paused' }, r.paused ? waiting : 0);
          for (const state of OTHER_STATES) this.set({ queue, state }, r.counts[state] ?? 0);
        }
      },
    });
    new Gauge({
      name: 'reelay_queue_oldest_waiting_seconds',
      help: 'Age of the next job ready to run (waiting or prioritized), seconds; 0 when none',
      labelNames: ['queue'] as const,
      registers,
      async collect() {
        this.reset();
        const now = Date.now();
        for (const [queue, r] of await read()) {
          this.set({ queue }, r.oldestMs === undefined ? 0 : Math.max(0, (now - r.oldestMs) / 1000));
        }
      },
    });
  }
  if (sources.inFlightCap !== undefined) {
    new Gauge({
      name: 'reelay_in_flight_cap',
      help: 'The in-flight cap for all replicas; 0 = none',
      registers,
    }).set(sources.inFlightCap);
  }
  if (spend) {
    const read = shared(spend);
    new Gauge({
      name: 'reelay_in_flight',
      help: 'Generations submitted and not yet finished at the provider (in-flight leases held)',
      registers,
      async collect() {
        this.set((await read()).inFlight);
      },
    });
    const perScope = (name: string, help: string, pick: (line: SpendLineReading) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['scope', 'period'] as const,
        registers,
        async collect() {
          const s = await read();
          const tenants = Object.values(s.tenants);
          for (const period of ['day', 'month'] as const) {
            this.set({ scope: 'global', period }, pick(s.global[period]));
            this.set({ scope: 'tenant', period }, Math.max(0, ...tenants.map((t) => pick(t[period]))));
          }
        },
      });
    perScope(
      'reelay_spend_usd',
      'Spent plus reserved in the current period, USD (scope=tenant: the highest tenant)',
      committed,
    );
    perScope(
      'reelay_budget_usd',
      'Budget of the current period, USD; 0 = none (scope=tenant: the highest tenant budget)',
      (line) => line.limitUsd,
    );
  }
}

/** What counts against a budget: settled spend plus the reservations of generations still running. */
function committed(line: SpendLineReading): number {
  return line.spentUsd + line.reservedUsd;
}
