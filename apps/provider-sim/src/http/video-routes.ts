import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalidValue, notFound } from '../api-error.ts';
import { type CreateRequest, validateCreate } from '../catalog.ts';
import { isBlocked, moderationBlocked } from '../moderation.ts';
import type { SimState } from '../sim-state.ts';
import { toVideoObject, type VideoRecord } from '../video-record.ts';
import { checkInputReference, readBody } from './body.ts';
import { apiKeyOf } from './gate.ts';

type IdParams = { Params: { id: string } };

export function videoNotFound(id: string): ApiError {
  return notFound(`Video with id '${id}' not found.`);
}

function quotaExceeded(): ApiError {
  // No Retry-After: waiting does not help, and clients must not treat it as a rate limit.
  return new ApiError(
    429,
    'You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.',
    { type: 'insufficient_quota', code: 'insufficient_quota' },
  );
}

/** Quota, then the in-flight cap, then a new billed generation; shared by create and remix. */
function startGeneration(
  state: SimState,
  apiKey: string,
  request: CreateRequest,
  remixedFrom: string | null,
  now: number,
): VideoRecord {
  const config = state.config;
  if (
    config.quotaExhausted ||
    (config.quotaVideos > 0 && state.store.billedFor(apiKey) >= config.quotaVideos)
  ) {
    throw quotaExceeded();
  }
  if (config.maxInFlight > 0) {
    const running = state.store.inFlightFor(apiKey, now);
    if (running.length >= config.maxInFlight) {
      const waitMs = Math.max(1, Math.min(...running.map((r) => r.endsMs)) - now);
      throw new ApiError(
        429,
        `Too many video generations in progress: limit ${config.maxInFlight}. Please try again in ${(waitMs / 1000).toFixed(3)}s.`,
        {
          type: 'requests',
          code: 'rate_limit_exceeded',
          headers: { 'retry-after': String(Math.ceil(waitMs / 1000)), 'retry-after-ms': String(waitMs) },
        },
      );
    }
  }
  const record = state.store.create(apiKey, request, remixedFrom, config, now);
  state.stats.videosCreated += 1;
  state.stats.billedSeconds += Number(request.seconds);
  state.stats.inFlight = state.store.inFlight;
  state.stats.maxInFlight = Math.max(state.stats.maxInFlight, state.store.inFlight);
  return record;
}

/** lostCreateRate: the video is made and billed, but the client never hears back (the idempotency case). */
function replyOrLose(
  state: SimState,
  request: FastifyRequest,
  reply: FastifyReply,
  record: VideoRecord,
  now: number,
) {
  if (state.config.lostCreateRate > 0 && state.faultDraw() < state.config.lostCreateRate) {
    state.stats.connectionResets += 1;
    reply.hijack();
    request.raw.socket.resetAndDestroy();
    return reply;
  }
  return reply.send(toVideoObject(record, now));
}

export function registerVideoRoutes(app: FastifyInstance, state: SimState): void {
  app.post('/v1/videos', async (request, reply) => {
    const apiKey = apiKeyOf(request);
    const body = await readBody(request);
    const header = request.headers['idempotency-key'];
    const idempotencyKey =
      state.config.idempotency && typeof header === 'string' && header !== '' ? header : null;
    // From here to the end nothing awaits, so two requests with one key cannot both create.
    const now = Date.now();
    if (idempotencyKey) {
      const existing = state.store.idempotentVideo(apiKey, idempotencyKey);
      const record = existing ? state.store.get(existing, now) : undefined;
      if (record) {
        state.stats.idempotentReplays += 1;
        return reply.send(toVideoObject(record, now));
      }
    }
    const params = validateCreate(body);
    checkInputReference(body['input_reference']);
    if (isBlocked(params.prompt, state.config.moderationBlocklist)) throw moderationBlocked();
    const record = startGeneration(state, apiKey, params, null, now);
    if (idempotencyKey) state.store.rememberIdempotency(apiKey, idempotencyKey, record.id);
    return replyOrLose(state, request, reply, record, now);
  });

  app.get<IdParams>('/v1/videos/:id', async (request) => {
    const now = Date.now();
    const record = state.store.get(request.params.id, now);
    if (!record) throw videoNotFound(request.params.id);
    return toVideoObject(record, now);
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/videos', async (request) => {
    const { after, limit: rawLimit, order: rawOrder } = request.query;
    const limit = rawLimit === undefined ? 20 : Number(rawLimit);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new ApiError(
        400,
        `Invalid 'limit': expected an integer between 1 and 100, but got '${rawLimit}'.`,
        {
          param: 'limit',
          code: 'invalid_value',
        },
      );
    }
    if (limit > 100) {
      throw new ApiError(
        400,
        `Invalid 'limit': integer above maximum value. Expected a value <= 100, but got ${limit} instead.`,
        { param: 'limit', code: 'integer_above_max_value' },
      );
    }
    const order = rawOrder ?? 'desc';
    if (order !== 'asc' && order !== 'desc') throw invalidValue('order', order, ['asc', 'desc']);
    const now = Date.now();
    const { page, hasMore } = state.store.list(now, { after: after || undefined, limit, order });
    const data = page.map((record) => toVideoObject(record, now));
    return {
      object: 'list',
      data,
      first_id: data[0]?.id ?? null,
      last_id: data.at(-1)?.id ?? null,
      has_more: hasMore,
    };
  });

  app.delete<IdParams>('/v1/videos/:id', async (request) => {
    const now = Date.now();
    const record = state.store.get(request.params.id, now);
    if (!record) throw videoNotFound(request.params.id);
    const status = state.store.statusOf(record, now);
    if (status !== 'completed' && status !== 'failed') {
      throw new ApiError(
        400,
        `Video '${record.id}' is ${status}; only completed or failed videos can be deleted.`,
      );
    }
    state.store.delete(record.id);
    return { id: record.id, object: 'video.deleted', deleted: true };
  });

  app.post<IdParams>('/v1/videos/:id/remix', async (request, reply) => {
    const apiKey = apiKeyOf(request);
    const body = await readBody(request);
    const now = Date.now();
    const source = state.store.get(request.params.id, now);
    if (!source) throw videoNotFound(request.params.id);
    if (state.store.statusOf(source, now) !== 'completed') {
      throw new ApiError(400, `Video '${source.id}' is not completed; only completed videos can be remixed.`);
    }
    const params = validateCreate({
      prompt: body['prompt'],
      model: source.model,
      seconds: source.seconds,
      size: source.size,
    });
    if (isBlocked(params.prompt, state.config.moderationBlocklist)) throw moderationBlocked();
    const record = startGeneration(state, apiKey, params, source.id, now);
    return replyOrLose(state, request, reply, record, now);
  });
}
