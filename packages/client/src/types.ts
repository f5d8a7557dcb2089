/**
 * The public surface of the producer SDK (openai-node style: a resource client, typed
 * `<Resource><Verb>Params`, a closed status union). Other packages (apps/api) build on these types;
 * change them only additively.
 */
import type { GenerationRecord, GenerationStatus, RequestMapping, SerializedError } from '@reelay/core';
import type { Redis } from 'ioredis';

export type { GenerationStatus, RequestMapping };

/** A generation as the SDK returns it: the stored record (request mapping and campaign id included). */
export type Generation = GenerationRecord;

export const ASPECT_RATIOS = ['16:9', '9:16', '1:1', '21:9'] as const;
export type AspectRatio = (typeof ASPECT_RATIOS)[number];
export const RESOLUTIONS = ['480p', '720p', '1080p'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const QUALITIES = ['standard', 'high'] as const;
export type Quality = (typeof QUALITIES)[number];

/**
 * What to generate. Native fields (`model`, `seconds`, `size`, `input_reference`) go to the provider
 * as given; friendly ones (`duration`, `aspect_ratio`, `resolution`, `quality`, `seed`) are mapped onto
 * what the provider supports, and the mapping is recorded on the generation (`record.mapping`). In
 * strict mode a friendly value the provider cannot honour exactly is a ValidationError instead.
 */
export interface GenerationCreateParams {
  prompt: string;
  model?: string;
  /** Provider clip length, one of '4' | '8' | '12' | '16' | '20' (numbers accepted). */
  seconds?: string | number;
  /** Provider size, e.g. '1280x720'. */
  size?: string;
  input_reference?: { image_url: string } | { file_id: string };
  /** Seconds, 5–60; above the provider's longest clip is an error, never a silent cut. */
  duration?: number;
  aspect_ratio?: AspectRatio;
  resolution?: Resolution;
  /** 1–4: this many generations of the same request. Default 1. */
  n?: number;
  /** Not supported by the provider: dropped and recorded (strict: an error). */
  seed?: number;
  /** 'high' selects the pro model when no `model` is given. */
  quality?: Quality;
  /** Labels, returned as given (merged with the options' metadata; the options win). */
  metadata?: Record<string, string>;
  /** Also store the provider's thumbnail. */
  thumbnail?: boolean;
}

export interface GenerationCreateOptions {
  /** Same key (per tenant) → the same generation(s), however often sent. With n > 1, key#i for i ≥ 1. */
  idempotencyKey?: string;
  /** Integer 0 … 2,097,151; lower first within the tenant. Default 0. */
  priority?: number;
  /** Default: the client's `defaultTenant`. */
  tenant?: string;
  /** Where the result is posted (https). */
  callbackUrl?: string;
  metadata?: Record<string, string>;
  /** Override the client's strict mode for this call. */
  strict?: boolean;
}

/** One generation made by a create call. */
export interface CreatedGeneration {
  id: string;
  status: GenerationStatus;
  /** False when an earlier call with the same idempotency key had already created it. */
  created: boolean;
  mapping: RequestMapping[];
}

export interface GenerationCreateResponse {
  /** One per `n`. */
  data: CreatedGeneration[];
}

export interface GenerationCreateManyItem {
  params: GenerationCreateParams;
  options?: GenerationCreateOptions;
}

export interface CreateManyProgress {
  total: number;
  /** Items handled so far (created, found or rejected). */
  done: number;
  /** Items rejected (validation or moderation). */
  failed: number;
}

export interface GenerationCreateManyOptions {
  /** Called after each chunk is written. */
  onProgress?: (progress: CreateManyProgress) => void;
  /** Items per pipelined write. Default 1000. */
  chunkSize?: number;
}

/** Per input item, in input order: the generations made, or why none were. */
export type GenerationCreateManyResult =
  | { index: number; ok: true; data: CreatedGeneration[] }
  | { index: number; ok: false; error: SerializedError };

export interface GenerationCreateManyResponse {
  results: GenerationCreateManyResult[];
  created: number;
  failed: number;
}

export interface GenerationListParams {
  status?: GenerationStatus;
  tenant?: string;
  /** Opaque, from the previous page's `nextCursor`. */
  cursor?: string;
  /** 1–500, default 50. */
  limit?: number;
}

export interface GenerationPage {
  /** Newest first. */
  data: Generation[];
  nextCursor: string | null;
}

export interface WaitForCompletionOptions {
  /** Milliseconds; rejects with ReelayError('timeout'). Default: none. */
  timeout?: number;
  signal?: AbortSignal;
  onStatus?: (generation: Generation) => void;
}

export interface WaitForManyOptions {
  /** Milliseconds; then resolves with what had not ended in `pending`. Default: none. */
  timeout?: number;
  signal?: AbortSignal;
  /** Each time one ends, with the counts so far (`failed`: ended other than completed). */
  onEnded?: (generation: Generation, counts: { total: number; ended: number; failed: number }) => void;
}

export interface WaitForManyResult {
  /** The ended generations (completed, failed or cancelled), by id. */
  ended: Map<string, Generation>;
  /** Ids not ended when the timeout came, with their last record (null if it was never found). */
  pending: Map<string, Generation | null>;
}

/** Injected moderation (the API passes the provider adapter's `moderate`); core never imports providers. */
export type Moderate = (input: string) => Promise<{ flagged: boolean; categories: string[] }>;

export const PLATFORMS = [
  'youtube',
  'youtube_shorts',
  'tiktok',
  'instagram_reels',
  'instagram_feed',
  'x',
  'linkedin',
] as const;
export type Platform = (typeof PLATFORMS)[number];

export interface PlatformPreset {
  platform: Platform;
  label: string;
  aspect_ratio: AspectRatio;
  /** The platform's longest clip we target, in seconds (clamped to the provider's longest). */
  maxSeconds: number;
  /** Appended to the prompt to fit the platform's style. */
  promptStyle: string;
}

export interface CampaignCreateParams {
  prompt: string;
  platforms: Platform[];
  /** Seconds; each platform gets min(duration, its longest). Default: each platform's longest. */
  duration?: number;
  resolution?: Resolution;
  model?: string;
  metadata?: Record<string, string>;
}

export const CAMPAIGN_STATUSES = [
  'queued',
  'in_progress',
  'completed',
  'partially_completed',
  'failed',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

export interface Campaign {
  id: string;
  tenant: string;
  prompt: string;
  createdAt: number;
  /** Aggregated from the children (see campaigns/aggregate.ts). */
  status: CampaignStatus;
  children: Array<{ platform: Platform; generation: Generation }>;
}

export interface ReelayOptions {
  /** An ioredis connection (kept open on close) or a URL (opened and closed by the client). Default env REDIS_URL or redis://127.0.0.1:6379. */
  redis?: Redis | string;
  /** Redis key prefix shared with the workers. Default core's DEFAULT_PREFIX ('{reelay}'). */
  prefix?: string;
  /** Provider name written on records. Default 'openai'. */
  provider?: string;
  /** Default 'default'. */
  defaultTenant?: string;
  /** Fail instead of mapping friendly values the provider cannot honour exactly. Default false. */
  strict?: boolean;
  /** Prompt length bounds in characters. Default 1 … 4000. */
  prompt?: { minLength?: number; maxLength?: number };
  /** Moderation before anything is enqueued; flagged → ReelayError('content_policy'). Default: none. */
  moderate?: Moderate;
}

export interface GenerationsResource {
  create(
    params: GenerationCreateParams,
    options?: GenerationCreateOptions,
  ): Promise<GenerationCreateResponse>;
  createMany(
    items: readonly GenerationCreateManyItem[],
    options?: GenerationCreateManyOptions,
  ): Promise<GenerationCreateManyResponse>;
  /** Throws ReelayError('not_found'). */
  retrieve(id: string): Promise<Generation>;
  list(params?: GenerationListParams): Promise<GenerationPage>;
  /** Throws ReelayError('not_found') or, when already terminal, ReelayError('invalid_request'). */
  cancel(id: string): Promise<Generation>;
  waitForCompletion(id: string, options?: WaitForCompletionOptions): Promise<Generation>;
  /** Waits for many on one set of queue-event streams (a batch), not one set per generation. */
  waitForMany(ids: readonly string[], options?: WaitForManyOptions): Promise<WaitForManyResult>;
}

export interface CampaignsResource {
  create(params: CampaignCreateParams, options?: GenerationCreateOptions): Promise<Campaign>;
  retrieve(id: string): Promise<Campaign>;
  presets(): readonly PlatformPreset[];
}

/** The class's shape (implemented in client.ts): `new Reelay(options)`, `.generations`, `.campaigns`, `.close()`. */
export interface ReelayClient {
  readonly generations: GenerationsResource;
  readonly campaigns: CampaignsResource;
  close(): Promise<void>;
}
