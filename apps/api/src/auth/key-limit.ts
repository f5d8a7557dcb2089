import { RateLog, type TakenSlots } from '@reelay/core';
import type { Redis } from 'ioredis';

export type KeyLimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

interface PendingTake {
  keyHash: string;
  resolve(decision: KeyLimitDecision): void;
  reject(error: unknown): void;
}

/** How long slots taken ahead for a busy key may be used; unused ones are given back after it. */
export const LEASE_MS = 250;
/** Most slots taken ahead per call (and a hundredth of the per-minute limit at most). */
export const LEASE_MAX = 1024;
/** Slots taken ahead when the key's recent rate asks for fewer (or is not known yet). */
const LEASE_MIN = 64;

/** Slots of one call taken ahead, usable until `until`. */
interface HeldRange extends TakenSlots {
  until: number;
}

interface KeyState {
  log: RateLog;
  /** Slots taken ahead and not used yet, oldest range first; used from the newest. */
  held: HeldRange[];
  lastFlushAt: number;
  /** Requests of this key (checked or served from held slots) since the last call. */
  seen: number;
  /** A call taking slots ahead is on its way: the next ones take only what they need. */
  leasing: boolean;
  /** The last call refused some requests: the key is at its limit, take nothing ahead. */
  atLimit: boolean;
  giveBack: NodeJS.Timeout | undefined;
}

/** Takes the newest held slot whose hold has not ended; false when there is none. */
function useHeld(state: KeyState, now: number): boolean {
  const range = state.held.at(-1);
  if (range === undefined || now >= range.until) return false;
  range.to--;
  if (range.to < range.from) state.held.pop();
  return true;
}

/**
 * A per-key request limit, held in Redis so it holds across api replicas: core's strict sliding log
 * (no 2× burst at a window edge, unlike fixed windows), one log per key hash. The log's keys live
 * under the pipeline prefix (same Cluster hash tag), `<prefix>:apikey:<hash>:limits:rate:read`.
 *
 * The checks of every request that arrives in one event-loop turn are decided together at the end of
 * it (`setImmediate`, as the create batcher does): one script call per key takes as many slots as that
 * key has requests waiting (`RateLog.takeNow`), and each request keeps its own decision. A lone
 * request waits for nothing.
 *
 * A busy key (several requests in a turn, or a call within the last LEASE_MS) with a limit of 100 a
 * minute or more also takes slots ahead, which its next requests use without a Redis round trip: twice
 * what its recent rate would use in LEASE_MS (at least 64), and never more than a hundredth of its
 * per-minute limit or LEASE_MAX. Under load most requests then cost no limiter call at all, and the
 * create path is one round trip, not two. Still strict: a slot taken ahead is dated at the end of its
 * hold, so it counts in every window its request can fall into (dated 2 × LEASE_MS ahead, held
 * LEASE_MS), and one unused after LEASE_MS is given back (removed from the log), so a replica never
 * sits on another's share for long.
 */
export class KeyRateLimit {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly perMinute: number;
  private readonly leaseSize: number;
  private readonly keys = new Map<string, KeyState>();
  private pending: PendingTake[] = [];
  private scheduled = false;

  constructor(redis: Redis, prefix: string, perMinute: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.perMinute = perMinute;
    // A hundredth of the limit: none below 100 a minute, where every slot matters and traffic is light.
    this.leaseSize = Math.min(LEASE_MAX, Math.floor(perMinute / 100));
  }

  take(keyHash: string): Promise<KeyLimitDecision> {
    if (this.perMinute <= 0) return Promise.resolve(ALLOWED);
    const state = this.keys.get(keyHash);
    if (state !== undefined) {
      state.seen++;
      if (useHeld(state, Date.now())) return Promise.resolve(ALLOWED);
    }
    return new Promise((resolve, reject) => {
      this.pending.push({ keyHash, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private stateOf(keyHash: string): KeyState {
    let state = this.keys.get(keyHash);
    if (state === undefined) {
      state = {
        log: new RateLog(this.redis, `${this.prefix}:apikey:${keyHash}`),
        held: [],
        lastFlushAt: Number.NEGATIVE_INFINITY,
        seen: 0,
        leasing: false,
        atLimit: false,
        giveBack: undefined,
      };
      this.keys.set(keyHash, state);
    }
    return state;
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    const byKey = new Map<string, PendingTake[]>();
    for (const take of batch) {
      const takes = byKey.get(take.keyHash);
      if (takes) takes.push(take);
      else byKey.set(take.keyHash, [take]);
    }
    // ioredis writes each command as it is called; corked, Node sends the calls of every key in one writev.
    const stream = this.redis.status === 'ready' ? this.redis.stream : undefined;
    stream?.cork();
    try {
      for (const [keyHash, takes] of byKey) this.decide(this.stateOf(keyHash), takes);
    } finally {
      stream?.uncork();
    }
  }

  /** Slots to take ahead now, from the key's rate since its last call (see the class comment). */
  private aheadFor(state: KeyState, takes: number, now: number): number {
    const since = now - state.lastFlushAt;
    const busy = takes > 1 || since < LEASE_MS;
    // A first request of a key counts as seen in `take` only once its state exists.
    const seen = Math.max(state.seen, takes);
    state.seen = 0;
    state.lastFlushAt = now;
    if (!busy || state.leasing || state.atLimit || this.leaseSize === 0) return 0;
    // Twice what the recent rate would use in one hold: a little short means another call inside the
    // hold; what is left over at its end is given back.
    const wanted = since < LEASE_MS ? Math.ceil((2 * seen * LEASE_MS) / Math.max(1, since)) : 0;
    return Math.min(this.leaseSize, Math.max(LEASE_MIN, wanted));
  }

  private decide(state: KeyState, takes: PendingTake[]): void {
    const now = Date.now();
    const ahead = this.aheadFor(state, takes.length, now);
    if (ahead > 0) state.leasing = true;
    // Dated at twice the hold: a slot stays strict even if this host's clock is up to LEASE_MS ahead
    // of Redis's.
    const dateAhead = ahead > 0 ? 2 * LEASE_MS : 0;
    state.log.takeNow('read', this.perMinute, 60_000, takes.length + ahead, dateAhead).then(
      ({ admitted, retryInMs, prefix }) => {
        if (ahead > 0) state.leasing = false;
        const refused: KeyLimitDecision = {
          allowed: false,
          retryAfterS: Math.max(1, Math.ceil(retryInMs / 1000)),
        };
        state.atLimit = admitted < takes.length;
        const at = Date.now();
        for (const [i, take] of takes.entries()) {
          if (i < admitted) take.resolve(ALLOWED);
          // A slot this replica took ahead and still holds goes to a request before it is refused:
          // at the limit, a slot held back while a request is turned away would be a slot lost.
          else take.resolve(useHeld(state, at) ? ALLOWED : refused);
        }
        if (admitted > takes.length) {
          this.hold(state, { prefix, from: takes.length + 1, to: admitted, until: now + LEASE_MS });
        }
      },
      (error: unknown) => {
        if (ahead > 0) state.leasing = false;
        for (const take of takes) take.reject(error);
      },
    );
  }

  /**
   * Keeps slots taken ahead until their hold ends (the call's start + LEASE_MS; they are dated later
   * still), then gives back those not used.
   */
  private hold(state: KeyState, range: HeldRange): void {
    state.held.push(range);
    if (state.giveBack !== undefined) return;
    const check = () => {
      state.giveBack = undefined;
      const now = Date.now();
      const ended: HeldRange[] = [];
      while (state.held[0] !== undefined && state.held[0].until <= now) ended.push(state.held.shift()!);
      // Best effort: a slot not given back still stops counting when it leaves the window.
      if (ended.length > 0) state.log.releaseMany('read', ended).catch(() => {});
      const next = state.held[0];
      if (next !== undefined) {
        state.giveBack = setTimeout(check, Math.max(1, next.until - now + 1));
        state.giveBack.unref();
      }
    };
    state.giveBack = setTimeout(check, Math.max(1, range.until - Date.now() + 1));
    state.giveBack.unref();
  }
}

const ALLOWED: KeyLimitDecision = { allowed: true };
