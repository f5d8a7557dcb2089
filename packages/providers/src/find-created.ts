import type { FindCreatedMatch, ListOptions, ProviderVideo } from './provider.ts';

/** See `FindCreatedMatch.clockSkewSec`. */
export const DEFAULT_CLOCK_SKEW_SEC = 60;

/**
 * Most videos looked at before giving up. A provider that ignores `order=desc` would otherwise make
 * us walk the whole account; 1,000 covers minutes of a busy account's creates.
 */
export const MAX_SCANNED = 1_000;

/**
 * Reconciliation for providers that ignore Idempotency-Key (the Videos API has no client-supplied id):
 * walk the account newest first and take the newest video that was created inside the window and matches
 * the request, skipping ids another generation already claims. Provider-neutral: any adapter with a
 * `list` ordered by creation time can use it.
 */
export async function findCreatedVideo(
  list: (options: ListOptions) => AsyncIterable<ProviderVideo>,
  match: FindCreatedMatch & { model: string },
): Promise<ProviderVideo | null> {
  const bound = match.createdAfterSec - (match.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC);
  let scanned = 0;
  for await (const video of list({ order: 'desc', limit: 100 })) {
    if (video.createdAt < bound || ++scanned > MAX_SCANNED) return null;
    const same =
      video.prompt === match.prompt &&
      video.model === match.model &&
      video.seconds === match.seconds &&
      video.size === match.size;
    if (!same) continue;
    if (match.exclude !== undefined && (await match.exclude(video.id))) continue;
    return video;
  }
  return null;
}
