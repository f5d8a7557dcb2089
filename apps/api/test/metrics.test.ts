import { createHash, randomBytes } from 'node:crypto';
import {
  type AppProcess,
  type PromFamily,
  parsePrometheus,
  promSamples,
  promTotal,
  type RedisFixture,
  startApi,
  startRedis,
} from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The catalogue dashboards and alerts are checked against (infra/test): the exporter must match it.
import { API_METRICS, METRICS } from '../../../infra/test/lib/metrics.ts';

function value(
  families: PromFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return promSamples(families, name, labels).length === 0 ? undefined : promTotal(families, name, labels);
}

const RPM = 5;
let redis: RedisFixture;
let api: AppProcess & { url: string };
const key = `rk_${randomBytes(16).toString('hex')}`;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApi({
    REDIS_URL: redis.url,
    REELAY_PREFIX: redis.prefix('api-metrics'),
    REELAY_API_KEYS: `acme:${createHash('sha256').update(key).digest('hex')}`,
    REELAY_API_KEY_RPM: String(RPM),
  });
});
afterAll(async () => {
  await api?.stop();
  await redis?.stop();
});

const call = (
  path: string,
  init: { method?: string; body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
) =>
  fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      'content-type': 'application/json',
      ...(init.key === null ? {} : { authorization: `Bearer ${init.key ?? key}` }),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });

describe('/metrics of the api process', () => {
  it('parses as Prometheus text holding request, create, per-key 429, queue and process series after traffic', async () => {
    // Within one key's limit of RPM requests a minute: two creates (the second an idempotent replay),
    // a retrieve, a list, a list more than allowed (429). Without a key: 401, before the limit.
    const body = { prompt: 'a metered clip' };
    const first = await call('/v1/generations', {
      method: 'POST',
      body,
      headers: { 'idempotency-key': 'm-1' },
    });
    expect(first.status).toBe(201);
    const id = ((await first.json()) as { data: Array<{ id: string }> }).data[0]?.id;
    expect(
      (await call('/v1/generations', { method: 'POST', body, headers: { 'idempotency-key': 'm-1' } })).status,
    ).toBe(200);
    expect((await call(`/v1/generations/${id}`)).status).toBe(200);
    expect((await call('/v1/generations')).status).toBe(200);
    expect((await call('/v1/generations')).status).toBe(200);
    expect((await call('/v1/generations')).status).toBe(429);
    expect((await call('/v1/generations', { key: null })).status).toBe(401);
    expect((await call('/no/such/path')).status).toBe(404);

    // Open like /healthz: Prometheus scrapes without credentials.
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const families = parsePrometheus(await res.text());
    const requests = (labels: Record<string, string>) => value(families, 'reelay_api_requests_total', labels);

    expect(families.find((f) => f.name === 'reelay_api_requests_total')?.type).toBe('COUNTER');
    expect(families.find((f) => f.name === 'reelay_api_request_duration_seconds')?.type).toBe('HISTOGRAM');
    const create = { method: 'POST', route: '/v1/generations' };
    expect(requests({ ...create, status: '201' })).toBe(1);
    expect(requests({ ...create, status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/generations/:id', status: '200' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/generations', status: '200' })).toBe(2);
    // The per-key limit's refusal, and the missing key, on the route they were sent to.
    expect(requests({ method: 'GET', route: '/v1/generations', status: '429' })).toBe(1);
    expect(requests({ method: 'GET', route: '/v1/generations', status: '401' })).toBe(1);
    // An unknown path is one series, whatever the URL.
    expect(requests({ route: 'unmatched', status: '404' })).toBe(1);
    expect(JSON.stringify(families)).not.toContain('/no/such/path');

    // The created generation waits in the submit queue (no worker runs here).
    expect(value(families, 'reelay_queue_jobs', { queue: 'submit', state: 'waiting' })).toBe(1);
    expect(
      value(families, 'reelay_queue_oldest_waiting_seconds', { queue: 'submit' }),
    ).toBeGreaterThanOrEqual(0);
    // Process metrics (prom-client's defaults).
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(value(families, name), name).toBeGreaterThanOrEqual(0);
    }
    // Nothing outside the catalogue dashboards query against.
    const reelay = families.map((f) => f.name).filter((n) => n.startsWith('reelay_'));
    const catalogue = { ...METRICS, ...API_METRICS };
    for (const name of reelay) expect(Object.keys(catalogue), name).toContain(name);
    expect(reelay).toEqual(expect.arrayContaining(Object.keys(API_METRICS)));
    // No key or key hash reaches a label.
    const sha = createHash('sha256').update(key).digest('hex');
    expect(JSON.stringify(families)).not.toContain(key);
    expect(JSON.stringify(families)).not.toContain(sha);
  });
});
