import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { type LimitKeys, type RateClass, limitKeys } from './keys.ts';
import {
  ACQUIRE_SCRIPT,
  ACQUIRE_SENT_SCRIPT,
  BLOCK_SCRIPT,
  SENT_SCRIPT,
  TAKE_NOW_SCRIPT,
} from './rate-log-script.ts';
import { script } from './scripts.ts';

/** Slots `from` … `to` (1-based, inclusive) of one `takeNow` call, named by its `prefix`. */
export interface TakenSlots {
  prefix: string;
  from: number;
  to: number;
}

/**
 * A strict sliding-window request limiter held in Redis, for all replicas together.
 *
 * Why not a library: BullMQ's limiter (and rate-limiter-flexible's Redis limiter, and Upstash's
 * fixed window) count in fixed windows, so a burst at a window's end plus one at the next window's
 * start lets up to 2× the limit through in a sliding window — and the provider counts sliding.
 * Shrinking BullMQ's window to W/k with R/(k+1) each bounds it, but costs 1/(k+1) of the quota and
 * counts jobs started rather than requests sent. Sliding approximations (Upstash `slidingWindow`,
 * `redis-sliding-rate-limiter`'s buckets) interpolate between buckets and can overshoot. GCRA with a
 * burst of R lets almost 2R through in a window; without a burst it wastes every late slot. The
 * provider's own model is a sliding log, so this is one (a zset of at most `limit` slot times, one
 * Lua script, the Redis server's clock), plus reservations a short horizon ahead so a caller sleeps
 * precisely to its slot instead of polling for it.
 *
 * Two ways to date an entry. `acquire` dates it at its slot: simple, but a request sent late (its
 * holder's event loop stalled after the grant) can reach the provider within one window of a request
 * admitted a window later, so only a safety margin protects it. `acquireToSend` + `sent` date it by
 * when the request was answered — a time by which it surely arrived — and count it in every window
 * while it is outstanding: no window at the provider ever holds more than the limit, however late a
 * request goes out, at the cost of one round trip per slot instead of a margin. Creates use that.
 */
export class RateLog {
  private readonly redis: Redis;
  private readonly keys: LimitKeys;

  constructor(redis: Redis, prefix: string) {
    this.redis = redis;
    this.keys = limitKeys(prefix);
  }

  /**
   * Takes the earliest slot within `horizonMs`. Admitted: send after `waitMs` (0 = now). Refused:
   * `retryInMs` until a slot could be within the horizon, or until the provider's block ends.
   */
  async acquire(kind: RateClass, limit: number, windowMs: number, horizonMs: number): Promise<RateDecision> {
    const member = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const [ok, ms, extra] = (await script(this.redis, 'reelayRateAcquire', 2, ACQUIRE_SCRIPT)(
      this.keys.rateLog(kind),
      this.keys.block(kind),
      limit,
      windowMs,
      horizonMs,
      member,
    )) as [number, number, number];
    if (ok === 1) return { admitted: true, waitMs: ms, slot: member, at: extra };
    return { admitted: false, retryInMs: Math.max(1, ms), blocked: extra === 2 };
  }

  /**
   * Up to `count` slots now, in one call (see TAKE_NOW_SCRIPT): the first `admitted` of the callers
   * this stands for go, the rest are refused for `retryInMs`. Same log as `acquire` with horizon 0.
   * `holdMs`: the slots may be used up to this long from now (dated at its end); slot i (1 …
   * `admitted`) is `{ prefix, from: i, to: i }` for `releaseMany`, if it is never used.
   */
  async takeNow(
    kind: RateClass,
    limit: number,
    windowMs: number,
    count: number,
    holdMs = 0,
  ): Promise<{ admitted: number; retryInMs: number; blocked: boolean; prefix: string }> {
    if (count <= 0) return { admitted: 0, retryInMs: 0, blocked: false, prefix: '' };
    const prefix = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}-`;
    const [admitted, retryInMs, blocked] = (await script(this.redis, 'reelayRateTakeNow', 2, TAKE_NOW_SCRIPT)(
      this.keys.rateLog(kind),
      this.keys.block(kind),
      limit,
      Math.ceil(windowMs),
      count,
      prefix,
      Math.max(0, Math.ceil(holdMs)),
    )) as [number, number, number];
    return { admitted, retryInMs, blocked: blocked === 1, prefix };
  }

  /** Gives back slots taken with `takeNow` and never used (runs of one call's slots): they stop counting at once. */
  async releaseMany(kind: RateClass, slots: readonly TakenSlots[]): Promise<void> {
    const members: string[] = [];
    for (const { prefix, from, to } of slots) for (let i = from; i <= to; i++) members.push(`${prefix}${i}`);
    // In chunks, as the script adds them: one command of tens of thousands of arguments would hold
    // Redis (and this process's encoder) for a long stretch.
    for (let i = 0; i < members.length; i += 1000) {
      await this.redis.zrem(this.keys.rateLog(kind), ...members.slice(i, i + 1000));
    }
  }

  /**
   * Like `acquire`, on the send-dated log (see ACQUIRE_SENT_SCRIPT): the slot is pending until
   * `sent` reports it, or `release` gives it back. `sendBoundMs`: longest from the slot's time until
   * its request reaches the provider (the client's timeout plus slack); a slot whose holder died
   * without reporting counts as sent at its time + this.
   */
  async acquireToSend(
    kind: RateClass,
    limit: number,
    windowMs: number,
    horizonMs: number,
    sendBoundMs: number,
  ): Promise<RateDecision> {
    const member = `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
    const [ok, ms, extra] = (await script(this.redis, 'reelayRateAcquireToSend', 3, ACQUIRE_SENT_SCRIPT)(
      this.keys.sentLog(kind),
      this.keys.pendingLog(kind),
      this.keys.block(kind),
      limit,
      Math.ceil(windowMs),
      Math.ceil(horizonMs),
      member,
      Math.ceil(sendBoundMs),
    )) as [number, number, number];
    if (ok === 1) return { admitted: true, waitMs: ms, slot: member, at: extra };
    return { admitted: false, retryInMs: Math.max(1, ms), blocked: extra === 2 };
  }

  /**
   * The request of a slot from `acquireToSend` was answered, or failed after it may have been sent:
   * it counts until now + `inTransitMs` + the window. `inTransitMs`: how long it may still be on its
   * way (0 after an answer; a margin after a timeout). Returns the entry's time (ms, Redis clock).
   */
  async sent(kind: RateClass, slot: string, windowMs: number, sendBoundMs: number, inTransitMs = 0) {
    return (await script(this.redis, 'reelayRateSent', 2, SENT_SCRIPT)(
      this.keys.sentLog(kind),
      this.keys.pendingLog(kind),
      slot,
      Math.max(0, Math.ceil(inTransitMs)),
      Math.ceil(windowMs),
      Math.ceil(sendBoundMs),
    )) as number;
  }

  /** Gives a slot back (the request was not sent after all), from either log. */
  async release(kind: RateClass, slot: string): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.keys.rateLog(kind), slot)
      .zrem(this.keys.pendingLog(kind), slot)
      .exec();
  }

  /** No request of this class before `ms` from now, for every replica (what the provider told us). */
  async block(kind: RateClass, ms: number): Promise<void> {
    await script(
      this.redis,
      'reelayRateBlock',
      1,
      BLOCK_SCRIPT,
    )(this.keys.block(kind), Math.max(1, Math.ceil(ms)));
  }

  /** Slots currently in the log (past window and reserved ahead), for metrics. */
  async used(kind: RateClass): Promise<number> {
    const counts = await this.redis
      .multi()
      .zcard(this.keys.rateLog(kind))
      .zcard(this.keys.sentLog(kind))
      .zcard(this.keys.pendingLog(kind))
      .exec();
    return (counts ?? []).reduce((sum, [, n]) => sum + Number(n ?? 0), 0);
  }
}

export type RateDecision =
  /** `at`: the slot's time, ms on the Redis clock. */
  | { admitted: true; waitMs: number; slot: string; at: number }
  | { admitted: false; retryInMs: number; blocked: boolean };
