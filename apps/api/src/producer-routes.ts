import type { Logger } from '@reelay/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Caller, authenticate } from './auth/api-keys.ts';
import { createCampaignHandler, retrieveCampaignHandler } from './producer/campaigns.ts';
import { generationContentHandler } from './producer/content.ts';
import { apiError } from './producer/errors.ts';
import {
  cancelGenerationHandler,
  createGenerationHandler,
  listGenerationsHandler,
  retrieveGenerationHandler,
} from './producer/generations.ts';
import { PRODUCER_ROUTES, buildOpenApiDocument } from './producer/openapi.ts';
import { DEFAULT_BODY_LIMIT_BYTES, type ProducerDeps } from './producer/producer-options.ts';
import type { ProducerHandler } from './producer/request.ts';
import type { HandlerResult } from './routes/handler.ts';

/** Fastify's framework errors (parsing, limits) → the API's error shape; never a stack. */
function frameworkError(error: FastifyError & { apiCode?: string }): HandlerResult {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return apiError(415, 'unsupported_media_type', 'Content-Type must be application/json', 'Content-Type');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return apiError(413, 'body_too_large', 'request body is larger than the limit', null);
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return apiError(400, 'invalid_request', 'Content-Length does not match the body', 'Content-Length');
  }
  if (error.apiCode === 'invalid_json') return apiError(400, 'invalid_json', error.message, null);
  if (typeof error.statusCode === 'number' && error.statusCode < 500) {
    return apiError(error.statusCode, 'invalid_request', 'the request could not be read', null);
  }
  return apiError(500, 'internal', 'internal error', null);
}

function jsonError(message: string): Error {
  return Object.assign(new Error(message), { statusCode: 400, apiCode: 'invalid_json' });
}

const PREFIX = '/v1';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The producer API (`/v1/*`) and `/openapi.json`. Auth and the per-key limit run in `onRequest`, before
 * the body is read, so an unauthenticated or limited caller costs no parsing.
 */
export function registerProducerRoutes(app: FastifyInstance, deps: ProducerDeps, logger: Logger): void {
  const bodyLimit = deps.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  // The authenticated caller of each request, set by the onRequest hook (no request decoration needed).
  const callers = new WeakMap<FastifyRequest, Caller>();
  const openapi = buildOpenApiDocument();
  app.get('/openapi.json', async (_request, reply) => reply.type('application/json').send(openapi));

  const send = (reply: FastifyReply, result: HandlerResult) => {
    void reply.code(result.status);
    if (result.headers) void reply.headers(result.headers);
    if (!result.headers?.['content-type']) void reply.type('application/json');
    return reply.send(result.body);
  };

  void app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      // Our own JSON parser: invalid UTF-8 is refused (the default would turn it into U+FFFD and
      // accept it), and every failure carries a code the error handler maps to `invalid_json`.
      scope.addContentTypeParser(
        'application/json',
        { parseAs: 'buffer', bodyLimit },
        (
          _request: FastifyRequest,
          raw: Buffer | string,
          done: (err: Error | null, body?: unknown) => void,
        ) => {
          let text: string;
          try {
            text = typeof raw === 'string' ? raw : utf8.decode(raw);
          } catch {
            done(jsonError('body is not valid UTF-8'));
            return;
          }
          if (text.trim() === '') {
            done(jsonError('body is empty; send a JSON object'));
            return;
          }
          try {
            done(null, JSON.parse(text));
          } catch (error) {
            done(jsonError(`body is not valid JSON: ${(error as Error).message.slice(0, 200)}`));
          }
        },
      );
      scope.setErrorHandler((error: FastifyError, request, reply) => {
        const result = frameworkError(error);
        if (result.status >= 500) logger.error({ err: error, url: request.url }, 'producer request failed');
        return send(reply, result);
      });
      scope.setNotFoundHandler((request, reply) =>
        send(
          reply,
          apiError(
            404,
            'not_found',
            `no route ${request.method} ${request.url.split('?')[0]}; see /openapi.json`,
          ),
        ),
      );
      scope.addHook('onRequest', async (request, reply) => {
        const caller = authenticate(deps.keys, request.headers.authorization);
        if (caller === undefined) {
          return send(
            reply,
            apiError(
              401,
              'unauthorized',
              'send a valid API key as Authorization: Bearer <key>',
              'Authorization',
              {
                'www-authenticate': 'Bearer',
              },
            ),
          );
        }
        if (deps.limit) {
          let decision: Awaited<ReturnType<typeof deps.limit.take>>;
          try {
            decision = await deps.limit.take(caller.keyHash);
          } catch (error) {
            logger.error({ err: error }, 'per-key limit unavailable');
            return send(reply, apiError(503, 'unavailable', 'temporarily unavailable; retry later'));
          }
          if (!decision.allowed) {
            return send(
              reply,
              apiError(429, 'rate_limited', 'too many requests for this API key', null, {
                'retry-after': String(decision.retryAfterS),
              }),
            );
          }
        }
        callers.set(request, caller);
      });

      const bind = (handler: ProducerHandler) => async (request: FastifyRequest, reply: FastifyReply) => {
        const caller = callers.get(request)!;
        const result = await handler({
          caller,
          params: (request.params ?? {}) as Record<string, string>,
          query: (request.query ?? {}) as Record<string, unknown>,
          body: request.body,
          headers: request.headers,
        });
        if (result.status >= 500)
          logger.error({ url: request.url, status: result.status }, 'producer request failed');
        return send(reply, result);
      };
      const handlers: Record<keyof typeof PRODUCER_ROUTES, ProducerHandler> = {
        createGeneration: createGenerationHandler(deps.client, deps.callbackPolicy),
        listGenerations: listGenerationsHandler(deps.client),
        retrieveGeneration: retrieveGenerationHandler(deps.client),
        cancelGeneration: cancelGenerationHandler(deps.client),
        generationContent: generationContentHandler(deps.client, deps.objectStore),
        createCampaign: createCampaignHandler(deps.client, deps.callbackPolicy),
        retrieveCampaign: retrieveCampaignHandler(deps.client),
      };
      // Routes come from the OpenAPI route table, so every documented route exists and nothing else.
      for (const [name, route] of Object.entries(PRODUCER_ROUTES) as Array<
        [keyof typeof PRODUCER_ROUTES, (typeof PRODUCER_ROUTES)[keyof typeof PRODUCER_ROUTES]]
      >) {
        const url = route.path.slice(PREFIX.length).replace(/\{(\w+)\}/g, ':$1') || '/';
        scope.route({
          method: route.method.toUpperCase() as 'GET' | 'POST' | 'DELETE',
          url,
          bodyLimit,
          handler: bind(handlers[name]),
        });
      }
    },
    { prefix: PREFIX },
  );
}
