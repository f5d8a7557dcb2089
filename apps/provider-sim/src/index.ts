export { ApiError, type ErrorBody } from './api-error.ts';
export { MODELS, SECONDS, sizesFor } from './catalog.ts';
export {
  DURATION_MODEL,
  type DrawnTimeline,
  type DurationParams,
  drawTimeline,
  expectedDurationMs,
  medianRunMs,
} from './duration-model.ts';
export {
  DEFAULT_CONFIG,
  parseConfigPatch,
  type ResolvedSimulatorOptions,
  resolveOptions,
  type SimConfig,
  type SimulatorOptions,
} from './sim-options.ts';
export { createSimulator, type Simulator } from './simulator.ts';
export type { SimStats } from './stats.ts';
export type { VideoObject } from './video-record.ts';
export type { WebhookEvent } from './webhooks.ts';
