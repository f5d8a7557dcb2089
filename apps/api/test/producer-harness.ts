import { createHash, randomBytes } from 'node:crypto';
import { Reelay } from '@reelay/client';
import {
  type StageQueues,
  closeStageQueues,
  createLogger,
  createRedisConnection,
  createStageQueues,
} from '@reelay/core';
import type { RedisFixture } from '@reelay/testing';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { buildApi } from '../src/app.ts';
import { parseApiKeys } from '../src/auth/api-keys.ts';
import { KeyRateLimit } from '../src/auth/key-limit.ts';
import type { ProducerDeps } from '../src/producer/producer-options.ts';

/** A running producer API on a real port, over a real Redis, with two tenants' keys. */
export interface ProducerApi {
  url: string;
  prefix: string;
  redis: Redis;
  queues: StageQueues;
  client: Reelay;
  app: FastifyInstance;
  /** Bearer keys (plain) of tenants `acme` and `globex`. */
  keyA: string;
  keyB: string;
  /** fetch against the api with tenant A's key (unless `headers.authorization` says otherwise). */
  call(
    method: string,
    path: string,
    init?: { body?: unknown; headers?: Record<string, string>; key?: string | null },
  ): Promise<Response>;
  /** Generation records under this api's prefix (nothing enqueued ⇔ 0). */
  recordCount(): Promise<number>;
  stop(): Promise<void>;
}

export const sha256 = (key: string) => createHash('sha256').update(key).digest('hex');

export async function startProducerApi(
  fixture: RedisFixture,
  options: {
    rpm?: number;
    objectStore?: ProducerDeps['objectStore'];
    callbackPolicy?: ProducerDeps['callbackPolicy'];
  } = {},
): Promise<ProducerApi> {
  const prefix = fixture.prefix('api-producer');
  const redis = createRedisConnection(fixture.url, { role: 'producer', name: 'api-producer-test' });
  const queues = createStageQueues(redis, prefix);
  const client = new Reelay({ redis, prefix });
  const keyA = `rk_${randomBytes(16).toString('hex')}`;
  const keyB = `rk_${randomBytes(16).toString('hex')}`;
  const logger = createLogger({ name: 'api-test', format: 'json', level: 'silent' });
  const app = buildApi({
    redis,
    logger,
    webhook: undefined,
    producer: {
      client,
      keys: parseApiKeys(`acme:${sha256(keyA)},globex:${sha256(keyB)}`),
      limit: options.rpm ? new KeyRateLimit(redis, prefix, options.rpm) : undefined,
      objectStore: options.objectStore ?? (() => undefined),
      ...(options.callbackPolicy ? { callbackPolicy: options.callbackPolicy } : {}),
    },
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    prefix,
    redis,
    queues,
    client,
    app,
    keyA,
    keyB,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...init.headers };
      const key = init.key === undefined ? keyA : init.key;
      if (key !== null && headers['authorization'] === undefined) headers['authorization'] = `Bearer ${key}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
        headers['content-type'] ??= 'application/json';
      }
      return fetch(`${url}${path}`, { method, headers, body, redirect: 'manual' });
    },
    async recordCount() {
      let cursor = '0';
      let count = 0;
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:gen:gen_*`, 'COUNT', 1000);
        cursor = next;
        count += keys.length;
      } while (cursor !== '0');
      return count;
    },
    async stop() {
      await app.close();
      await client.close();
      await closeStageQueues(queues);
      redis.disconnect();
    },
  };
}
