import { Redis, type RedisOptions } from 'ioredis';

/** Default key prefix. The braces are a Redis Cluster hash tag: every key of Reelay lands in one slot,
 * so BullMQ's and our Lua scripts run unchanged on one Redis, a cluster, Valkey or Dragonfly. */
export const DEFAULT_PREFIX = '{reelay}';

export interface RedisConnectionOptions {
  /**
   * `worker`: retries commands forever while Redis is away (BullMQ requires
   * `maxRetriesPerRequest: null` for workers; a worker must ride out a Redis restart).
   * `producer`: fails a command after a few retries, so an HTTP request that enqueues answers
   * 503 instead of hanging.
   */
  role: 'worker' | 'producer';
  /** Connection name shown by `CLIENT LIST`, for operators. */
  name?: string;
  extra?: RedisOptions;
}

export function createRedisConnection(url: string, options: RedisConnectionOptions): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: options.role === 'worker' ? null : 3,
    enableReadyCheck: true,
    // Reconnect quickly at first, then at most every 2 s: a restarted Redis is picked up fast.
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
    connectionName: options.name,
    ...options.extra,
  });
}

/** Validates a prefix: it must carry a hash tag so that all keys share a Cluster slot. */
export function checkPrefix(prefix: string): string {
  if (!/^[^{}]*\{[^{}]+\}[^{}]*$/.test(prefix)) {
    throw new Error(`REELAY_PREFIX must contain one Redis Cluster hash tag, like {reelay}; got "${prefix}"`);
  }
  return prefix;
}
