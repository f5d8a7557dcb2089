import type { Redis } from 'ioredis';
import type { GenerationRecord } from '../record.ts';
import type { GenerationStore } from '../records.ts';
import { isTerminal } from '../status.ts';
import { openStageEvents } from './waiter.ts';

export interface WaitManyOptions {
  /** Stop waiting after this many ms: the result then lists what had not ended. Default: forever. */
  timeoutMs?: number;
  /** Aborting rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Called each time a generation ends, with the counts so far. */
  onEnded?: (record: GenerationRecord, counts: WaitManyCounts) => void;
}

export interface WaitManyCounts {
  total: number;
  /** Ended: completed, failed or cancelled. */
  ended: number;
  /** Ended other than completed. */
  failed: number;
}

export interface WaitManyResult {
  /** The ended generations' records, by id. */
  ended: Map<string, GenerationRecord>;
  /** Ids that had not ended when the timeout came (empty otherwise), with their last record. */
  pending: Map<string, GenerationRecord | null>;
}

/** Record reads in flight at once when many generations change together (and at the first look). */
const READ_CONCURRENCY = 64;

/**
 * Waits for many generations to end on one set of queue-event streams (one per stage, whatever the
 * number of generations; `waitForGeneration` opens a set per generation), not by polling Redis: an
 * event for a generation's job re-reads that record, coalesced per event-loop turn. Events are read
 * from the Redis time of the call, so one between the first look and the streams' first read is not
 * lost. Duplicate ids are waited for once.
 */
export async function waitForGenerations(
  store: GenerationStore,
  connection: Redis,
  ids: readonly string[],
  options: WaitManyOptions = {},
): Promise<WaitManyResult> {
  options.signal?.throwIfAborted();
  const waiting = new Set(ids);
  const last = new Map<string, GenerationRecord | null>();
  const ended = new Map<string, GenerationRecord>();
  const counts: WaitManyCounts = { total: waiting.size, ended: 0, failed: 0 };
  if (waiting.size === 0) return { ended, pending: new Map() };

  const events = await openStageEvents(store, connection);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<WaitManyResult>((resolve, reject) => {
      const finish = () => {
        const pending = new Map<string, GenerationRecord | null>();
        for (const id of waiting) pending.set(id, last.get(id) ?? null);
        resolve({ ended, pending });
      };
      const read = async (id: string) => {
        const record = await store.get(id);
        last.set(id, record);
        if (!record || !waiting.has(id) || !isTerminal(record.status)) return;
        waiting.delete(id);
        ended.set(id, record);
        counts.ended++;
        if (record.status !== 'completed') counts.failed++;
        options.onEnded?.(record, { ...counts });
      };
      const readAll = async (batch: string[]) => {
        for (let i = 0; i < batch.length; i += READ_CONCURRENCY) {
          await Promise.all(batch.slice(i, i + READ_CONCURRENCY).map(read));
        }
        if (waiting.size === 0) finish();
      };
      let dirty = new Set<string>();
      let scheduled = false;
      const onEvent = ({ jobId }: { jobId: string }) => {
        const dash = jobId.indexOf('-');
        const id = dash === -1 ? jobId : jobId.slice(0, dash);
        if (!waiting.has(id)) return;
        dirty.add(id);
        if (scheduled) return;
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          const batch = [...dirty];
          dirty = new Set();
          readAll(batch).catch(reject);
        });
      };
      for (const e of events) {
        for (const name of ['completed', 'failed', 'delayed', 'active', 'removed'] as const) {
          e.on(name, onEvent);
        }
      }
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(finish, options.timeoutMs);
        timer.unref();
      }
      onAbort = () => reject(options.signal?.reason ?? new Error('aborted'));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      // The first look, after the streams are reading: whatever ended before is found here, and
      // whatever ends later sends an event.
      readAll([...waiting]).catch(reject);
    });
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(events.map((e) => e.close()));
  }
}
