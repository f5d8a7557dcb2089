import { RateLog } from '@reelay/core';
import type { Redis } from 'ioredis';

export type KeyLimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

interface PendingTake {
  keyHash: string;
  resolve(decision: KeyLimitDecision): void;
  reject(error: unknown): void;
}

/**
 * A per-key request limit, held in Redis so it holds across api replicas: core's strict sliding log
 * (no 2× burst at a window edge, unlike fixed windows), one log per key hash. The log's keys live
 * under the pipeline prefix (same Cluster hash tag), `<prefix>:apikey:<hash>:limits:rate:read`.
 *
 * One script call per request was the api's largest per-request cost. The checks of every request that
 * arrives in one event-loop turn are decided together at the end of it (`setImmediate`, as the create
 * batcher does): one script call per key takes as many slots as that key has requests waiting
 * (`RateLog.takeNow`), and each request keeps its own decision. A lone request waits for nothing.
 */
export class KeyRateLimit {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly perMinute: number;
  private readonly logs = new Map<string, RateLog>();
  private pending: PendingTake[] = [];
  private scheduled = false;

  constructor(redis: Redis, prefix: string, perMinute: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.perMinute = perMinute;
  }

  take(keyHash: string): Promise<KeyLimitDecision> {
    if (this.perMinute <= 0) return Promise.resolve({ allowed: true });
    return new Promise((resolve, reject) => {
      this.pending.push({ keyHash, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    // One script call per key per turn, whatever the number of requests: the first `admitted` of them,
    // in arrival order, go. ioredis writes each command as it is called; corked, Node sends the calls of
    // every key in one writev.
    const byKey = new Map<string, PendingTake[]>();
    for (const take of batch) {
      const takes = byKey.get(take.keyHash);
      if (takes) takes.push(take);
      else byKey.set(take.keyHash, [take]);
    }
    const stream = this.redis.status === 'ready' ? this.redis.stream : undefined;
    stream?.cork();
    try {
      for (const [keyHash, takes] of byKey) this.decide(keyHash, takes);
    } finally {
      stream?.uncork();
    }
  }

  private decide(keyHash: string, takes: PendingTake[]): void {
    let log = this.logs.get(keyHash);
    if (log === undefined) {
      log = new RateLog(this.redis, `${this.prefix}:apikey:${keyHash}`);
      this.logs.set(keyHash, log);
    }
    log.takeNow('read', this.perMinute, 60_000, takes.length).then(
      ({ admitted, retryInMs }) => {
        const refused: KeyLimitDecision = {
          allowed: false,
          retryAfterS: Math.max(1, Math.ceil(retryInMs / 1000)),
        };
        for (const [i, take] of takes.entries()) take.resolve(i < admitted ? ALLOWED : refused);
      },
      (error: unknown) => {
        for (const take of takes) take.reject(error);
      },
    );
  }
}

const ALLOWED: KeyLimitDecision = { allowed: true };
