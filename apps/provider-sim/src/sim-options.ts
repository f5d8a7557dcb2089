import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/**
 * Everything that can change while the simulator runs (`POST /__sim/config`, `configure()`, CLI flags).
 * Limits and faults apply per API key; rates are fractions in [0, 1] drawn per request.
 */
export interface SimConfig {
  /** Create calls (create + remix) allowed per key per `windowMs`. 0 = unlimited (default): a test opts in. */
  createRpm: number;
  /** Every other /v1 call allowed per key per `windowMs`. 0 = unlimited (default). */
  readRpm: number;
  /** Real-time length of the sliding rate window, ms. Default 60000 (one minute, like RPM); tests shrink it. */
  windowMs: number;
  /** Generations unfinished (queued or in progress) at once per key; create answers 429 at the cap. 0 = none. */
  maxInFlight: number;
  /** Provider seconds per wall second: 100 runs a 100 s generation in 1 s. Default 1 (real pace). */
  timeScale: number;
  /** Fraction of /v1 calls answered with `serverErrorStatus` instead of being served. Default 0. */
  serverErrorRate: number;
  /** Status of injected server errors, 500 or 503. Default 500 (what the API shows most). */
  serverErrorStatus: 500 | 503;
  /** Fraction of generations that end `failed` (drawn per video id, so deterministic for a seed). Default 0. */
  failureRate: number;
  /** `error.code` of a failed generation. Default `internal_error`; `moderation_blocked` plays output moderation. */
  failureCode: string;
  /** Honour `Idempotency-Key` on creates. Default true; false plays a provider without it (blind retries bill twice). */
  idempotency: boolean;
  /** Where `video.completed` / `video.failed` events go. Default null: no webhooks. */
  webhookUrl: string | null;
  /** `whsec_<base64>` secret that signs webhooks (Standard Webhooks). Default null: webhooks need both. */
  webhookSecret: string | null;
  /** Fraction of webhook events delivered twice (same webhook-id), as real senders do. Default 0. */
  webhookDuplicateRate: number;
  /** Hold each delivery back by a random 0..`webhookJitterMs` so events overtake each other. Default false. */
  webhookOutOfOrder: boolean;
  /** Upper bound of the out-of-order hold, ms. Default 250. */
  webhookJitterMs: number;
  /** Deliveries tried per event (first + retries) before giving up. Default 5. */
  webhookMaxAttempts: number;
  /** First retry delay, ms, doubling per attempt. Default 200: real senders wait minutes, tests cannot. */
  webhookRetryBaseMs: number;
  /** Size of the MP4 served, bytes (a `free` box pads a real clip). Default 1 MiB; up to 4 GiB and beyond. */
  videoBytes: number;
  /** How long content stays downloadable after completion, provider seconds (divided by timeScale). Default 3600. */
  ttlSeconds: number;
  /** Delay added before answering a /v1 call, ms. Default 0. */
  slowMs: number;
  /** Fraction of /v1 calls that get `slowMs`. Default 1 (all, when slowMs > 0). */
  slowRate: number;
  /** Fraction of /v1 calls whose connection is reset (TCP RST) before any reply. Default 0. */
  resetRate: number;
  /** Fraction of creates that are accepted and billed, then the connection is reset: the reply is lost. Default 0. */
  lostCreateRate: number;
  /** Fraction of content downloads whose connection drops after `dropAfterBytes`. Default 0. */
  dropDownloadRate: number;
  /** Bytes sent before a dropped download is cut. Default 0 = half the body. */
  dropAfterBytes: number;
  /** Every create answers 429 `insufficient_quota` (no Retry-After). Default false. */
  quotaExhausted: boolean;
  /** Billed videos allowed per key before 429 `insufficient_quota`. Default 0 = unlimited. */
  quotaVideos: number;
  /** Bearer keys accepted. Default empty: any non-empty key. */
  apiKeys: string[];
  /** Case-insensitive words whose presence in a prompt gets a synchronous 400 `moderation_blocked`. Default none. */
  moderationBlocklist: string[];
}

/** Options of `createSimulator`: the run-time config plus what is fixed for the server's life. */
export interface SimulatorOptions extends Partial<SimConfig> {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default 127.0.0.1: the simulator is a local test double, not a public service. */
  host?: string;
  /**
   * Seeds ids, durations, failures, faults and bytes: the same seed and the same calls give the same run.
   * Default: random, so that two simulator runs never hand out the same video ids to a shared store.
   */
  seed?: string;
}

export interface ResolvedSimulatorOptions {
  port: number;
  host: string;
  seed: string;
  config: SimConfig;
}

export const DEFAULT_CONFIG: Readonly<SimConfig> = Object.freeze({
  createRpm: 0,
  readRpm: 0,
  windowMs: 60_000,
  maxInFlight: 0,
  timeScale: 1,
  serverErrorRate: 0,
  serverErrorStatus: 500,
  failureRate: 0,
  failureCode: 'internal_error',
  idempotency: true,
  webhookUrl: null,
  webhookSecret: null,
  webhookDuplicateRate: 0,
  webhookOutOfOrder: false,
  webhookJitterMs: 250,
  webhookMaxAttempts: 5,
  webhookRetryBaseMs: 200,
  videoBytes: 1024 * 1024,
  ttlSeconds: 3600,
  slowMs: 0,
  slowRate: 1,
  resetRate: 0,
  lostCreateRate: 0,
  dropDownloadRate: 0,
  dropAfterBytes: 0,
  quotaExhausted: false,
  quotaVideos: 0,
  apiKeys: [] as string[],
  moderationBlocklist: [] as string[],
});

const rate = z.number().min(0).max(1);
const count = z.number().int().min(0);

/** One schema checks every config patch, from HTTP, the API or flags, so none of them re-checks later. */
export const configPatchSchema = z
  .object({
    createRpm: count,
    readRpm: count,
    windowMs: z.number().int().min(1),
    maxInFlight: count,
    timeScale: z.number().positive().max(1_000_000),
    serverErrorRate: rate,
    serverErrorStatus: z.union([z.literal(500), z.literal(503)]),
    failureRate: rate,
    failureCode: z.string().min(1),
    idempotency: z.boolean(),
    webhookUrl: z.url().nullable(),
    webhookSecret: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/]+=*$/, 'must be whsec_ followed by base64')
      .nullable(),
    webhookDuplicateRate: rate,
    webhookOutOfOrder: z.boolean(),
    webhookJitterMs: count,
    webhookMaxAttempts: z.number().int().min(1).max(100),
    webhookRetryBaseMs: count,
    videoBytes: count,
    ttlSeconds: z.number().positive(),
    slowMs: count,
    slowRate: rate,
    resetRate: rate,
    lostCreateRate: rate,
    dropDownloadRate: rate,
    dropAfterBytes: count,
    quotaExhausted: z.boolean(),
    quotaVideos: count,
    apiKeys: z.array(z.string().min(1)),
    moderationBlocklist: z.array(z.string().min(1)),
  })
  .partial()
  .strict();

/** Checks a patch; throws an Error naming each bad key (never echoing secret values). */
export function parseConfigPatch(input: unknown): Partial<SimConfig> {
  const result = configPatchSchema.safeParse(input);
  if (result.success) return result.data as Partial<SimConfig>;
  const problems = result.error.issues.map((issue) => {
    const key = issue.path.join('.') || '(body)';
    return issue.code === 'unrecognized_keys'
      ? `unknown key(s) ${issue.keys.join(', ')}`
      : `${key}: ${issue.message}`;
  });
  throw new Error(`invalid simulator config: ${problems.join('; ')}`);
}

/** The one place defaults are applied. */
export function resolveOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const { port, host, seed, ...patch } = options;
  const clean = Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined));
  return {
    port: port ?? 0,
    host: host ?? '127.0.0.1',
    seed: seed ?? randomBytes(8).toString('hex'),
    config: { ...DEFAULT_CONFIG, ...parseConfigPatch(clean) },
  };
}
