/**
 * The error taxonomy. Every failure that reaches a generation record carries a stable `code` — the
 * part callers match on, also after the error has crossed a process boundary as JSON (so match on
 * `code`/`name`, not `instanceof`). `retryable` and `retryAfterMs` carry the decision about what
 * happens next, so the stage that catches an error does not have to re-derive it.
 */
export const ERROR_CODES = [
  'invalid_request', // bad input: ours or the provider's 400/422 — final
  'content_policy', // moderation said no — final
  'auth_failed', // 401/403 from the provider — final; the submit queue pauses
  'quota_exceeded', // provider `insufficient_quota` — final; the submit queue pauses
  'rate_limited', // provider 429 with a retry-after — not an attempt failure, waits
  'not_found', // the provider does not know the video
  'transient', // 5xx, timeouts, connection resets — retried with backoff
  'provider_failed', // the provider finished the video as `failed` with a non-policy reason
  'timeout', // the generation ran past its deadline
  'asset_expired', // the provider's `expires_at` passed before we stored the asset
  'length_mismatch', // a download ended with fewer/more bytes than announced
  'create_unconfirmed', // an earlier create may have been billed and could be neither found nor ruled out — final, never paid again
  'budget_exceeded', // spending budget would be exceeded
  'cancelled', // cancelled by the producer
  'config_invalid', // configuration failed validation at start-up
  'internal', // a bug: anything else
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ReelayErrorOptions {
  /** Whether doing the same thing again may succeed. Default: false (fail closed — money is involved). */
  retryable?: boolean;
  /** When a retry is sensible, the earliest moment for it, in ms from now (e.g. a provider's Retry-After). */
  retryAfterMs?: number;
  /** Which input field was at fault, for validation errors. */
  param?: string;
  /** Safe, secret-free data for the record and the logs. */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** Plain-JSON shape of an error, as stored on records and sent across processes. */
export interface SerializedError {
  name: string;
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
  param?: string;
  details?: Record<string, unknown>;
}

export class ReelayError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly param: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: ReelayErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ReelayError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
    this.param = options.param;
    this.details = options.details;
  }

  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** Invalid configuration or input; names the field and what is allowed. */
export class ValidationError extends ReelayError {
  readonly issues: ReadonlyArray<{ path: string; message: string }>;
  constructor(
    message: string,
    issues: ReadonlyArray<{ path: string; message: string }>,
    code: ErrorCode = 'invalid_request',
  ) {
    super(code, message, { param: issues[0]?.path, details: { issues } });
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** Any thrown value → the stored shape. Unknown errors become `internal` with their message only. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof ReelayError) {
    const out: SerializedError = {
      name: error.name,
      code: error.code,
      message: error.message,
      retryable: error.retryable,
    };
    if (error.retryAfterMs !== undefined) out.retryAfterMs = error.retryAfterMs;
    if (error.param !== undefined) out.param = error.param;
    if (error.details !== undefined) out.details = error.details;
    return out;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { name: error instanceof Error ? error.name : 'Error', code: 'internal', message, retryable: false };
}

/** The stored shape → an error again, on the other side of a process boundary. */
export function deserializeError(data: SerializedError): ReelayError {
  const options: ReelayErrorOptions = { retryable: data.retryable };
  if (data.retryAfterMs !== undefined) options.retryAfterMs = data.retryAfterMs;
  if (data.param !== undefined) options.param = data.param;
  if (data.details !== undefined) options.details = data.details;
  const error = new ReelayError(isErrorCode(data.code) ? data.code : 'internal', data.message, options);
  error.name = data.name;
  return error;
}
