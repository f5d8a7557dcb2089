import type { GenerationStore, Logger, StageQueues } from '@reelay/core';
import type { VideoProvider } from '@reelay/providers';
import type { ObjectStore } from '@reelay/storage';
import type { Admission } from './admission.ts';
import type { PipelineOptions } from './pipeline-options.ts';

/** Everything a stage handler needs, built once per process. */
export interface PipelineContext {
  store: GenerationStore;
  queues: StageQueues;
  provider: VideoProvider;
  objects: ObjectStore;
  logger: Logger;
  options: PipelineOptions;
  /** Rate limits, in-flight cap, budgets. `admitAll` when none are configured. */
  admission: Admission;
}
