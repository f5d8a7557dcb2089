import { type RedisFixture, startRedis } from '@reelay/testing';
import { Redis } from 'ioredis';
import { Reelay } from '../src/index.ts';
import type { ReelayOptions } from '../src/index.ts';

/** A real Redis, one connection, and a client per test under its own prefix. */
export interface ClientFixture {
  redis: RedisFixture;
  connection: Redis;
  client(options?: Omit<ReelayOptions, 'redis'>): Reelay;
  close(): Promise<void>;
}

export async function clientFixture(): Promise<ClientFixture> {
  const redis = await startRedis();
  const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
  const clients: Reelay[] = [];
  return {
    redis,
    connection,
    client(options = {}) {
      const client = new Reelay({ prefix: redis.prefix('client'), ...options, redis: connection });
      clients.push(client);
      return client;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      connection.disconnect();
      await redis.stop();
    },
  };
}
