import { RateLog } from '@reelay/core';
import type { Redis } from 'ioredis';

export type KeyLimitDecision = { allowed: true } | { allowed: false; retryAfterS: number };

/**
 * A per-key request limit, held in Redis so it holds across api replicas: core's strict sliding log
 * (no 2× burst at a window edge, unlike fixed windows), one log per key hash. The log's keys live
 * under the pipeline prefix (same Cluster hash tag), `<prefix>:apikey:<hash>:limits:rate:read`.
 */
export class KeyRateLimit {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly perMinute: number;
  private readonly logs = new Map<string, RateLog>();

  constructor(redis: Redis, prefix: string, perMinute: number) {
    this.redis = redis;
    this.prefix = prefix;
    this.perMinute = perMinute;
  }

  async take(keyHash: string): Promise<KeyLimitDecision> {
    if (this.perMinute <= 0) return { allowed: true };
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
