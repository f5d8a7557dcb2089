import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * Deduplication of provider webhook deliveries on their `webhook-id`, in one Redis key per id,
 * `<prefix>:webhook:<id>`:
 *
 * - absent: not processed yet, or its processing failed and the claim was released;
 * - `claim:<token>`: one request is processing it now;
 * - `done` (or `1`, what earlier versions wrote on receipt): processed, remembered for DEDUPE_SECONDS.
 *
 * A delivery is marked `done` only after it was processed. Marking it on receipt (as before) made a
 * delivery whose processing failed (a 500, which the provider retries) come back as a `duplicate`
 * and never be processed.
 */

/** How long a processed webhook id is remembered; providers retry a delivery for up to 72 h. */
export const DEDUPE_SECONDS = 72 * 3600;

/**
 * How long a claim lives if its request never commits or releases it (the api died mid-request, or
 * the release itself could not reach Redis). Processing is a few Redis round trips, and a producer
 * connection fails a command within about a second, so this only bounds how long the provider's
 * retries are told "in progress" after such an accident. Should a slow request outlive it, a retry
 * is processed a second time: harmless, the poll is promoted at most once more.
 */
export const CLAIM_SECONDS = 30;

const DONE = 'done';
const CLAIM = 'claim:';

/** Deletes the key only while it still holds this request's claim (never a `done` or another's claim). */
const RELEASE_SCRIPT = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

export type DeliveryClaim =
  /** This request processes the delivery; it must `commit` or `release` the claim. */
  | { state: 'claimed'; commit: () => Promise<void>; release: () => Promise<void> }
  /** Processed before: answer it as a duplicate. */
  | { state: 'done' }
  /** Another request is processing it now (or just released it): have the provider retry later. */
  | { state: 'in_progress' };

export async function claimDelivery(redis: Redis, prefix: string, webhookId: string): Promise<DeliveryClaim> {
  const key = `${prefix}:webhook:${webhookId}`;
  const token = `${CLAIM}${randomUUID()}`;
  const claimed = await redis.set(key, token, 'EX', CLAIM_SECONDS, 'NX');
  if (claimed === null) {
    const held = await redis.get(key);
    // null: the other request released its claim between our SET and GET; telling the provider to
    // retry is enough (its retry will claim), and keeps this path free of loops.
    return held === null || held.startsWith(CLAIM) ? { state: 'in_progress' } : { state: 'done' };
  }
  return {
    state: 'claimed',
    // Unconditional: if our claim expired and another request took the id meanwhile, the delivery
    // is still processed, and that request's release will not delete a `done`.
    commit: async () => {
      await redis.set(key, DONE, 'EX', DEDUPE_SECONDS);
    },
    release: async () => {
      await redis.eval(RELEASE_SCRIPT, 1, key, token);
    },
  };
}
