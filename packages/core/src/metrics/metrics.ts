import { Registry, collectDefaultMetrics } from 'prom-client';
import type { GenerationRecord } from '../record.ts';
import { type EventMetrics, type StageOutcome, type TerminalStatus, createEventMetrics } from './catalog.ts';
import { createScrapeGauges } from './collectors.ts';
import type { MetricsOptions } from './metrics-options.ts';

/** The provider adapter's response report (`ProviderResponseInfo`), as far as metrics read it. */
export interface ProviderResponseReading {
  endpoint: string;
  status: number;
}

/** One process's metrics: its own registry, the event hooks, and the text a `/metrics` route serves. */
export interface ReelayMetrics {
  readonly registry: Registry;
  /** A stage job ended in this process after `seconds` of work. */
  observeStage(stage: string, outcome: StageOutcome, seconds: number): void;
  /** For the adapter's `onResponse`. Status 0 = no response (network error). */
  observeProvider(info: ProviderResponseReading): void;
  /** This process moved `record` to a terminal status: counts it and its settled cost. */
  countFinished(record: Pick<GenerationRecord, 'status' | 'tenant' | 'request' | 'cost'>): void;
  /** The exposition text and its content type, for a `/metrics` response. */
  render(): Promise<{ contentType: string; body: string }>;
}

const TERMINAL = new Set<string>(['completed', 'failed', 'cancelled']);

export function createMetrics(options: MetricsOptions = {}): ReelayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const events: EventMetrics = createEventMetrics(registry);
  createScrapeGauges(registry, options);
  return {
    registry,
    observeStage(stage, outcome, seconds) {
      events.stageDuration.observe({ stage, outcome }, Math.max(0, seconds));
    },
    observeProvider(info) {
      events.providerRequests.inc({ endpoint: info.endpoint, status: String(info.status) });
      if (info.status === 429) events.providerRateLimited.inc({ endpoint: info.endpoint });
    },
    countFinished(record) {
      if (!TERMINAL.has(record.status)) return;
      events.generations.inc({ status: record.status as TerminalStatus });
      const usd = record.cost?.actualUsd;
      if (usd !== undefined && usd > 0) {
        events.cost.inc({ tenant: record.tenant, model: record.request.model }, usd);
      }
    },
    async render() {
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
