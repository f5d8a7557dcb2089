import { Readable } from 'node:stream';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GenerationStore } from '@reelay/core';
import { createObjectStore } from '@reelay/storage';
import {
  type RedisFixture,
  type S3Fixture,
  clientConfigFor,
  startRedis,
  startS3,
  waitFor,
} from '@reelay/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ProducerApi, sha256, startProducerApi } from './producer-harness.ts';
import { LEASE_MAX } from '../src/auth/key-limit.ts';

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis();
});
afterAll(async () => {
  await fixture.stop();
});

let api: ProducerApi;
beforeEach(async () => {
  api = await startProducerApi(fixture);
});
afterEach(async () => {
  await api.stop();
});

interface ErrorBody {
  error: { code: string; message: string; param: string | null };
}

async function create(body: unknown, headers: Record<string, string> = {}, key?: string): Promise<string> {
  const res = await api.call('POST', '/v1/generations', { body, headers, ...(key ? { key } : {}) });
  expect(res.status).toBe(201);
  const json = (await res.json()) as { data: Array<{ id: string }> };
  return json.data[0]!.id;
}

describe('authentication', () => {
  it('answers 401 in the error shape without a key, with an unknown key, or a malformed header', async () => {
    const variants: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer rk_nope' },
      { authorization: `Basic ${api.keyA}` },
    ];
    for (const headers of variants) {
      const res = await api.call('GET', '/v1/generations', { key: null, headers });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      const body = (await res.json()) as ErrorBody;
      expect(body.error).toMatchObject({ code: 'unauthorized', param: 'Authorization' });
    }
    const post = await api.call('POST', '/v1/generations', { key: null, body: { prompt: 'a cat' } });
    expect(post.status).toBe(401);
    expect(await api.recordCount()).toBe(0);
  });
});

describe('POST /v1/generations', () => {
  it('creates a generation, enqueues its submit job, and GET returns it', async () => {
    const id = await create({ prompt: 'a red fox in snow', seconds: 8, metadata: { run: '1' } });
    const job = await api.queues.submit.getJob(id);
    expect(job?.data).toMatchObject({ generationId: id });
    const res = await api.call('GET', `/v1/generations/${id}`);
    expect(res.status).toBe(200);
    const generation = (await res.json()) as {
      id: string;
      tenant: string;
      status: string;
      request: { seconds: string };
      metadata: Record<string, string>;
    };
    expect(generation).toMatchObject({ id, tenant: 'acme', status: 'queued', metadata: { run: '1' } });
    expect(generation.request.seconds).toBe('8');
  });

  it('honours Idempotency-Key: the same key yields the same generation and one job; other params → 409', async () => {
    const headers = { 'idempotency-key': 'order-42' };
    const first = await api.call('POST', '/v1/generations', { body: { prompt: 'a boat' }, headers });
    const second = await api.call('POST', '/v1/generations', { body: { prompt: 'a boat' }, headers });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    const a = (await first.json()) as { data: Array<{ id: string; created: boolean }> };
    const b = (await second.json()) as { data: Array<{ id: string; created: boolean }> };
    expect(b.data[0]!.id).toBe(a.data[0]!.id);
    expect(b.data[0]!.created).toBe(false);
    expect(await api.queues.submit.count()).toBe(1);
    const conflict = await api.call('POST', '/v1/generations', { body: { prompt: 'a plane' }, headers });
    expect(conflict.status).toBe(409);
    expect(((await conflict.json()) as ErrorBody).error).toMatchObject({
      code: 'conflict',
      param: 'Idempotency-Key',
    });
    // Keys are per tenant: tenant B's same key is its own generation.
    const other = await api.call('POST', '/v1/generations', {
      body: { prompt: 'a boat' },
      headers,
      key: api.keyB,
    });
    expect(other.status).toBe(201);
    expect(((await other.json()) as { data: Array<{ id: string }> }).data[0]!.id).not.toBe(a.data[0]!.id);
  });

  it('rejects bad bodies with a 4xx naming the problem, and enqueues nothing', async () => {
    const cases: Array<[number, string, string | null, Parameters<ProducerApi['call']>[2]]> = [
      [400, 'invalid_json', null, { body: '{"prompt": "a cat"' }],
      [400, 'invalid_request', 'prompt', { body: { prompt: 42 } }],
      [400, 'invalid_request', 'colour', { body: { prompt: 'a cat', colour: 'red' } }],
      [400, 'invalid_request', 'size', { body: { prompt: 'a cat', size: '640x480' } }],
      [
        415,
        'unsupported_media_type',
        'Content-Type',
        { body: 'prompt=a+cat', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
      ],
      [413, 'body_too_large', null, { body: { prompt: 'x'.repeat(70 * 1024) } }],
    ];
    for (const [status, code, param, init] of cases) {
      const res = await api.call('POST', '/v1/generations', init);
      expect(res.status, JSON.stringify(init).slice(0, 80)).toBe(status);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe(code);
      expect(body.error.param).toBe(param);
      if (param) expect(body.error.message).toContain(param);
    }
    const allowed = await api.call('POST', '/v1/generations', { body: { prompt: 'a cat', size: '1x1' } });
    expect(((await allowed.json()) as ErrorBody).error.message).toContain('1280x720');
    expect(await api.recordCount()).toBe(0);
    expect(await api.queues.submit.count()).toBe(0);
  });
});

describe('callback_url', () => {
  it('refuses at create a callback the notify stage would refuse: 400 naming callback_url, nothing enqueued', async () => {
    const refused = [
      ['http://127.0.0.1/hook', 'https'], // plain http, and loopback
      ['https://127.0.0.1/hook', 'loopback'],
      ['https://2130706433/hook', 'loopback'], // 127.0.0.1 as one decimal number
      ['https://0x7f.1/hook', 'loopback'],
      ['https://[::ffff:127.0.0.1]/hook', 'loopback'],
      ['https://169.254.169.254/latest/meta-data/', 'metadata'],
      ['https://10.1.2.3/hook', 'private'],
      ['https://localhost/hook', 'local'],
      ['https://user:pw@example.com/hook', 'credentials'],
    ];
    for (const [url, why] of refused) {
      for (const path of ['/v1/generations', '/v1/campaigns']) {
        const body =
          path === '/v1/generations'
            ? { prompt: 'a cat', callback_url: url }
            : { prompt: 'a cat', platforms: ['youtube'], callback_url: url };
        const res = await api.call('POST', path, { body });
        expect(res.status, `${path} ${url}`).toBe(400);
        const error = ((await res.json()) as ErrorBody).error;
        expect(error).toMatchObject({ code: 'invalid_request', param: 'callback_url' });
        expect(error.message, url).toContain(why);
      }
    }
    expect(await api.recordCount()).toBe(0);
    expect(await api.queues.submit.count()).toBe(0);
    // A public name passes (DNS is asked at delivery, not here).
    await create({ prompt: 'a cat', callback_url: 'https://hooks.example.com/reelay' });
  });

  it("follows the workers' policy: an allowed internal receiver over http is accepted", async () => {
    await api.stop();
    api = await startProducerApi(fixture, { callbackPolicy: { allow: ['127.0.0.1'], allowHttp: true } });
    await create({ prompt: 'a cat', callback_url: 'http://127.0.0.1:9000/hook' });
    const res = await api.call('POST', '/v1/generations', {
      body: { prompt: 'a cat', callback_url: 'http://10.0.0.1/hook' },
    });
    expect(res.status).toBe(400);
  });
});

describe('concurrent creates (batched into one write per event-loop turn)', () => {
  it('keeps each request its own outcome: distinct ids, one 201 per idempotency key, errors alone', async () => {
    const distinct = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.call('POST', '/v1/generations', { body: { prompt: `shot ${i}` } }),
      ),
    );
    expect(distinct.map((r) => r.status)).toEqual(Array(30).fill(201));
    const ids = await Promise.all(
      distinct.map(async (r) => ((await r.json()) as { data: Array<{ id: string }> }).data[0]!.id),
    );
    expect(new Set(ids).size).toBe(30);
    expect(await api.queues.submit.count()).toBe(30);

    const headers = { 'idempotency-key': 'same-everywhere' };
    const mixed = await Promise.all([
      ...Array.from({ length: 8 }, () =>
        api.call('POST', '/v1/generations', { body: { prompt: 'one take' }, headers }),
      ),
      api.call('POST', '/v1/generations', {
        body: { prompt: 'another take' },
        headers: { 'idempotency-key': 'same-everywhere' },
      }),
    ]);
    const statuses = mixed.map((r) => r.status);
    // Whichever of the two bodies lands first owns the key; every request with the other body is 409.
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.every((s) => s === 200 || s === 201 || s === 409)).toBe(true);
    const owners = new Set(
      await Promise.all(
        mixed
          .filter((r) => r.status !== 409)
          .map(async (r) => ((await r.json()) as { data: Array<{ id: string }> }).data[0]!.id),
      ),
    );
    expect(owners.size).toBe(1);
    expect(await api.queues.submit.count()).toBe(31);
  });
});

describe('GET /v1/generations', () => {
  it('lists only the caller tenant, newest first, filtered by status, page by page', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await create({ prompt: `clip ${i}` }));
    await create({ prompt: 'not yours' }, {}, api.keyB);
    await api.call('DELETE', `/v1/generations/${ids[0]}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const res = await api.call('GET', `/v1/generations${query}`);
      expect(res.status).toBe(200);
      const page = (await res.json()) as {
        data: Array<{ id: string; tenant: string }>;
        nextCursor: string | null;
      };
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const g of page.data) expect(g.tenant).toBe('acme');
      seen.push(...page.data.map((g) => g.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...ids].reverse());
    const cancelled = await api.call('GET', '/v1/generations?status=cancelled');
    expect(((await cancelled.json()) as { data: Array<{ id: string }> }).data.map((g) => g.id)).toEqual([
      ids[0],
    ]);
    const bad = await api.call('GET', '/v1/generations?status=sleeping');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.param).toBe('status');
    const foreign = await api.call('GET', '/v1/generations?tenant=globex');
    expect(foreign.status).toBe(400);
    expect(((await foreign.json()) as ErrorBody).error.param).toBe('tenant');
  });
});

describe('tenant isolation', () => {
  it("tenant B cannot read, cancel or download tenant A's generation: 404 like an id that does not exist", async () => {
    const id = await create({ prompt: 'secret project' });
    const missing = `gen_${'0'.repeat(24)}`;
    for (const path of [`/v1/generations/${id}`, `/v1/generations/${id}/content`]) {
      const res = await api.call('GET', path, { key: api.keyB });
      const none = await api.call('GET', path.replace(id, missing), { key: api.keyB });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual(await none.json());
    }
    const cancel = await api.call('DELETE', `/v1/generations/${id}`, { key: api.keyB });
    expect(cancel.status).toBe(404);
    const still = (await (await api.call('GET', `/v1/generations/${id}`)).json()) as { status: string };
    expect(still.status).toBe('queued');
  });
});

describe('DELETE /v1/generations/:id', () => {
  it('cancels a queued generation; a second cancel is 409 conflict', async () => {
    const id = await create({ prompt: 'a lighthouse' });
    const res = await api.call('DELETE', `/v1/generations/${id}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status: string }).status).toBe('cancelled');
    const again = await api.call('DELETE', `/v1/generations/${id}`);
    expect(again.status).toBe(409);
    expect(((await again.json()) as ErrorBody).error.code).toBe('conflict');
  });
});

describe('GET /v1/generations/:id/content', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'reelay-api-content-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is 409 not_ready before the video is stored, then streams the local file as video/mp4', async () => {
    const id = await create({ prompt: 'a waterfall' });
    const early = await api.call('GET', `/v1/generations/${id}/content`);
    expect(early.status).toBe(409);
    expect(((await early.json()) as ErrorBody).error.code).toBe('not_ready');

    const bytes = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
    const path = join(dir, `${id}.mp4`);
    await writeFile(path, bytes);
    const store = new GenerationStore(api.redis, api.prefix);
    const storage = { uri: pathToFileURL(path).href, key: `${id}.mp4`, bytes: bytes.length, sha256: 'x' };
    await store.update(id, { storage }, { status: 'completed', from: '*' });

    const res = await api.call('GET', `/v1/generations/${id}/content`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/mp4');
    expect(res.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
  });

  it('redirects (302) to a presigned URL for S3-stored videos', async () => {
    let s3: S3Fixture | undefined;
    try {
      s3 = await startS3();
      const objectStore = createObjectStore(`s3://${s3.bucket}/videos`, {
        clientConfig: clientConfigFor(s3.endpoint, s3.credentials),
      });
      await api.stop();
      api = await startProducerApi(fixture, { objectStore: () => objectStore });
      const id = await create({ prompt: 'a canyon' });
      const bytes = Buffer.from('not really an mp4, but bytes all the same');
      const stored = await objectStore.put(`${id}.mp4`, Readable.from([bytes]), { contentType: 'video/mp4' });
      await new GenerationStore(api.redis, api.prefix).update(
        id,
        { storage: stored },
        { status: 'completed', from: '*' },
      );
      const res = await api.call('GET', `/v1/generations/${id}/content`);
      expect(res.status).toBe(302);
      const location = res.headers.get('location')!;
      expect(location).toContain('X-Amz-Signature');
      const download = await fetch(location);
      expect(Buffer.from(await download.arrayBuffer()).equals(bytes)).toBe(true);
      await objectStore.close();
    } finally {
      await s3?.stop();
    }
  });
});

describe('per-key request limit', () => {
  it('answers 429 with retry-after past the limit, for that key only', async () => {
    await api.stop();
    api = await startProducerApi(fixture, { rpm: 3 });
    for (let i = 0; i < 3; i++) expect((await api.call('GET', '/v1/generations')).status).toBe(200);
    const limited = await api.call('GET', '/v1/generations');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as ErrorBody).error.code).toBe('rate_limited');
    expect((await api.call('GET', '/v1/generations', { key: api.keyB })).status).toBe(200);
  });
});

describe('per-key limit, slots taken ahead for a busy key', () => {
  it('counts them: a fast run of single requests gets exactly the limit, then 429', async () => {
    await api.stop();
    api = await startProducerApi(fixture, { rpm: 200 }); // 2 taken ahead per call
    const statuses: number[] = [];
    for (let i = 0; i < 205; i++) statuses.push((await api.call('GET', '/v1/generations')).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(200);
    expect(statuses.slice(200)).toEqual([429, 429, 429, 429, 429]);
  });

  it('gives back the ones a burst did not use, so they stop counting', async () => {
    await api.stop();
    api = await startProducerApi(fixture, { rpm: 1000 }); // 10 taken ahead per call
    const log = `${api.prefix}:apikey:${sha256(api.keyA)}:limits:rate:read`;
    const burst = await Promise.all(Array.from({ length: 5 }, () => api.call('GET', '/v1/generations')));
    expect(burst.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(await api.redis.zcard(log)).toBeGreaterThan(5); // slots were taken ahead
    await waitFor(async () => (await api.redis.zcard(log)) === 5, {
      timeoutMs: 5000,
      message: 'the 10 unused slots given back',
    });
  });
});

describe('per-key limit, a key with a high limit', () => {
  it('takes at most LEASE_MAX ahead, and gives every unused one back', async () => {
    await api.stop();
    api = await startProducerApi(fixture, { rpm: 1_000_000 }); // a hundredth is 10,000: LEASE_MAX caps
    const log = `${api.prefix}:apikey:${sha256(api.keyA)}:limits:rate:read`;
    const burst = await Promise.all(Array.from({ length: 40 }, () => api.call('GET', '/v1/generations')));
    expect(burst.every((r) => r.status === 200)).toBe(true);
    const counted = await api.redis.zcard(log);
    expect(counted).toBeGreaterThan(40);
    expect(counted).toBeLessThanOrEqual(40 + LEASE_MAX);
    await waitFor(async () => (await api.redis.zcard(log)) === 40, {
      timeoutMs: 5000,
      message: 'the unused slots given back',
    });
  });
});

describe('concurrent requests', () => {
  it('admits exactly the per-key limit of concurrent creates, and each admitted one has its record and job', async () => {
    await api.stop();
    api = await startProducerApi(fixture, { rpm: 20 });
    // Sent together, so their limit checks and creates share writes: each keeps its own outcome.
    const replies = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        api.call('POST', '/v1/generations', { body: { prompt: `clip ${i}` } }),
      ),
    );
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 429)).toHaveLength(10);
    const ids: string[] = [];
    for (const reply of replies) {
      const json = (await reply.json()) as { data?: Array<{ id: string }> };
      if (reply.status === 201) ids.push(json.data![0]!.id);
    }
    expect(new Set(ids).size).toBe(20);
    expect(await api.recordCount()).toBe(20);
    for (const id of ids) expect((await api.queues.submit.getJob(id))?.data.generationId).toBe(id);
  });
});

describe('campaigns', () => {
  it('POST creates one generation per platform for the caller; GET returns it; another tenant gets 404', async () => {
    const res = await api.call('POST', '/v1/campaigns', {
      body: { prompt: 'our new shoe', platforms: ['tiktok', 'youtube'], metadata: { sku: 'A1' } },
    });
    expect(res.status).toBe(201);
    const campaign = (await res.json()) as {
      id: string;
      tenant: string;
      children: Array<{ platform: string; generation: { id: string; tenant: string } }>;
    };
    expect(campaign.tenant).toBe('acme');
    expect(campaign.children.map((c) => c.platform)).toEqual(['tiktok', 'youtube']);
    for (const child of campaign.children) {
      expect((await api.call('GET', `/v1/generations/${child.generation.id}`)).status).toBe(200);
    }
    expect(await api.queues.submit.count()).toBe(2);
    const again = await api.call('GET', `/v1/campaigns/${campaign.id}`);
    expect(again.status).toBe(200);
    expect(((await again.json()) as { id: string }).id).toBe(campaign.id);
    const foreign = await api.call('GET', `/v1/campaigns/${campaign.id}`, { key: api.keyB });
    const missing = await api.call('GET', `/v1/campaigns/cmp_${'0'.repeat(24)}`, { key: api.keyB });
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toEqual(await missing.json());
  });
});
