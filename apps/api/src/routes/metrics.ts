import type { ReelayMetrics } from '@reelay/core';
import type { FastifyInstance } from 'fastify';

/**
 * GET /metrics: Prometheus text of this process (queue gauges read at scrape time, process metrics).
 * Open like /healthz: Prometheus scrapes inside the cluster without credentials.
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: ReelayMetrics): void {
  app.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.render();
    return reply.header('content-type', contentType).send(body);
  });
}
