import {
  type GenerationRecord,
  GenerationStore,
  type StageQueues,
  closeStageQueues,
  createStageQueues,
} from '@reelay/core';
import { enqueueGeneration, resolvePipelineOptions, waitForGeneration } from '@reelay/pipeline';
import { type PipelineServices, type WorkerProcess, startPipelineServices } from '@reelay/testing';
import { Redis } from 'ioredis';

/** A small real pipeline: Redis, the simulator and a worker process, under a private prefix. */
export interface PipelineRun {
  services: PipelineServices;
  redis: PipelineServices['redis'];
  sim: PipelineServices['sim'];
  prefix: string;
  connection: Redis;
  queues: StageQueues;
  store: GenerationStore;
  worker: WorkerProcess | undefined;
  startWorker(): Promise<void>;
  stopWorker(): Promise<void>;
  enqueue(n: number): Promise<string[]>;
  waitAll(ids: string[]): Promise<GenerationRecord[]>;
  close(): Promise<void>;
}

export async function startPipeline(): Promise<PipelineRun> {
  const services = await startPipelineServices({
    name: 'dash-e2e',
    simFlags: { videoBytes: 16 * 1024, seed: 'dash' },
    workerEnv: { REELAY_MAX_IN_FLIGHT: '8' },
  });
  const { prefix } = services;
  const connection = new Redis(services.redis.url, { maxRetriesPerRequest: null });
  const store = new GenerationStore(connection, prefix);
  const queues = createStageQueues(connection, prefix, { retryBaseMs: 50 });
  const options = resolvePipelineOptions();
  let counter = 0;
  const run: PipelineRun = {
    services,
    redis: services.redis,
    sim: services.sim,
    prefix,
    connection,
    queues,
    store,
    worker: undefined,
    async startWorker() {
      run.worker = await services.start('all');
    },
    async stopWorker() {
      await run.worker?.stop();
      run.worker = undefined;
    },
    async enqueue(n) {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const input = { prompt: `dashboard clip ${counter++}`, seconds: '4' as const };
        ids.push((await enqueueGeneration({ store, queues, options }, input)).id);
      }
      return ids;
    },
    waitAll(ids) {
      return Promise.all(ids.map((id) => waitForGeneration(store, connection, id, { timeoutMs: 60_000 })));
    },
    async close() {
      await run.worker?.stop();
      for (const q of Object.values(queues)) await q.obliterate({ force: true }).catch(() => {});
      await closeStageQueues(queues);
      connection.disconnect();
      await services.close();
    },
  };
  return run;
}
