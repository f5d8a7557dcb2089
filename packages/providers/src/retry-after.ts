/** A header bag as the SDK (fetch `Headers`) or node (`IncomingHttpHeaders`) hands it over. */
export type HeaderSource = Headers | Record<string, string | string[] | undefined> | undefined;

export function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * How long the provider asks us to wait, in ms, from the same headers (and in the same order of
 * preference) the `openai` SDK reads: `retry-after-ms`, then `retry-after` as seconds or an HTTP date.
 * Then `x-ratelimit-reset-requests` (`"1s"`, `"6m0s"`, `"20ms"`), which OpenAI sends on every response
 * and which says when the request budget refills — better than a guess when a 429 carries no Retry-After.
 * Undefined when none parses. Never negative.
 */
export function retryAfterMsFromHeaders(headers: HeaderSource, now = Date.now()): number | undefined {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return Math.ceil(value);
  }
  const after = headerValue(headers, 'retry-after');
  if (after !== undefined) {
    const trimmed = after.trim();
    if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.ceil(Number.parseFloat(trimmed) * 1000);
    const date = Date.parse(trimmed);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  const reset = headerValue(headers, 'x-ratelimit-reset-requests');
  if (reset !== undefined) return parseDurationMs(reset);
  return undefined;
}

const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Go-style durations as OpenAI writes them: `1s`, `6m0s`, `1h2m3.5s`, `250ms`. */
export function parseDurationMs(value: string): number | undefined {
  const trimmed = value.trim();
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const match of trimmed.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number.parseFloat(match[1] ?? '0') * (UNIT_MS[match[2] ?? 's'] ?? 0);
  }
  return Math.ceil(total);
}
