import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError } from '../api-error.ts';
import type { SimState } from '../sim-state.ts';

const JSON_PARSE_MESSAGE =
  "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)";

/** Any thrown error becomes the OpenAI error shape with `Content-Type: application/json` (the SDK needs it). */
function toApiError(error: FastifyError | ApiError): ApiError {
  if (error instanceof ApiError) return error;
  const status = error.statusCode ?? 500;
  if (error.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || error.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') {
    return new ApiError(400, JSON_PARSE_MESSAGE);
  }
  if (error instanceof SyntaxError) return new ApiError(400, JSON_PARSE_MESSAGE);
  if (status >= 500) {
    return new ApiError(500, 'The server had an error while processing your request. Sorry about that!', {
      type: 'server_error',
    });
  }
  return new ApiError(status, error.message);
}

export function errorHandler(state: SimState) {
  return (error: FastifyError | ApiError, _request: FastifyRequest, reply: FastifyReply): void => {
    const apiError = toApiError(error);
    if (apiError.status === 429) state.stats.rateLimited += 1;
    if (apiError.status >= 500) state.stats.serverErrors += 1;
    reply.code(apiError.status).headers(apiError.headers).type('application/json').send(apiError.body());
  };
}

export function notFoundHandler(request: FastifyRequest): never {
  throw new ApiError(404, `Invalid URL (${request.method} ${request.url.split('?')[0]})`);
}
