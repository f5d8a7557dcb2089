import { request as httpRequest } from 'node:http';
import { describe, expect, it } from 'vitest';
import { call, sdk, waitFor, waitForStatus, useSim } from './helpers.ts';

const sim = useSim((sim) => {
  sim.configure({ createRpm: 0, readRpm: 0, maxInFlight: 0, windowMs: 60_000, timeScale: 2000 });
  sim.reset();
});

/** One create on a fresh TCP connection (agent: false), as many separate clients would send it. */
function createOnNewConnection(): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
}> {
  return new Promise((resolve, reject) => {
    const url = new URL(`${sim.url}/v1/videos`);
    const body = JSON.stringify({ prompt: 'burst' });
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        agent: false,
        headers: {
          authorization: 'Bearer sk-burst',
          'content-type': 'application/json',
          'content-length': body.length,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('rate limits over a sliding window', () => {
  it('a concurrent burst from many connections gets exactly the limit through', async () => {
    sim.configure({ createRpm: 5, windowMs: 5_000 });
    const replies = await Promise.all(Array.from({ length: 40 }, () => createOnNewConnection()));
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect(ok).toHaveLength(5);
    expect(limited).toHaveLength(35);
    for (const reply of limited) {
      const ms = Number(reply.headers['retry-after-ms']);
      expect(ms).toBeGreaterThan(0);
      expect(ms).toBeLessThanOrEqual(5_000);
      expect(Number(reply.headers['retry-after'])).toBe(Math.ceil(ms / 1000));
      expect(reply.headers['x-ratelimit-remaining-requests']).toBe('0');
    }
    expect(ok.map((r) => r.headers['x-ratelimit-remaining-requests']).sort()).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
    ]);
    expect(ok.every((r) => r.headers['x-ratelimit-limit-requests'] === '5')).toBe(true);
    expect(sim.stats()).toMatchObject({
      videosCreated: 5,
      rateLimited: 35,
      createRequests: 40,
      maxCreatesInWindow: 40,
    });
  });

  it('the window slides: a slot frees when the oldest request leaves it, not at a bucket edge', async () => {
    sim.configure({ createRpm: 3, windowMs: 1_000 });
    let started = 0;
    for (let i = 0; i < 3; i++) {
      expect((await call(sim, '/v1/videos', { body: { prompt: `p${i}` } })).status).toBe(200);
      if (i === 0) started = Date.now(); // the oldest request was admitted no later than this
    }
    await waitFor(() => (Date.now() - started >= 600 ? true : undefined));
    const refused = await call(sim, '/v1/videos', { body: { prompt: 'late' } });
    expect(refused.status).toBe(429);
    expect(refused.json).toMatchObject({ error: { code: 'rate_limit_exceeded' } });
    const waitMs = Number(refused.headers.get('retry-after-ms'));
    expect(waitMs).toBeLessThanOrEqual(1_000 - 600);
    const readyAt = Date.now() + waitMs;
    await waitFor(() => (Date.now() >= readyAt ? true : undefined));
    expect((await call(sim, '/v1/videos', { body: { prompt: 'on time' } })).status).toBe(200);
  });

  it('under sustained pressure from parallel clients no more than the limit passes per window', async () => {
    const limit = 4;
    const windowMs = 300;
    sim.configure({ createRpm: limit, windowMs });
    const started = Date.now();
    let passed = 0;
    const worker = async () => {
      while (Date.now() - started < 1_500) {
        if ((await createOnNewConnection()).status === 200) passed += 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    const elapsed = Date.now() - started;
    expect(passed).toBeGreaterThanOrEqual(limit);
    expect(passed).toBeLessThanOrEqual(limit * (Math.ceil(elapsed / windowMs) + 1));
    expect(sim.stats().videosCreated).toBe(passed);
    expect(sim.stats().maxCreatesInWindow).toBeGreaterThan(limit);
  });

  it("the SDK's own retry waits retry-after-ms (not the rounded-up retry-after) and then succeeds", async () => {
    sim.configure({ createRpm: 2, windowMs: 250 });
    const client = sdk(sim, { maxRetries: 3 });
    await client.videos.create({ prompt: 'one' });
    await client.videos.create({ prompt: 'two' });
    const before = sim.stats().rateLimited;
    const started = Date.now();
    const third = await client.videos.create({ prompt: 'three' });
    const elapsed = Date.now() - started;
    expect(third.status).toBe('queued');
    // One refusal, then a retry timed by retry-after-ms (<= 250 ms) rather than retry-after (1 s).
    expect(sim.stats().rateLimited - before).toBe(1);
    expect(elapsed).toBeLessThan(900);
  });

  it('reads have their own window, and the limits are per key', async () => {
    sim.configure({ createRpm: 1, readRpm: 3, windowMs: 10_000 });
    const video = await call(sim, '/v1/videos', { body: { prompt: 'only one' } });
    const id = (video.json as { id: string }).id;
    expect((await call(sim, '/v1/videos', { body: { prompt: 'blocked' } })).status).toBe(429);
    const reads = [];
    for (let i = 0; i < 4; i++) reads.push(await call(sim, `/v1/videos/${id}`));
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(reads.map((r) => r.headers.get('x-ratelimit-remaining-requests'))).toEqual(['2', '1', '0', '0']);
    expect(reads[0]?.headers.get('x-ratelimit-reset-requests')).toMatch(/^\d+(\.\d+)?m?s$|^\d+m\d+s$/);
    expect((await call(sim, `/v1/videos/${id}`, { auth: 'sk-other' })).status).toBe(200);
    expect((await call(sim, '/v1/videos', { body: { prompt: 'other key' }, auth: 'sk-other' })).status).toBe(
      200,
    );
  });

  it('caps generations in flight per key: create answers 429 at the cap until one finishes', async () => {
    sim.configure({ maxInFlight: 2, timeScale: 200 });
    const client = sdk(sim);
    const a = await client.videos.create({ prompt: 'a' });
    await client.videos.create({ prompt: 'b' });
    const refused = await call(sim, '/v1/videos', { body: { prompt: 'c' } });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    await waitForStatus(client, a.id, ['completed']);
    expect((await call(sim, '/v1/videos', { body: { prompt: 'c again' } })).status).toBe(200);
    expect(sim.stats().maxInFlight).toBe(2);
  });
});
