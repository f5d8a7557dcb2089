import { DEFAULT_PREFIX, STAGES, type Stage, envField, parseEnv } from '@reelay/core';
import { z } from 'zod';

/**
 * Time allowed after REELAY_SHUTDOWN_TIMEOUT_MS for closing the queues and flushing logs and traces
 * before the process exits anyway (main.ts): it exits within the sum, which a deployment's stop grace
 * must exceed (25 s + 5 s inside the manifests' 45 s).
 */
export const SHUTDOWN_SLACK_MS = 5_000;

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
  /**
   * Creates allowed per REELAY_RATE_WINDOW_MS for all replicas (Reelay's strict sliding-window limiter
   * in Redis; set it to the provider's RPM); 0 = none.
   */
  REELAY_CREATE_RPM: envField.int({ min: 0, default: 0 }),
  /** Reads (polls, downloads) allowed per REELAY_RATE_WINDOW_MS for all replicas; 0 = none. */
  REELAY_READ_RPM: envField.int({ min: 0, default: 0 }),
  /** The provider's rate window, ms (a minute for RPM). Shorter only to play a time-scaled provider. */
  REELAY_RATE_WINDOW_MS: envField.int({ min: 100, default: 60_000 }),
  /** Added to the window on our side against network jitter, ms; 0 = default (1% of the window, ≥ 20 ms). */
  REELAY_RATE_MARGIN_MS: envField.int({ min: 0, default: 0 }),
  /** How far ahead a request may reserve its rate slot and sleep to it, ms. */
  REELAY_RATE_HORIZON_MS: envField.int({ min: 0, default: 1000 }),
  /** Generations submitted and not yet finished at the provider, all replicas; 0 = none. */
  REELAY_MAX_IN_FLIGHT: envField.int({ min: 0, default: 0 }),
  /** While the in-flight cap is full, the submit queue looks again after this long, ms. */
  REELAY_IN_FLIGHT_RECHECK_MS: envField.int({ min: 1, default: 1000 }),
  /**
   * Price overrides, JSON `{"model": {"WIDTHxHEIGHT" | "*": usdPerSecond}}`, merged over the defaults
   * (sora-2 $0.10/s; sora-2-pro $0.30/s 720p, $0.50/s 1024x1792/1792x1024, $0.70/s 1080p assumed).
   */
  REELAY_PRICES: jsonField(
    z.record(z.string(), z.record(z.string(), z.number().min(0))),
    'must be JSON like {"sora-2":{"*":0.1}}',
  ),
  /** Spending budgets in USD for all tenants together, per UTC day and month; 0 = none. */
  REELAY_BUDGET_GLOBAL_DAILY_USD: envField.number({ min: 0, default: 0 }),
  REELAY_BUDGET_GLOBAL_MONTHLY_USD: envField.number({ min: 0, default: 0 }),
  /** Each tenant's budget in USD per UTC day and month; 0 = none. */
  REELAY_BUDGET_TENANT_DAILY_USD: envField.number({ min: 0, default: 0 }),
  REELAY_BUDGET_TENANT_MONTHLY_USD: envField.number({ min: 0, default: 0 }),
  /** Per-tenant overrides, JSON `{"tenant": {"dailyUsd": 5, "monthlyUsd": 100}}`. */
  REELAY_BUDGET_TENANTS: jsonField(
    z.record(
      z.string(),
      z.object({ dailyUsd: z.number().min(0).optional(), monthlyUsd: z.number().min(0).optional() }).strict(),
    ),
    'must be JSON like {"acme":{"dailyUsd":5}}',
  ),
  /** Over budget: `wait` for the next period (or a raised budget), or `fail` with budget_exceeded. */
  REELAY_BUDGET_MODE: z.enum(['wait', 'fail']).default('wait'),
  /** Length of a budget day, ms (a month is 30 of them when shortened). For tests and demos only. */
  REELAY_BUDGET_DAY_MS: envField.int({ min: 100, default: 86_400_000 }),
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
  /** First retry delay after a transient failure, ms; doubles per attempt, with jitter. Default: 1000. */
  REELAY_RETRY_BASE_MS: envField.int({ min: 1, default: 1000 }),
  /** Tenant weights for fair sharing, `acme=3,beta=1`; unnamed tenants weigh 1. */
  REELAY_TENANT_WEIGHTS: z.string().default(''),
  /**
   * Submit jobs kept ready (waiting) in the submit queue by the fair dispatcher; the rest wait in their
   * tenants' backlogs and are released in weighted-fair order. Default: this process's submit
   * concurrency. Every ready job is ahead of a tenant that arrives now: while the provider's rate
   * binds, a window of 64 made a light tenant wait ≈ 6 s at 10 creates/s before its first turn. The
   * dispatcher refills on every job a worker takes, so a window below the concurrency of all replicas
   * together idles no worker unless refills (a few Redis round trips) lag the create rate.
   */
  REELAY_FAIR_WINDOW: z.coerce.number().int().min(1).max(10_000).optional(),
  /** How often BullMQ looks for jobs whose worker died, ms (a dead worker's job returns within ~2×). */
  REELAY_STALLED_INTERVAL_MS: envField.int({ min: 100, default: 30_000 }),
  /** A job whose worker died more often than this is failed (the sweeper then re-adds its generation). */
  REELAY_MAX_STALLED_COUNT: envField.int({ min: 0, max: 100, default: 2 }),
  /**
   * A job started more often than this (each 429 pause, admission wait, poll re-check counts) ends its
   * generation `failed` with `rate_limited`. Default 10,000 (the pipeline's; see its workers.ts).
   */
  REELAY_MAX_STARTED_ATTEMPTS: z.coerce.number().int().min(1).optional(),
  /** `whsec_…` secret signing producer callbacks (Standard Webhooks), for tenants without their own. */
  REELAY_CALLBACK_SECRET: z.string().startsWith('whsec_', 'must be a whsec_… secret').optional(),
  /** Per-tenant callback secrets, JSON `{"tenant": "whsec_…"}`. */
  REELAY_CALLBACK_TENANT_SECRETS: jsonField(
    z.record(z.string(), z.string()),
    'must be JSON like {"acme":"whsec_…"}',
  ),
  /** Callback hosts, IPs or CIDRs allowed although private/loopback (SSRF guard exceptions). */
  REELAY_CALLBACK_ALLOW: envField.list(),
  /** Allow plain-http callback URLs (development). */
  REELAY_CALLBACK_ALLOW_HTTP: envField.bool(false),
  /** One callback request's timeout, ms. */
  REELAY_CALLBACK_TIMEOUT_MS: envField.int({ min: 100, default: 10_000 }),
  /** Give up a callback this long after the generation finished, ms (default 24 h). */
  REELAY_CALLBACK_MAX_AGE_MS: envField.int({ min: 1000, default: 86_400_000 }),
  /**
   * How often a submit process looks for generations stranded without a live submit job (and how old
   * they must be), ms; 0 disables.
   */
  REELAY_SWEEP_INTERVAL_MS: envField.int({ min: 0, default: 30_000 }),
  /**
   * Keep V8's young generation small and collect it after each 8 MiB of ArrayBuffers allocated: a
   * downloading process then holds far less memory. Unset: on in processes that run the download
   * stage (see lean-heap.ts, which reads it before this schema runs).
   */
  REELAY_LEAN_HEAP: envField.bool(false).optional(),
  /** BullMQ lock duration, ms: a job whose worker died is taken over after about this long. */
  REELAY_LOCK_DURATION_MS: envField.int({ min: 1000, default: 30_000 }),
});
export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** An optional JSON-valued variable, checked against a schema. */
function jsonField<T extends z.ZodType>(schema: T, message: string) {
  return z
    .string()
    .optional()
    .transform((value, ctx): z.output<T> | undefined => {
      if (value === undefined || value.trim() === '') return undefined;
      try {
        const parsed = schema.safeParse(JSON.parse(value));
        if (parsed.success) return parsed.data;
      } catch {}
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    });
}

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
