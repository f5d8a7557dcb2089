import { DEFAULT_PREFIX, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';
import { CliError, EXIT } from './exit.ts';

/** What `generate` and `status` read from the environment. One comment per variable. */
export const cliEnvSchema = z.object({
  /** Redis holding the queues and generation records (the workers' Redis). */
  REDIS_URL: envField.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Key prefix of every queue and record; must match the workers'. */
  REELAY_PREFIX: z
    .string()
    .regex(/\{[^{}]+\}/, 'must contain a hash tag like {reelay}')
    .default(DEFAULT_PREFIX),
  /**
   * `on`: `generate`, `batch` and `campaign` check each prompt with the provider's `moderations.create`
   * before anything is enqueued (as the api does). Default off.
   */
  REELAY_MODERATION: z.enum(['on', 'off'], { error: 'must be on or off' }).default('off'),
  /** The moderation model (the provider adapter's default when unset). */
  REELAY_MODERATION_MODEL: z.string().min(1).optional(),
  /** The provider moderation is checked at (with REELAY_MODERATION=on). Default the simulator's. */
  OPENAI_BASE_URL: envField.url(['http:', 'https:']).optional(),
  /** The provider key moderation calls are made with; required with REELAY_MODERATION=on. */
  OPENAI_API_KEY: z.string().min(1).optional(),
});
export type CliEnv = z.infer<typeof cliEnvSchema>;

/** What `start` reads on top of that. */
export const startEnvSchema = cliEnvSchema.extend({
  /** Port of the embedded simulator; 0 = any free port. Ignored when OPENAI_BASE_URL is set. */
  REELAY_SIM_PORT: envField.int({ min: 0, max: 65535, default: 4010 }),
  /** Port of the api (webhook receiver); 0 = any free port. */
  REELAY_API_PORT: envField.int({ min: 0, max: 65535, default: 8080 }),
  /** Port of the worker's /healthz and /readyz; 0 = any free port. */
  REELAY_WORKER_PORT: envField.int({ min: 0, max: 65535, default: 8081 }),
  /** A real provider (gateway, self-hosted server): no simulator is started. Unset: the simulator. */
  OPENAI_BASE_URL: envField.url(['http:', 'https:']).optional(),
  /** Signs provider webhooks; with the simulator, a fresh one is made per run when unset. */
  OPENAI_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Where `start` keeps its state: `redis/` (a Redis it starts), `logs/`, `videos/`. Default `<repo>/data`. */
  REELAY_DATA_DIR: z.string().min(1).optional(),
  /** Where videos go. Default `file://<data dir>/videos`. */
  REELAY_STORAGE_URL: z.string().min(1).optional(),
  /** How long a child may take to stop after SIGTERM before it is killed, ms. */
  REELAY_STOP_TIMEOUT_MS: envField.int({ min: 0, default: 30_000 }),
});
export type StartEnv = z.infer<typeof startEnvSchema>;

/** Parses once and fails fast: a bad variable is bad input (exit 2), named, its value not echoed. */
export function loadEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  try {
    return parseEnv(schema, env);
  } catch (error) {
    throw new CliError((error as Error).message, EXIT.badInput);
  }
}
