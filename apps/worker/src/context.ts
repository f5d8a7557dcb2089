import { GenerationStore, type Logger, createRedisConnection, createStageQueues } from '@reelay/core';
import { type PipelineContext, admitAll, resolvePipelineOptions } from '@reelay/pipeline';
import { createOpenAIProvider } from '@reelay/providers';
import { createObjectStore } from '@reelay/storage';
import type { Redis } from 'ioredis';
import type { WorkerEnv } from './env.ts';

/** The embedded simulator accepts any key; the SDK insists on one. */
const LOCAL_SIM_KEY = 'sk-sim-local';

export function buildContext(env: WorkerEnv, logger: Logger): { ctx: PipelineContext; redis: Redis } {
  const redis = createRedisConnection(env.REDIS_URL, { role: 'worker', name: 'reelay-worker' });
  const admission = admitAll;
  const ctx: PipelineContext = {
    admission,
    store: new GenerationStore(redis, env.REELAY_PREFIX),
    queues: createStageQueues(redis, env.REELAY_PREFIX),
    provider: createOpenAIProvider({
      apiKey: env.OPENAI_API_KEY ?? LOCAL_SIM_KEY,
      baseURL: env.OPENAI_BASE_URL,
      model: env.REELAY_MODEL,
      ...(env.OPENAI_WEBHOOK_SECRET ? { webhookSecret: env.OPENAI_WEBHOOK_SECRET } : {}),
      onResponse: (info) => admission.observe?.(info),
    }),
    objects: createObjectStore(env.REELAY_STORAGE_URL),
    logger,
    options: resolvePipelineOptions({
      durationScale: env.REELAY_PROVIDER_TIME_SCALE,
      webhooks: env.REELAY_WEBHOOKS,
      minPollIntervalMs: env.REELAY_POLL_MIN_MS,
      maxPollIntervalMs: env.REELAY_POLL_MAX_MS,
      deadlineMs: env.REELAY_DEADLINE_MS,
      maxResubmits: env.REELAY_MAX_RESUBMITS,
    }),
  };
  return { ctx, redis };
}
