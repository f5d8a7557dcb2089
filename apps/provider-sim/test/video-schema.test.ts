import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Simulator } from '../src/index.ts';
import { sdk, startSim, waitFor, waitForStatus } from './helpers.ts';

// The VideoResource schema of the OpenAPI spec (openai/openai-openapi, as summarised in
// /work/shared/reference/videos-api.md): every field required, nullable where the spec says so.
const VideoResource = z.strictObject({
  id: z.string().regex(/^video_[0-9a-f]+$/),
  object: z.literal('video'),
  model: z.enum(['sora-2', 'sora-2-pro', 'sora-2-2025-10-06', 'sora-2-pro-2025-10-06', 'sora-2-2025-12-08']),
  status: z.enum(['queued', 'in_progress', 'completed', 'failed']),
  progress: z.number().int().min(0).max(100),
  created_at: z.number().int().positive(),
  completed_at: z.number().int().positive().nullable(),
  expires_at: z.number().int().positive().nullable(),
  prompt: z.string().nullable(),
  size: z.enum(['720x1280', '1280x720', '1024x1792', '1792x1024', '1080x1920', '1920x1080']),
  seconds: z.enum(['4', '8', '12']),
  remixed_from_video_id: z.string().nullable(),
  error: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
});

let sim: Simulator;
beforeAll(async () => {
  sim = await startSim({ timeScale: 300 });
});
afterAll(async () => {
  await sim.close();
});

describe('Video objects match the VideoResource schema in every state', () => {
  it('queued, in_progress, completed, failed and remixed videos all validate', async () => {
    const client = sdk(sim);
    const created = await client.videos.create({ prompt: 'schema check', seconds: '4' });
    const states = new Map<string, unknown>([['queued', created]]);
    await waitFor(async () => {
      const video = await client.videos.retrieve(created.id);
      states.set(video.status, video);
      return video.status === 'completed' ? true : undefined;
    });
    expect([...states.keys()]).toEqual(['queued', 'in_progress', 'completed']);

    sim.configure({ failureRate: 1, failureCode: 'moderation_blocked', timeScale: 3000 });
    const failing = await client.videos.create({ prompt: 'will fail' });
    const failed = await waitForStatus(client, failing.id, ['failed']);
    states.set('failed', failed);
    expect(failed.error).toMatchObject({ code: 'moderation_blocked' });
    expect(failed.completed_at).not.toBeNull();
    expect(failed.expires_at).toBeNull();

    sim.configure({ failureRate: 0 });
    states.set('remix', await client.videos.remix(created.id, { prompt: 'remixed' }));
    for (const [state, video] of states) {
      const result = VideoResource.safeParse(video);
      expect(result.success, `${state}: ${result.error?.message}`).toBe(true);
    }
    const completed = VideoResource.parse(states.get('completed'));
    expect(completed.error).toBeNull();
    expect(completed.expires_at).toBe((completed.completed_at ?? 0) + Math.ceil(1e7 / 300));
  });
});
