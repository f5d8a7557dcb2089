import type { GenerationRequest } from './catalog.ts';
import type { SerializedError } from './errors.ts';
import type { GenerationStatus } from './status.ts';

/** Where the video (and its companions) ended up. */
export interface StoredAsset {
  uri: string;
  key: string;
  bytes: number;
  sha256: string;
}

export interface GenerationStorage extends StoredAsset {
  thumbnail?: StoredAsset;
  manifest?: { uri: string; key: string };
}

/** Milliseconds since the epoch; each set once, when the step happened. */
export interface GenerationTimings {
  createdAt: number;
  updatedAt: number;
  /** The create request was about to be sent (the intent, written before it is sent). */
  submitIntentAt?: number;
  /** The provider answered the create with a video id. */
  submittedAt?: number;
  /** Seen completed at the provider (by a poll). */
  generatedAt?: number;
  /** The provider's own completion time, when it reports one (seconds resolution). */
  providerCompletedAt?: number;
  downloadStartedAt?: number;
  completedAt?: number;
}

export interface GenerationAttempts {
  submit: number;
  poll: number;
  download: number;
  notify: number;
  /** New provider videos created after a provider-side transient failure. */
  resubmits: number;
}

/**
 * How a friendly producer parameter (duration, aspect ratio, resolution, quality, seed) was mapped
 * onto what the provider supports, kept on the record so nobody wonders why 1:1 came back 16:9.
 */
export interface RequestMapping {
  field: string;
  requested: string | number;
  /** What was sent instead (undefined when the value was dropped). */
  applied?: string | number;
  reason: string;
}

/** The system of record for one request, readable by id from any process. */
export interface GenerationRecord {
  id: string;
  status: GenerationStatus;
  tenant: string;
  idempotencyKey?: string;
  request: GenerationRequest;
  /** Producer-supplied labels, returned as given. */
  metadata?: Record<string, string>;
  callbackUrl?: string;
  provider: string;
  providerVideoId?: string;
  /** Unix seconds; the provider deletes the asset after this. */
  providerExpiresAt?: number;
  progress: number;
  attempts: GenerationAttempts;
  timings: GenerationTimings;
  cost?: { estimatedUsd: number; actualUsd?: number };
  storage?: GenerationStorage;
  error?: SerializedError;
  /** Friendly parameters mapped onto the provider's (see RequestMapping). */
  mapping?: RequestMapping[];
  /** The campaign this generation belongs to (one per platform). */
  campaignId?: string;
  /** When the producer cancelled it (ms). */
  cancelledAt?: number;
}
