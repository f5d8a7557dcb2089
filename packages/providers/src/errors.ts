import { type ErrorCode, ReelayError } from '@reelay/core';

export const PROVIDER_ERROR_KINDS = [
  'rate_limit',
  'quota',
  'invalid',
  'moderation',
  'auth',
  'not_found',
  'transient',
] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

/** kind → the core error code and whether the same call may succeed later. */
const KIND_TO_CODE: Record<ProviderErrorKind, { code: ErrorCode; retryable: boolean }> = {
  rate_limit: { code: 'rate_limited', retryable: true },
  quota: { code: 'quota_exceeded', retryable: false },
  invalid: { code: 'invalid_request', retryable: false },
  moderation: { code: 'content_policy', retryable: false },
  auth: { code: 'auth_failed', retryable: false },
  not_found: { code: 'not_found', retryable: false },
  transient: { code: 'transient', retryable: true },
};

/** Kinds after which no further submission can succeed until an operator acts (key, billing). */
const PAUSING_KINDS: ReadonlySet<ProviderErrorKind> = new Set(['quota', 'auth']);

export function providerErrorCode(kind: ProviderErrorKind): ErrorCode {
  return KIND_TO_CODE[kind].code;
}

export interface ProviderErrorOptions {
  /** HTTP status, when the provider answered. */
  status?: number;
  /** The provider's request id (`x-request-id`), for support tickets. */
  requestId?: string;
  /** The provider's own error code (`invalid_value`, `moderation_blocked`, `ECONNRESET`...). */
  providerCode?: string;
  /** Earliest sensible retry, in ms from now. */
  retryAfterMs?: number;
  /** Which request field the provider blamed. */
  param?: string;
  /**
   * The request may have reached the provider and done its work although we saw no answer (timeout
   * after sending, reset mid-response, 5xx from a gateway). For a create this means: reconcile with
   * `findCreated` before creating again, or pay twice.
   */
  outcomeUnknown?: boolean;
  cause?: unknown;
}

/**
 * A classified provider failure. `code`/`retryable`/`retryAfterMs` follow from `kind`; `details` repeats
 * the provider facts (kind, status, request id, provider code, outcomeUnknown) so they survive
 * serialisation across a process boundary. Never holds a secret: messages are scrubbed by the classifier.
 */
export class ProviderError extends ReelayError {
  readonly kind: ProviderErrorKind;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly providerCode: string | undefined;
  readonly outcomeUnknown: boolean;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    const { code, retryable } = KIND_TO_CODE[kind];
    const details: Record<string, unknown> = { kind };
    if (options.status !== undefined) details['status'] = options.status;
    if (options.requestId !== undefined) details['requestId'] = options.requestId;
    if (options.providerCode !== undefined) details['providerCode'] = options.providerCode;
    details['outcomeUnknown'] = options.outcomeUnknown ?? false;
    super(code, message, {
      retryable,
      // A wait only means something when a retry is allowed at all.
      ...(retryable && options.retryAfterMs !== undefined ? { retryAfterMs: options.retryAfterMs } : {}),
      ...(options.param !== undefined ? { param: options.param } : {}),
      details,
      cause: options.cause,
    });
    this.name = 'ProviderError';
    this.kind = kind;
    this.status = options.status;
    this.requestId = options.requestId;
    this.providerCode = options.providerCode;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }

  /** Quota and auth failures: every further create will fail too; pause the submit queue, alert. */
  get pausesSubmissions(): boolean {
    return PAUSING_KINDS.has(this.kind);
  }
}

export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError;
}
