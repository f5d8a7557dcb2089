import type {
  Generation,
  GenerationCreateOptions,
  GenerationCreateParams,
  ReelayClient,
} from '@reelay/client';
import type { CallbackPolicy } from '@reelay/pipeline';
import type { Caller } from '../auth/api-keys.ts';
import { CreateBatcher } from './create-batcher.ts';
import { apiError, fromError } from './errors.ts';
import type { ProducerHandler } from './request.ts';
import { generationCreateBodySchema, generationListQuerySchema, resourceIdSchema } from './schemas.ts';
import { readIdempotencyKey, refuseCallbackUrl, validate } from './validate.ts';

const NOT_FOUND = 'no generation with this id for this API key';

/**
 * The generation of `id` if the caller's tenant owns it. Another tenant's generation is answered
 * exactly like a missing one (404, same message): a 403 would confirm the id exists.
 */
export async function ownGeneration(
  client: ReelayClient,
  caller: Caller,
  id: string | undefined,
): Promise<Generation | undefined> {
  if (id === undefined || !resourceIdSchema.safeParse(id).success) return undefined;
  try {
    const generation = await client.generations.retrieve(id);
    return generation.tenant === caller.tenant ? generation : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'not_found') return undefined;
    throw error;
  }
}

/**
 * POST /v1/generations: 201 when created, 200 when an earlier request with the same key made it.
 * Creates go through a CreateBatcher (concurrent requests share one pipelined write).
 */
export function createGenerationHandler(
  client: ReelayClient,
  callbackPolicy: CallbackPolicy = {},
): ProducerHandler {
  const batcher = new CreateBatcher(client.generations);
  return async ({ caller, body, headers }) => {
    const key = readIdempotencyKey(headers);
    if (!key.ok) return key.result;
    const idempotencyKey = key.key;
    const checked = validate(generationCreateBodySchema, body, 'body');
    if (!checked.ok) return checked.result;
    const { priority, callback_url, ...params } = checked.data;
    const refused = refuseCallbackUrl(callback_url, callbackPolicy);
    if (refused) return refused;
    const options: GenerationCreateOptions = { tenant: caller.tenant };
    if (idempotencyKey !== undefined) options.idempotencyKey = idempotencyKey;
    if (priority !== undefined) options.priority = priority;
    if (callback_url !== undefined) options.callbackUrl = callback_url;
    try {
      const response = await batcher.create(params as GenerationCreateParams, options);
      const created = response.data.some((g) => g.created);
      return { status: created ? 201 : 200, body: response };
    } catch (error) {
      return fromError(error);
    }
  };
}

/** GET /v1/generations/:id */
export function retrieveGenerationHandler(client: ReelayClient): ProducerHandler {
  return async ({ caller, params }) => {
    try {
      const generation = await ownGeneration(client, caller, params['id']);
      return generation ? { status: 200, body: generation } : apiError(404, 'not_found', NOT_FOUND, 'id');
    } catch (error) {
      return fromError(error, NOT_FOUND);
    }
  };
}

/** GET /v1/generations?status=&cursor=&limit= — the caller's tenant only, newest first. */
export function listGenerationsHandler(client: ReelayClient): ProducerHandler {
  return async ({ caller, query }) => {
    const checked = validate(generationListQuerySchema, query, 'query');
    if (!checked.ok) return checked.result;
    try {
      const page = await client.generations.list({ ...checked.data, tenant: caller.tenant });
      return { status: 200, body: page };
    } catch (error) {
      // A cursor that does not decode is the caller's mistake; the client says invalid_request.
      return fromError(error);
    }
  };
}

/**
 * DELETE /v1/generations/:id — cancels. 200 with the cancelled record; 409 `conflict` when it had
 * already ended (completed, failed or cancelled), since cancelling cannot undo that.
 */
export function cancelGenerationHandler(client: ReelayClient): ProducerHandler {
  return async ({ caller, params }) => {
    try {
      const generation = await ownGeneration(client, caller, params['id']);
      if (!generation) return apiError(404, 'not_found', NOT_FOUND, 'id');
      try {
        return { status: 200, body: await client.generations.cancel(generation.id) };
      } catch (error) {
        if ((error as { code?: unknown }).code === 'invalid_request') {
          return apiError(409, 'conflict', 'generation has already ended; nothing to cancel', 'id');
        }
        throw error;
      }
    } catch (error) {
      return fromError(error, NOT_FOUND);
    }
  };
}
