import { setTimeout as delay } from 'node:timers/promises';

export interface WaitForOptions {
  /** Deadline in ms from the first check. Default 10 000: long enough for a real service to react. */
  timeoutMs?: number;
  /** Pause between checks in ms. Default 25: fine-grained, yet cheap against a local server. */
  intervalMs?: number;
  /** What was being waited for; goes into the error when the deadline passes. */
  message?: string;
}

/**
 * Polls `condition` until it returns a value other than `false`/`undefined`/`null` (which is then
 * returned) or the deadline passes (which throws, naming what was awaited and the last error seen).
 * It is a condition with a deadline, not a sleep: a test that waits on it fails loudly when the
 * awaited state never comes. A condition that throws counts as "not yet".
 */
export async function waitFor<T>(
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, false | null | undefined>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value !== false && value !== null && value !== undefined) {
        return value as Exclude<T, false | null | undefined>;
      }
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const what = options.message ?? 'condition';
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`waitFor: ${what} not met within ${timeoutMs} ms${cause}`, { cause: lastError });
    }
    await delay(intervalMs);
  }
}
