import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { STAGES } from '../catalog.ts';
import { ReelayError } from '../errors.ts';
import type { GenerationRecord } from '../record.ts';
import type { GenerationStore } from '../records.ts';
import { isTerminal } from '../status.ts';

export interface WaitOptions {
  /** Give up after this many ms: rejects with ReelayError('timeout'). Default: wait forever. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called each time the record is seen in a new status. */
  onStatus?: (record: GenerationRecord) => void;
}

/**
 * Waits for a generation to end, driven by queue events (every stage's job events for the
 * generation's jobs, `removed` included for a cancelled queued one), not by polling Redis: each
 * event re-reads the record once.
 */
export async function waitForGeneration(
  store: GenerationStore,
  connection: Redis,
  generationId: string,
  options: WaitOptions = {},
): Promise<GenerationRecord> {
  options.signal?.throwIfAborted();
  const events = await openStageEvents(store, connection);
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await new Promise<GenerationRecord>((resolve, reject) => {
      let last: string | undefined;
      const check = async () => {
        const record = await store.get(generationId);
        if (!record) return reject(new ReelayError('not_found', `no generation ${generationId}`));
        if (record.status !== last) {
          last = record.status;
          options.onStatus?.(record);
        }
        if (isTerminal(record.status)) resolve(record);
      };
      const onEvent = ({ jobId }: { jobId: string }) => {
        if (jobId === generationId || jobId.startsWith(`${generationId}-`)) void check().catch(reject);
      };
      for (const e of events) {
        e.on('completed', onEvent);
        e.on('failed', onEvent);
        e.on('delayed', onEvent);
        e.on('active', onEvent);
        e.on('removed', onEvent);
      }
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () =>
            reject(
              new ReelayError('timeout', `timed out waiting for ${generationId}`, {
                details: { generationId, timeoutMs: options.timeoutMs },
              }),
            ),
          options.timeoutMs,
        );
        timer.unref();
      }
      onAbort = () => reject(options.signal?.reason ?? new Error('aborted'));
      // It may have been aborted while the event streams were connecting.
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      void check().catch(reject);
    });
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) options.signal?.removeEventListener('abort', onAbort);
    await Promise.all(events.map((e) => e.close()));
  }
}

/**
 * One QueueEvents reader per stage queue, ready. They read the event streams from now on the Redis
 * clock, not from '$': QueueEvents issues its first XREAD only after its connection is ready and
 * named, and an event between the caller's first look at a record and that XREAD (the last one,
 * under load) would be lost and the wait would never end. The caller closes them.
 */
export async function openStageEvents(store: GenerationStore, connection: Redis): Promise<QueueEvents[]> {
  const [sec, usec] = await connection.time();
  const lastEventId = `${Number(sec) * 1000 + Math.floor(Number(usec) / 1000) - 1}-0`;
  const events = STAGES.map(
    (stage) =>
      new QueueEvents(stage, {
        connection: connectionOptions(connection),
        prefix: store.prefix,
        lastEventId,
      }),
  );
  try {
    await Promise.all(events.map((e) => e.waitUntilReady()));
  } catch (error) {
    await Promise.all(events.map((e) => e.close()));
    throw error;
  }
  return events;
}

/** Options for a connection of BullMQ's own (which it then also closes), copied from ours. */
function connectionOptions(connection: Redis) {
  const o = connection.options;
  return {
    host: o.host,
    port: o.port,
    db: o.db,
    maxRetriesPerRequest: null,
    ...(o.username ? { username: o.username } : {}),
    ...(o.password ? { password: o.password } : {}),
    ...(o.tls ? { tls: o.tls } : {}),
  };
}
