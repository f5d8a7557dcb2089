import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ApiError } from '../api-error.ts';
import type { LimitClass } from '../rate-limits.ts';
import type { SimState } from '../sim-state.ts';
import type { SimStats } from '../stats.ts';

type Counter = keyof Pick<
  SimStats,
  | 'createRequests'
  | 'remixRequests'
  | 'retrieveRequests'
  | 'contentRequests'
  | 'listRequests'
  | 'deleteRequests'
  | 'moderationRequests'
>;

/** Route pattern → what it counts as and which rate window it uses. */
const ROUTES: Record<string, { counter: Counter; limit: LimitClass }> = {
  'POST /v1/videos': { counter: 'createRequests', limit: 'create' },
  'POST /v1/videos/:id/remix': { counter: 'remixRequests', limit: 'create' },
  'GET /v1/videos/:id': { counter: 'retrieveRequests', limit: 'read' },
  'GET /v1/videos/:id/content': { counter: 'contentRequests', limit: 'read' },
  'GET /v1/videos': { counter: 'listRequests', limit: 'read' },
  'DELETE /v1/videos/:id': { counter: 'deleteRequests', limit: 'read' },
  'POST /v1/moderations': { counter: 'moderationRequests', limit: 'read' },
};

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The key a request authenticated with (set by the gate on every /v1 request). */
export function apiKeyOf(request: FastifyRequest): string {
  return (request as FastifyRequest & { apiKey?: string }).apiKey ?? '';
}

function authenticate(request: FastifyRequest, allowed: readonly string[]): string {
  const header = request.headers.authorization;
  const match = header ? BEARER.exec(header) : null;
  if (!match?.[1]) {
    throw new ApiError(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
    );
  }
  // Never echo the key, not even masked: it would end up in client logs.
  if (allowed.length > 0 && !allowed.includes(match[1])) {
    throw new ApiError(401, 'Incorrect API key provided.', { code: 'invalid_api_key' });
  }
  return match[1];
}

/**
 * The onRequest gate of every /v1 call, in the order a real edge applies it: count, authenticate, rate
 * limit, then the injected faults (reset, slow, server error). Callback style rather than async because
 * it runs on every request and most requests need no await.
 */
export function gate(state: SimState) {
  return (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    reply.header('x-request-id', request.id);
    if (!request.url.startsWith('/v1/')) {
      done();
      return;
    }
    const route = ROUTES[`${request.method} ${request.routeOptions.url}`];
    if (route) state.stats[route.counter] += 1;
    const config = state.config;
    try {
      const apiKey = authenticate(request, config.apiKeys);
      (request as FastifyRequest & { apiKey?: string }).apiKey = apiKey;
      const limitHeaders = state.limits.admit(
        apiKey,
        route?.limit ?? 'read',
        config,
        state.stats,
        Date.now(),
      );
      for (const name in limitHeaders) reply.header(name, limitHeaders[name]);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (config.resetRate > 0 && state.faultDraw() < config.resetRate) {
      state.stats.connectionResets += 1;
      reply.hijack();
      request.raw.socket.resetAndDestroy();
      return; // the request ends here; no handler runs
    }
    const injected =
      config.serverErrorRate > 0 && state.faultDraw() < config.serverErrorRate
        ? serverError(config.serverErrorStatus)
        : undefined;
    const proceed = () => (injected ? done(injected) : done());
    if (config.slowMs > 0 && (config.slowRate >= 1 || state.faultDraw() < config.slowRate)) {
      setTimeout(proceed, config.slowMs);
    } else {
      proceed();
    }
  };
}

function serverError(status: 500 | 503): ApiError {
  return status === 503
    ? new ApiError(503, 'The server is overloaded or not ready yet.', { type: 'server_error' })
    : new ApiError(500, 'The server had an error while processing your request. Sorry about that!', {
        type: 'server_error',
      });
}
