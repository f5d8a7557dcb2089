import { DEFAULT_PREFIX, STAGES, type Stage, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';

/** The worker's whole environment, parsed once at start. One comment per variable. */
export const workerEnvSchema = z.object({
  /** Redis holding the queues, records and limits. */
  REDIS_URL: envField.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  /** Key prefix of every queue and record; must carry a Cluster hash tag. */
  REELAY_PREFIX: z
    .string()
    .regex(/\{[^{}]+\}/, 'must contain a hash tag like {reelay}')
    .default(DEFAULT_PREFIX),
  /** Stages this process runs: `all` or a comma list of submit, poll, download. `--stage` overrides. */
  REELAY_STAGES: z.string().default('all'),
  /** The provider's base URL (the openai SDK's own variable). Default: the embedded simulator. */
  OPENAI_BASE_URL: envField.url(['http:', 'https:'], 'http://127.0.0.1:4010/v1'),
  /** The provider key (the openai SDK's own variable). Required unless the provider is the local simulator. */
  OPENAI_API_KEY: z.string().min(1).optional(),
  /** Secret (`whsec_…`) that signs the provider's webhooks, when they are used. */
  OPENAI_WEBHOOK_SECRET: z.string().min(1).optional(),
  /** Model used when a request names none. */
  REELAY_MODEL: z.string().min(1).default('sora-2'),
  /** Where videos go: `file://<dir>` or `s3://bucket/prefix`. */
  REELAY_STORAGE_URL: z.string().min(1).default('file://./data/videos'),
  /** Jobs at once per stage in this process. */
  REELAY_SUBMIT_CONCURRENCY: envField.int({ min: 1, max: 1000, default: 10 }),
  REELAY_POLL_CONCURRENCY: envField.int({ min: 1, max: 5000, default: 50 }),
  REELAY_DOWNLOAD_CONCURRENCY: envField.int({ min: 1, max: 200, default: 4 }),
  /** Creates per minute for all replicas (BullMQ limiter on the submit queue); 0 = none. */
  REELAY_CREATE_RPM: envField.int({ min: 0, default: 0 }),
  /** Reads (polls, downloads) per minute for all replicas, per queue; 0 = none. */
  REELAY_READ_RPM: envField.int({ min: 0, default: 0 }),
  /** How much faster than real time the provider runs (the simulator's time scale); tunes poll timing. */
  REELAY_PROVIDER_TIME_SCALE: envField.number({ min: 0.001, max: 100_000, default: 1 }),
  /** Provider webhooks reach the api: polls become a safety net. */
  REELAY_WEBHOOKS: envField.bool(false),
  /** Poll interval bounds, ms of provider time. */
  REELAY_POLL_MIN_MS: envField.int({ min: 1, default: 1000 }),
  REELAY_POLL_MAX_MS: envField.int({ min: 1, default: 60_000 }),
  /** A generation still running this long after submit fails with `timeout`, ms of provider time. */
  REELAY_DEADLINE_MS: envField.int({ min: 1000, default: 30 * 60_000 }),
  /** New provider videos allowed after provider-side failures. */
  REELAY_MAX_RESUBMITS: envField.int({ min: 0, max: 10, default: 2 }),
  /** Port of /healthz, /readyz; 0 = any free port (printed at start). */
  REELAY_WORKER_PORT: envField.int({ min: 0, max: 65535, default: 8081 }),
  /** On SIGTERM, how long running jobs may finish before the process exits anyway, ms. */
  REELAY_SHUTDOWN_TIMEOUT_MS: envField.int({ min: 0, default: 25_000 }),
  /** BullMQ lock duration, ms: a job whose worker died is taken over after about this long. */
  REELAY_LOCK_DURATION_MS: envField.int({ min: 1000, default: 30_000 }),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

export function parseStages(value: string): Stage[] {
  if (value === 'all') return ['submit', 'poll', 'download'];
  const stages = value.split(',').map((s) => s.trim());
  for (const stage of stages) {
    if (!(STAGES as readonly string[]).includes(stage) || stage === 'notify') {
      throw new Error(
        `--stage: unknown stage "${stage}"; allowed: all, submit, poll, download (comma-separated)`,
      );
    }
  }
  return stages as Stage[];
}

export function loadWorkerEnv(env: Record<string, string | undefined> = process.env): WorkerEnv {
  const parsed = parseEnv(workerEnvSchema, env);
  const local = /^https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\//.test(parsed.OPENAI_BASE_URL);
  if (!parsed.OPENAI_API_KEY && !local) {
    throw new Error(
      'invalid environment:\n  OPENAI_API_KEY: required when OPENAI_BASE_URL is not the local simulator',
    );
  }
  return parsed;
}
