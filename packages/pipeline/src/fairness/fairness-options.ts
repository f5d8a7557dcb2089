/**
 * Options of the fair dispatcher. Every field: unit, default, why. `resolveFairnessOptions` applies the
 * defaults once; nothing downstream re-checks.
 */
export interface FairnessOptions {
  /**
   * Tenant weights written to Redis when the dispatcher starts (every process then reads the same
   * ones). A tenant with weight 3 gets three creates for every one of a weight-1 tenant while both
   * have a backlog. Tenants not named weigh 1. Give every dispatcher the same map: the last one
   * started wins. Default: none (all tenants equal).
   */
  weights: Record<string, number>;
  /**
   * Most generations waiting, ready, in the submit queue at once, ms-independent count. The rest stay
   * in the per-tenant backlogs, where fair order is still decided. Smaller = a newly arrived light
   * tenant waits behind fewer already-released creates; larger = more slack against refill latency.
   * Default 16: at a create rate R/s a light tenant's first create waits at most 16/R s behind work
   * released earlier, and 16 ready jobs keep ~10 submit slots busy between two refills (a refill is a
   * few Redis round trips, triggered by every job the submit workers take).
   */
  readyWindow: number;
  /** Largest batch popped from the backlogs per Redis call. Default 32. */
  batchSize: number;
  /**
   * How often the dispatcher refills without being woken by a queue event, renews its presence and
   * scans for stale dispatches, ms. Default 1000: events do the real work; the tick is a safety net.
   */
  tickMs: number;
  /**
   * How long the dispatcher's presence key lives, ms. While it lives, enqueue parks work for fair
   * dispatch; once it expires (no dispatcher), enqueue adds submit jobs directly, FIFO. Default 5000
   * (five missed ticks).
   */
  presenceTtlMs: number;
  /**
   * A generation popped from a backlog but not yet released to the submit queue after this long, ms,
   * is released again by any dispatcher (its popper died mid-dispatch). Default 10000: a release takes
   * milliseconds, so this only ever catches a dead dispatcher; releasing twice is harmless anyway.
   */
  staleAfterMs: number;
}

export type FairnessOptionsInput = Partial<FairnessOptions>;

/**
 * How far in the future a parked submit job is delayed, ms: 7 days. Only a dispatcher promotes it
 * earlier; if none ever runs again, the work still starts (FIFO) after this long instead of never.
 * BullMQ encodes delayed timestamps as ms × 4096 in a double, so it must stay far below ~13 years.
 */
export const PARK_DELAY_MS = 7 * 24 * 3600 * 1000;

/** Highest `EnqueueOptions.priority` (BullMQ's range, 2^21 − 1); lower numbers go first. */
export const MAX_PRIORITY = 2_097_151;

export function resolveFairnessOptions(input: FairnessOptionsInput = {}): FairnessOptions {
  const weights = input.weights ?? {};
  for (const [tenant, weight] of Object.entries(weights)) {
    if (!(Number.isFinite(weight) && weight > 0)) {
      throw new Error(`fairness: weight of tenant "${tenant}" must be a positive number, got ${weight}`);
    }
  }
  const tickMs = input.tickMs ?? 1000;
  return {
    weights,
    readyWindow: Math.max(1, input.readyWindow ?? 16),
    batchSize: Math.max(1, input.batchSize ?? 32),
    tickMs,
    presenceTtlMs: input.presenceTtlMs ?? Math.max(5000, tickMs * 5),
    staleAfterMs: input.staleAfterMs ?? 10_000,
  };
}

/**
 * Parses `tenant=weight` pairs, comma-separated (`acme=3,beta=0.5`), e.g. from an environment variable.
 * Throws naming the bad pair.
 */
export function parseTenantWeights(value: string): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const pair of value.split(',').map((p) => p.trim())) {
    if (pair === '') continue;
    const at = pair.lastIndexOf('=');
    const tenant = pair.slice(0, at).trim();
    const weight = Number(pair.slice(at + 1));
    if (at <= 0 || tenant === '' || !(Number.isFinite(weight) && weight > 0)) {
      throw new Error(`tenant weights: "${pair}" is not tenant=<positive number>`);
    }
    weights[tenant] = weight;
  }
  return weights;
}
