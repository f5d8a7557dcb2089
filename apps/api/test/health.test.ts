import { createLogger, createRedisConnection } from '@reelay/core';
import { type RedisFixture, freePort, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../src/app.ts';

const logger = createLogger({ name: 'api-test', format: 'json', level: 'silent' });

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis();
});
afterAll(async () => {
  await fixture.stop();
});

describe('health endpoints', () => {
  it('/healthz and /readyz answer 200 JSON while Redis answers', async () => {
    const redis = createRedisConnection(fixture.url, { role: 'producer' });
    const app = buildApi({ redis, logger, webhook: undefined });
    try {
      const health = await app.inject({ method: 'GET', url: '/healthz' });
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ ok: true });
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ ok: true, redis: 'ok' });
    } finally {
      await app.close();
      redis.disconnect();
    }
  });

  it('/readyz answers 503 when Redis does not answer, while /healthz stays 200', async () => {
    // Nothing listens on a port the OS just handed out and took back.
    const redis = createRedisConnection(`redis://127.0.0.1:${await freePort()}`, {
      role: 'producer',
      extra: { enableOfflineQueue: false, lazyConnect: true },
    });
    redis.on('error', () => {});
    const app = buildApi({ redis, logger, webhook: undefined });
    try {
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ ok: false });
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      redis.disconnect();
    }
  });
});
