import { type Logger, createMetrics, createRedisConnection, createStageQueues } from '@reelay/core';
import type { DashboardDeps } from './app.ts';
import type { DashboardEnv } from './env.ts';

/** Connections and queues for the dashboard, from its parsed environment. */
export function buildDashboardDeps(env: DashboardEnv, logger: Logger): DashboardDeps {
  // Producer role: a command fails after a few retries, so a page answers 500 while Redis is away
  // instead of hanging, and /readyz says so.
  const redis = createRedisConnection(env.REDIS_URL, { role: 'producer', name: 'reelay-dashboard' });
  const queues = createStageQueues(redis, env.REELAY_PREFIX);
  return {
    redis,
    prefix: env.REELAY_PREFIX,
    queues,
    metrics: createMetrics({ queues }),
    operators: env.REELAY_DASHBOARD_USERS,
    limits: {
      maxInFlight: env.REELAY_MAX_IN_FLIGHT,
      globalDailyUsd: env.REELAY_BUDGET_GLOBAL_DAILY_USD,
      globalMonthlyUsd: env.REELAY_BUDGET_GLOBAL_MONTHLY_USD,
      tenantDailyUsd: env.REELAY_BUDGET_TENANT_DAILY_USD,
      tenantMonthlyUsd: env.REELAY_BUDGET_TENANT_MONTHLY_USD,
      tenants: env.REELAY_BUDGET_TENANTS,
      dayMs: env.REELAY_BUDGET_DAY_MS,
    },
    logger,
  };
}
