import { redactString } from '@reelay/core';
import { APIConnectionError, APIConnectionTimeoutError, APIUserAbortError } from 'openai';
import { classifyHttpFailure } from './classify-http.ts';
import { ProviderError } from './errors.ts';
import type { HeaderSource } from './retry-after.ts';

export interface ClassifyOptions {
  /**
   * Exact secret values (the API key) to cut out of messages. Generic secret shapes (`sk-…`,
   * `Bearer …`, `whsec_…`) are always cut; a gateway key can look like anything, so the adapter passes
   * its own.
   */
  secrets?: readonly string[];
}

// Connection failures that happen before a byte of the request leaves: the provider cannot have acted.
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Longest provider message kept: a gateway's HTML error page has no place in a record. */
const MAX_MESSAGE = 500;

/**
 * THE one function that turns any failure of a provider call into a `ProviderError`:
 * - HTTP answers (the `openai` SDK's `APIError` subclasses, or anything with a numeric `status`):
 *   the table in `classify-http.ts`.
 * - Timeouts, aborts, connection failures, resets, a body cut mid-download (`ECONNRESET`,
 *   `UND_ERR_*`, `terminated`, premature close), unparseable responses: `transient`.
 * - Anything else (a TypeError in our own code, say) is `transient` too, marked `providerCode:
 *   'unexpected'` and `outcomeUnknown`. Final would be wrong when the failure came after the provider
 *   accepted a paid create (the caller must reconcile, not give up), and "retry forever" cannot happen:
 *   the queue bounds attempts. A real bug therefore fails after a few attempts, loudly, with its message.
 */
export function classifyProviderError(error: unknown, options: ClassifyOptions = {}): ProviderError {
  if (error instanceof ProviderError) return error;
  const scrub = scrubber(options.secrets ?? []);

  if (error instanceof APIUserAbortError || isNamed(error, 'AbortError')) {
    return new ProviderError('transient', 'provider request aborted by the caller', {
      providerCode: 'aborted',
      outcomeUnknown: true,
      cause: error,
    });
  }
  if (error instanceof APIConnectionTimeoutError || isNamed(error, 'TimeoutError')) {
    return new ProviderError('transient', 'provider request timed out', {
      providerCode: 'timeout',
      outcomeUnknown: true,
      cause: error,
    });
  }
  const http = httpShape(error);
  if (http !== undefined) {
    return classifyHttpFailure({ ...http, message: scrub(http.message) }, error);
  }
  const code = errnoCode(error);
  if (error instanceof APIConnectionError || code !== undefined || isStreamBreak(error)) {
    const what = `${code === undefined ? '' : ` (${code})`}: ${innermostMessage(error)}`;
    return new ProviderError('transient', scrub(`provider connection failed${what}`), {
      providerCode: code ?? 'connection_error',
      outcomeUnknown: code === undefined || !NOT_SENT_CODES.has(code),
      cause: error,
    });
  }
  if (error instanceof SyntaxError) {
    return new ProviderError('transient', scrub(`provider sent an unreadable response: ${error.message}`), {
      providerCode: 'bad_response',
      outcomeUnknown: true,
      cause: error,
    });
  }
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ProviderError('transient', scrub(`unexpected error in a provider call: ${text}`), {
    providerCode: 'unexpected',
    outcomeUnknown: true,
    cause: error,
  });
}

interface HttpShape {
  status: number;
  headers: HeaderSource;
  code: string | undefined;
  type: string | undefined;
  param: string | undefined;
  message: string;
}

/** Reads an SDK `APIError` (or any error carrying an HTTP status) without depending on its class. */
function httpShape(error: unknown): HttpShape | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as Record<string, unknown>;
  if (typeof e['status'] !== 'number') return undefined;
  const body =
    typeof e['error'] === 'object' && e['error'] !== null ? (e['error'] as Record<string, unknown>) : {};
  const text = (v: unknown) => (typeof v === 'string' && v.length > 0 ? v : undefined);
  const headers = e['headers'];
  const raw = text(body['message']) ?? text(e['message']) ?? `HTTP ${e['status']}`;
  return {
    status: e['status'],
    headers: typeof headers === 'object' && headers !== null ? (headers as HeaderSource) : undefined,
    code: text(e['code']) ?? text(body['code']),
    type: text(e['type']) ?? text(body['type']),
    param: text(e['param']) ?? text(body['param']),
    message: raw.length > MAX_MESSAGE ? `${raw.slice(0, MAX_MESSAGE)}…` : raw,
  };
}

/** The first `code` string down the cause chain: undici wraps `ECONNRESET` in `TypeError: fetch failed`. */
function errnoCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR_[A-Z_]+|ERR_STREAM_[A-Z_]+)$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** The most specific message down the cause chain (`fetch failed` → `other side closed`). */
function innermostMessage(error: unknown): string {
  let message = 'connection error';
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    if (current.message !== '') message = current.message;
    current = current.cause;
  }
  return message;
}

/** undici ends a body whose socket closed early with `TypeError: terminated`. */
function isStreamBreak(error: unknown): boolean {
  return (
    error instanceof Error && /^(terminated|aborted|premature close|other side closed)$/i.test(error.message)
  );
}

function isNamed(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function scrubber(secrets: readonly string[]): (text: string) => string {
  // Short strings would blank out ordinary words; real keys are long.
  const exact = secrets.filter((s) => s.length >= 8);
  return (text) => {
    let out = text;
    for (const secret of exact) out = out.split(secret).join('[redacted]');
    return redactString(out);
  };
}
