// The metric catalog the apps export (names and labels agreed with the metrics work), and the one
// thing dashboards, scrape configs and autoscalers may query. Label values listed are the complete set
// where the label is an enumeration; `null` = free-form (tenant, model, HTTP status).

export interface MetricSpec {
  type: 'gauge' | 'counter' | 'histogram';
  labels: Record<string, readonly string[] | null>;
}

const QUEUES = ['submit', 'poll', 'download', 'notify'] as const;
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed', 'paused'] as const;
const ENDPOINTS = ['create', 'retrieve', 'content', 'list', 'delete', 'moderation'] as const;

export const METRICS: Record<string, MetricSpec> = {
  reelay_queue_jobs: { type: 'gauge', labels: { queue: QUEUES, state: STATES } },
  reelay_queue_oldest_waiting_seconds: { type: 'gauge', labels: { queue: QUEUES } },
  reelay_stage_duration_seconds: {
    type: 'histogram',
    labels: { stage: QUEUES, outcome: ['completed', 'failed', 'delayed'] },
  },
  reelay_provider_requests_total: { type: 'counter', labels: { endpoint: ENDPOINTS, status: null } },
  reelay_provider_rate_limited_total: { type: 'counter', labels: { endpoint: ENDPOINTS } },
  reelay_in_flight: { type: 'gauge', labels: {} },
  reelay_in_flight_cap: { type: 'gauge', labels: {} },
  reelay_generations_total: { type: 'counter', labels: { status: ['completed', 'failed', 'cancelled'] } },
  reelay_cost_usd_total: { type: 'counter', labels: { tenant: null, model: null } },
  reelay_spend_usd: { type: 'gauge', labels: { scope: ['global', 'tenant'], period: ['day', 'month'] } },
  reelay_budget_usd: { type: 'gauge', labels: { scope: ['global', 'tenant'], period: ['day', 'month'] } },
};

/**
 * The api's own HTTP series (apps/api/src/metrics-http.ts), exported beside the queue gauges and the
 * process metrics. `route` is a route pattern or `unmatched`; `method` an HTTP method or `OTHER`.
 */
export const API_METRICS: Record<string, MetricSpec> = {
  reelay_api_requests_total: { type: 'counter', labels: { method: null, route: null, status: null } },
  reelay_api_request_duration_seconds: { type: 'histogram', labels: { method: null, route: null } },
};

/** Every series name a Reelay process may export (workers: METRICS; the api adds API_METRICS). */
const ALL_METRICS: Record<string, MetricSpec> = { ...METRICS, ...API_METRICS };

/** prom-client's default metrics: any name under these prefixes. */
export const DEFAULT_METRIC_PREFIXES = ['process_', 'nodejs_'] as const;

/** Labels Prometheus adds to every scraped series (and the compose service our scrape config adds). */
const TARGET_LABELS = ['job', 'instance', 'service'];

/**
 * The catalog entry a series name belongs to (a histogram's `_bucket`/`_count`/`_sum` series count as
 * the histogram), or the reason it is not allowed.
 */
export function lookupMetric(name: string): { spec: MetricSpec | undefined; bucket: boolean } | string {
  const direct = ALL_METRICS[name];
  if (direct)
    return direct.type === 'histogram'
      ? `${name}: a histogram is queried as _bucket, _count or _sum`
      : { spec: direct, bucket: false };
  const base = /^(.*)_(bucket|count|sum)$/.exec(name);
  const histogram = base?.[1] ? ALL_METRICS[base[1]] : undefined;
  if (histogram?.type === 'histogram') return { spec: histogram, bucket: base?.[2] === 'bucket' };
  if (DEFAULT_METRIC_PREFIXES.some((p) => name.startsWith(p))) return { spec: undefined, bucket: false };
  return `${name}: not a metric Reelay exports`;
}

/** Whether `label` may be matched or grouped on for this metric. */
export function labelAllowed(spec: MetricSpec | undefined, bucket: boolean, label: string): boolean {
  if (TARGET_LABELS.includes(label)) return true;
  if (bucket && label === 'le') return true;
  if (!spec) return true; // default process metrics: prom-client's own labels
  return label in spec.labels;
}
