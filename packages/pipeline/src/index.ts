export { admitAll } from './admission.ts';
export type { Admission, AdmissionDecision, SettleOutcome } from './admission.ts';
export type { PipelineContext } from './context.ts';
export { WaitSignal, failGeneration, handleStageError, throwIfNotAdmitted } from './control-flow.ts';
export { enqueueGeneration } from './enqueue.ts';
export type { EnqueueOptions, EnqueueResult } from './enqueue.ts';
export { MANIFEST_VERSION, buildManifest, objectKeys } from './manifest.ts';
export type { Manifest } from './manifest.ts';
export { DEFAULT_EXPECTED_DURATION, resolvePipelineOptions } from './pipeline-options.ts';
export type { PipelineOptions, PipelineOptionsInput } from './pipeline-options.ts';
export { expectedDurationMs, firstCheckDelay, nextPollDelay } from './poll-schedule.ts';
export { processDownload } from './stages/download.ts';
export { processPoll } from './stages/poll.ts';
export { processSubmit } from './stages/submit.ts';
export { waitForGeneration } from './waiter.ts';
export { startStageWorkers, sweepOrphans } from './workers.ts';
export type { StageWorkerOptions, StageWorkers } from './workers.ts';
export { FairBacklog } from './fairness/backlog.ts';
export type { PoppedItem } from './fairness/backlog.ts';
export { startFairDispatcher } from './fairness/dispatcher.ts';
export type { FairDispatcher } from './fairness/dispatcher.ts';
export {
  MAX_PRIORITY,
  PARK_DELAY_MS,
  parseTenantWeights,
  resolveFairnessOptions,
} from './fairness/fairness-options.ts';
export type { FairnessOptions, FairnessOptionsInput } from './fairness/fairness-options.ts';
export { releaseToSubmit } from './fairness/release.ts';
export { RedisAdmission } from './admission/redis-admission.ts';
export { resolveAdmissionOptions } from './admission/admission-options.ts';
export type { AdmissionOptions, AdmissionOptionsInput, BudgetLimits } from './admission/admission-options.ts';
export type { ScopeSpend, SpendLine, SpendSnapshot } from './admission/snapshot.ts';
export { createNotifyProcessor, enqueueNotify } from './notify/stage.ts';
export type { NotifyContext, NotifyProcessor } from './notify/stage.ts';
export {
  DEFAULT_NOTIFY_MAX_AGE_MS,
  DEFAULT_NOTIFY_TIMEOUT_MS,
  resolveNotifyOptions,
  tenantSecrets,
} from './notify/notify-options.ts';
export type { NotifyOptions, NotifyOptionsInput } from './notify/notify-options.ts';
export { checkCallbackUrl, parseCallbackUrl, systemLookup } from './notify/ssrf.ts';
export type { CallbackPolicy, CheckedCallback, LookupAll } from './notify/ssrf.ts';
export { buildCallbackPayload, webhookIdFor } from './notify/sign.ts';
export type { CallbackEvent, CallbackPayload } from './notify/sign.ts';
export type { StageEndReport } from './workers.ts';
