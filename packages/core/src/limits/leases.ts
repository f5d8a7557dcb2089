import type { Redis } from 'ioredis';
import { type LimitKeys, limitKeys } from './keys.ts';
import { SWEEP_SCRIPT, TAKE_SCRIPT } from './leases-script.ts';
import { script } from './scripts.ts';

/**
 * The in-flight cap: at most `cap` generations submitted and not yet finished at the provider, for
 * all replicas together. A lease is taken before the create and released when the provider is done
 * with the video. A generation runs for minutes while no worker holds it (its poll job is delayed),
 * so a lease is not tied to a live process: it expires relative to the generation's own state and
 * deadline, read from the generation record (see TAKE_SCRIPT). Redis' own clock dates every lease.
 */
export class InFlightLeases {
  private readonly redis: Redis;
  private readonly keys: LimitKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = limitKeys(prefix);
  }

  async take(generationId: string, cap: number, holdMs: number, deadlineMs: number): Promise<LeaseDecision> {
    const [ok, value] = (await script(this.redis, 'reelayLeaseTake', 1, TAKE_SCRIPT)(
      this.keys.leases,
      generationId,
      cap,
      Math.ceil(holdMs),
      Math.ceil(deadlineMs),
      this.keys.recordPrefix,
    )) as [number, number];
    return ok === 1 ? { taken: true, created: value === 1 } : { taken: false, hintMs: value };
  }

  /** Frees the generation's slot. Idempotent. */
  async release(generationId: string): Promise<void> {
    await this.redis.zrem(this.keys.leases, generationId);
  }

  /** Leases held now (some may belong to finished generations not yet reclaimed). */
  async count(): Promise<number> {
    return this.redis.zcard(this.keys.leases);
  }

  /** Reclaims what is finished or expired (as `take` does), then counts what is left. */
  async sweep(deadlineMs: number): Promise<number> {
    return (await script(
      this.redis,
      'reelayLeaseSweep',
      1,
      SWEEP_SCRIPT,
    )(this.keys.leases, Math.ceil(deadlineMs), this.keys.recordPrefix)) as number;
  }

  async holders(): Promise<string[]> {
    return this.redis.zrange(this.keys.leases, '0', '-1');
  }
}

export type LeaseDecision = { taken: true; created: boolean } | { taken: false; hintMs: number };
