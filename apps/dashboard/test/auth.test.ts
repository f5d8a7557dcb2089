import { type StageQueues, closeStageQueues, createLogger, createStageQueues } from '@reelay/core';
import { type RedisFixture, startRedis, waitFor } from '@reelay/testing';
import { Worker } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDashboard, hashPassword, parseOperators } from '../src/index.ts';

const ADMIN = { user: 'alice', password: 'alice-correct-horse' };
const VIEWER = { user: 'bob', password: 'bob-battery-staple' };
const basic = (c: { user: string; password: string }) =>
  `Basic ${Buffer.from(`${c.user}:${c.password}`).toString('base64')}`;

let redis: RedisFixture;
let connection: Redis;
let queues: StageQueues;
let app: FastifyInstance;
let base: string;
let failedJobId: string;

beforeAll(async () => {
  redis = await startRedis();
  const prefix = redis.prefix('dash-auth');
  connection = new Redis(redis.url, { maxRetriesPerRequest: 3 });
  queues = createStageQueues(connection, prefix);
  const users = `${ADMIN.user}:admin:${await hashPassword(ADMIN.password)},${VIEWER.user}:readonly:${await hashPassword(VIEWER.password)}`;
  // A real failed job: a real worker that fails it without retries.
  const job = await queues.submit.add('submit', { generationId: 'gen_x', round: 0 }, { attempts: 1 });
  failedJobId = job.id!;
  const worker = new Worker(
    'submit',
    async () => {
      throw new Error('provider said no');
    },
    { connection: new Redis(redis.url, { maxRetriesPerRequest: null }), prefix },
  );
  await waitFor(async () => (await queues.submit.getJobState(failedJobId)) === 'failed', {
    message: 'the job to fail',
  });
  await worker.close();
  app = buildDashboard({
    redis: connection,
    prefix,
    queues,
    operators: parseOperators(users),
    limits: {
      maxInFlight: 4,
      globalDailyUsd: 10,
      globalMonthlyUsd: 0,
      tenantDailyUsd: 0,
      tenantMonthlyUsd: 0,
      tenants: {},
      dayMs: 86_400_000,
    },
    logger: createLogger({ name: 'dashboard-test', format: 'json', destination: process.stderr }),
  });
  base = await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  if (queues) await closeStageQueues(queues);
  connection?.disconnect();
  await redis?.stop();
});

const call = (path: string, init: RequestInit = {}, who?: { user: string; password: string }) =>
  fetch(`${base}${path}`, {
    ...init,
    headers: { ...(who ? { authorization: basic(who) } : {}), ...(init.headers as Record<string, string>) },
  });

describe('authentication', () => {
  const protectedPaths = [
    '/health',
    '/health/queues.json',
    '/queues',
    '/queues/queue/submit',
    '/queues/api/queues',
    '/queues/static/favicon-32x32.png',
    '/no-such-page',
  ];

  it.each(protectedPaths)('answers 401 with a Basic challenge to an anonymous GET %s', async (path) => {
    const res = await call(path);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Basic realm="Reelay dashboard"/);
  });

  it('answers 401 to a wrong password and to an unknown user', async () => {
    expect((await call('/queues/api/queues', {}, { ...ADMIN, password: 'nope-nope-nope' })).status).toBe(401);
    expect((await call('/queues/api/queues', {}, { user: 'mallory', password: ADMIN.password })).status).toBe(
      401,
    );
    // A read-only name claimed with a wrong password is refused too, not just routed elsewhere.
    expect((await call('/queues/api/queues', {}, { ...VIEWER, password: 'x' })).status).toBe(401);
  });

  it('serves pages, the API and static assets to an operator', async () => {
    for (const path of ['/health', '/queues', '/queues/static/favicon-32x32.png']) {
      expect((await call(path, {}, VIEWER)).status, path).toBe(200);
    }
    const health = (await (await call('/health/queues.json', {}, ADMIN)).json()) as {
      stages: Array<{ stage: string; failed: number }>;
      limits: { inFlight: { cap: number } };
    };
    expect(health.stages.find((s) => s.stage === 'submit')?.failed).toBe(1);
    expect(health.limits.inFlight.cap).toBe(4);
  });

  it('leaves the probes open for orchestrators', async () => {
    expect((await call('/healthz')).status).toBe(200);
    const ready = await call('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ok: true, redis: 'ok' });
  });
});

describe('roles', () => {
  const retry = () => `/queues/api/queues/submit/${failedJobId}/retry`;

  it('shows the read-only operator a read-only board', async () => {
    const res = await call('/queues/api/queues', {}, VIEWER);
    const body = (await res.json()) as { queues: Array<{ name: string; readOnlyMode: boolean }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual(['download', 'notify', 'poll', 'submit']);
    expect(body.queues.every((q) => q.readOnlyMode)).toBe(true);
  });

  it('answers 405 to every change a read-only operator sends, wherever it is sent', async () => {
    const attempts: Array<[string, string]> = [
      ['PUT', retry()],
      ['PUT', '/queues/api/queues/submit/retry/failed'],
      [`PUT`, `/queues/api/queues/submit/${failedJobId}/promote`],
      ['PUT', '/queues/api/queues/submit/promote'],
      ['PUT', `/queues/api/queues/submit/${failedJobId}/clean`],
      ['PUT', '/queues/api/queues/submit/clean/failed'],
      ['PUT', '/queues/api/queues/submit/pause'],
      ['POST', '/queues/api/queues/submit/add'],
      ['PUT', `/_readonly/queues/api/queues/submit/${failedJobId}/retry`],
    ];
    for (const [method, path] of attempts) {
      const res = await call(
        path,
        { method, headers: { 'content-type': 'application/json' }, body: '{}' },
        VIEWER,
      );
      expect(res.status, `${method} ${path}`).toBe(405);
    }
    expect(await queues.submit.getJobState(failedJobId)).toBe('failed');
    expect(await queues.submit.isPaused()).toBe(false);
  });

  it('lets an admin retry a failed job, but not obliterate a queue or add a job', async () => {
    const denied = await call('/queues/api/queues/submit/obliterate', { method: 'PUT' }, ADMIN);
    expect(denied.status).toBe(405);
    const add = await call(
      '/queues/api/queues/submit/add',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","data":{}}' },
      ADMIN,
    );
    expect(add.status).toBe(405);
    const res = await call(retry(), { method: 'PUT' }, ADMIN);
    expect(res.status).toBeLessThan(300);
    expect(await queues.submit.getJobState(failedJobId)).not.toBe('failed');
  });
});
