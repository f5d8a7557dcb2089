import { jobIdFor } from '../catalog.ts';
import { ReelayError, serializeError } from '../errors.ts';
import type { GenerationRecord } from '../record.ts';
import { isTerminal } from '../status.ts';
import type { Queue } from 'bullmq';
import { connectionOf } from './enqueue.ts';
import { FairPush } from './fair-push.ts';
import type { ProducerContext } from './producer-options.ts';

export interface CancelContext extends Pick<ProducerContext, 'store'> {
  queues: { submit: Queue; poll: Queue };
}

/**
 * Cancels a generation.
 * - Not yet at the provider (`queued`): the record becomes `cancelled`, it leaves its tenant's fair
 *   backlog and its parked/waiting submit job is removed. A submit run already holding the job finds
 *   the record cancelled and abandons its admission (submit stage).
 * - At the provider (`submitting`, `generating`): the record becomes `cancelled` and the delayed poll
 *   job is promoted, so the poll stage soon sees it, settles the admission (frees the slot) and
 *   deletes the provider video where the provider allows it.
 * - Later stages (`downloading`, `notifying`) cannot be undone cheaply (the video is paid for): they
 *   are cancelled too, and the stage's own status guard stops it.
 * - Already terminal: ReelayError('invalid_request') (HTTP 409-like). Unknown id: 'not_found'.
 */
export async function cancelGeneration(ctx: CancelContext, id: string): Promise<GenerationRecord> {
  const record = await ctx.store.get(id);
  if (!record) throw new ReelayError('not_found', `no generation ${id}`, { param: 'id' });
  if (isTerminal(record.status)) {
    throw new ReelayError(
      'invalid_request',
      `generation ${id} is already ${record.status}; nothing to cancel`,
      {
        param: 'id',
        details: { generationId: id, status: record.status },
      },
    );
  }
  const error = serializeError(new ReelayError('cancelled', 'cancelled by the producer'));
  const { applied, previous } = await ctx.store.update(
    id,
    { cancelledAt: Date.now(), error },
    { status: 'cancelled' },
  );
  if (!applied) {
    // It ended between our read and our write.
    throw new ReelayError(
      'invalid_request',
      `generation ${id} is already ${previous ?? 'gone'}; nothing to cancel`,
      {
        param: 'id',
        details: { generationId: id, status: previous },
      },
    );
  }
  const round = record.attempts.resubmits;
  if (previous === 'queued') {
    const redis = connectionOf(ctx.queues.submit);
    if (redis) await new FairPush(redis, ctx.store.prefix).remove(id, record.tenant);
    // A locked (active) job cannot be removed; its run sees `cancelled` and stops.
    await ctx.queues.submit.remove(jobIdFor(id, round)).catch(() => 0);
  } else {
    const poll = await ctx.queues.poll.getJob(jobIdFor(id, round));
    if (poll && (await poll.isDelayed())) await poll.promote().catch(() => undefined);
  }
  return (await ctx.store.get(id)) ?? record;
}
