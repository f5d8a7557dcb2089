import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import type { PipelineContext } from '../context.ts';
import { FairBacklog } from './backlog.ts';
import { type FairnessOptionsInput, resolveFairnessOptions } from './fairness-options.ts';
import { releaseToSubmit } from './release.ts';

export interface FairDispatcher {
  /** Top the submit queue up to the ready window now (also runs on queue events and every tick). */
  refill(): Promise<void>;
  /** Stop. Its presence key expires by itself (other dispatchers may still be running). */
  close(): Promise<void>;
}

type DispatcherContext = Pick<PipelineContext, 'store' | 'queues' | 'logger'>;

/**
 * Moves work from the per-tenant backlogs into the submit queue in weighted fair order, keeping only
 * `readyWindow` jobs ready there, so the order that matters is decided in the backlog, not by FIFO.
 * Run one in every process that runs the submit stage: they cooperate (the pop is one atomic script),
 * and any of them releases what a dead one popped and never released.
 *
 * Woken by the submit queue's own events (a job taken = a ready slot freed; a job parked = new work),
 * with a tick as the safety net. `connection` must allow blocking commands (`maxRetriesPerRequest:
 * null`); the event reader uses a duplicate of it.
 */
export function startFairDispatcher(
  ctx: DispatcherContext,
  connection: Redis,
  input: FairnessOptionsInput = {},
): FairDispatcher {
  const options = resolveFairnessOptions(input);
  const backlog = new FairBacklog(connection, ctx.store.prefix);
  const queue = ctx.queues.submit;
  const eventsConnection = connection.duplicate();
  const events = new QueueEvents(queue.name, { connection: eventsConnection, prefix: ctx.store.prefix });
  let closed = false;
  let running: Promise<void> | undefined;
  let again = false;

  const refillOnce = async (): Promise<void> => {
    for (;;) {
      const counts = await queue.getJobCounts('wait', 'prioritized');
      const ready = (counts['wait'] ?? 0) + (counts['prioritized'] ?? 0);
      const room = Math.min(options.readyWindow - ready, options.batchSize);
      if (room <= 0) return;
      const items = await backlog.pop(room);
      for (const item of items) await releaseToSubmit(ctx, item.generationId);
      await backlog.ack(items.map((i) => i.generationId));
      if (items.length < room) return;
    }
  };

  // One refill at a time per process; a wake-up during a refill runs one more after it.
  const refill = (): Promise<void> => {
    if (closed) return Promise.resolve();
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await refillOnce();
        } while (again && !closed);
      } catch (err) {
        ctx.logger.error({ err }, 'fair dispatch failed; the next wake-up retries');
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const recoverStale = async (): Promise<void> => {
    const ids = await backlog.stale(Date.now() - options.staleAfterMs);
    for (const id of ids) await releaseToSubmit(ctx, id);
    await backlog.ack(ids);
    if (ids.length > 0)
      ctx.logger.warn({ released: ids.length }, 'released work a dead dispatcher had popped');
  };

  const tick = async (): Promise<void> => {
    try {
      await backlog.markAlive(options.presenceTtlMs);
      await recoverStale();
    } catch (err) {
      ctx.logger.error({ err }, 'fair dispatcher tick failed');
    }
    await refill();
  };

  for (const event of ['active', 'delayed', 'completed', 'failed'] as const) {
    events.on(event, () => void refill());
  }
  events.on('error', (err) => ctx.logger.error({ err }, 'fair dispatcher event reader error'));
  const timer = setInterval(() => void tick(), options.tickMs);
  timer.unref();
  void backlog
    .setWeights(options.weights)
    .then(tick)
    .catch((err) => ctx.logger.error({ err }, 'fair dispatcher start failed'));

  return {
    refill,
    async close() {
      closed = true;
      clearInterval(timer);
      await running;
      await events.close();
      eventsConnection.disconnect();
    },
  };
}
