import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { call, sdk, useSim } from './helpers.ts';

const sim = useSim((sim) => {
  sim.reset();
  sim.configure({ apiKeys: [], serverErrorRate: 0, quotaExhausted: false, quotaVideos: 0 });
});

describe('errors as the SDK maps them', () => {
  it('400: invalid values name the param, the allowed values and code invalid_value', async () => {
    const client = sdk(sim);
    const seconds = client.videos.create({ prompt: 'x', seconds: '10' as '4' });
    await expect(seconds).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(seconds).rejects.toMatchObject({
      status: 400,
      param: 'seconds',
      code: 'invalid_value',
      type: 'invalid_request_error',
      message: "400 Invalid value: '10'. Supported values are: '4', '8', and '12'.",
    });
    // 1080p belongs to sora-2-pro only.
    await expect(
      client.videos.create({ prompt: 'x', size: '1920x1080' as '1280x720' }),
    ).rejects.toMatchObject({
      param: 'size',
      message:
        "400 Invalid value: '1920x1080'. Supported values are: '720x1280', '1280x720', '1024x1792', and '1792x1024'.",
    });
    const pro = await client.videos.create({
      prompt: 'x',
      model: 'sora-2-pro',
      size: '1920x1080' as '1280x720',
    });
    expect(pro.size).toBe('1920x1080');
    await expect(client.videos.create({ prompt: 'x', model: 'sora-3' })).rejects.toMatchObject({
      param: 'model',
    });
    await expect(client.videos.create({ prompt: '' })).rejects.toMatchObject({
      param: 'prompt',
      code: 'missing_required_parameter',
    });
    const typed = await call(sim, '/v1/videos', { body: { prompt: 'x', seconds: 8 } });
    expect(typed.json).toMatchObject({
      error: {
        message: "Invalid type for 'seconds': expected one of '4', '8', or '12', but got an integer instead.",
        code: 'invalid_type',
      },
    });
    const badJson = await fetch(`${sim.url}/v1/videos`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: '{"prompt":',
    });
    expect(badJson.status).toBe(400);
    expect(((await badJson.json()) as { error: { message: string } }).error.message).toMatch(
      /could not parse the JSON/,
    );
  });

  it('401: a missing key, and a key outside the allowed list', async () => {
    const missing = await call(sim, '/v1/videos/video_x', { auth: null });
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { type: 'invalid_request_error' } });
    sim.configure({ apiKeys: ['sk-good'] });
    await expect(sdk(sim, { apiKey: 'sk-bad' }).videos.list()).rejects.toBeInstanceOf(
      OpenAI.AuthenticationError,
    );
    await expect(sdk(sim, { apiKey: 'sk-bad' }).videos.list()).rejects.toMatchObject({
      code: 'invalid_api_key',
    });
    const ok = await sdk(sim, { apiKey: 'sk-good' }).videos.list();
    expect(ok.data).toEqual([]);
  });

  it('404: unknown videos and unknown URLs', async () => {
    await expect(sdk(sim).videos.retrieve('video_nope')).rejects.toBeInstanceOf(OpenAI.NotFoundError);
    const url = await call(sim, '/v1/nothing-here');
    expect(url.status).toBe(404);
    expect(url.json).toMatchObject({ error: { message: 'Invalid URL (GET /v1/nothing-here)' } });
  });

  it('429 insufficient_quota carries no Retry-After', async () => {
    sim.configure({ quotaVideos: 1 });
    const client = sdk(sim);
    await client.videos.create({ prompt: 'first' });
    const refused = client.videos.create({ prompt: 'second' });
    await expect(refused).rejects.toBeInstanceOf(OpenAI.RateLimitError);
    await expect(refused).rejects.toMatchObject({ code: 'insufficient_quota', type: 'insufficient_quota' });
    const raw = await call(sim, '/v1/videos', { body: { prompt: 'third' } });
    expect(raw.status).toBe(429);
    expect(raw.headers.get('retry-after')).toBeNull();
    expect(raw.headers.get('retry-after-ms')).toBeNull();
    expect(sim.stats()).toMatchObject({ videosCreated: 1, rateLimited: 2 });
  });

  it('500 and 503 injected at the configured rate are server_error and counted', async () => {
    sim.configure({ serverErrorRate: 1 });
    await expect(sdk(sim).videos.list()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    sim.configure({ serverErrorStatus: 503 });
    const raw = await call(sim, '/v1/videos');
    expect(raw.status).toBe(503);
    expect(raw.json).toMatchObject({ error: { type: 'server_error' } });
    expect(sim.stats().serverErrors).toBe(2);
    // Control endpoints are never faulted.
    expect((await call(sim, '/__sim/stats', { auth: null })).status).toBe(200);
  });

  it('every reply carries x-request-id, and every error is application/json', async () => {
    const replies = [
      await call(sim, '/v1/videos'),
      await call(sim, '/v1/videos/video_nope'),
      await call(sim, '/v1/videos', { auth: null }),
      await call(sim, '/v1/videos', { body: { prompt: 'x', size: 'huge' } }),
      await call(sim, '/__sim/stats', { auth: null }),
    ];
    const ids = replies.map((r) => r.headers.get('x-request-id'));
    expect(ids.every((id) => typeof id === 'string' && id.startsWith('req_'))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const reply of replies.filter((r) => r.status >= 400)) {
      expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
      const error = (reply.json as { error: Record<string, unknown> }).error;
      expect(Object.keys(error).sort()).toEqual(['code', 'message', 'param', 'type']);
      expect(typeof error['message']).toBe('string');
      expect(typeof error['type']).toBe('string');
      for (const key of ['param', 'code'])
        expect(error[key] === null || typeof error[key] === 'string').toBe(true);
    }
  });
});
