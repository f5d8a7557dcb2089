import type { RateClass } from '@reelay/core';
import { type ProviderResponseInfo, parseDurationMs, retryAfterMsFromHeaders } from '@reelay/providers';

/**
 * What a provider response says about the limit, as "hold off this class for N ms" or nothing:
 * a 429 with a Retry-After (`retry-after-ms`, `retry-after`, else the reset header) blocks for that
 * long; a success with `x-ratelimit-remaining-requests: 0` blocks until `x-ratelimit-reset-requests`.
 * A 429 without any of them (`insufficient_quota`) is not a rate limit and teaches nothing here.
 */
export function learnFromResponse(info: ProviderResponseInfo): { kind: RateClass; blockMs: number } | null {
  const kind = classOf(info.endpoint);
  if (!kind) return null;
  if (info.status === 429) {
    const ms = retryAfterMsFromHeaders(info.headers);
    return ms !== undefined && ms > 0 ? { kind, blockMs: ms } : null;
  }
  if (info.headers.get('x-ratelimit-remaining-requests')?.trim() === '0') {
    const reset = info.headers.get('x-ratelimit-reset-requests');
    const ms = reset ? parseDurationMs(reset) : undefined;
    return ms !== undefined && ms > 0 ? { kind, blockMs: ms } : null;
  }
  return null;
}

function classOf(endpoint: ProviderResponseInfo['endpoint']): RateClass | null {
  if (endpoint === 'create') return 'create';
  if (endpoint === 'moderation') return null; // a different API with its own limits
  return 'read';
}
