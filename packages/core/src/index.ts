export {
  ERROR_CODES,
  ReelayError,
  ValidationError,
  deserializeError,
  isErrorCode,
  serializeError,
} from './errors.ts';
export type { ErrorCode, ReelayErrorOptions, SerializedError } from './errors.ts';
export { envField, parseEnv } from './env.ts';
export { REDACTED, createLogger, isSecretKey, redactDeep, redactString } from './logger.ts';
export type { Logger, LoggerFactoryOptions } from './logger.ts';
export { GENERATION_STATUSES, TERMINAL_STATUSES, isTerminal } from './status.ts';
export type { GenerationStatus } from './status.ts';
export { generationIdFor, newGenerationId, requestFingerprint } from './ids.ts';
export {
  MODELS,
  PRO_ONLY_SIZES,
  SECONDS,
  SIZES,
  STAGES,
  generationRequestSchema,
  jobIdFor,
  jobSchemas,
} from './catalog.ts';
export type { GenerationRequest, GenerationRequestInput, JobData, Stage } from './catalog.ts';
export { DEFAULT_PREFIX, checkPrefix, createRedisConnection } from './redis.ts';
export type { RedisConnectionOptions } from './redis.ts';
export { DEFAULT_JOB_OPTIONS, closeStageQueues, createStageQueues, jobOptionsFor } from './queues.ts';
export type { StageQueueOptions, StageQueues } from './queues.ts';
export type {
  GenerationAttempts,
  GenerationRecord,
  GenerationStorage,
  GenerationTimings,
  StoredAsset,
} from './record.ts';
export { GenerationStore } from './records.ts';
export type { GenerationPatch, NewGeneration, UpdateOptions, UpdateResult } from './records.ts';
export { DAY_MS, budgetPeriods } from './limits/periods.ts';
export type { Period } from './limits/periods.ts';
export { DEFAULT_PRICES, highestPrice, pricePerSecond } from './limits/prices.ts';
export type { PriceTable } from './limits/prices.ts';
export { InFlightLeases } from './limits/leases.ts';
export type { LeaseDecision } from './limits/leases.ts';
export { RateLog } from './limits/rate-log.ts';
export type { RateDecision, TakenSlots } from './limits/rate-log.ts';
export { SpendLedger } from './limits/spend.ts';
export type { BudgetScope, SpendFigures } from './limits/spend.ts';
export { limitKeys } from './limits/keys.ts';
export type { LimitKeys, RateClass } from './limits/keys.ts';
export { createMetrics } from './metrics/metrics.ts';
export type { ProviderResponseReading, ReelayMetrics } from './metrics/metrics.ts';
export type { MetricsOptions } from './metrics/metrics-options.ts';
export type { ScrapeSources, SpendLineReading, SpendReading } from './metrics/collectors.ts';
export type { QueueState, StageOutcome, TerminalStatus } from './metrics/catalog.ts';
export type { RequestMapping } from './record.ts';
export { MAX_PRIORITY, PARK_DELAY_MS } from './producer/producer-options.ts';
export type { ProducerContext } from './producer/producer-options.ts';
export { FAIR_PUSH_SCRIPT, FairPush } from './producer/fair-push.ts';
export type { FairPushItem } from './producer/fair-push.ts';
export {
  addSubmitJobs,
  connectionOf,
  createRecords,
  enqueueGeneration,
  enqueuePrepared,
  prepareEnqueue,
  validateEnqueue,
} from './producer/enqueue.ts';
export type { EnqueueOptions, EnqueueResult, PreparedEnqueue } from './producer/enqueue.ts';
export { waitForGeneration } from './producer/waiter.ts';
export type { WaitOptions } from './producer/waiter.ts';
export { waitForGenerations } from './producer/wait-many.ts';
export type { WaitManyCounts, WaitManyOptions, WaitManyResult } from './producer/wait-many.ts';
export { cancelGeneration } from './producer/cancel.ts';
export type { CancelContext } from './producer/cancel.ts';
export { pooledGenerationId } from './producer/id-pool.ts';
export { runHttpService } from './service.ts';
export type { HttpServiceOptions } from './service.ts';
export { processTelemetry, startTracing } from './telemetry/tracing.ts';
export type { SpanAttributes, Tracing } from './telemetry/tracing.ts';
export {
  TRACING_MODES,
  TRACING_VARIABLES,
  tracingEnvSchema,
  tracingOptionsFromEnv,
} from './telemetry/tracing-options.ts';
export type { TracingMode, TracingOptions } from './telemetry/tracing-options.ts';
