import { Counter, Histogram, type Registry } from 'prom-client';

/** Label values the catalogue allows (infra/test/lib/metrics.ts checks dashboards against them). */
export const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'active',
  'delayed',
  'failed',
  'completed',
  'paused',
] as const;
export type QueueState = (typeof QUEUE_STATES)[number];
export type StageOutcome = 'completed' | 'failed' | 'delayed';
export type TerminalStatus = 'completed' | 'failed' | 'cancelled';

/**
 * Stage runs take from a few ms (a poll that finds nothing new) to minutes (a large download), so the
 * buckets span 5 ms to 10 min.
 */
const STAGE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The event-driven metrics (counters and histograms); scrape-time gauges live in collectors.ts. */
export function createEventMetrics(registry: Registry) {
  const registers = [registry];
  return {
    stageDuration: new Histogram({
      name: 'reelay_stage_duration_seconds',
      help: 'Time one stage job ran in this process, by outcome (delayed = a poll that reschedules itself)',
      labelNames: ['stage', 'outcome'] as const,
      buckets: STAGE_BUCKETS,
      registers,
    }),
    providerRequests: new Counter({
      name: 'reelay_provider_requests_total',
      help: 'Provider HTTP responses by endpoint and status code',
      labelNames: ['endpoint', 'status'] as const,
      registers,
    }),
    providerRateLimited: new Counter({
      name: 'reelay_provider_rate_limited_total',
      help: 'Provider responses with status 429, by endpoint',
      labelNames: ['endpoint'] as const,
      registers,
    }),
    generations: new Counter({
      name: 'reelay_generations_total',
      help: 'Generations this process moved to a terminal status',
      labelNames: ['status'] as const,
      registers,
    }),
    cost: new Counter({
      name: 'reelay_cost_usd_total',
      help: 'Settled cost of generations this process finished, USD',
      labelNames: ['tenant', 'model'] as const,
      registers,
    }),
  };
}

export type EventMetrics = ReturnType<typeof createEventMetrics>;
