export type {
  CallOptions,
  ContentVariant,
  CreateOptions,
  CreateVideoRequest,
  FindCreatedMatch,
  ListOptions,
  ModerationResult,
  ProviderContent,
  ProviderEndpoint,
  ProviderResponseInfo,
  ProviderVideo,
  ProviderWebhookEvent,
  VideoProvider,
  VideoStatus,
  WebhookHeaders,
} from './provider.ts';
export { PROVIDER_ERROR_KINDS, ProviderError, isProviderError, providerErrorCode } from './errors.ts';
export type { ProviderErrorKind, ProviderErrorOptions } from './errors.ts';
export { classifyProviderError } from './classify.ts';
export { classifyVideoFailure } from './classify-video-failure.ts';
export type { VideoFailure } from './classify-video-failure.ts';
export type { ClassifyOptions } from './classify.ts';
export { DEFAULT_RATE_LIMIT_RETRY_MS, classifyHttpFailure } from './classify-http.ts';
export type { HttpFailure } from './classify-http.ts';
export { parseDurationMs, retryAfterMsFromHeaders } from './retry-after.ts';
export { DEFAULT_CLOCK_SKEW_SEC, MAX_SCANNED, findCreatedVideo } from './find-created.ts';
export { createOpenAIProvider } from './openai/adapter.ts';
export {
  DEFAULT_BASE_URL,
  DEFAULT_MODEL,
  DEFAULT_MODERATION_MODEL,
  DEFAULT_TIMEOUT_MS,
  resolveOpenAIProviderOptions,
} from './openai/openai-options.ts';
export type { OpenAIProviderOptions, ResolvedOpenAIProviderOptions } from './openai/openai-options.ts';
