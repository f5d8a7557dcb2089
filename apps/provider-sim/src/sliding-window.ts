/**
 * A sliding-log window: the exact times of the requests let through in the last `windowMs`.
 * A log rather than fixed buckets so that no burst straddling a bucket edge ever gets 2x the limit
 * through; it holds at most `limit` entries, so memory stays bounded by the limit.
 */
export class SlidingWindow {
  private times: number[] = [];
  private head = 0;

  private prune(now: number, windowMs: number): void {
    const cutoff = now - windowMs;
    while (this.head < this.times.length && (this.times[this.head] ?? 0) <= cutoff) this.head++;
    // Compact now and then so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** Requests counted in the window ending now. */
  count(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    return this.times.length - this.head;
  }

  /** Records one request at `now`; returns the count in the window including it. */
  add(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    this.times.push(now);
    return this.times.length - this.head;
  }

  clear(): void {
    this.times = [];
    this.head = 0;
  }

  /** Ms until the oldest counted request leaves the window (0 if empty). */
  msUntilSlotFrees(now: number, windowMs: number): number {
    this.prune(now, windowMs);
    const oldest = this.times[this.head];
    return oldest === undefined ? 0 : Math.max(1, oldest + windowMs - now);
  }
}

/** `6m0s`, `1.5s`, `20ms`: the duration format of OpenAI's x-ratelimit-reset-* headers. */
export function formatResetDuration(ms: number): string {
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const totalSeconds = ms / 1000;
  if (totalSeconds < 60) return `${Number(totalSeconds.toFixed(3))}s`;
  const minutes = Math.floor(totalSeconds / 60);
  return `${minutes}m${Math.ceil(totalSeconds - minutes * 60)}s`;
}
