import { type GenerationRecord, type GenerationStore, STAGES, isTerminal } from '@reelay/core';
import { QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';

/**
 * Waits for a generation to end, driven by queue events (every stage's `completed` and `failed`
 * for the generation's jobs), not by polling Redis: each event re-reads the record once.
 */
export async function waitForGeneration(
  store: GenerationStore,
  connection: Redis,
  generationId: string,
  options: { timeoutMs?: number; signal?: AbortSignal; onStatus?: (record: GenerationRecord) => void } = {},
): Promise<GenerationRecord> {
  const events = STAGES.map(
    (stage) => new QueueEvents(stage, { connection: connectionOptions(connection), prefix: store.prefix }),
  );
  try {
    await Promise.all(events.map((e) => e.waitUntilReady()));
    return await new Promise<GenerationRecord>((resolve, reject) => {
      let last: string | undefined;
      const check = async () => {
        const record = await store.get(generationId);
        if (!record) return reject(new Error(`no generation ${generationId}`));
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
      }
      const timer =
        options.timeoutMs !== undefined
          ? setTimeout(() => reject(new Error(`timed out waiting for ${generationId}`)), options.timeoutMs)
          : undefined;
      options.signal?.addEventListener('abort', () => reject(options.signal?.reason ?? new Error('aborted')));
      void check().catch(reject);
      if (timer) timer.unref();
    });
  } finally {
    await Promise.all(
      events.map(async (e) => {
        await e.close();
      }),
    );
  }
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
