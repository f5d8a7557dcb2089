import { HOSTILE_NUMBERS, INJECTION_STRINGS, type SeededRandom, seededRandom } from '@reelay/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type ClientFixture, clientFixture } from './fixture.ts';

let fx: ClientFixture;
beforeAll(async () => {
  fx = await clientFixture();
});
afterAll(async () => {
  await fx.close();
});

const FIELDS = [
  'prompt',
  'model',
  'seconds',
  'size',
  'duration',
  'aspect_ratio',
  'resolution',
  'n',
  'seed',
  'quality',
  'metadata',
  'input_reference',
  'thumbnail',
];
const WRONG: unknown[] = [
  null,
  true,
  ...HOSTILE_NUMBERS,
  '',
  'x'.repeat(5000),
  '\ud800 lone',
  ...INJECTION_STRINGS,
  [],
  [1, 2],
  {},
  { $gt: '' },
  { __proto__: { polluted: true } },
];

type Case = { params: unknown; options?: unknown; field: string };

function malformed(next: SeededRandom): Case {
  const pick = next.pick;
  const base: Record<string, unknown> = { prompt: 'a valid prompt' };
  switch (Math.floor(next() * 6)) {
    case 0: {
      // A wrong value in a known field (chosen so it can never be valid for that field).
      const field = pick(FIELDS);
      let value = pick(WRONG);
      if (
        field === 'prompt' &&
        typeof value === 'string' &&
        value !== '' &&
        value.length < 4000 &&
        value.isWellFormed()
      )
        value = 42;
      if (field === 'model' && typeof value === 'string' && value.length > 0 && value.length <= 100)
        value = 7;
      if (field === 'thumbnail' && typeof value === 'boolean') value = 'yes';
      if (field === 'metadata' && value !== null && typeof value === 'object' && !Array.isArray(value))
        value = 'str';
      return { params: { ...base, [field]: value }, field };
    }
    case 1:
      return { params: {}, field: 'prompt' };
    case 2: {
      const name = `unknown_${Math.floor(next() * 1e6)}`;
      return { params: { ...base, [name]: pick(WRONG) }, field: '(params)' };
    }
    case 3:
      return { params: { prompt: `ok ${'\udc00'.repeat(1 + Math.floor(next() * 5))}` }, field: 'prompt' };
    case 4:
      return { params: pick([null, 42, 'prompt', [], true]), field: '(params)' };
    default: {
      const option = pick(['priority', 'tenant', 'idempotencyKey', 'callbackUrl', 'metadata']);
      const value =
        option === 'priority'
          ? pick([-1, 1e12, 1.5, Number.NaN, 'high'])
          : option === 'tenant'
            ? pick(['', 'a:b', 'x'.repeat(200), '../../etc', 'ten ant'])
            : option === 'idempotencyKey'
              ? pick(['', 'k'.repeat(300), 5])
              : option === 'callbackUrl'
                ? pick(['not a url', 'ftp://x', 'javascript:alert(1)', 3])
                : pick(['str', { k: 5 }, [1]]);
      return { params: base, options: { [option]: value }, field: option };
    }
  }
}

it('1,000 malformed inputs: each a ValidationError naming the problem, nothing enqueued, no crash', async () => {
  const client = fx.client();
  const next = seededRandom(20261125);
  for (let i = 0; i < 1000; i++) {
    const c = malformed(next);
    const error = (await client.generations
      .create(c.params as { prompt: string }, c.options as undefined)
      .then(
        () => undefined,
        (e: unknown) => e,
      )) as { name?: string; param?: string; message?: string } | undefined;
    const where = JSON.stringify({ i, c }, (_k, v) =>
      typeof v === 'string' && v.length > 80 ? `${v.slice(0, 80)}…` : v,
    );
    expect(error, where).toBeDefined();
    expect(error?.name, where).toBe('ValidationError');
    const param = error?.param ?? '';
    expect(param.replace(/^options\./, '').split('.')[0], where).toBe(c.field.split('.')[0]);
    expect(error?.message, where).toContain(c.field === '(params)' ? '' : c.field);
  }
  expect((await client.generations.list()).data).toHaveLength(0);
  // Bulk sees the same inputs as per-item errors, still without enqueueing anything.
  const nextBulk = seededRandom(7);
  const bulk = await client.generations.createMany(
    Array.from({ length: 200 }, () => {
      const c = malformed(nextBulk);
      return {
        params: c.params as { prompt: string },
        ...(c.options ? { options: c.options as object } : {}),
      };
    }),
  );
  expect(bulk.failed).toBe(200);
  expect(bulk.results.every((r) => !r.ok && r.error.code === 'invalid_request')).toBe(true);
  expect((await client.generations.list()).data).toHaveLength(0);
});
