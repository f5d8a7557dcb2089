import type { Logger } from '@reelay/core';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Redis } from 'ioredis';
import type { ProducerDeps } from './producer/producer-options.ts';
import { registerProducerRoutes } from './producer-routes.ts';
import type { Handler } from './routes/handler.ts';
import { healthzHandler, readyzHandler } from './routes/health.ts';
import { type WebhookContext, providerWebhookHandler } from './routes/webhook.ts';

export interface ApiDeps {
  /** A producer-role connection (fails fast) for /readyz. */
  redis: Redis;
  logger: Logger;
  /** Undefined when no webhook secret is configured: the webhook route then answers 503. */
  webhook: WebhookContext | undefined;
  /** The producer API (`/v1/*`, `/openapi.json`); undefined: those routes are not served. */
  producer?: ProducerDeps;
}

/** Webhook bodies are a few hundred bytes; 256 KiB leaves room and refuses floods early. */
const WEBHOOK_BODY_LIMIT = 256 * 1024;

/** The api's HTTP surface, not yet listening: main.ts listens, tests use `inject` or listen on 0. */
export function buildApi(deps: ApiDeps): FastifyInstance {
  // Fastify's own logger stays off: it would log every request (headers included) and a line of its
  // own before main.ts prints the `listening` line scripts read. Outcomes are logged by the handlers.
  const app = Fastify({ logger: false });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Client errors (a body too large, a bad content length) keep their status; anything else is
    // ours, answered 500 so the provider retries the delivery later.
    const status = typeof error.statusCode === 'number' && error.statusCode < 500 ? error.statusCode : 500;
    if (status >= 500) deps.logger.error({ err: error, url: request.url }, 'request failed');
    void reply.code(status).send({ ok: false, error: status >= 500 ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => {
    void reply.code(404).send({
      ok: false,
      error:
        'not found: try /v1/generations, GET /openapi.json, POST /webhooks/provider, GET /healthz, GET /readyz',
    });
  });
  if (deps.producer) registerProducerRoutes(app, deps.producer, deps.logger);

  app.get('/healthz', route(healthzHandler()));
  app.get('/readyz', route(readyzHandler(deps.redis)));

  // Content-type parsers are scoped to this plugin: only the webhook keeps its body as the raw
  // string the signature covers; later JSON routes of the producer API parse as usual.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      '*',
      { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT },
      (_request, body, done) => {
        done(null, body);
      },
    );
    scope.post(
      '/webhooks/provider',
      { bodyLimit: WEBHOOK_BODY_LIMIT },
      route(providerWebhookHandler(deps.webhook)),
    );
  });
  return app;
}

function route(handler: Handler) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const rawBody = typeof request.body === 'string' ? request.body : '';
    const result = await handler({ rawBody, headers: request.headers });
    if (result.headers) void reply.headers(result.headers);
    return reply.code(result.status).type('application/json').send(result.body);
  };
}
