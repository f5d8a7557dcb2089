import {
  DEFAULT_PRICES,
  GenerationStore,
  type Logger,
  type ReelayMetrics,
  type Tracing,
  createMetrics,
  createRedisConnection,
  createStageQueues,
} from '@reelay/core';
import {
  type AdmissionOptionsInput,
  type PipelineContext,
  RedisAdmission,
  resolvePipelineOptions,
} from '@reelay/pipeline';
import { createOpenAIProvider } from '@reelay/providers';
import { createObjectStore } from '@reelay/storage';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';

/** The embedded simulator accepts any key; the SDK insists on one. */
const LOCAL_SIM_KEY = 'sk-sim-local';

export interface WorkerContext {
  ctx: PipelineContext;
  redis: Redis;
  metrics: ReelayMetrics;
}

export function buildContext(env: WorkerEnv, logger: Logger, tracing?: Tracing): WorkerContext {
  const redis = createRedisConnection(env.REDIS_URL, { role: 'worker', name: 'reelay-worker' });
  const store = new GenerationStore(redis, env.REELAY_PREFIX);
  const admission = new RedisAdmission(redis, store, admissionOptions(env), (err) =>
    logger.warn({ err }, 'could not store a rate limit learnt from the provider'),
  );
  const queues = createStageQueues(redis, env.REELAY_PREFIX, { retryBaseMs: env.REELAY_RETRY_BASE_MS });
  const metrics = createMetrics({
    queues,
    // snapshot() sweeps leases with the same rules and lease deadline as admit()'s take: it drops
    // only leases of generations the provider is done with (or whose hold expired before a create),
    // never one a running generation still needs; it keeps reelay_in_flight from counting stale leases.
    spend: () => admission.snapshot(),
    inFlightCap: admission.options.maxInFlight,
  });
  const ctx: PipelineContext = {
    admission,
    store,
    queues,
    provider: createOpenAIProvider({
      apiKey: env.OPENAI_API_KEY ?? LOCAL_SIM_KEY,
      baseURL: env.OPENAI_BASE_URL,
      model: env.REELAY_MODEL,
      ...(env.OPENAI_WEBHOOK_SECRET ? { webhookSecret: env.OPENAI_WEBHOOK_SECRET } : {}),
      onResponse: (info) => {
        metrics.observeProvider(info);
        admission.observe?.(info);
        // Inside the stage job's trace: one client span per provider call (status 0 = no response).
        tracing?.recordSpan(
          `provider ${info.endpoint}`,
          info.durationMs,
          { 'reelay.provider.endpoint': info.endpoint, 'http.response.status_code': info.status },
          info.status === 0 || info.status >= 400,
        );
      },
    }),
    objects: createObjectStore(env.REELAY_STORAGE_URL),
    logger,
    options: resolvePipelineOptions({
      durationScale: env.REELAY_PROVIDER_TIME_SCALE,
      webhooks: env.REELAY_WEBHOOKS,
      minPollIntervalMs: env.REELAY_POLL_MIN_MS,
      maxPollIntervalMs: env.REELAY_POLL_MAX_MS,
      deadlineMs: env.REELAY_DEADLINE_MS,
      maxResubmits: env.REELAY_MAX_RESUBMITS,
    }),
  };
  return { ctx, redis, metrics };
}

/** Limits, in-flight cap and budgets from the environment (see env.ts for each variable). */
function admissionOptions(env: WorkerEnv): AdmissionOptionsInput {
  const deadlineMs = env.REELAY_DEADLINE_MS / env.REELAY_PROVIDER_TIME_SCALE;
  return {
    createLimit: env.REELAY_CREATE_RPM,
    readLimit: env.REELAY_READ_RPM,
    windowMs: env.REELAY_RATE_WINDOW_MS,
    ...(env.REELAY_RATE_MARGIN_MS > 0 ? { safetyMarginMs: env.REELAY_RATE_MARGIN_MS } : {}),
    reserveHorizonMs: env.REELAY_RATE_HORIZON_MS,
    maxInFlight: env.REELAY_MAX_IN_FLIGHT,
    inFlightRecheckMs: env.REELAY_IN_FLIGHT_RECHECK_MS,
    // A lease outlives the pipeline's deadline (after which poll times the generation out) by a sixth.
    leaseDeadlineMs: Math.ceil((deadlineMs * 7) / 6),
    // A lease not yet used for a create outlives the longest admission-to-create gap: a reserved
    // slot's sleep plus twice the submit lock (what a stuck holder's job waits before it is re-run).
    leaseHoldMs: 2 * env.REELAY_LOCK_DURATION_MS + env.REELAY_RATE_HORIZON_MS,
    ...(env.REELAY_PRICES ? { prices: { ...DEFAULT_PRICES, ...env.REELAY_PRICES } } : {}),
    budgets: {
      globalDailyUsd: env.REELAY_BUDGET_GLOBAL_DAILY_USD,
      globalMonthlyUsd: env.REELAY_BUDGET_GLOBAL_MONTHLY_USD,
      tenantDailyUsd: env.REELAY_BUDGET_TENANT_DAILY_USD,
      tenantMonthlyUsd: env.REELAY_BUDGET_TENANT_MONTHLY_USD,
      tenants: env.REELAY_BUDGET_TENANTS ?? {},
    },
    budgetMode: env.REELAY_BUDGET_MODE,
    dayMs: env.REELAY_BUDGET_DAY_MS,
  };
}
