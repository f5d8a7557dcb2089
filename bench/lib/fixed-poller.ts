import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulatorFixture } from './deps.ts';
import { type ProviderTimes, providerTimes } from './provider-clock.ts';

export interface FixedPollResult {
  times: ProviderTimes;
  /** When a poll first saw the video completed. */
  seenAt: number;
}

export interface PollRequest {
  prompt: string;
  model: string;
  seconds: string;
  size: string;
}

/**
 * The seed's polling, replayed against the simulator: create, then `setTimeout` every 10 s of provider
 * time (10_000 / timeScale ms of wall time) and retrieve until the video is completed — one loop per
 * video, all at once, as the seed's code does for a batch. The sleeps are the thing measured here.
 */
export async function runFixedPoller(
  sim: SimulatorFixture,
  seed: string,
  timeScale: number,
  requests: readonly PollRequest[],
  intervalProviderMs = 10_000,
): Promise<FixedPollResult[]> {
  const headers = { authorization: `Bearer ${sim.apiKey}`, 'content-type': 'application/json' };
  const interval = intervalProviderMs / timeScale;
  return Promise.all(
    requests.map(async (request) => {
      const sentAt = Date.now();
      const created = await fetch(`${sim.baseURL}/videos`, {
        method: 'POST',
        headers,
        body: JSON.stringify(request),
      });
      const answeredAt = Date.now();
      if (!created.ok) throw new Error(`fixed poller: create answered ${created.status}`);
      const { id } = (await created.json()) as { id: string };
      const times = providerTimes(seed, timeScale, id, request, [sentAt, answeredAt]);
      for (;;) {
        await sleep(interval);
        const res = await fetch(`${sim.baseURL}/videos/${id}`, { headers });
        const video = (await res.json()) as { status: string };
        if (video.status === 'completed') return { times, seenAt: Date.now() };
        if (video.status === 'failed') throw new Error(`fixed poller: video ${id} failed`);
      }
    }),
  );
}
