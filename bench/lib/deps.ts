import { createRequire } from 'node:module';
import type * as BullMQ from '../../packages/core/node_modules/bullmq/dist/esm/index.js';

/**
 * The one place `bench/` reaches into the workspace. `bench/` is not a workspace package (the root
 * package.json and pnpm-workspace.yaml list none for it), so bare specifiers like `bullmq` or
 * `@reelay/core` do not resolve from here. Workspace sources are imported by relative path (they then
 * resolve their own dependencies), and BullMQ / ioredis through `@reelay/core`'s links — the very copies
 * the workers load, so the raw baseline runs the same BullMQ build as the pipeline.
 * BullMQ is loaded as CommonJS, as Node loads it for the packages (its ESM build uses directory
 * imports Node refuses); its types come from the ESM declarations, erased at run time.
 * If `bench/` ever becomes a package, only this file changes.
 */
const bullmq = createRequire(import.meta.url)(
  '../../packages/core/node_modules/bullmq/dist/cjs/index.js',
) as typeof BullMQ;

export const Queue = bullmq.Queue;
export type Queue = BullMQ.Queue;
export const QueueEvents = bullmq.QueueEvents;
export type QueueEvents = BullMQ.QueueEvents;
export const Worker = bullmq.Worker;
export type Worker = BullMQ.Worker;
export type { Job, JobsOptions } from '../../packages/core/node_modules/bullmq/dist/esm/index.js';
export { Redis } from '../../packages/core/node_modules/ioredis/built/index.js';

export {
  GenerationStore,
  closeStageQueues,
  createStageQueues,
  jobOptionsFor,
} from '../../packages/core/src/index.ts';
export type { GenerationRecord, GenerationRequestInput, StageQueues } from '../../packages/core/src/index.ts';
export { enqueueGeneration, resolvePipelineOptions } from '../../packages/pipeline/src/index.ts';
export { startRedis, startSimulator } from '../../packages/testing/src/index.ts';
export type { RedisFixture, SimulatorFixture } from '../../packages/testing/src/index.ts';
export { drawTimeline } from '../../apps/provider-sim/src/index.ts';

/** The `openai` SDK the providers adapter uses (loaded on demand: only the SDK-floor stages need it). */
export function loadOpenAI(): Promise<
  typeof import('../../packages/providers/node_modules/openai/index.mjs')
> {
  return import('../../packages/providers/node_modules/openai/index.mjs');
}
