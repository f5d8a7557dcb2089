import type { PipelineOptions } from './pipeline-options.ts';

/** Expected real-time duration of a generation, ms, after the provider's time scale. */
export function expectedDurationMs(options: PipelineOptions, model: string, seconds: string): number {
  const table = options.expectedDuration[model] ?? options.expectedDuration['sora-2'];
  const base = table ?? { baseMs: 34_000, perClipSecondMs: 10_000 };
  return (base.baseMs + base.perClipSecondMs * Number(seconds)) / options.durationScale;
}

function bounds(options: PipelineOptions): { min: number; max: number } {
  return {
    min: Math.max(20, options.minPollIntervalMs / options.durationScale),
    max: Math.max(100, options.maxPollIntervalMs / options.durationScale),
  };
}

/** Delay from submit to the first poll, ms. */
export function firstCheckDelay(options: PipelineOptions, model: string, seconds: string): number {
  const expected = expectedDurationMs(options, model, seconds);
  const factor = options.webhooks ? options.webhookSafetyFactor : options.firstCheckFraction;
  const { min, max } = bounds(options);
  return Math.round(
    Math.min(Math.max(expected * factor, min), options.webhooks ? Number.POSITIVE_INFINITY : max),
  );
}

export interface Observation {
  /** When the progress was seen, ms. */
  at: number;
  progress: number;
}

/**
 * Delay to the next poll, ms: from the progress rate measured between two observations (or since
 * submit when there is one), aimed just past the estimated completion, bounded by min and max.
 * A generation that shows no progress yet is checked again after a fraction of what remains of
 * the expected duration.
 */
export function nextPollDelay(
  options: PipelineOptions,
  input: { submittedAt: number; expectedMs: number; now: Observation; previous?: Observation },
): number {
  const { min, max } = bounds(options);
  const { now, previous } = input;
  let remaining: number;
  const start =
    previous && previous.progress < now.progress ? previous : { at: input.submittedAt, progress: 0 };
  const gained = now.progress - start.progress;
  const elapsed = now.at - start.at;
  if (now.progress > 0 && gained > 0 && elapsed > 0) {
    remaining = ((100 - now.progress) * elapsed) / gained;
  } else {
    const sinceSubmit = now.at - input.submittedAt;
    remaining = Math.max(input.expectedMs - sinceSubmit, input.expectedMs * 0.25);
  }
  const target = remaining * (1 + options.overshootFraction) + min / 4;
  return Math.round(Math.min(Math.max(target, min), max));
}
