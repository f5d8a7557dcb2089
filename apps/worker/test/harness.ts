import {
  type GenerationRecord,
  GenerationStore,
  type StageQueues,
  closeStageQueues,
  createStageQueues,
} from '@reelay/core';
import { enqueueGeneration, resolvePipelineOptions, waitForGeneration } from '@reelay/pipeline';
import {
  PIPELINE_TIME_SCALE,
  type PipelineServices,
  type WorkerProcess,
  startPipelineServices,
} from '@reelay/testing';
import { Redis } from 'ioredis';

export const TIME_SCALE = PIPELINE_TIME_SCALE;

/**
 * A private pipeline: its own prefix, simulator, storage dir, and worker processes per stage (the
 * services from @reelay/testing's pipeline harness), plus the producer side in this process.
 */
export interface Harness extends Omit<PipelineServices, 'fileSha256' | 'close'> {
  store: GenerationStore;
  queues: StageQueues;
  connection: Redis;
  enqueue(
    n: number,
    request?: Partial<{ prompt: string; seconds: '4' | '8'; thumbnail: boolean }>,
  ): Promise<string[]>;
  waitAll(ids: string[], timeoutMs?: number): Promise<GenerationRecord[]>;
  fileSha256(record: GenerationRecord): Promise<string>;
  close(): Promise<void>;
}

export type { WorkerProcess };

export async function createHarness(
  simFlags: Record<string, string | number | boolean> = {},
  workerEnv: Record<string, string> = {},
): Promise<Harness> {
  const services = await startPipelineServices({ simFlags, workerEnv });
  const connection = new Redis(services.redis.url, { maxRetriesPerRequest: null });
  const store = new GenerationStore(connection, services.prefix);
  const queues = createStageQueues(connection, services.prefix, { retryBaseMs: 50 });
  const options = resolvePipelineOptions();
  return {
    ...services,
    store,
    queues,
    connection,
    async enqueue(n, request = {}) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const { id } = await enqueueGeneration(
          { store, queues, options },
          {
            prompt: request.prompt ?? `e2e clip ${i}`,
            seconds: request.seconds ?? '4',
            thumbnail: request.thumbnail ?? false,
          },
        );
        ids.push(id);
      }
      return ids;
    },
    async waitAll(ids, timeoutMs = 60_000) {
      return Promise.all(ids.map((id) => waitForGeneration(store, connection, id, { timeoutMs })));
    },
    fileSha256: (record) => services.fileSha256(record.storage!.uri),
    async close() {
      await Promise.all(services.workers.map((w) => w.kill()));
      for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
      await closeStageQueues(queues);
      connection.disconnect();
      await services.close();
    },
  };
}
