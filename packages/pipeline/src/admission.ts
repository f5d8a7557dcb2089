import type { GenerationRecord } from '@reelay/core';
import type { ProviderResponseInfo } from '@reelay/providers';

/**
 * What stands between a queued generation and the provider's create: the global rate limit, the
 * in-flight cap, the spending budget. Implementations keep their state in Redis so the limits hold
 * for every replica together. The stages call it at fixed points; the default admits everything.
 */
export interface Admission {
  /**
   * Before a create. `admitted: false` means "not now": the submit job waits `retryInMs` without
   * spending an attempt — the whole submit queue for `rate` and `in_flight` (no replica may create
   * either), only this job for `budget` (other tenants may still have budget).
   * Throws a ReelayError `budget_exceeded` when the generation must fail instead of waiting.
   */
  admit(record: GenerationRecord, options?: RecordWriteOptions): Promise<AdmissionDecision>;
  /**
   * Right after the create call of an admitted run, or instead of it: `answered` (any reply, success
   * or refusal), `unknown` (no reply: timeout, reset — it may still be on its way), or `not_sent` (the
   * run stopped before sending). A rate limiter that dates requests by when they surely reached the
   * provider needs it; every admitted run reports exactly once. Optional; must not throw for a
   * generation it knows nothing about.
   */
  afterCreate?(record: GenerationRecord, outcome: 'answered' | 'unknown' | 'not_sent'): Promise<void>;
  /** The create definitely created nothing (the provider refused it): give back what admit took. */
  abandon(record: GenerationRecord): Promise<void>;
  /**
   * The provider is done with the generation's current video (completed, failed, timed out,
   * cancelled, or about to be resubmitted): free its in-flight slot and settle its cost.
   * Called at least once per video; must be idempotent.
   */
  settle(
    record: GenerationRecord,
    outcome: SettleOutcome,
    options?: RecordWriteOptions,
  ): Promise<SettleResult | undefined>;
  /** Before a read (retrieve, content): same contract as admit, for the read budget. */
  beforeRead?(): Promise<AdmissionDecision>;
  /** Every provider response, to learn from rate-limit headers at once. */
  observe?(info: ProviderResponseInfo): void;
}

/**
 * `deferCost`: the caller writes the returned `cost` onto the record itself, with the update it makes
 * next anyway (one record write fewer per call). Default: the admission writes it.
 */
export interface RecordWriteOptions {
  deferCost?: boolean;
}

/** With `deferCost`: the record's new `cost`, when it changed (absent: nothing to write). */
export interface SettleResult {
  cost?: { estimatedUsd: number; actualUsd?: number };
}

export type AdmissionDecision =
  /**
   * `at`: the instant (ms, the admission's clock) whose budget periods the cost was reserved in;
   * submit records it as the create's intent time. Absent: now.
   * `cost`: with `deferCost`, the estimate the caller must put on the record (absent: nothing new).
   */
  | { admitted: true; at?: number; cost?: { estimatedUsd: number } }
  | { admitted: false; retryInMs: number; reason: 'rate' | 'in_flight' | 'budget' };

export interface SettleOutcome {
  status: 'completed' | 'failed' | 'cancelled' | 'resubmitted';
  /** The provider video being settled. */
  videoId?: string;
  /** Billed clip seconds when the provider completed it; 0 when nothing is billed. */
  billedSeconds?: number;
}

export const admitAll: Admission = {
  admit: async () => ({ admitted: true }),
  abandon: async () => {},
  settle: async () => undefined,
};
