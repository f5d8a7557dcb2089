import type { ScrapeSources } from './collectors.ts';

export interface MetricsOptions extends ScrapeSources {
  /**
   * Export prom-client's default process metrics (CPU, memory, event-loop lag, GC). Default true;
   * tests that build several registries in one process turn it off to avoid duplicate timers.
   */
  processMetrics?: boolean;
}
