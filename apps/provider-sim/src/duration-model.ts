import { hashNormal, hashUnit } from './random.ts';

/**
 * How long a generation takes, in provider time (divide by `timeScale` for wall time).
 *
 * Shape: a short log-normal queue wait, then a log-normal run whose median grows linearly with the clip
 * length. Anchors: a 4 s sora-2 clip observed at 68 s end to end; gateways report 80-250 s for 5 s clips
 * (median ~105 s, their own overhead included); sora-2-pro is reported 2-3x slower, more at 1080p.
 * Log-normal because generation times are positive and right-skewed: most near the median, a long tail.
 */
export const DURATION_MODEL = Object.freeze({
  /** Median queue wait, ms, and its log-normal spread (sigma of ln). */
  queueMedianMs: 4_000,
  queueSigma: 0.6,
  /** Queue waits are clamped to this range, ms. */
  queueMinMs: 500,
  queueMaxMs: 60_000,
  /** Run median = (baseMs + perClipSecondMs * seconds) * size factor, per model family. */
  families: {
    'sora-2': { baseMs: 30_000, perClipSecondMs: 10_000 },
    'sora-2-pro': { baseMs: 60_000, perClipSecondMs: 25_000 },
  },
  /** Larger frames take longer: portrait/landscape 1024x1792 and 1080p. */
  sizeFactors: { '1024x1792': 1.25, '1792x1024': 1.25, '1080x1920': 1.6, '1920x1080': 1.6 } as Record<
    string,
    number
  >,
  /** Log-normal spread of the run, and its clamp as multiples of the median. */
  runSigma: 0.3,
  runMinFactor: 0.5,
  runMaxFactor: 2.5,
});

export interface DurationParams {
  /** API model name; dated snapshots use their family (`sora-2-pro-2025-10-06` → sora-2-pro). */
  model: string;
  /** Clip length, seconds. */
  seconds: number;
  /** `WIDTHxHEIGHT`. */
  size: string;
}

export interface DrawnTimeline {
  /** Provider-time ms spent `queued`. */
  queueMs: number;
  /** Provider-time ms spent `in_progress` until completion (or until the failure, when `fails`). */
  runMs: number;
  /** Whether this generation ends `failed`. */
  fails: boolean;
}

function family(model: string): keyof typeof DURATION_MODEL.families {
  return model.startsWith('sora-2-pro') ? 'sora-2-pro' : 'sora-2';
}

/** Median run time in provider ms. */
export function medianRunMs(params: DurationParams): number {
  const f = DURATION_MODEL.families[family(params.model)];
  return (f.baseMs + f.perClipSecondMs * params.seconds) * (DURATION_MODEL.sizeFactors[params.size] ?? 1);
}

/** The typical (median) end-to-end generation time, provider ms: queue wait + run. */
export function expectedDurationMs(params: DurationParams): number {
  return DURATION_MODEL.queueMedianMs + medianRunMs(params);
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

/** Draws one generation's timeline; the same (seed, video id) always draws the same one. */
export function drawTimeline(
  seed: string,
  videoId: string,
  params: DurationParams,
  failureRate: number,
): DrawnTimeline {
  const m = DURATION_MODEL;
  const queueMs = clamp(
    m.queueMedianMs * Math.exp(m.queueSigma * hashNormal(seed, videoId, 'queue')),
    m.queueMinMs,
    m.queueMaxMs,
  );
  const median = medianRunMs(params);
  let runMs = clamp(
    median * Math.exp(m.runSigma * hashNormal(seed, videoId, 'run')),
    median * m.runMinFactor,
    median * m.runMaxFactor,
  );
  const fails = failureRate > 0 && hashUnit(seed, videoId, 'fail') < failureRate;
  // A failing job gives up part-way through its run, as real ones do (not at the very start or end).
  if (fails) runMs *= 0.2 + 0.7 * hashUnit(seed, videoId, 'fail-at');
  return { queueMs: Math.round(queueMs), runMs: Math.round(runMs), fails };
}
