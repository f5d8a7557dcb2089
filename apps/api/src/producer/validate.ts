import { ReelayError } from '@reelay/core';
import { type CallbackPolicy, parseCallbackUrl } from '@reelay/pipeline';
import type { z } from 'zod';
import type { HandlerResult } from '../routes/handler.ts';
import { apiError } from './errors.ts';
import { idempotencyKeySchema } from './schemas.ts';

/** The first string (value or key) that is not well-formed UTF-16, as a dotted path; undefined if none. */
export function illFormedPath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return value.isWellFormed() ? undefined : path || '(body)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = illFormedPath(value[i], path ? `${path}.${i}` : String(i));
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      // The key itself is not echoed back (it cannot be encoded): its parent is named instead.
      if (!key.isWellFormed()) return path || 'body';
      const found = illFormedPath(inner, at);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/**
 * Parses `input` with `schema`; on failure, a 400 naming the first bad field and saying what is
 * allowed (zod's messages list enum values and bounds; unknown fields are listed by name).
 */
export function validate<S extends z.ZodType>(
  schema: S,
  input: unknown,
  what: string,
): { ok: true; data: z.output<S> } | { ok: false; result: HandlerResult } {
  if (input === undefined || input === null || typeof input !== 'object' || Array.isArray(input)) {
    return {
      ok: false,
      result: apiError(400, 'invalid_request', `${what} must be a JSON object`, null),
    };
  }
  const bad = illFormedPath(input);
  if (bad !== undefined) {
    return {
      ok: false,
      result: apiError(400, 'invalid_request', `${bad}: contains invalid unicode (a lone surrogate)`, bad),
    };
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  const issue = parsed.error.issues[0]!;
  let param = issue.path.map(String).join('.');
  let message = issue.message;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    param = [param, keys[0]].filter(Boolean).join('.');
    message = `unknown field${keys.length > 1 ? 's' : ''}: ${keys.map((k) => JSON.stringify(k.slice(0, 64))).join(', ')}`;
  }
  const where = param || what;
  return { ok: false, result: apiError(400, 'invalid_request', `${where}: ${message}`, param || null) };
}

/** The optional `Idempotency-Key` header: undefined when absent, a 400 result when malformed. */
export function readIdempotencyKey(
  headers: Record<string, string | string[] | undefined>,
): { ok: true; key: string | undefined } | { ok: false; result: HandlerResult } {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return { ok: true, key: undefined };
  const key = idempotencyKeySchema.safeParse(raw);
  if (key.success) return { ok: true, key: key.data };
  return {
    ok: false,
    result: apiError(
      400,
      'invalid_request',
      'Idempotency-Key: must be one header of 1 to 255 printable ASCII characters',
      'Idempotency-Key',
    ),
  };
}

/**
 * A `callback_url` the notify stage would refuse, as a 400 now (nothing enqueued, nothing paid for):
 * the checks that need no DNS — scheme, credentials, IP literals in every spelling, local and metadata
 * names — under the workers' policy. Undefined when it passes (a name is checked again after DNS at
 * delivery).
 */
export function refuseCallbackUrl(
  url: string | undefined,
  policy: CallbackPolicy,
): HandlerResult | undefined {
  if (url === undefined) return undefined;
  try {
    parseCallbackUrl(url, policy);
    return undefined;
  } catch (error) {
    if (!(error instanceof ReelayError)) throw error;
    const message = error.message.replace(/^callbackUrl\b/, 'callback_url');
    return apiError(400, 'invalid_request', message, 'callback_url');
  }
}
