import { DEFAULT_PREFIX, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';
import { type ApiKeyEntry, parseApiKeys } from './auth/api-keys.ts';
import { DEFAULT_BODY_LIMIT_BYTES } from './producer/producer-options.ts';

/** `tenant:<sha256 hex>` entries; a bad entry is named by position, its value never echoed. */
const apiKeysField = z
  .string()
  .optional()
  .transform((value, ctx): ApiKeyEntry[] => {
    try {
      return value === undefined ? [] : parseApiKeys(value);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  });

/** The api's whole environment, parsed once at start. One comment per variable. */
export const apiEnvSchema = z.object({
  /** Redis holding the queues and generation records (the same one the workers use). */
  REDIS_URL: envField.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Key prefix of every queue and record; must carry a Cluster hash tag, and match the workers'. */
  REELAY_PREFIX: z
    .string()
    .regex(/\{[^{}]+\}/, 'must contain a hash tag like {reelay}')
    .default(DEFAULT_PREFIX),
  /** TCP port to listen on; 0 = any free port (the chosen one is in the `listening` line). */
  REELAY_API_PORT: envField.int({ min: 0, max: 65535, default: 8080 }),
  /** Interface to bind. Default 0.0.0.0: the webhook receiver must be reachable from the provider. */
  REELAY_API_HOST: z.string().min(1).default('0.0.0.0'),
  /**
   * The provider's base URL (the openai SDK's own variable). The webhook receiver never calls the
   * provider; it only builds the adapter whose `verifyWebhook` checks deliveries.
   */
  OPENAI_BASE_URL: envField.url(['http:', 'https:'], 'http://127.0.0.1:4010/v1'),
  /** The provider key (the openai SDK's own variable). Not needed to verify webhooks; never logged. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /**
   * Standard Webhooks secret (`whsec_…`) the provider signs its webhooks with. Unset: the webhook
   * route answers 503, since an unverifiable delivery must not be acted on.
   */
  OPENAI_WEBHOOK_SECRET: z.string().min(1).optional(),
  /**
   * Producer API keys: comma list of `tenant:<sha256 hex of the key>`; make a hash with
   * `printf %s "$KEY" | sha256sum`. Only hashes are configured, so this variable is not a secret by
   * itself. Unset: every /v1 request is a 401.
   */
  REELAY_API_KEYS: apiKeysField,
  /** Requests per minute per API key, sliding window, for all api replicas together; 0 = no limit. */
  REELAY_API_KEY_RPM: envField.int({ min: 0, default: 600 }),
  /** Largest JSON body of the producer API, bytes (64 KiB: a create is well under 10 KiB). */
  REELAY_API_BODY_LIMIT_BYTES: envField.int({
    min: 1024,
    max: 16 * 1024 * 1024,
    default: DEFAULT_BODY_LIMIT_BYTES,
  }),
  /**
   * `on`: every create's prompt goes through the provider's `moderations.create` (at
   * `OPENAI_BASE_URL`, with `OPENAI_API_KEY`) before anything is enqueued; flagged → 422
   * `content_policy` with the categories; moderation unreachable → 503, nothing enqueued. Default off.
   */
  REELAY_MODERATION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  /** The moderation model (the provider adapter's default when unset). */
  REELAY_MODERATION_MODEL: z.string().min(1).optional(),
  /**
   * The workers' callback policy, read here too so a create whose `callback_url` the notify stage
   * would refuse (a loopback, private, link-local or metadata address in any spelling, a local name,
   * plain http) is a 400 at once instead of a callback abandoned after the video was paid for. Set
   * both processes alike. DNS is not asked here: a name is checked again when the callback is sent.
   */
  REELAY_CALLBACK_ALLOW: envField.list(),
  REELAY_CALLBACK_ALLOW_HTTP: envField.bool(false),
  /** Where the workers store videos (as theirs): S3 content is served as a redirect to a presigned URL. */
  REELAY_STORAGE_URL: z.string().min(1).default('file://./data/videos'),
  /** On SIGTERM, how long in-flight requests may finish before the process exits anyway, ms. */
  REELAY_SHUTDOWN_TIMEOUT_MS: envField.int({ min: 0, default: 10_000 }),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(env: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, env);
}
