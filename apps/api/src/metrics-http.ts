import type { ReelayMetrics } from '@reelay/core';
import type { FastifyInstance } from 'fastify';
import { Counter, Histogram } from 'prom-client';

/** Responses take from well under a millisecond (a cached 429) to seconds (a large streamed video). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The api's HTTP series, in the process's registry beside the queue gauges and process metrics:
 * `reelay_api_requests_total{method,route,status}` — creates are `POST /v1/generations` (201 created,
 * 200 an idempotent replay), the per-key limit's refusals `status="429"`, missing keys 401 — and
 * `reelay_api_request_duration_seconds{method,route}`. `route` is the route's pattern
 * (`/v1/generations/:id`), `unmatched` for a path no route serves: a label per URL would let any
 * client grow the series without bound. Counted when the response has been sent (`onResponse`).
 */
export function registerHttpMetrics(app: FastifyInstance, metrics: ReelayMetrics): void {
  const registers = [metrics.registry];
  const requests = new Counter({
    name: 'reelay_api_requests_total',
    help: 'HTTP responses of the api, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'reelay_api_request_duration_seconds',
    help: 'Time from request to response sent, by method and route pattern',
    labelNames: ['method', 'route'] as const,
    buckets: DURATION_BUCKETS,
    registers,
  });
  app.addHook('onResponse', async (request, reply) => {
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method, route, status: String(reply.statusCode) });
    duration.observe({ method, route }, reply.elapsedTime / 1000);
  });
}
