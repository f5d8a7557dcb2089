import { drawTimeline } from './deps.ts';

/**
 * When the simulator created and finished a video, in our wall clock.
 *
 * The simulator exposes no exact completion time: the API's `completed_at` has one-second resolution,
 * too coarse at a time scale where a generation lasts a few hundred ms, and `/__sim/stats` has no
 * per-video times. Its timelines are, however, a pure function of (seed, video id, request), drawn by
 * the simulator's own exported `drawTimeline`; the creation instant lies between the moment the create
 * was sent and the moment its answer came back (same machine, same clock). So the completion is known
 * to within that bracket; `uncertaintyMs` is its half-width.
 */
export interface ProviderTimes {
  createdAt: number;
  completedAt: number;
  uncertaintyMs: number;
}

export function providerTimes(
  seed: string,
  timeScale: number,
  videoId: string,
  request: { model: string; seconds: string; size: string },
  createdBetween: readonly [number, number],
): ProviderTimes {
  const timeline = drawTimeline(
    seed,
    videoId,
    { model: request.model, seconds: Number(request.seconds), size: request.size },
    0,
  );
  const [lo, hi] = createdBetween;
  const createdAt = (lo + hi) / 2;
  return {
    createdAt,
    completedAt: createdAt + (timeline.queueMs + timeline.runMs) / timeScale,
    uncertaintyMs: (hi - lo) / 2,
  };
}
