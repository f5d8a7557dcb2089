import {
  GenerationStore,
  type Logger,
  type StageQueues,
  createRedisConnection,
  createStageQueues,
} from '@reelay/core';
import { createOpenAIProvider } from '@reelay/providers';
import type { Redis } from 'ioredis';
import type { ApiDeps } from './app.ts';
import type { ApiEnv } from './env.ts';

/**
 * The webhook receiver never calls the provider (the promoted poll does), but the adapter insists on
 * a key; without a real one configured, this placeholder stands in and is never sent anywhere.
 */
const UNUSED_KEY = 'sk-unused-by-webhook-receiver';

export interface ApiContext {
  deps: ApiDeps;
  redis: Redis;
  queues: StageQueues;
}

/** Throws `config_invalid` (from the adapter) when the webhook secret is not a usable whsec_ secret. */
export function buildApiContext(env: ApiEnv, logger: Logger): ApiContext {
  // Producer role: a command fails after a few retries instead of hanging, so a delivery that
  // arrives while Redis is away gets a 5xx and the provider retries it later.
  const redis = createRedisConnection(env.REDIS_URL, { role: 'producer', name: 'reelay-api' });
  const queues = createStageQueues(redis, env.REELAY_PREFIX);
  const secret = env.OPENAI_WEBHOOK_SECRET;
  const webhook =
    secret === undefined
      ? undefined
      : {
          provider: createOpenAIProvider({
            apiKey: env.OPENAI_API_KEY ?? UNUSED_KEY,
            baseURL: env.OPENAI_BASE_URL,
            webhookSecret: secret,
          }),
          store: new GenerationStore(redis, env.REELAY_PREFIX),
          queues,
          logger,
          redis,
          prefix: env.REELAY_PREFIX,
        };
  return { deps: { redis, logger, webhook }, redis, queues };
}
