import { RateLog } from '@reelay/core';
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
const LEASE_MAX = 64;

interface KeyState {
  log: RateLog;
  /** Slots taken ahead and not used yet: log member and the end of its hold (oldest first). */
  leased: Array<{ member: string; until: number }>;
  lastFlushAt: number;
  /** A call taking slots ahead is on its way: the next ones take only what they need. */
  leasing: boolean;
  /** The last call refused some requests: the key is at its limit, take nothing ahead. */
  atLimit: boolean;
  giveBack: NodeJS.Timeout | undefined;
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
 * minute or more also takes a few slots ahead — a hundredth of its per-minute limit, 64 at most — which its next requests use without
 * a Redis round trip: under load most requests then cost no limiter call at all, and the create path
 * is one round trip, not two. Still strict: a slot taken ahead is dated at the end of its hold, so it
 * counts in every window its request can fall into (dated 2 × LEASE_MS ahead, held LEASE_MS), and one unused after LEASE_MS is given back
 * (removed from the log), so a replica never sits on another's share for long.
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
    // The newest slot held ahead, if its hold has not ended (the others ended no later).
    const state = this.keys.get(keyHash);
    const newest = state?.leased.at(-1);
    if (newest !== undefined && Date.now() < newest.until) {
      state!.leased.pop();
      return Promise.resolve(ALLOWED);
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
        leased: [],
        lastFlushAt: Number.NEGATIVE_INFINITY,
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

  private decide(state: KeyState, takes: PendingTake[]): void {
    const now = Date.now();
    const busy = takes.length > 1 || now - state.lastFlushAt < LEASE_MS;
    state.lastFlushAt = now;
    const ahead = busy && !state.leasing && !state.atLimit ? this.leaseSize : 0;
    if (ahead > 0) state.leasing = true;
    // Dated at twice the hold: a slot stays strict even if this host's clock is up to LEASE_MS ahead
    // of Redis's.
    const dateAhead = ahead > 0 ? 2 * LEASE_MS : 0;
    state.log.takeNow('read', this.perMinute, 60_000, takes.length + ahead, dateAhead).then(
      ({ admitted, retryInMs, members }) => {
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
          else if ((state.leased.at(-1)?.until ?? 0) > at) {
            state.leased.pop();
            take.resolve(ALLOWED);
          } else take.resolve(refused);
        }
        if (admitted > takes.length) this.hold(state, members.slice(takes.length), now);
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
  private hold(state: KeyState, members: string[], takenAt: number): void {
    const until = takenAt + LEASE_MS;
    for (const member of members) state.leased.push({ member, until });
    if (state.giveBack !== undefined) return;
    const check = () => {
      state.giveBack = undefined;
      const now = Date.now();
      const ended = state.leased.filter((slot) => slot.until <= now);
      if (ended.length > 0) {
        state.leased = state.leased.filter((slot) => slot.until > now);
        // Best effort: a slot not given back still stops counting when it leaves the window.
        state.log
          .releaseMany(
            'read',
            ended.map((slot) => slot.member),
          )
          .catch(() => {});
      }
      const next = state.leased[0];
      if (next !== undefined) {
        state.giveBack = setTimeout(check, Math.max(1, next.until - now + 1));
        state.giveBack.unref();
      }
    };
    state.giveBack = setTimeout(check, Math.max(1, until - Date.now() + 1));
    state.giveBack.unref();
  }
}

const ALLOWED: KeyLimitDecision = { allowed: true };
