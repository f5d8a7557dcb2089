import { DAY_MS, DEFAULT_PRICES, type PriceTable, highestPrice } from '@reelay/core';

/**
 * Options of the Redis-held admission (rate limits, in-flight cap, cost budgets). Every field: unit,
 * default, why. `resolveAdmissionOptions` applies the defaults once; nothing downstream re-checks.
 * A limit of 0 switches that limit off.
 */
export interface AdmissionOptions {
  /** Creates allowed per `windowMs`, all replicas together. Default 0 (none). Set it to the provider's RPM. */
  createLimit: number;
  /** Reads (retrieve, content) allowed per `windowMs`, all replicas together. Default 0 (none). */
  readLimit: number;
  /** The provider's sliding window, ms. Default 60000 (limits are per minute). */
  windowMs: number;
  /**
   * Reads: added to the window on our side, ms. The read log dates a request when it is admitted; the
   * provider dates it when it arrives, after a hop that varies, so a read admitted exactly one window
   * after another could be counted with it. Creates are dated by when they were answered instead (a
   * time by which they surely arrived), so no margin is needed for them: it is only added after a
   * create whose outcome is unknown (timeout, reset), which may still be in transit. Default 1% of
   * the window, at least 20 ms (600 ms for a minute).
   */
  safetyMarginMs: number;
  /**
   * How far ahead a request may reserve its slot and sleep to it, ms. Default 1000. A reserved slot
   * is slept to inside the job (no queue round trip, no polling); beyond it the whole submit queue
   * pauses until a slot comes within reach. Longer holds more jobs asleep; shorter re-queues more.
   */
  reserveHorizonMs: number;
  /**
   * Longest from a create slot's time until its request reaches the provider, ms: the provider
   * client's timeout plus slack for the steps before the send. Only matters for a worker that died
   * between admission and reporting the create: its slot counts as used until slot time + this.
   * Default 120000 (twice the provider client's default 60 s timeout).
   */
  createSendBoundMs: number;
  /** Generations submitted and not finished at the provider, all replicas together. Default 0 (none). */
  maxInFlight: number;
  /**
   * Lease of a generation that has no create recorded yet, ms. Default 60000. Submit marks a record
   * `submitting` before it sends the create, so an expired lease whose record is still `queued` belongs
   * to a worker that died before sending anything: it is reclaimed. Must exceed the time from
   * admission to that mark (a reserved-slot sleep included).
   */
  leaseHoldMs: number;
  /**
   * Longest a created generation can stay in flight, ms of real time: its lease runs until
   * submittedAt (or the create intent) + this, unless its record ends first. Default 30 min + 5 min
   * (the pipeline's deadline, after which the poll stage fails it with `timeout`, plus slack).
   */
  leaseDeadlineMs: number;
  /**
   * While the in-flight cap is full, the submit queue re-checks after at most this long, ms.
   * Default 1000: a slot frees when a poll sees a video finish, which nothing announces across
   * processes; one check per interval for all replicas (the queue is paused meanwhile) is cheap.
   */
  inFlightRecheckMs: number;
  /** USD per output second by model and size. Default: DEFAULT_PRICES (see there for 1080p). */
  prices: PriceTable;
  /** Price per second of a model missing from `prices`. Default: the highest in the table. */
  fallbackUsdPerSecond: number;
  /** Budgets in USD per period; 0 = none. Defaults 0. */
  budgets: BudgetLimits;
  /**
   * Over budget: `wait` (default) keeps the generation queued until the period rolls over or the
   * budget is raised; `fail` fails it at once with `budget_exceeded`. A generation whose estimate
   * alone exceeds a budget fails in both modes: no rollover would let it through.
   */
  budgetMode: 'wait' | 'fail';
  /** Longest wait between budget checks in `wait` mode, ms. Default 300000: a raised budget is seen within 5 min. */
  budgetRecheckMs: number;
  /** Length of a budget day, ms. Default 86400000 (UTC calendar days and months); tests shorten it. */
  dayMs: number;
  /** Clock for budget periods, ms. Default Date.now. Rate and lease times use the Redis server's clock. */
  clock: () => number;
}

export interface BudgetLimits {
  globalDailyUsd: number;
  globalMonthlyUsd: number;
  /** Every tenant's budget unless `tenants` names it. */
  tenantDailyUsd: number;
  tenantMonthlyUsd: number;
  /** Per-tenant overrides; a missing field falls back to the tenant default. */
  tenants: Record<string, { dailyUsd?: number; monthlyUsd?: number }>;
}

export type AdmissionOptionsInput = Partial<Omit<AdmissionOptions, 'budgets'>> & {
  budgets?: Partial<BudgetLimits>;
};

export function resolveAdmissionOptions(input: AdmissionOptionsInput = {}): AdmissionOptions {
  const windowMs = input.windowMs ?? 60_000;
  const prices = input.prices ?? DEFAULT_PRICES;
  return {
    createLimit: input.createLimit ?? 0,
    readLimit: input.readLimit ?? 0,
    windowMs,
    safetyMarginMs: input.safetyMarginMs ?? Math.max(20, Math.round(windowMs * 0.01)),
    reserveHorizonMs: input.reserveHorizonMs ?? 1000,
    createSendBoundMs: input.createSendBoundMs ?? 120_000,
    maxInFlight: input.maxInFlight ?? 0,
    leaseHoldMs: input.leaseHoldMs ?? 60_000,
    leaseDeadlineMs: input.leaseDeadlineMs ?? 35 * 60_000,
    inFlightRecheckMs: input.inFlightRecheckMs ?? 1000,
    prices,
    fallbackUsdPerSecond: input.fallbackUsdPerSecond ?? highestPrice(prices),
    budgets: {
      globalDailyUsd: input.budgets?.globalDailyUsd ?? 0,
      globalMonthlyUsd: input.budgets?.globalMonthlyUsd ?? 0,
      tenantDailyUsd: input.budgets?.tenantDailyUsd ?? 0,
      tenantMonthlyUsd: input.budgets?.tenantMonthlyUsd ?? 0,
      tenants: input.budgets?.tenants ?? {},
    },
    budgetMode: input.budgetMode ?? 'wait',
    budgetRecheckMs: input.budgetRecheckMs ?? 300_000,
    dayMs: input.dayMs ?? DAY_MS,
    clock: input.clock ?? Date.now,
  };
}
