import { DEFAULT_PREFIX, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';

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
  /** On SIGTERM, how long in-flight requests may finish before the process exits anyway, ms. */
  REELAY_SHUTDOWN_TIMEOUT_MS: envField.int({ min: 0, default: 10_000 }),
});
export type ApiEnv = z.infer<typeof apiEnvSchema>;

export function loadApiEnv(env: Record<string, string | undefined> = process.env): ApiEnv {
  return parseEnv(apiEnvSchema, env);
}
