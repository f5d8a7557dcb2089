import type { Readable } from 'node:stream';
import type { ProviderError } from './errors.ts';

/**
 * The narrow surface Reelay needs from a video-generation vendor. It is shaped after the OpenAI-compatible
 * `/v1/videos` API, but says nothing OpenAI-specific: fal's queue, Replicate predictions, Veo operations
 * and Runway tasks are all "submit → poll status → fetch result", which is what this is.
 *
 * Every method throws `ProviderError` (already classified); `classifyError` does the same for errors
 * raised later, outside a call — e.g. a content stream that breaks mid-download.
 */
export interface VideoProvider {
  /** Stable name of this provider configuration, for records, logs and metrics (e.g. `openai`). */
  readonly name: string;
  /** The model used when a request names none. */
  readonly defaultModel: string;

  /**
   * Starts one paid generation. Never retried inside: a blind retry after a timeout can pay twice.
   * `idempotencyKey` is sent to providers that honour one; for those that do not, see `findCreated`.
   */
  create(request: CreateVideoRequest, options: CreateOptions): Promise<ProviderVideo>;
  retrieve(id: string, options?: CallOptions): Promise<ProviderVideo>;
  /** Streams one asset of a completed video. The body is never buffered whole. */
  downloadContent(id: string, variant: ContentVariant, options?: CallOptions): Promise<ProviderContent>;
  /** Every video of the account, page after page, until the caller stops iterating. */
  list(options?: ListOptions): AsyncIterable<ProviderVideo>;
  delete(id: string, options?: CallOptions): Promise<void>;
  /**
   * Reconciliation after a create whose outcome is unknown (timeout after sending, reset mid-response):
   * the oldest unclaimed video created at/after `createdAfterSec` (minus a clock-skew allowance) whose prompt,
   * model, seconds and size match and that `exclude` does not claim — or null. Throws a `ReelayError`
   * `create_unconfirmed` when the window could not be walked whole (more than `MAX_SCANNED` newer
   * videos): the create can then be neither found nor ruled out, and must not be sent again.
   */
  findCreated(match: FindCreatedMatch): Promise<ProviderVideo | null>;
  /**
   * Checks a webhook delivery's signature and freshness and parses it.
   * Throws `ProviderError` kind `invalid` (code `invalid_request`) when the signature, timestamp or body
   * is bad; throws a `ReelayError` `config_invalid` when no webhook secret is configured.
   */
  verifyWebhook(rawBody: string, headers: WebhookHeaders): ProviderWebhookEvent;
  /** A moderation check of a prompt before paying for it. */
  moderate(input: string, options?: CallOptions): Promise<ModerationResult>;
  /** THE classification of any failure into the provider error kinds. */
  classifyError(error: unknown): ProviderError;
}

export interface CreateVideoRequest {
  prompt: string;
  /** Default: the provider's `defaultModel`. */
  model?: string;
  /** Clip length in seconds, as a string (`"4"`, `"8"`, `"12"` on the OpenAI API). */
  seconds: string;
  /** `WIDTHxHEIGHT`, e.g. `1280x720`. */
  size: string;
  inputReference?: { imageUrl: string } | { fileId: string };
}

export interface CallOptions {
  /** Aborts the call; for `downloadContent` it also aborts the body stream. */
  signal?: AbortSignal;
}

export interface CreateOptions extends CallOptions {
  /** Sent as `Idempotency-Key`: the same key must always mean the same generation. */
  idempotencyKey: string;
}

export interface ListOptions extends CallOptions {
  /** Start after this video id (a cursor from a previous listing). */
  after?: string;
  /** Page size asked of the provider (1–100 on the OpenAI API). Iteration still walks every page. */
  limit?: number;
  /** By creation time. Default: the provider's (OpenAI: `desc`). */
  order?: 'asc' | 'desc';
}

export type VideoStatus = 'queued' | 'in_progress' | 'completed' | 'failed';

/** A provider's video job, normalised (camelCase, unix seconds). */
export interface ProviderVideo {
  id: string;
  status: VideoStatus;
  /** 0–100. */
  progress: number;
  model: string;
  seconds: string;
  size: string;
  prompt: string | null;
  /** Unix seconds. */
  createdAt: number;
  completedAt: number | null;
  /** When the provider deletes the assets (unix seconds); download before it. */
  expiresAt: number | null;
  error: { code: string; message: string } | null;
}

export type ContentVariant = 'video' | 'thumbnail' | 'spritesheet';

export interface ProviderContent {
  /** Errors on this stream are already `ProviderError`s (a break mid-download is `transient`). */
  body: Readable;
  /** Bytes announced by the provider (`Content-Length`), or null when it sent none (chunked). */
  contentLength: number | null;
  contentType: string | null;
}

export interface FindCreatedMatch {
  prompt: string;
  /** Default: the provider's `defaultModel`. */
  model?: string;
  seconds: string;
  size: string;
  /** Unix seconds, read on our clock just before the create was sent. */
  createdAfterSec: number;
  /**
   * Allowance for the provider's clock being behind ours, in seconds. Default 60: NTP-synced hosts
   * differ by milliseconds, but containers on a drifting host do not; a wider window only costs a longer
   * scan, and `exclude` keeps it from taking another generation's video.
   */
  clockSkewSec?: number;
  /** True for ids already claimed by another generation (they are skipped). */
  exclude?: (id: string) => boolean | Promise<boolean>;
}

export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface ProviderWebhookEvent {
  /** The delivery's `webhook-id`: deliveries are retried for days, deduplicate on it. */
  id: string;
  type: 'video.completed' | 'video.failed' | (string & {});
  videoId: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface ModerationResult {
  flagged: boolean;
  /** Names of the categories that were flagged. */
  categories: string[];
}

/** What an adapter reports after every HTTP exchange, success or error (rate-limit headers included). */
export interface ProviderResponseInfo {
  endpoint: ProviderEndpoint;
  status: number;
  headers: Headers;
  durationMs: number;
}

export type ProviderEndpoint = 'create' | 'retrieve' | 'content' | 'list' | 'delete' | 'moderation';
