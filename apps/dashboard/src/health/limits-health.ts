import { InFlightLeases, SpendLedger, budgetPeriods, limitKeys } from '@reelay/core';
import type { Redis } from 'ioredis';

/** The workers' limits as configured for this dashboard (the same variables; see env.ts). */
export interface LimitsConfig {
  maxInFlight: number;
  globalDailyUsd: number;
  globalMonthlyUsd: number;
  tenantDailyUsd: number;
  tenantMonthlyUsd: number;
  tenants: Record<string, { dailyUsd?: number; monthlyUsd?: number }>;
  dayMs: number;
}

export interface SpendLine {
  spentUsd: number;
  reservedUsd: number;
  /** 0 = no budget. */
  limitUsd: number;
}

export interface LimitsHealth {
  /** Generations submitted and not finished at the provider, against the cap (0 = none). */
  inFlight: { held: number; cap: number };
  /**
   * Provider rate limits: how long every replica still holds off each request class because the
   * provider said so (a 429's Retry-After, or remaining 0), ms; 0 = not held off.
   */
  providerHoldOffMs: { create: number; read: number };
  /** 429s per minute are not counted by the workers yet (see README, "Provider 429s"). */
  provider429sPerMinute: number | null;
  spend: {
    day: string;
    month: string;
    global: { day: SpendLine; month: SpendLine };
    tenants: Record<string, { day: SpendLine; month: SpendLine }>;
  };
}

/**
 * Reads the Redis-held limits without changing them. The pipeline's `RedisAdmission#snapshot()` was
 * looked at: it sweeps leases with the reader's own deadline, and a dashboard configured with a
 * shorter one than the workers would reclaim slots still in use. So this reads the leases and asks
 * each holder's record whether it is still at the provider (the sweep's own rule), and reads spend
 * with `SpendLedger#figures`, which only reads.
 */
export async function readLimitsHealth(
  redis: Redis,
  prefix: string,
  config: LimitsConfig,
  now = Date.now(),
): Promise<LimitsHealth> {
  const keys = limitKeys(prefix);
  const ledger = new SpendLedger(redis, prefix);
  const [held, [redisSec, redisMicros], createBlock, readBlock, tenants] = await Promise.all([
    inFlight(redis, prefix),
    redis.time(),
    redis.get(keys.block('create')),
    redis.get(keys.block('read')),
    ledger.tenants(),
  ]);
  const redisNow = Number(redisSec) * 1000 + Math.floor(Number(redisMicros) / 1000);
  const holdOff = (until: string | null) => Math.max(0, Number(until ?? 0) - redisNow);

  const { day, month } = budgetPeriods(now, config.dayMs);
  const scopes = ['global', ...tenants.map((t) => `tenant:${t}`)].flatMap((scope) => [
    { scope, period: day.id },
    { scope, period: month.id },
  ]);
  const figures = await ledger.figures(scopes);
  const line = (i: number, limitUsd: number): SpendLine => ({
    spentUsd: figures[i]?.spentUsd ?? 0,
    reservedUsd: figures[i]?.reservedUsd ?? 0,
    limitUsd,
  });
  const spendTenants: LimitsHealth['spend']['tenants'] = {};
  tenants.forEach((t, i) => {
    const own = config.tenants[t];
    spendTenants[t] = {
      day: line(2 + 2 * i, own?.dailyUsd ?? config.tenantDailyUsd),
      month: line(3 + 2 * i, own?.monthlyUsd ?? config.tenantMonthlyUsd),
    };
  });
  return {
    inFlight: { held, cap: config.maxInFlight },
    providerHoldOffMs: { create: holdOff(createBlock), read: holdOff(readBlock) },
    provider429sPerMinute: null,
    spend: {
      day: day.id,
      month: month.id,
      global: { day: line(0, config.globalDailyUsd), month: line(1, config.globalMonthlyUsd) },
      tenants: spendTenants,
    },
  };
}

/** Statuses after which the provider is done with a generation (the lease scripts' rule). */
const DONE = new Set(['completed', 'failed', 'cancelled', 'downloading', 'notifying']);

async function inFlight(redis: Redis, prefix: string): Promise<number> {
  const holders = await new InFlightLeases(redis, prefix).holders();
  if (holders.length === 0) return 0;
  const pipeline = redis.pipeline();
  const recordPrefix = limitKeys(prefix).recordPrefix;
  for (const id of holders) pipeline.hget(`${recordPrefix}${id}`, 'status');
  const results = (await pipeline.exec()) ?? [];
  return results.filter(([, status]) => typeof status === 'string' && !DONE.has(status)).length;
}
