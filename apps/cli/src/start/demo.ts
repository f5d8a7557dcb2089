import {
  GenerationStore,
  type GenerationRecord,
  closeStageQueues,
  createRedisConnection,
  createStageQueues,
} from '@reelay/core';
import { enqueueGeneration, resolvePipelineOptions, waitForGeneration } from '@reelay/pipeline';
import { statusLabel, table } from '../format.ts';

const PROMPTS = [
  'A paper boat drifting down a rain-soaked street at dusk, reflections of neon signs',
  'Slow dolly shot through a greenhouse full of hanging ferns, morning light',
  'A red fox trotting across fresh snow in a birch forest, soft focus',
];

/**
 * Ten times the expected duration of a 4 s sora-2 clip (~72 s of provider time), at the provider's
 * time scale; at least a minute, for a slow first start.
 */
function demoTimeoutMs(timeScale: number): number {
  return Math.max(60_000, (10 * 72_000) / timeScale);
}

export interface DemoOutcome {
  id: string;
  record: GenerationRecord | undefined;
  /** Set when the wait itself failed (timeout). */
  waitError?: string;
}

/** Enqueues `count` demo prompts through the same path any producer uses, and waits for each. */
export async function runDemo(
  redisUrl: string,
  prefix: string,
  count: number,
  timeScale: number,
  say: (line: string) => void,
): Promise<DemoOutcome[]> {
  const redis = createRedisConnection(redisUrl, { role: 'producer', name: 'reelay-demo' });
  // BullMQ's QueueEvents (the waiter) need a connection that retries forever.
  const events = createRedisConnection(redisUrl, { role: 'worker', name: 'reelay-demo-events' });
  const store = new GenerationStore(redis, prefix);
  const queues = createStageQueues(redis, prefix);
  try {
    const ctx = { store, queues, options: resolvePipelineOptions() };
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const base = PROMPTS[i % PROMPTS.length] ?? 'A demo clip';
      const prompt = i < PROMPTS.length ? base : `${base} (take ${Math.floor(i / PROMPTS.length) + 1})`;
      const { id } = await enqueueGeneration(
        ctx,
        { prompt, model: 'sora-2', seconds: '4', size: '720x1280' },
        { metadata: { source: 'reelay-demo' } },
      );
      ids.push(id);
      say(`[demo] enqueued ${id}: ${prompt}`);
    }
    const timeoutMs = demoTimeoutMs(timeScale);
    return await Promise.all(
      ids.map(async (id): Promise<DemoOutcome> => {
        try {
          const record = await waitForGeneration(store, events, id, {
            timeoutMs,
            onStatus: (r) => say(`[demo] ${id} ${r.status}`),
          });
          return { id, record };
        } catch (error) {
          return { id, record: (await store.get(id)) ?? undefined, waitError: (error as Error).message };
        }
      }),
    );
  } finally {
    await closeStageQueues(queues);
    redis.disconnect();
    events.disconnect();
  }
}

export function demoTable(outcomes: DemoOutcome[]): string {
  const rows = outcomes.map(({ id, record, waitError }) => [
    id,
    waitError ? `timeout (${record?.status ?? 'unknown'})` : record ? statusLabel(record) : 'unknown',
    record?.storage ? String(record.storage.bytes) : '-',
    record?.storage ? record.storage.sha256.slice(0, 16) : '-',
    record?.storage?.uri ?? '-',
  ]);
  return table(['id', 'status', 'bytes', 'sha256', 'uri'], rows);
}

export function allCompleted(outcomes: DemoOutcome[]): boolean {
  return outcomes.every((o) => !o.waitError && o.record?.status === 'completed');
}
