import type { ReelayClient } from '@reelay/client';
import type { CallbackPolicy } from '@reelay/pipeline';
import type { ObjectStore } from '@reelay/storage';
import type { ApiKeyEntry } from '../auth/api-keys.ts';
import type { KeyRateLimit } from '../auth/key-limit.ts';

/** Largest JSON body accepted, bytes. 64 KiB: a full create is under 10 KiB; more is a mistake or abuse. */
export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024;

/** What the producer API needs. Built once in context.ts (from the environment) or by a test. */
export interface ProducerDeps {
  /** The producer SDK, in process: validation, idempotency and enqueue all live there. */
  client: ReelayClient;
  /** Accepted keys (hashes only). Empty: every /v1 request is a 401. */
  keys: readonly ApiKeyEntry[];
  /** Per-key request limit; undefined = none. */
  limit: KeyRateLimit | undefined;
  /** The object store the workers write to, for S3 redirects; created lazily (only S3 needs it). */
  objectStore: () => ObjectStore | undefined;
  /** Largest JSON body, bytes. Default DEFAULT_BODY_LIMIT_BYTES. */
  bodyLimitBytes?: number;
  /**
   * What a `callback_url` may point at — the notify stage's policy (REELAY_CALLBACK_ALLOW[_HTTP]),
   * checked at create without DNS. Default `{}`: https to public addresses and names only.
   */
  callbackPolicy?: CallbackPolicy;
}
