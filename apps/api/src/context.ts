import {
  GenerationStore,
  type Logger,
  ReelayError,
  type StageQueues,
  createRedisConnection,
  createStageQueues,
} from '@reelay/core';
import { type Moderate, Reelay } from '@reelay/client';
import { createOpenAIProvider } from '@reelay/providers';
import { type ObjectStore, createObjectStore } from '@reelay/storage';
import type { Redis } from 'ioredis';
import type { ApiDeps } from './app.ts';
import { KeyRateLimit } from './auth/key-limit.ts';
import type { ApiEnv } from './env.ts';
import type { ProducerDeps } from './producer/producer-options.ts';

/**
 * The webhook receiver never calls the provider (the promoted poll does), but the adapter insists on
 * a key; without a real one configured, this placeholder stands in and is never sent anywhere.
 */
const UNUSED_KEY = 'sk-unused-by-webhook-receiver';

export interface ApiContext {
  deps: ApiDeps;
  redis: Redis;
  queues: StageQueues;
  /** Closes what the producer API opened (the client; the object store, if one was made). */
  closeProducer: () => Promise<void>;
}

/**
 * The provider adapter's moderation check (`moderations.create`) as the client's `moderate` hook: the
 * client runs it on every create before anything is enqueued. It needs a real key: moderation with
 * a placeholder would fail every create.
 */
function moderationFor(env: ApiEnv): Moderate {
  if (env.OPENAI_API_KEY === undefined) {
    throw new ReelayError(
      'config_invalid',
      'REELAY_MODERATION=on needs OPENAI_API_KEY (the key moderation calls are made with)',
      { param: 'OPENAI_API_KEY' },
    );
  }
  const provider = createOpenAIProvider({
    apiKey: env.OPENAI_API_KEY,
    baseURL: env.OPENAI_BASE_URL,
    ...(env.REELAY_MODERATION_MODEL !== undefined ? { moderationModel: env.REELAY_MODERATION_MODEL } : {}),
  });
  return (prompt) => provider.moderate(prompt);
}

/** Throws `config_invalid` (from the adapter) when the webhook secret is not a usable whsec_ secret. */
export function buildApiContext(env: ApiEnv, logger: Logger): ApiContext {
  // Producer role: a command fails after a few retries instead of hanging, so a delivery that
  // arrives while Redis is away gets a 5xx and the provider retries it later.
  // Not auto-pipelined: ioredis 6 copies script commands into a pipeline when it is made, so a script
  // defined later (the per-key limit's, on first use) fails inside an open auto-pipeline.
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
  const client = new Reelay({
    redis,
    prefix: env.REELAY_PREFIX,
    ...(env.REELAY_MODERATION === 'on' ? { moderate: moderationFor(env) } : {}),
  });
  let store: ObjectStore | undefined;
  const producer: ProducerDeps = {
    client,
    keys: env.REELAY_API_KEYS,
    limit:
      env.REELAY_API_KEY_RPM > 0
        ? new KeyRateLimit(redis, env.REELAY_PREFIX, env.REELAY_API_KEY_RPM)
        : undefined,
    // Made on first use: only S3 content needs it, and an S3 client is not worth holding otherwise.
    objectStore: () => {
      store ??= createObjectStore(env.REELAY_STORAGE_URL);
      return store;
    },
    bodyLimitBytes: env.REELAY_API_BODY_LIMIT_BYTES,
    callbackPolicy: { allow: env.REELAY_CALLBACK_ALLOW, allowHttp: env.REELAY_CALLBACK_ALLOW_HTTP },
  };
  const closeProducer = async () => {
    await client.close();
    await store?.close();
  };
  return { deps: { redis, logger, webhook, producer }, redis, queues, closeProducer };
}
