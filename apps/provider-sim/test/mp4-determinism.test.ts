import { afterAll, describe, expect, it } from 'vitest';
import { drawTimeline, expectedDurationMs, type Simulator } from '../src/index.ts';
import { sdk, startSim, topLevelBoxes, waitForStatus } from './helpers.ts';

const sims: Simulator[] = [];
async function fresh(seed: string, videoBytes: number): Promise<Simulator> {
  const sim = await startSim({ seed, videoBytes });
  sims.push(sim);
  return sim;
}
afterAll(async () => {
  await Promise.all(sims.map((s) => s.close()));
});

async function download(
  sim: Simulator,
  prompt: string,
): Promise<{ id: string; bytes: Buffer; length: number }> {
  const client = sdk(sim);
  const video = await client.videos.create({ prompt });
  await waitForStatus(client, video.id, ['completed']);
  const response = await client.videos.downloadContent(video.id);
  const bytes = Buffer.from(await response.arrayBuffer());
  return { id: video.id, bytes, length: Number(response.headers.get('content-length')) };
}

describe('MP4 content', () => {
  it('is ftyp/moov/mdat plus a free box, the box sizes adding up to Content-Length', async () => {
    const sim = await fresh('mp4', 3 * 1024 * 1024 + 7);
    const { bytes, length } = await download(sim, 'boxes');
    expect(length).toBe(3 * 1024 * 1024 + 7);
    expect(bytes.length).toBe(length);
    const boxes = topLevelBoxes(bytes);
    const types = boxes.map((b) => b.type);
    expect(types[0]).toBe('ftyp');
    expect(types).toContain('moov');
    expect(types).toContain('mdat');
    expect(types.indexOf('moov')).toBeLessThan(types.indexOf('mdat')); // playable while streaming
    expect(types.at(-1)).toBe('free');
    expect(boxes.reduce((sum, b) => sum + b.size, 0)).toBe(length);
    expect(bytes.toString('latin1', 8, 12)).toBe('isom');
  });

  it('is byte-identical for the same video id and seed, and differs between ids', async () => {
    const a = await fresh('same-seed', 300_000);
    const b = await fresh('same-seed', 300_000);
    const first = await download(a, 'one');
    const again = await download(b, 'one');
    expect(again.id).toBe(first.id);
    expect(again.bytes.equals(first.bytes)).toBe(true);
    const second = await download(a, 'two');
    expect(second.id).not.toBe(first.id);
    expect(second.bytes.length).toBe(first.bytes.length);
    expect(second.bytes.equals(first.bytes)).toBe(false);
  });

  it('serves byte ranges of the same file', async () => {
    const sim = await fresh('range', 500_000);
    const whole = await download(sim, 'ranged');
    const response = await fetch(`${sim.url}/v1/videos/${whole.id}/content`, {
      headers: { authorization: 'Bearer sk-test', range: 'bytes=100000-100999' },
    });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe('bytes 100000-100999/500000');
    expect(Buffer.from(await response.arrayBuffer()).equals(whole.bytes.subarray(100000, 101000))).toBe(true);
  });
});

describe('determinism and the duration model', () => {
  it('the same seed gives the same ids and timelines; another seed does not', async () => {
    const a = await fresh('det', 64 * 1024);
    const b = await fresh('det', 64 * 1024);
    const c = await fresh('other', 64 * 1024);
    const ids = async (sim: Simulator) => {
      const client = sdk(sim);
      const out: string[] = [];
      for (const seconds of ['4', '8', '12'] as const)
        out.push((await client.videos.create({ prompt: 'x', seconds })).id);
      return out;
    };
    const [idsA, idsB, idsC] = [await ids(a), await ids(b), await ids(c)];
    expect(idsB).toEqual(idsA);
    expect(idsC).not.toEqual(idsA);
    const params = { model: 'sora-2', seconds: 8, size: '720x1280' };
    expect(drawTimeline('det', 'video_1', params, 0.3)).toEqual(drawTimeline('det', 'video_1', params, 0.3));
    expect(drawTimeline('det', 'video_1', params, 0)).not.toEqual(drawTimeline('det', 'video_2', params, 0));
  });

  it('draws durations shaped like real ones: tens of seconds to minutes, longer for pro and longer clips', () => {
    const draws = Array.from({ length: 400 }, (_, i) => {
      const t = drawTimeline('shape', `video_${i}`, { model: 'sora-2', seconds: 4, size: '720x1280' }, 0);
      return t.queueMs + t.runMs;
    }).sort((x, y) => x - y);
    const median = draws[200] ?? 0;
    expect(median).toBeGreaterThan(40_000);
    expect(median).toBeLessThan(120_000);
    expect(draws[0]).toBeGreaterThan(10_000);
    expect(draws.at(-1)).toBeLessThan(400_000);
    expect(
      Math.abs(median - expectedDurationMs({ model: 'sora-2', seconds: 4, size: '720x1280' })),
    ).toBeLessThan(15_000);
    const pro = expectedDurationMs({ model: 'sora-2-pro', seconds: 4, size: '720x1280' });
    expect(pro).toBeGreaterThan(2 * expectedDurationMs({ model: 'sora-2', seconds: 4, size: '720x1280' }));
    expect(expectedDurationMs({ model: 'sora-2', seconds: 12, size: '720x1280' })).toBeGreaterThan(
      expectedDurationMs({ model: 'sora-2', seconds: 4, size: '720x1280' }),
    );
    const failRate =
      Array.from({ length: 1000 }, (_, i) =>
        drawTimeline('fail', `v${i}`, { model: 'sora-2', seconds: 4, size: '720x1280' }, 0.2),
      ).filter((t) => t.fails).length / 1000;
    expect(failRate).toBeGreaterThan(0.15);
    expect(failRate).toBeLessThan(0.25);
  });
});
