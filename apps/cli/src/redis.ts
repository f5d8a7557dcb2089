import { createRedisConnection } from '@reelay/core';
import type { Redis } from 'ioredis';
import { CliError, EXIT } from './exit.ts';

/** How long a Redis gets to answer the first PING. Local or in-region it takes milliseconds. */
const PING_TIMEOUT_MS = 3000;

/** `host:port` of a Redis URL, never its password: it goes into messages. */
export function redisLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return '(unparsable URL)';
  }
}

/** True when a Redis at `url` answers PING within the timeout. Never throws. */
export async function redisAnswers(url: string, timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
  const probe = createRedisConnection(url, {
    role: 'producer',
    name: 'reelay-cli-probe',
    extra: {
      lazyConnect: true,
      retryStrategy: () => null,
      connectTimeout: timeoutMs,
      enableOfflineQueue: false,
    },
  });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/**
 * A connection for commands that need Redis now. `producer`: fails fast (records, queues);
 * `worker`: retries forever, which BullMQ's QueueEvents (the waiters) require. Exit 3 when Redis
 * does not answer at all.
 */
export async function connectRedis(url: string, role: 'producer' | 'worker'): Promise<Redis> {
  if (!(await redisAnswers(url))) {
    throw new CliError(
      `cannot reach Redis at ${redisLocation(url)} (REDIS_URL); start one, or run \`pnpm reelay start\``,
      EXIT.noRedis,
    );
  }
  const redis = createRedisConnection(url, { role, name: 'reelay-cli' });
  redis.on('error', () => {});
  return redis;
}
