import { ReelayError } from '@reelay/core';
import type { FindCreatedMatch, ListOptions, ProviderVideo } from './provider.ts';

/** See `FindCreatedMatch.clockSkewSec`. */
export const DEFAULT_CLOCK_SKEW_SEC = 60;

/**
 * Most videos looked at before giving up. A provider that ignores `order=desc` would otherwise make
 * us walk the whole account; 1,000 covers minutes of a busy account's creates. Giving up is not "not
 * found": see `findCreatedVideo`.
 */
export const MAX_SCANNED = 1_000;

/**
 * Reconciliation for providers that ignore Idempotency-Key (the Videos API has no client-supplied id):
 * walk the account newest first through the whole window and take the OLDEST video created inside it
 * that matches the request and that no other generation claims — or null once the list has passed the
 * window's start (or ended). When MAX_SCANNED videos come before the window's start, it throws
 * `create_unconfirmed` instead: only a fully walked window can rule a create out. Oldest, not newest: when two
 * generations with identical requests both lost track of their creates, each one's own video is newer
 * than its intent, so taking the oldest unclaimed match never leaves a video out of the window of the
 * generation that still needs one (taking the newest could, and that one would then pay again).
 * Provider-neutral: any adapter with a `list` ordered by creation time can use it.
 */
export async function findCreatedVideo(
  list: (options: ListOptions) => AsyncIterable<ProviderVideo>,
  match: FindCreatedMatch & { model: string },
): Promise<ProviderVideo | null> {
  const bound = match.createdAfterSec - (match.clockSkewSec ?? DEFAULT_CLOCK_SKEW_SEC);
  let scanned = 0;
  let oldest: ProviderVideo | null = null;
  for await (const video of list({ order: 'desc', limit: 100 })) {
    if (video.createdAt < bound) break;
    if (++scanned > MAX_SCANNED) {
      // The window is not covered: the lost create may be further down. "Not found" would let the
      // caller pay again, so this is an answer of its own, final (the window only grows older).
      throw new ReelayError(
        'create_unconfirmed',
        `an earlier create may have been billed: ${MAX_SCANNED} newer videos were listed before its time, so it could be neither found nor ruled out`,
        { details: { scanned: MAX_SCANNED, createdAfterSec: match.createdAfterSec } },
      );
    }
    const same =
      video.prompt === match.prompt &&
      video.model === match.model &&
      video.seconds === match.seconds &&
      video.size === match.size;
    if (!same) continue;
    if (match.exclude !== undefined && (await match.exclude(video.id))) continue;
    oldest = video;
  }
  return oldest;
}
