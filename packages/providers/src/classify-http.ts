import { ProviderError, type ProviderErrorKind } from './errors.ts';
import { type HeaderSource, headerValue, retryAfterMsFromHeaders } from './retry-after.ts';

/**
 * Wait after a 429 that names no delay at all (no `retry-after-ms`, `retry-after` or
 * `x-ratelimit-reset-requests`). 5 s: per-minute request limits refill a slot every
 * 60 s / RPM (2.4 s at 25 RPM, the lowest published tier), and failed requests count against the limit,
 * so hammering sooner only burns budget; much longer would idle a queue for nothing.
 */
export const DEFAULT_RATE_LIMIT_RETRY_MS = 5_000;

/** The parts of an HTTP failure that decide its kind, however the SDK or gateway shaped them. */
export interface HttpFailure {
  status: number;
  headers: HeaderSource;
  /** The provider's `error.code` (`invalid_value`, `insufficient_quota`, `moderation_blocked`...). */
  code: string | undefined;
  /** The provider's `error.type` (`invalid_request_error`, `insufficient_quota`...). */
  type: string | undefined;
  param: string | undefined;
  /** The provider's human message, already scrubbed of secrets. */
  message: string;
}

const QUOTA_CODES = new Set(['insufficient_quota', 'billing_hard_limit_reached', 'billing_not_active']);
const MODERATION_CODES = new Set([
  'moderation_blocked',
  'content_policy_violation',
  'content_filter',
  'safety_violation',
]);
// Providers word policy refusals loosely; a 400 that talks about moderation or safety is one.
const MODERATION_WORDS = /moderation|safety (system|filter|check)|content[ _-]?policy|content[ _-]?filter/i;
const QUOTA_WORDS = /exceeded your current quota|insufficient[ _]quota/i;

/**
 * The classification table (see README): status, code and message → kind. Quota and moderation are
 * recognised by code first and wording second, because gateways reshape codes but keep the words.
 */
export function classifyHttpFailure(failure: HttpFailure, cause?: unknown): ProviderError {
  const { status, headers, code, type, param } = failure;
  const requestId = headerValue(headers, 'x-request-id');
  const make = (kind: ProviderErrorKind, extra: { retryAfterMs?: number; outcomeUnknown?: boolean } = {}) =>
    new ProviderError(kind, describe(kind, failure), {
      status,
      ...(requestId !== undefined ? { requestId } : {}),
      ...(code !== undefined ? { providerCode: code } : {}),
      ...(param !== undefined && (kind === 'invalid' || kind === 'moderation') ? { param } : {}),
      ...extra,
      cause,
    });

  const isQuota =
    (code !== undefined && QUOTA_CODES.has(code)) ||
    (type !== undefined && QUOTA_CODES.has(type)) ||
    QUOTA_WORDS.test(failure.message);
  // insufficient_quota arrives as a 429 too, but waiting does not refill a balance: final, pause submits.
  if (status === 402 || (status >= 400 && status < 500 && isQuota)) return make('quota');
  if (status === 429) {
    return make('rate_limit', {
      retryAfterMs: retryAfterMsFromHeaders(headers) ?? DEFAULT_RATE_LIMIT_RETRY_MS,
    });
  }
  const isModeration =
    (code !== undefined && MODERATION_CODES.has(code)) ||
    MODERATION_WORDS.test(`${code ?? ''} ${type ?? ''} ${failure.message}`);
  if ((status === 400 || status === 403 || status === 422) && isModeration) return make('moderation');
  if (status === 401 || status === 403) return make('auth');
  // Content asked for a moment too early (a webhook raced the status): the asset will be there shortly.
  if (status === 404 && /not ready/i.test(failure.message)) return make('transient');
  if (status === 404) return make('not_found');
  // 409: another request with the same Idempotency-Key is still in flight, or the resource is busy;
  // the SDK itself retries it. The first request may well create the video: reconcile before re-creating.
  if (status === 408 || status === 409 || status === 425) return make('transient', { outcomeUnknown: true });
  if (status >= 400 && status < 500) return make('invalid');
  // 5xx: behind a gateway, a 502/504 can hide an upstream create that went through.
  const retryAfterMs = retryAfterMsFromHeaders(headers);
  return make('transient', { outcomeUnknown: true, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
}

const LABEL: Record<ProviderErrorKind, string> = {
  rate_limit: 'provider rate limit',
  quota: 'provider quota exhausted',
  invalid: 'provider rejected the request',
  moderation: 'provider content policy refused the request',
  auth: 'provider authentication failed',
  not_found: 'provider does not know the resource',
  transient: 'provider temporarily failed',
};

function describe(kind: ProviderErrorKind, failure: HttpFailure): string {
  const code = failure.code === undefined ? '' : ` ${failure.code}`;
  return `${LABEL[kind]} (HTTP ${failure.status}${code}): ${failure.message}`;
}
