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
 * One script call per request was the api's largest per-request cost — not Redis's work but one
 * socket write (a syscall) each. The checks of every request that arrives in one event-loop turn are
 * sent together at the end of it (`setImmediate`, as the create batcher does) with the socket corked,
 * so they leave in one write; each keeps its own decision. A lone request waits for nothing.
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
    // ioredis writes each command as it is called; corked, Node sends them in one writev.
    const stream = this.redis.status === 'ready' ? this.redis.stream : undefined;
    stream?.cork();
    try {
      for (const take of batch) this.acquire(take.keyHash).then(take.resolve, take.reject);
    } finally {
      stream?.uncork();
    }
  }

  private async acquire(keyHash: string): Promise<KeyLimitDecision> {
    let log = this.logs.get(keyHash);
    if (log === undefined) {
      log = new RateLog(this.redis, `${this.prefix}:apikey:${keyHash}`);
      this.logs.set(keyHash, log);
    }
    // Horizon 0: a request is admitted now or refused; an HTTP caller is not made to wait in line.
    const decision = await log.acquire('read', this.perMinute, 60_000, 0);
    if (decision.admitted) return { allowed: true };
    return { allowed: false, retryAfterS: Math.max(1, Math.ceil(decision.retryInMs / 1000)) };
  }
}
