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
export type { StageQueues } from './queues.ts';
export type {
  GenerationAttempts,
  GenerationRecord,
  GenerationStorage,
  GenerationTimings,
  StoredAsset,
} from './record.ts';
export { GenerationStore } from './records.ts';
export type { GenerationPatch, NewGeneration, UpdateOptions, UpdateResult } from './records.ts';
