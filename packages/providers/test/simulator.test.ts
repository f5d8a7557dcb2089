import { type SimulatorFixture, startSimulator, waitFor } from '@reelay/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  MAX_SCANNED,
  type ProviderError,
  type ProviderResponseInfo,
  type ProviderVideo,
  type VideoProvider,
  createOpenAIProvider,
} from '../src/index.ts';

interface Stats {
  videosCreated: number;
  createRequests: number;
  idempotentReplays: number;
  listRequests: number;
}

let sim: SimulatorFixture;
let provider: VideoProvider;
const responses: ProviderResponseInfo[] = [];
const request = { prompt: 'a lighthouse at dusk, slow dolly in', seconds: '4', size: '1280x720' };
const nowSec = () => Math.floor(Date.now() / 1000);
let keyCounter = 0;
const key = () => `test-${process.pid}-${Date.now()}-${keyCounter++}`;

beforeAll(async () => {
  // timeScale 1000: a ~100 s generation finishes in ~0.1 s. RPM limits set high so the simulator
  // sends its x-ratelimit-* headers without ever limiting these tests.
  sim = await startSimulator({ flags: { timeScale: 1000, createRpm: 10_000, readRpm: 10_000 } });
  provider = createOpenAIProvider({
    apiKey: sim.apiKey,
    baseURL: sim.baseURL,
    env: {},
    onResponse: (info) => responses.push(info),
  });
});

afterAll(async () => {
  await sim?.stop();
});

beforeEach(async () => {
  await sim.reset();
  await sim.configure({ idempotency: true, lostCreateRate: 0 });
  responses.length = 0;
});

/** The error a call failed with; fails the test when the call succeeded. */
async function failure(promise: Promise<unknown>): Promise<ProviderError> {
  const outcome = await promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
  return outcome.error as ProviderError;
}

async function completed(id: string): Promise<ProviderVideo> {
  return waitFor(
    async () => {
      const video = await provider.retrieve(id);
      return video.status === 'completed' || video.status === 'failed' ? video : undefined;
    },
    { timeoutMs: 30_000, message: `video ${id} to finish` },
  );
}

async function bodyBytes(body: NodeJS.ReadableStream): Promise<number> {
  let total = 0;
  for await (const chunk of body) total += (chunk as Buffer).length;
  return total;
}

describe('OpenAI adapter against the provider simulator', () => {
  it('creates, polls to completion and downloads exactly the announced bytes', async () => {
    const created = await provider.create(request, { idempotencyKey: key() });
    expect(created).toMatchObject({
      status: 'queued',
      model: 'sora-2',
      seconds: '4',
      size: '1280x720',
      prompt: request.prompt,
    });
    expect(created.id).toMatch(/^video_/);

    const done = await completed(created.id);
    expect(done).toMatchObject({ id: created.id, status: 'completed', progress: 100, error: null });
    expect(done.completedAt).not.toBeNull();
    expect(done.expiresAt).not.toBeNull();

    const video = await provider.downloadContent(created.id, 'video');
    expect(video.contentType).toBe('video/mp4');
    expect(video.contentLength).toBeGreaterThan(0);
    expect(await bodyBytes(video.body)).toBe(video.contentLength);

    const thumbnail = await provider.downloadContent(created.id, 'thumbnail');
    expect(thumbnail.contentType).toMatch(/^image\//);
    expect(await bodyBytes(thumbnail.body)).toBe(thumbnail.contentLength);
  });

  it('sends the Idempotency-Key: the same key twice bills one video', async () => {
    const k = key();
    const first = await provider.create(request, { idempotencyKey: k });
    const second = await provider.create(request, { idempotencyKey: k });
    expect(second.id).toBe(first.id);
    const stats = await sim.stats<Stats>();
    expect(stats.videosCreated).toBe(1);
    expect(stats.createRequests).toBe(2);
    expect(stats.idempotentReplays).toBe(1);
  });

  it('lists every video across pages, newest first, and asc on request', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await provider.create({ ...request, prompt: `clip ${i}` }, { idempotencyKey: key() })).id);

    const listed: ProviderVideo[] = [];
    for await (const v of provider.list({ limit: 2 })) listed.push(v);
    expect(new Set(listed.map((v) => v.id))).toEqual(new Set(ids));
    expect(listed).toHaveLength(5);
    for (let i = 1; i < listed.length; i++)
      expect(listed[i - 1]!.createdAt).toBeGreaterThanOrEqual(listed[i]!.createdAt);
    expect(listed[0]?.id).toBe(ids[4]);
    expect((await sim.stats<Stats>()).listRequests).toBe(3); // pages of 2, 2, 1

    const ascending: string[] = [];
    for await (const v of provider.list({ limit: 100, order: 'asc' })) ascending.push(v.id);
    expect(ascending).toEqual(ids);

    const rest: string[] = [];
    for await (const v of provider.list({ order: 'asc', after: ids[1] })) rest.push(v.id);
    expect(rest).toEqual(ids.slice(2));
  });

  it('deletes a finished video: it is gone afterwards', async () => {
    const created = await provider.create(request, { idempotencyKey: key() });
    await completed(created.id);
    await provider.delete(created.id);
    const error = await failure(provider.retrieve(created.id));
    expect(error).toMatchObject({
      name: 'ProviderError',
      kind: 'not_found',
      code: 'not_found',
      retryable: false,
    });
  });

  it('findCreated recovers a create whose reply was lost, on a provider without idempotency', async () => {
    await sim.configure({ idempotency: false, lostCreateRate: 1 });
    const since = nowSec();
    const lost = await failure(provider.create(request, { idempotencyKey: key() }));
    expect(lost).toMatchObject({ name: 'ProviderError', kind: 'transient', outcomeUnknown: true });
    await sim.configure({ lostCreateRate: 0 });
    // Noise: a different prompt, and a different size with the same prompt.
    await provider.create({ ...request, prompt: 'something else' }, { idempotencyKey: key() });
    await provider.create({ ...request, size: '720x1280' }, { idempotencyKey: key() });

    const found = await provider.findCreated({ ...request, createdAfterSec: since });
    expect(found).not.toBeNull();
    expect(found).toMatchObject({
      prompt: request.prompt,
      size: request.size,
      seconds: request.seconds,
      model: 'sora-2',
    });
    expect((await sim.stats<Stats>()).videosCreated).toBe(3); // the lost one was billed: do not create it again

    // A second same-prompt video claimed by another generation is skipped; the lost one is found.
    const other = await provider.create(request, { idempotencyKey: key() });
    const claimed = new Set([other.id]);
    const again = await provider.findCreated({
      ...request,
      createdAfterSec: since,
      exclude: async (id) => claimed.has(id),
    });
    expect(again?.id).toBe(found?.id);
    claimed.add(found!.id);
    expect(
      await provider.findCreated({ ...request, createdAfterSec: since, exclude: (id) => claimed.has(id) }),
    ).toBeNull();
  });

  it('findCreated fails closed (create_unconfirmed) when more videos than it may walk came after the lost create', async () => {
    await sim.configure({ idempotency: false, lostCreateRate: 1 });
    const since = nowSec();
    await failure(provider.create(request, { idempotencyKey: key() }));
    await sim.configure({ lostCreateRate: 0 });
    // A busy account: MAX_SCANNED + 1 other videos after it, so the lost one lies past the walk's end.
    for (let i = 0; i <= MAX_SCANNED; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, (_, j) =>
          provider.create({ ...request, prompt: `busy ${i + j}` }, { idempotencyKey: key() }),
        ),
      );
    }
    // "Not found" here would let the submit stage pay for the request again.
    await expect(provider.findCreated({ ...request, createdAfterSec: since })).rejects.toMatchObject({
      code: 'create_unconfirmed',
      retryable: false,
    });
  });

  it('findCreated stops at the time bound and does not return older videos', async () => {
    const old = await provider.create(request, { idempotencyKey: key() });
    const future = nowSec() + 3600;
    expect(await provider.findCreated({ ...request, createdAfterSec: future })).toBeNull();
    expect((await provider.findCreated({ ...request, createdAfterSec: nowSec() }))?.id).toBe(old.id);
  });

  it('reports x-ratelimit-* headers to onResponse for every endpoint', async () => {
    const created = await provider.create(request, { idempotencyKey: key() });
    await provider.retrieve(created.id);
    for await (const _ of provider.list({ limit: 1 })) break;
    const byEndpoint = new Map(responses.map((r) => [r.endpoint, r]));
    for (const endpoint of ['create', 'retrieve', 'list'] as const) {
      const info = byEndpoint.get(endpoint);
      expect(info, endpoint).toBeDefined();
      expect(info?.status).toBe(200);
      expect(info?.headers.get('x-ratelimit-remaining-requests'), endpoint).toMatch(/^\d+$/);
      expect(info?.headers.get('x-ratelimit-reset-requests'), endpoint).toBeTruthy();
    }
  });

  it('moderation: a flagged prompt is reported, and a create the provider blocks is a final content-policy error', async () => {
    await sim.configure({ moderationBlocklist: ['dragon'] });
    try {
      expect(await provider.moderate('a calm harbour at dawn')).toEqual({ flagged: false, categories: [] });
      const flagged = await provider.moderate('a dragon burns the harbour');
      expect(flagged.flagged).toBe(true);
      expect(flagged.categories.length).toBeGreaterThan(0);
      const blocked = await failure(
        provider.create({ ...request, prompt: 'a dragon attacks' }, { idempotencyKey: key() }),
      );
      expect(blocked).toMatchObject({
        kind: 'moderation',
        code: 'content_policy',
        retryable: false,
        status: 400,
      });
      expect((await sim.stats<Stats>()).videosCreated).toBe(0);
    } finally {
      await sim.configure({ moderationBlocklist: [] });
    }
  });

  it('a real 429 from the simulator becomes a rate limit with its Retry-After', async () => {
    await sim.configure({ createRpm: 1, windowMs: 60_000 });
    try {
      await provider.create(request, { idempotencyKey: key() });
      const limited = await failure(provider.create(request, { idempotencyKey: key() }));
      expect(limited).toMatchObject({
        kind: 'rate_limit',
        code: 'rate_limited',
        retryable: true,
        status: 429,
      });
      expect(limited.retryAfterMs).toBeGreaterThan(0);
      expect(limited.retryAfterMs).toBeLessThanOrEqual(60_000);
      expect((await sim.stats<Stats>()).createRequests).toBe(2); // no SDK retry behind our back
    } finally {
      await sim.configure({ createRpm: 10_000 });
    }
  });
  it('sends a read again after a 5xx (twice by default) until an outage drains the retry budget, and never a create', async () => {
    const video = await provider.create(request, { idempotencyKey: key() });
    await sim.configure({ serverErrorRate: 1 });
    try {
      responses.length = 0;
      const read = await failure(provider.retrieve(video.id));
      expect(read).toMatchObject({ kind: 'transient', status: 500 });
      expect(responses.filter((r) => r.endpoint === 'retrieve').map((r) => r.status)).toEqual([
        500, 500, 500,
      ]);
      // An outage, not a blip: the retry budget runs out after a few failures, and then each read is
      // one request again (retrying in place would triple the load on a provider that is down).
      const exchanges: number[] = [];
      for (let i = 0; i < 3; i++) {
        responses.length = 0;
        await failure(provider.retrieve(video.id));
        exchanges.push(responses.length);
      }
      expect(exchanges).toEqual([2, 1, 1]);

      const once = createOpenAIProvider({
        apiKey: sim.apiKey,
        baseURL: sim.baseURL,
        env: {},
        readRetries: 0,
        onResponse: (info) => responses.push(info),
      });
      responses.length = 0;
      await failure(once.retrieve(video.id));
      expect(responses.map((r) => r.status)).toEqual([500]);

      responses.length = 0;
      const created = await failure(provider.create(request, { idempotencyKey: key() }));
      expect(created).toMatchObject({ kind: 'transient', outcomeUnknown: true });
      expect(responses.filter((r) => r.endpoint === 'create')).toHaveLength(1);
    } finally {
      await sim.configure({ serverErrorRate: 0 });
    }
  });

  it('rides out a 50 % 5xx rate on reads: every retrieve answers, though many exchanges failed', async () => {
    // Seeded: the simulator draws its faults from a stream per seed, so this sequence is the same in
    // every run (five 500s among 13 exchanges, two of them back to back, never three in a row).
    const flaky = await startSimulator({ flags: { timeScale: 1000, seed: 'reads-c' } });
    try {
      const seen: number[] = [];
      const p = createOpenAIProvider({
        apiKey: flaky.apiKey,
        baseURL: flaky.baseURL,
        env: {},
        onResponse: (info) => seen.push(info.status),
      });
      const video = await p.create(request, { idempotencyKey: key() });
      await flaky.configure({ serverErrorRate: 0.5 });
      seen.length = 0;
      for (let i = 0; i < 8; i++) expect((await p.retrieve(video.id)).id).toBe(video.id);
      expect(seen.filter((s) => s === 500).length).toBeGreaterThanOrEqual(3);
      expect(seen.filter((s) => s === 200)).toHaveLength(8);
    } finally {
      await flaky.stop();
    }
  });
});
