import { ReelayError } from '@reelay/core';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Reelay } from '../src/index.ts';
import { type ClientFixture, clientFixture } from './fixture.ts';

let fx: ClientFixture;
beforeAll(async () => {
  fx = await clientFixture();
});
afterAll(async () => {
  await fx.close();
});

function submitQueue(client: Reelay): Queue {
  return (client as unknown as { queues: { submit: Queue } }).queues.submit;
}

async function expectValidation(promise: Promise<unknown>, field: string, allowed?: RegExp) {
  const error = (await promise.then(
    () => expect.fail('expected a ValidationError'),
    (e: unknown) => e,
  )) as { name: string; code: string; param: string; message: string };
  expect(error.name).toBe('ValidationError');
  expect(error.code).toBe('invalid_request');
  expect(error.param).toBe(field);
  expect(error.message).toContain(field);
  if (allowed) expect(error.message).toMatch(allowed);
}

describe('parameters', () => {
  it('sends native fields as given and records no mapping', async () => {
    const client = fx.client();
    const { data } = await client.generations.create({
      prompt: 'a fox',
      model: 'sora-2-pro',
      seconds: 8,
      size: '1920x1080',
      input_reference: { image_url: 'https://example.com/a.png' },
    });
    const g = await client.generations.retrieve(data[0]!.id);
    expect(g.request).toMatchObject({
      prompt: 'a fox',
      model: 'sora-2-pro',
      seconds: '8',
      size: '1920x1080',
      inputReference: { imageUrl: 'https://example.com/a.png' },
    });
    expect(g.mapping).toBeUndefined();
    expect(g.status).toBe('queued');
  });

  it.each([
    [{ duration: 5 }, { seconds: '8' }, 'duration', 'rounded up'],
    [{ duration: 12 }, { seconds: '12' }, 'duration', 'exact'],
    [{ aspect_ratio: '16:9' }, { size: '1280x720' }, 'aspect_ratio', 'exact'],
    [{ aspect_ratio: '9:16', resolution: '720p' }, { size: '720x1280' }, 'resolution', 'exact'],
    [{ aspect_ratio: '1:1' }, { size: '1280x720' }, 'aspect_ratio', 'no square size'],
    [{ aspect_ratio: '21:9' }, { size: '1280x720' }, 'aspect_ratio', 'no 21:9 size'],
    [{ resolution: '480p' }, { size: '720x1280' }, 'resolution', 'no 480p'],
    [{ aspect_ratio: '16:9', resolution: '1080p' }, { size: '1792x1024' }, 'resolution', 'needs sora-2-pro'],
    [
      { aspect_ratio: '16:9', resolution: '1080p', quality: 'high' },
      { size: '1920x1080', model: 'sora-2-pro' },
      'quality',
      'quality selects the model',
    ],
    [{ quality: 'standard' }, { model: 'sora-2' }, 'quality', 'quality selects'],
    [{ seed: 42 }, {}, 'seed', 'dropped'],
  ] as const)('maps %j onto %j and records why', async (friendly, native, field, reason) => {
    const client = fx.client();
    const { data } = await client.generations.create({ prompt: 'a fox', ...friendly });
    const g = await client.generations.retrieve(data[0]!.id);
    expect(g.request).toMatchObject(native);
    const entry = g.mapping?.find((m) => m.field === field);
    expect(entry?.reason).toContain(reason);
    expect(data[0]!.mapping).toEqual(g.mapping);
  });

  it('rejects a duration past the longest clip in any mode, naming the allowed values', async () => {
    const client = fx.client();
    await expectValidation(
      client.generations.create({ prompt: 'x', duration: 30 }),
      'duration',
      /4, 8, 12, 16, 20/,
    );
    await expectValidation(client.generations.create({ prompt: 'x', duration: 61 }), 'duration', /5 to 60/);
  });

  it.each([
    [{ duration: 5 }, 'duration', /allowed: 4, 8, 12, 16, 20/],
    [{ aspect_ratio: '1:1' }, 'aspect_ratio', /allowed: 16:9, 9:16/],
    [{ aspect_ratio: '21:9' }, 'aspect_ratio', /allowed: 16:9, 9:16/],
    [{ resolution: '480p' }, 'resolution', /allowed: 720p, 1080p/],
    [{ resolution: '1080p' }, 'resolution', /sora-2-pro/],
    [{ seed: 1 }, 'seed', /no seed/],
    [{ quality: 'high', model: 'sora-2' }, 'quality', /does not match/],
  ] as const)(
    'strict mode refuses %j naming the field and what is allowed',
    async (friendly, field, allowed) => {
      const client = fx.client({ strict: true });
      await expectValidation(client.generations.create({ prompt: 'x', ...friendly }), field, allowed);
      // Per call too, on a lenient client.
      await expectValidation(
        fx.client().generations.create({ prompt: 'x', ...friendly }, { strict: true }),
        field,
        allowed,
      );
    },
  );

  it('names the allowed values of closed fields', async () => {
    const client = fx.client();
    await expectValidation(
      client.generations.create({ prompt: 'x', aspect_ratio: '4:3' as '1:1' }),
      'aspect_ratio',
      /16:9, 9:16, 1:1, 21:9/,
    );
    await expectValidation(
      client.generations.create({ prompt: 'x', seconds: 5 }),
      'seconds',
      /4, 8, 12, 16, 20/,
    );
    await expectValidation(client.generations.create({ prompt: 'x', n: 5 }), 'n', /1 to 4/);
    await expectValidation(client.generations.create({ prompt: 'x', duration: 8, seconds: 8 }), 'duration');
  });

  it('enforces configurable prompt bounds', async () => {
    const client = fx.client({ prompt: { minLength: 10, maxLength: 20 } });
    await expectValidation(client.generations.create({ prompt: 'short' }), 'prompt', /at least 10/);
    await expectValidation(client.generations.create({ prompt: 'x'.repeat(21) }), 'prompt', /at most 20/);
    const { data } = await client.generations.create({ prompt: 'just right!' });
    expect(data).toHaveLength(1);
  });

  it('n makes n generations, each with its own id', async () => {
    const client = fx.client();
    const { data } = await client.generations.create({ prompt: 'a fox', n: 3 });
    expect(new Set(data.map((d) => d.id)).size).toBe(3);
    expect(await submitQueue(client).getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(3);
  });
});

describe('idempotency', () => {
  it('the same key gives the same generations and adds no job twice', async () => {
    const client = fx.client();
    const first = await client.generations.create({ prompt: 'a fox', n: 2 }, { idempotencyKey: 'k1' });
    const again = await client.generations.create({ prompt: 'a fox', n: 2 }, { idempotencyKey: 'k1' });
    expect(again.data.map((d) => d.id)).toEqual(first.data.map((d) => d.id));
    expect(first.data.every((d) => d.created)).toBe(true);
    expect(again.data.every((d) => !d.created)).toBe(true);
    expect(await submitQueue(client).getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(2);
  });

  it('the same key with other parameters is a conflict', async () => {
    const client = fx.client();
    await client.generations.create({ prompt: 'a fox' }, { idempotencyKey: 'k2' });
    await expect(
      client.generations.create({ prompt: 'a cat' }, { idempotencyKey: 'k2' }),
    ).rejects.toMatchObject({
      code: 'invalid_request',
      param: 'idempotencyKey',
    });
  });
});

describe('moderation', () => {
  it('a flagged prompt is content_policy with its categories, and nothing is enqueued', async () => {
    const seen: string[] = [];
    const client = fx.client({
      moderate: async (input) => {
        seen.push(input);
        return input.includes('gore')
          ? { flagged: true, categories: ['violence/graphic'] }
          : { flagged: false, categories: [] };
      },
    });
    await expect(client.generations.create({ prompt: 'gore everywhere' })).rejects.toMatchObject({
      code: 'content_policy',
      details: { categories: ['violence/graphic'] },
    });
    expect((await client.generations.list()).data).toHaveLength(0);
    expect(await submitQueue(client).count()).toBe(0);
    await client.generations.create({ prompt: 'a calm lake' });
    expect(seen).toEqual(['gore everywhere', 'a calm lake']);
  });

  it('a failing moderation call fails the create with its cause, and nothing is enqueued', async () => {
    const client = fx.client({
      moderate: async () => {
        throw new ReelayError('transient', 'moderation endpoint answered 503', { retryable: true });
      },
    });
    await expect(client.generations.create({ prompt: 'a calm lake' })).rejects.toMatchObject({
      code: 'transient',
      retryable: true,
      param: 'prompt',
      details: { stage: 'moderation' },
      message: expect.stringMatching(
        /moderation check failed \(moderation endpoint answered 503\).*nothing was enqueued/,
      ),
    });
    const many = await client.generations.createMany([
      { params: { prompt: 'a' } },
      { params: { prompt: 'b' } },
    ]);
    expect(many.failed).toBe(2);
    expect(many.results[0]).toMatchObject({ ok: false, error: { details: { stage: 'moderation' } } });
    expect((await client.generations.list()).data).toHaveLength(0);
    expect(await submitQueue(client).count()).toBe(0);
  });
});

describe('fair backlog or ready', () => {
  it('parks jobs while a dispatcher is alive and adds them ready once it is gone', async () => {
    const prefix = fx.redis.prefix('presence');
    const client = fx.client({ prefix });
    const queue = submitQueue(client);
    const create = async () =>
      (await client.generations.create({ prompt: 'a fox' }, { tenant: 'acme' })).data[0]!.id;
    const parked = async (id: string) => {
      const job = await queue.getJob(id);
      expect(job, `submit job of ${id}`).toBeDefined();
      const inBacklog = (await fx.connection.zscore(`${prefix}:fair:q:acme`, id)) !== null;
      expect(await job!.isDelayed()).toBe(inBacklog);
      return inBacklog;
    };
    // No dispatcher: ready, and the record is there before its job is picked up.
    const first = await create();
    expect(await parked(first)).toBe(false);
    expect((await client.generations.retrieve(first)).status).toBe('queued');
    expect(await parked(await create())).toBe(false);
    // A dispatcher comes alive. The next create may still go ready (it trusts a look at most 1 s old
    // and checks alongside, as an enqueue made just before a dispatcher starts); it sees the
    // dispatcher, so the ones after it are parked in the tenant's backlog.
    await fx.connection.set(`${prefix}:fair:alive`, '1', 'PX', 60_000);
    await parked(await create());
    expect(await parked(await create())).toBe(true);
    expect(await parked(await create())).toBe(true);
    // It dies: the next create checks before it adds, and adds ready.
    await fx.connection.del(`${prefix}:fair:alive`);
    expect(await parked(await create())).toBe(false);
    expect((await client.generations.list({ limit: 10 })).data).toHaveLength(6);
  });
});

describe('createMany', () => {
  it('adds in bulk, reports bad items in place and emits progress per chunk', async () => {
    const client = fx.client({ moderate: async (p) => ({ flagged: p.includes('bad'), categories: ['x'] }) });
    const items = Array.from({ length: 25 }, (_, i) => ({
      params: { prompt: i === 7 ? '' : i === 9 ? 'bad clip' : `clip ${i}`, ...(i === 3 ? { n: 2 } : {}) },
    }));
    const progress: Array<{ done: number; failed: number; total: number }> = [];
    const res = await client.generations.createMany(items, {
      chunkSize: 10,
      onProgress: (p) => progress.push(p),
    });
    expect(progress).toEqual([
      { total: 25, done: 10, failed: 2 },
      { total: 25, done: 20, failed: 2 },
      { total: 25, done: 25, failed: 2 },
    ]);
    expect(res.created).toBe(23);
    expect(res.results[7]).toMatchObject({ ok: false, error: { code: 'invalid_request', param: 'prompt' } });
    expect(res.results[9]).toMatchObject({ ok: false, error: { code: 'content_policy' } });
    const three = res.results[3];
    expect(three?.ok && three.data.length).toBe(2);
    expect(await submitQueue(client).getJobCountByTypes('waiting', 'delayed', 'prioritized')).toBe(24);
    const page = await client.generations.list({ limit: 500 });
    expect(page.data).toHaveLength(24);
  });
});

describe('list', () => {
  it('pages newest first with a cursor and filters by status and tenant', async () => {
    const client = fx.client();
    const ids: string[] = [];
    const created: { id: string; createdAt: number }[] = [];
    for (let i = 0; i < 7; i++) {
      const { data } = await client.generations.create(
        { prompt: `p${i}` },
        { tenant: i % 2 ? 'acme' : 'zeta' },
      );
      ids.push(data[0]!.id);
      const { createdAt } = (await client.generations.retrieve(data[0]!.id)).timings;
      created.push({ id: data[0]!.id, createdAt });
    }
    // Newest first; generations created in the same millisecond come in descending id order.
    const newestFirst = (subset: string[]) =>
      created
        .filter((g) => subset.includes(g.id))
        .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
        .map((g) => g.id);
    await client.generations.cancel(ids[1]!);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await client.generations.list({ limit: 3, ...(cursor ? { cursor } : {}) });
      seen.push(...page.data.map((g) => g.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(newestFirst(ids));
    const acme = await client.generations.list({ tenant: 'acme' });
    expect(acme.data.map((g) => g.id)).toEqual(newestFirst([ids[5]!, ids[3]!, ids[1]!]));
    const acmeQueued = await client.generations.list({ tenant: 'acme', status: 'queued' });
    expect(acmeQueued.data.map((g) => g.id)).toEqual(newestFirst([ids[5]!, ids[3]!]));
    const cancelled = await client.generations.list({ status: 'cancelled' });
    expect(cancelled.data.map((g) => g.id)).toEqual([ids[1]]);
    await expect(client.generations.list({ cursor: 'nonsense' })).rejects.toMatchObject({ param: 'cursor' });
  });
});

describe('cancel before submit', () => {
  it('cancels a queued generation: record cancelled, submit job removed; a second cancel is refused', async () => {
    const client = fx.client();
    const { data } = await client.generations.create({ prompt: 'a fox' });
    const id = data[0]!.id;
    expect(await submitQueue(client).getJob(id)).toBeDefined();
    const g = await client.generations.cancel(id);
    expect(g.status).toBe('cancelled');
    expect(g.error?.code).toBe('cancelled');
    expect(await submitQueue(client).getJob(id)).toBeUndefined();
    await expect(client.generations.cancel(id)).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(client.generations.cancel('gen_000000000000000000000000')).rejects.toMatchObject({
      code: 'not_found',
    });
  });

  it('takes it out of the fair backlog when a dispatcher is alive', async () => {
    const prefix = fx.redis.prefix('fair');
    const client = fx.client({ prefix });
    await fx.connection.set(`${prefix}:fair:alive`, '1', 'PX', 60_000);
    const { data } = await client.generations.create({ prompt: 'a fox' }, { tenant: 'acme' });
    const id = data[0]!.id;
    expect(await fx.connection.zscore(`${prefix}:fair:q:acme`, id)).not.toBeNull();
    expect(await (await submitQueue(client).getJob(id))?.isDelayed()).toBe(true);
    await client.generations.cancel(id);
    expect(await fx.connection.zscore(`${prefix}:fair:q:acme`, id)).toBeNull();
    expect(await submitQueue(client).getJob(id)).toBeUndefined();
  });
});

describe('waitForCompletion', () => {
  it('resolves when a queued generation is cancelled (driven by the queue event)', async () => {
    const client = fx.client();
    const { data } = await client.generations.create({ prompt: 'a fox' });
    const statuses: string[] = [];
    const waiting = client.generations.waitForCompletion(data[0]!.id, {
      onStatus: (g) => statuses.push(g.status),
    });
    await expect.poll(() => statuses.length).toBe(1);
    await client.generations.cancel(data[0]!.id);
    await expect(waiting).resolves.toMatchObject({ status: 'cancelled' });
    expect(statuses).toEqual(['queued', 'cancelled']);
  });

  it('waitForMany: many on one set of event streams; the timeout lists what had not ended', async () => {
    const client = fx.client();
    const made = await client.generations.createMany(
      ['a', 'b', 'c'].map((prompt) => ({ params: { prompt } })),
    );
    const ids = made.results.flatMap((r) => (r.ok ? r.data.map((d) => d.id) : []));
    const counts: number[] = [];
    const waiting = client.generations.waitForMany([ids[0]!, ids[1]!, ids[0]!], {
      onEnded: (_, c) => counts.push(c.ended),
    });
    await client.generations.cancel(ids[0]!);
    await client.generations.cancel(ids[1]!);
    const done = await waiting;
    expect([...done.ended.values()].map((g) => g.status)).toEqual(['cancelled', 'cancelled']);
    expect(done.pending.size).toBe(0);
    expect(counts).toEqual([1, 2]);
    const timedOut = await client.generations.waitForMany([ids[2]!], { timeout: 300 });
    expect(timedOut.ended.size).toBe(0);
    expect(timedOut.pending.get(ids[2]!)?.status).toBe('queued');
  });

  it('honours timeout and abort', async () => {
    const client = fx.client();
    const { data } = await client.generations.create({ prompt: 'a fox' });
    await expect(client.generations.waitForCompletion(data[0]!.id, { timeout: 200 })).rejects.toMatchObject({
      code: 'timeout',
    });
    const controller = new AbortController();
    const waiting = client.generations.waitForCompletion(data[0]!.id, { signal: controller.signal });
    controller.abort(new Error('user gave up'));
    await expect(waiting).rejects.toThrow('user gave up');
  });
});
