/**
 * Options of the pipeline stages. Every field: unit, default, why. `resolvePipelineOptions` applies
 * the defaults once; nothing downstream re-checks.
 */
export interface PipelineOptions {
  /**
   * Expected generation time of a clip, in ms of real time, before any time scale: base + per clip
   * second, per model. Default: sora-2 34 s + 10 s/clip-second, sora-2-pro 64 s + 25 s/clip-second
   * (a 4 s sora-2 clip ≈ 74 s, near the 68 s observed; gateways report 80–250 s for 5 s clips; pro is
   * reported 2–3× slower). The simulator's duration model uses the same anchors.
   * Unknown models use the sora-2 figures. Only the first poll's timing depends on it.
   */
  expectedDuration: Record<string, { baseMs: number; perClipSecondMs: number }>;
  /**
   * Divides every expected duration: a provider running N× faster than real (the simulator's time
   * scale) sets N. Default 1.
   */
  durationScale: number;
  /**
   * First poll at this fraction of the expected duration. Default 0.6: early enough that a fast
   * generation is not detected late, late enough that the progress seen gives a usable rate.
   */
  firstCheckFraction: number;
  /**
   * With provider webhooks configured, the first poll is a safety net only, at this multiple of the
   * expected duration. Default 1.5.
   */
  webhookSafetyFactor: number;
  /** Whether provider webhooks are expected (the api receives them). Default false. */
  webhooks: boolean;
  /** Shortest wait between polls, ms. Default 1000 (scaled by durationScale, floor 20 ms). */
  minPollIntervalMs: number;
  /** Longest wait between polls, ms. Default 60000 (scaled by durationScale). */
  maxPollIntervalMs: number;
  /**
   * Aim this far past the estimated completion, as a fraction of the estimated remaining time plus
   * a fixed pad, so the poll lands just after the provider finishes rather than just before.
   * Default 0.03 (+ minPollInterval/4).
   */
  overshootFraction: number;
  /** A generation still running this long after submit fails with `timeout`. Default 30 min (scaled). */
  deadlineMs: number;
  /** New provider videos allowed after provider-side transient failures. Default 2. */
  maxResubmits: number;
  /** Allowance for clock skew between us and the provider when reconciling creates, s. Default 120. */
  reconcileSkewSeconds: number;
  /** Tenant used when the producer names none. Default `default`. */
  defaultTenant: string;
  /** Name recorded as the provider. Default `openai`. */
  providerName: string;
}

export type PipelineOptionsInput = Partial<PipelineOptions>;

export const DEFAULT_EXPECTED_DURATION: PipelineOptions['expectedDuration'] = {
  'sora-2': { baseMs: 34_000, perClipSecondMs: 10_000 },
  'sora-2-pro': { baseMs: 64_000, perClipSecondMs: 25_000 },
};

export function resolvePipelineOptions(input: PipelineOptionsInput = {}): PipelineOptions {
  return {
    expectedDuration: { ...DEFAULT_EXPECTED_DURATION, ...input.expectedDuration },
    durationScale: input.durationScale ?? 1,
    firstCheckFraction: input.firstCheckFraction ?? 0.6,
    webhookSafetyFactor: input.webhookSafetyFactor ?? 1.5,
    webhooks: input.webhooks ?? false,
    minPollIntervalMs: input.minPollIntervalMs ?? 1000,
    maxPollIntervalMs: input.maxPollIntervalMs ?? 60_000,
    overshootFraction: input.overshootFraction ?? 0.03,
    deadlineMs: input.deadlineMs ?? 30 * 60_000,
    maxResubmits: input.maxResubmits ?? 2,
    reconcileSkewSeconds: input.reconcileSkewSeconds ?? 120,
    defaultTenant: input.defaultTenant ?? 'default',
    providerName: input.providerName ?? 'openai',
  };
}
