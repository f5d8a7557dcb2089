import { ReelayError } from '@reelay/core';
import type { HandlerResult } from '../routes/handler.ts';

/**
 * Stable `error.code` values of the producer API (README: errors table). Callers match on these,
 * never on messages.
 */
export type ApiErrorCode =
  | 'unauthorized'
  | 'rate_limited'
  | 'invalid_json'
  | 'invalid_request'
  | 'unsupported_media_type'
  | 'body_too_large'
  | 'not_found'
  | 'not_ready'
  | 'conflict'
  | 'content_policy'
  | 'moderation_unavailable'
  | 'unavailable'
  | 'internal';

export interface ApiErrorBody {
  error: {
    code: ApiErrorCode;
    message: string;
    param: string | null;
    /** `content_policy`: the moderation categories the prompt was flagged for. */
    categories?: string[];
  };
}

export function apiError(
  status: number,
  code: ApiErrorCode,
  message: string,
  param: string | null = null,
  headers?: Record<string, string>,
  extra: Pick<ApiErrorBody['error'], 'categories'> = {},
): HandlerResult {
  const body: ApiErrorBody = { error: { code, message, param, ...extra } };
  return headers ? { status, body, headers } : { status, body };
}

/** What a client/core failure means over HTTP. Anything unknown is a 500 without its message. */
export function fromError(error: unknown, notFoundMessage = 'no such resource for this key'): HandlerResult {
  if (!(error instanceof ReelayError) && !(error instanceof Error && 'code' in error)) {
    return apiError(500, 'internal', 'internal error');
  }
  const { code, message } = error as ReelayError;
  const param = (error as ReelayError).param ?? null;
  const details = (error as ReelayError).details;
  // The moderation check itself failed (moderation is on): nothing was enqueued, and nothing will be
  // until it answers. Its message is the client's, which never carries the provider key.
  if (details?.['stage'] === 'moderation' && code !== 'content_policy') {
    const retryAfterMs = (error as ReelayError).retryAfterMs;
    return apiError(
      503,
      'moderation_unavailable',
      message,
      'prompt',
      retryAfterMs !== undefined
        ? { 'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1000))) }
        : undefined,
    );
  }
  switch (code) {
    case 'invalid_request':
      // The record store refuses an idempotency key reused with other parameters: a conflict with
      // an earlier request, not a malformed one.
      if (param === 'idempotencyKey') return apiError(409, 'conflict', message, 'Idempotency-Key');
      return apiError(400, 'invalid_request', message, param);
    case 'content_policy': {
      const categories = details?.['categories'];
      return apiError(422, 'content_policy', message, param ?? 'prompt', undefined, {
        categories: Array.isArray(categories) ? categories.map(String) : [],
      });
    }
    case 'not_found':
      return apiError(404, 'not_found', notFoundMessage, 'id');
    case 'rate_limited':
    case 'transient':
      return apiError(503, 'unavailable', 'temporarily unavailable; retry later');
    default:
      return apiError(500, 'internal', 'internal error');
  }
}
