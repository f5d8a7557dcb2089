import fastifyBasicAuth from '@fastify/basic-auth';
import type { Logger, ReelayMetrics, StageQueues } from '@reelay/core';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { OperatorAuth, basicAuthValidator } from './auth/operator-auth.ts';
import { authorize } from './auth/permissions.ts';
import type { Operator } from './auth/users.ts';
import { BOARD_PATH, READONLY_MOUNT, registerBoards } from './boards.ts';
import type { LimitsConfig } from './health/limits-health.ts';
import { renderHealthPage } from './health/page.ts';
import { healthz, readyz } from './health/probes.ts';
import { readQueueHealth } from './health/queue-health.ts';

export interface DashboardDeps {
  /** A producer-role connection (fails fast), shared by the queues. */
  redis: Redis;
  prefix: string;
  queues: StageQueues;
  /** Undefined only in the insecure dev mode (env.ts allows it on loopback alone): no auth. */
  operators: Map<string, Operator> | undefined;
  limits: LimitsConfig;
  logger: Logger;
  /** Served at /metrics when given (main.ts gives it; tests may leave it out). */
  metrics?: ReelayMetrics;
}

/**
 * Probes stay open: a kubelet or load balancer has no credentials, and they reveal nothing. /metrics
 * too: Prometheus scrapes inside the cluster without credentials (infra/prometheus has no basic_auth),
 * and it holds queue counts and process figures, no generation, tenant data or secret.
 */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics']);
const BOARD_API = `${BOARD_PATH}/api/queues/`;

/** The dashboard's HTTP surface, not yet listening: main.ts listens, tests listen on port 0. */
export function buildDashboard(deps: DashboardDeps): FastifyInstance {
  const auth = deps.operators ? new OperatorAuth(deps.operators) : undefined;
  const app = Fastify({
    // Off like the api's: it would log every request with its Authorization header.
    logger: false,
    // Runs before routing: a read-only operator's board requests go to the read-only board. The
    // role comes from the claimed user name; the auth hook then verifies the password before any
    // handler runs, so a wrong password gets 401 wherever it was routed.
    rewriteUrl: (req) => {
      const url = req.url ?? '/';
      const readonly = auth?.claimedRole(req.headers.authorization) === 'readonly';
      return readonly && isUnder(url, BOARD_PATH) ? READONLY_MOUNT + url.slice(BOARD_PATH.length) : url;
    },
  });
  app.decorateRequest('operator', null);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) deps.logger.error({ err: error, url: request.url }, 'request failed');
    void reply.code(status).send({ ok: false, error: status >= 500 ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({ ok: false, error: `not found: try /health or ${BOARD_PATH}` });
  });

  if (auth) {
    void app.register(fastifyBasicAuth, {
      validate: basicAuthValidator(auth),
      authenticate: { realm: 'Reelay dashboard' },
    });
  }
  // Every route — pages, APIs, bull-board's static assets, 404s — passes here first.
  app.addHook('onRequest', (request, reply, done) => {
    if (PUBLIC_PATHS.has(pathOf(request.url))) return done();
    if (!auth) {
      request.operator = { name: 'insecure-dev', role: 'admin' };
      return done();
    }
    (app.basicAuth as (...args: unknown[]) => void)(request, reply, done);
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!request.operator) return;
    const path = pathOf(request.originalUrl);
    const apiPath = path.startsWith(BOARD_API) ? path.slice(BOARD_API.length) : undefined;
    const verdict = authorize(request.operator.role, request.method, apiPath);
    if (!verdict.allowed) {
      return reply
        .code(verdict.status)
        .header('allow', 'GET, HEAD')
        .send({ ok: false, error: verdict.reason });
    }
  });

  app.get('/healthz', async (_request, reply) => send(reply, await healthz()));
  app.get('/readyz', async (_request, reply) => send(reply, await readyz(deps.redis, deps.queues)));
  const metrics = deps.metrics;
  if (metrics) {
    app.get('/metrics', async (_request, reply) => {
      const { contentType, body } = await metrics.render();
      return reply.header('content-type', contentType).send(body);
    });
  }
  app.get('/', async (_request, reply) => reply.redirect('/health'));
  app.get('/health/queues.json', async () =>
    readQueueHealth(deps.redis, deps.prefix, deps.queues, deps.limits),
  );
  app.get('/health', async (request, reply) => {
    const health = await readQueueHealth(deps.redis, deps.prefix, deps.queues, deps.limits);
    return reply
      .type('text/html; charset=utf-8')
      .send(renderHealthPage(health, BOARD_PATH, request.operator));
  });
  registerBoards(app, deps.queues);
  return app;
}

function send(reply: import('fastify').FastifyReply, result: { status: number; body: unknown }) {
  return reply.code(result.status).send(result.body);
}

function pathOf(url: string): string {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

function isUnder(url: string, base: string): boolean {
  return url === base || url.startsWith(`${base}/`) || url.startsWith(`${base}?`);
}
