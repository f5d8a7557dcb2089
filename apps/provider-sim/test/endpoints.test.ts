import { toFile } from 'openai';
import { describe, expect, it } from 'vitest';
import { call, sdk, waitFor, waitForStatus, useSim } from './helpers.ts';

const sim = useSim((sim) => {
  sim.reset();
  sim.configure({ timeScale: 2000, ttlSeconds: 1e7 });
});

describe('videos through the openai SDK', () => {
  it('creates (multipart, as the SDK sends it) and walks queued → in_progress → completed', async () => {
    // A slower clock so the in-between states are observable by polling.
    sim.configure({ timeScale: 400 });
    const client = sdk(sim);
    const created = await client.videos.create({
      prompt: 'a red fox',
      model: 'sora-2',
      seconds: '8',
      size: '1280x720',
    });
    expect(created).toMatchObject({
      object: 'video',
      status: 'queued',
      progress: 0,
      seconds: '8',
      size: '1280x720',
    });
    expect(created.prompt).toBe('a red fox');

    const seen: { status: string; progress: number }[] = [];
    const done = await waitFor(async () => {
      const v = await client.videos.retrieve(created.id);
      seen.push({ status: v.status, progress: v.progress });
      return v.status === 'completed' ? v : undefined;
    });
    const running = seen.filter((s) => s.status === 'in_progress').map((s) => s.progress);
    expect(running.length).toBeGreaterThan(1);
    expect(running).toEqual([...running].sort((a, b) => a - b));
    expect(running.every((p) => p >= 0 && p < 100)).toBe(true);
    expect(done.progress).toBe(100);
    expect(done.completed_at).toBeGreaterThanOrEqual(done.created_at);
    expect(done.expires_at).toBe((done.completed_at ?? 0) + Math.ceil(1e7 / 400));
  });

  it('accepts JSON creates and an input_reference given as a file or as {image_url}', async () => {
    const json = await call(sim, '/v1/videos', {
      body: { prompt: 'json body', model: 'sora-2-pro', size: '1920x1080' },
    });
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({
      object: 'video',
      model: 'sora-2-pro',
      size: '1920x1080',
      seconds: '4',
    });

    const client = sdk(sim);
    const png = await toFile(Buffer.from('89504e470d0a1a0a', 'hex'), 'ref.png', { type: 'image/png' });
    const withFile = await client.videos.create({ prompt: 'from an image', input_reference: png });
    expect(withFile.status).toBe('queued');
    const withUrl = await client.videos.create({
      prompt: 'from a url',
      input_reference: { image_url: 'https://example.com/ref.png' },
    });
    expect(withUrl.status).toBe('queued');
    const badFile = await toFile(Buffer.from('hello'), 'ref.txt', { type: 'text/plain' });
    await expect(client.videos.create({ prompt: 'x', input_reference: badFile })).rejects.toMatchObject({
      status: 400,
      param: 'input_reference',
    });
  });

  it('lists with cursor pages (after/limit/order) and auto-paginates', async () => {
    const client = sdk(sim);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await client.videos.create({ prompt: `clip ${i}` })).id);

    const first = await client.videos.list({ limit: 3 });
    expect(first.data.map((v) => v.id)).toEqual(ids.slice().reverse().slice(0, 3));
    expect(first.has_more).toBe(true);
    const raw = await call(sim, '/v1/videos?limit=3&order=asc');
    expect(raw.json).toMatchObject({ object: 'list', first_id: ids[0], last_id: ids[2], has_more: true });
    const tail = await call(sim, `/v1/videos?limit=10&order=asc&after=${ids[4]}`);
    expect(tail.json).toMatchObject({ first_id: ids[5], last_id: ids[6], has_more: false });

    const all: string[] = [];
    for await (const video of client.videos.list({ limit: 2, order: 'asc' })) all.push(video.id);
    expect(all).toEqual(ids);

    const empty = await call(sim, `/v1/videos?after=${ids[6]}&order=asc`);
    expect(empty.json).toEqual({ object: 'list', data: [], first_id: null, last_id: null, has_more: false });
    await expect(client.videos.list({ limit: 101 })).rejects.toMatchObject({ status: 400, param: 'limit' });
  });

  it('serves content variants with their types and lengths, 404 before completion and after expiry', async () => {
    sim.configure({ timeScale: 50 });
    const client = sdk(sim);
    const video = await client.videos.create({ prompt: 'slow one' });
    await expect(client.videos.downloadContent(video.id)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('not ready'),
    });

    sim.configure({ timeScale: 2000, ttlSeconds: 4000 }); // 2 s of wall time once complete
    const quick = await client.videos.create({ prompt: 'quick one' });
    await waitForStatus(client, quick.id, ['completed']);
    const expected = { video: 'video/mp4', thumbnail: 'image/webp', spritesheet: 'image/jpeg' } as const;
    for (const [variant, type] of Object.entries(expected)) {
      const response = await client.videos.downloadContent(quick.id, {
        variant: variant as keyof typeof expected,
      });
      const bytes = Buffer.from(await response.arrayBuffer());
      expect(response.headers.get('content-type')).toContain(type);
      expect(Number(response.headers.get('content-length'))).toBe(bytes.length);
      expect(bytes.length).toBeGreaterThan(100);
    }
    expect((await call(sim, `/v1/videos/${quick.id}/content?variant=poster`)).json).toMatchObject({
      error: { param: 'variant', code: 'invalid_value' },
    });

    const done = await client.videos.retrieve(quick.id);
    await waitFor(() => (Date.now() >= (done.expires_at ?? 0) * 1000 ? true : undefined));
    await expect(client.videos.downloadContent(quick.id)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('expired'),
    });
  });

  it('remixes a completed video and deletes finished ones', async () => {
    const client = sdk(sim);
    const source = await client.videos.create({
      prompt: 'original',
      model: 'sora-2-pro',
      size: '1792x1024',
      seconds: '12',
    });
    await expect(client.videos.remix(source.id, { prompt: 'too early' })).rejects.toMatchObject({
      status: 400,
    });
    await waitForStatus(client, source.id, ['completed']);
    const remix = await client.videos.remix(source.id, { prompt: 'now at night' });
    expect(remix).toMatchObject({
      remixed_from_video_id: source.id,
      model: 'sora-2-pro',
      size: '1792x1024',
      seconds: '12',
      prompt: 'now at night',
    });
    expect(sim.stats()).toMatchObject({ videosCreated: 2, billedSeconds: 24, remixRequests: 2 });

    await expect(client.videos.delete(remix.id)).rejects.toMatchObject({ status: 400 });
    expect(await client.videos.delete(source.id)).toEqual({
      id: source.id,
      object: 'video.deleted',
      deleted: true,
    });
    await expect(client.videos.retrieve(source.id)).rejects.toMatchObject({ status: 404 });
  });

  it('moderates: blocklisted prompts get a synchronous 400 and /v1/moderations flags them', async () => {
    sim.configure({ moderationBlocklist: ['forbidden fruit'] });
    const client = sdk(sim);
    await expect(client.videos.create({ prompt: 'The Forbidden Fruit, glowing' })).rejects.toMatchObject({
      status: 400,
      code: 'moderation_blocked',
    });
    expect(sim.stats().videosCreated).toBe(0);
    const result = await client.moderations.create({ input: ['a forbidden fruit', 'an apple'] });
    expect(result.results.map((r) => r.flagged)).toEqual([true, false]);
    expect(result.model).toBe('omni-moderation-latest');
    expect(result.results[0]?.categories).toHaveProperty('violence');
  });
});
