import { ApiError } from './api-error.ts';
import type { SimConfig } from './sim-options.ts';
import { formatResetDuration, SlidingWindow } from './sliding-window.ts';
import type { SimStats } from './stats.ts';

export type LimitClass = 'create' | 'read';

/**
 * Per-key request limits over sliding windows, one for creates and one for everything else, plus the
 * global create log behind `maxCreatesInWindow`. Rejected requests do not take a slot (the window holds
 * admitted requests only), so a client that backs off as told gets through.
 */
export class RateLimits {
  private readonly windows = new Map<string, Record<LimitClass, SlidingWindow>>();
  private readonly allCreates = new SlidingWindow();

  /** Returns the x-ratelimit headers to send, or throws a 429 carrying them and Retry-After. */
  admit(
    apiKey: string,
    kind: LimitClass,
    config: SimConfig,
    stats: SimStats,
    now: number,
  ): Record<string, string> {
    if (kind === 'create') {
      stats.maxCreatesInWindow = Math.max(
        stats.maxCreatesInWindow,
        this.allCreates.add(now, config.windowMs),
      );
    }
    const limit = kind === 'create' ? config.createRpm : config.readRpm;
    if (limit <= 0) return {};
    let pair = this.windows.get(apiKey);
    if (!pair) {
      pair = { create: new SlidingWindow(), read: new SlidingWindow() };
      this.windows.set(apiKey, pair);
    }
    const window = pair[kind];
    const used = window.count(now, config.windowMs);
    if (used >= limit) {
      const waitMs = window.msUntilSlotFrees(now, config.windowMs);
      throw new ApiError(
        429,
        `Rate limit reached for requests per window (${kind === 'create' ? 'video creates' : 'requests'}): ` +
          `Limit ${limit}, Used ${used}, Requested 1. Please try again in ${formatResetDuration(waitMs)}.`,
        {
          type: 'requests',
          code: 'rate_limit_exceeded',
          headers: {
            ...rateHeaders(limit, 0, waitMs),
            'retry-after': String(Math.ceil(waitMs / 1000)),
            'retry-after-ms': String(waitMs),
          },
        },
      );
    }
    window.add(now, config.windowMs);
    return rateHeaders(limit, limit - used - 1, window.msUntilSlotFrees(now, config.windowMs));
  }

  clear(): void {
    this.windows.clear();
    this.allCreates.clear();
  }
}

function rateHeaders(limit: number, remaining: number, resetMs: number): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(limit),
    'x-ratelimit-remaining-requests': String(remaining),
    'x-ratelimit-reset-requests': formatResetDuration(resetMs),
  };
}
