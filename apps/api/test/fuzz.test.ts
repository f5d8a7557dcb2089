import type { RedisFixture } from '@reelay/testing';
import { INJECTION_STRINGS, seededRandom, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProducerApi, startProducerApi } from './producer-harness.ts';

/**
 * Malformed input through real HTTP: every case must be a 4xx in the error shape naming the problem,
 * nothing may be enqueued, and the server must still serve a valid request afterwards.
 */

interface Case {
  name: string;
  method: 'POST' | 'GET';
  path: string;
  /** A string is sent as is; a Uint8Array as raw bytes; anything else as JSON. */
  body?: unknown;
  headers?: Record<string, string>;
  /** The field the error must name (`param` starts with it). */
  param?: string;
}

const INJECTIONS = INJECTION_STRINGS;
const HUGE = [-1, -4, 0, 1.5, 1e308, -1e308, 2 ** 53 + 1, 9_999_999_999, -2_147_483_649];
const WRONG_TYPES: unknown[] = [null, true, false, [], ['4'], {}, { a: 1 }, 'abc', 42];

/** Each field's invalid values (anything here must be refused for that field). */
const BAD_FIELDS: Record<string, unknown[]> = {
  prompt: [
    null,
    42,
    true,
    [],
    {},
    '',
    '   ',
    'x'.repeat(4001),
    'x'.repeat(20_000),
    '\ud800 lone',
    'end \udfff',
  ],
  model: [null, 42, true, [], {}, '', 'm'.repeat(101)],
  seconds: ['abc', '5', '4s', ...HUGE, ...INJECTIONS, null, true, [], {}],
  size: ['640x480', '1x1', 42, ...INJECTIONS, null, [], {}],
  input_reference: [
    'https://x',
    42,
    {},
    { image_url: 'not a url' },
    { file_id: '' },
    { a: 1 },
    { image_url: 'https://a.b/c.png', file_id: 'f' },
    [],
  ],
  duration: [-1, 0, 4, 61, 1e9, 1e308, 'ten', null, true, [], {}],
  aspect_ratio: ['4:3', '16/9', 169, ...INJECTIONS, null],
  resolution: ['4k', '2160p', 720, ...INJECTIONS, null],
  n: [0, -1, 5, 1.5, 1e20, '2', null, true],
  seed: [-1, 1.5, 2 ** 40, 'abc', null, [], {}],
  quality: ['ultra', 1, ...INJECTIONS, null],
  metadata: [
    [],
    'labels',
    42,
    { nested: { a: 1 } },
    { n: 5 },
    { '': 'empty key' },
    { big: 'v'.repeat(513) },
    Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])),
    { ['k'.repeat(65)]: 'v' },
  ],
  thumbnail: ['yes', 1, 0, null, []],
  priority: [-1, 1.5, 2_097_152, 1e308, '1', null, true],
  callback_url: [
    'javascript:alert(1)',
    'ftp://example.com/x',
    'not a url',
    42,
    null,
    `https://x.com/${'a'.repeat(2100)}`,
  ],
};
const VALID_OTHERS: Record<string, unknown> = {
  model: 'sora-2',
  seconds: '8',
  size: '1280x720',
  thumbnail: true,
  metadata: { campaign: 'spring' },
  priority: 3,
};

function buildCases(): Case[] {
  const random = seededRandom(20261125);
  const pick = random.pick;
  const cases: Case[] = [];
  const post = (name: string, body: unknown, param?: string, headers?: Record<string, string>) =>
    cases.push({
      name,
      method: 'POST',
      path: '/v1/generations',
      body,
      ...(param ? { param } : {}),
      ...(headers ? { headers } : {}),
    });

  // One bad field, alone and beside a random set of valid ones.
  for (const [field, values] of Object.entries(BAD_FIELDS)) {
    for (const value of values) {
      const base: Record<string, unknown> = field === 'prompt' ? {} : { prompt: 'a calm sea at dawn' };
      post(`${field}=${JSON.stringify(value)?.slice(0, 40)}`, { ...base, [field]: value }, field);
      for (let round = 0; round < 4; round++) {
        const body: Record<string, unknown> = { ...base };
        for (const [k, v] of Object.entries(VALID_OTHERS)) if (k !== field && random() < 0.5) body[k] = v;
        // size and aspect_ratio/resolution exclude each other; keep the bad field the only fault.
        if (field === 'aspect_ratio' || field === 'resolution') delete body['size'];
        body[field] = value;
        post(`${field}=${JSON.stringify(value)?.slice(0, 40)} +${round}`, body, field);
      }
    }
  }
  // Missing prompt.
  for (let i = 0; i < 30; i++) {
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(VALID_OTHERS)) if (random() < 0.6) body[k] = v;
    post(`missing prompt ${i}`, body, 'prompt');
  }
  // Unknown fields, including names that are dangerous as object keys.
  const unknownNames = [
    'colour',
    'Prompt',
    'tenant',
    'id',
    'status',
    'constructor',
    'toString',
    'hasOwnProperty',
    'callbackUrl',
    'idempotency_key',
    ...INJECTIONS,
  ];
  for (const name of unknownNames) {
    for (let i = 0; i < 5; i++)
      post(`unknown ${name.slice(0, 20)} ${i}`, { prompt: 'a cat', [name]: pick(WRONG_TYPES) });
  }
  for (const raw of [
    '{"prompt":"a cat","__proto__":{"admin":true}}',
    '{"prompt":"a cat","constructor":{"prototype":{"x":1}}}',
  ]) {
    post(`proto ${raw.slice(20, 40)}`, raw);
  }
  // Bodies that are not a JSON object.
  for (const raw of ['[]', '"a cat"', '42', 'null', 'true', '[{"prompt":"a cat"}]'])
    post(`non-object ${raw}`, raw);
  // Malformed JSON.
  const malformed = [
    '{',
    '{"prompt":"a cat"',
    '{"prompt":"a cat",}',
    "{'prompt':'a cat'}",
    '{"prompt":NaN}',
    '{"prompt":"a"}}',
    '{prompt:"a"}',
    '/* c */{"prompt":"a"}',
    '{"prompt":"\\x41"}',
    '{"prompt":"a\u0000',
    ' ',

    '{"prompt":"a" "seconds":"4"}',
  ];
  for (const raw of malformed) post(`malformed ${raw.slice(0, 20)}`, raw);
  // Invalid UTF-8 bytes (not decodable at all).
  for (const bytes of [
    [0xff],
    [0xc3, 0x28],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  ]) {
    const body = new Uint8Array([...Buffer.from('{"prompt":"'), ...bytes, ...Buffer.from('"}')]);
    post(`bad utf8 ${bytes.join(',')}`, body);
  }
  // Lone surrogates as JSON escapes in keys and values.
  post('surrogate meta value', { prompt: 'a cat', metadata: { k: '\udc00' } }, 'metadata');
  post('surrogate meta key', '{"prompt":"a cat","metadata":{"\\ud800":"v"}}', 'metadata');
  // Oversized bodies (over the 64 KiB limit), whatever is inside.
  for (const size of [65 * 1024, 128 * 1024, 1024 * 1024]) {
    post(`oversized ${size}`, { prompt: 'p'.repeat(size) });
    post(`oversized junk ${size}`, 'x'.repeat(size));
  }
  // Wrong or missing content type.
  for (const type of [
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/xml',
    'application/jsonx',
  ]) {
    post(`content-type ${type}`, '{"prompt":"a cat"}', 'Content-Type', { 'content-type': type });
  }
  // Malformed idempotency keys (with an otherwise valid body).
  for (const key of ['has space', 'k'.repeat(256), 'naïve', '\t']) {
    post(`idem ${key.slice(0, 12)}`, { prompt: 'a cat' }, 'Idempotency-Key', { 'idempotency-key': key });
  }
  // Random combinations of several faults until there are enough cases.
  const fields = Object.keys(BAD_FIELDS);
  while (cases.length < 1100) {
    const body: Record<string, unknown> = { prompt: 'a cat' };
    const faults = 1 + Math.floor(random() * 3);
    for (let i = 0; i < faults; i++) {
      const field = pick(fields);
      body[field] = pick(BAD_FIELDS[field]!);
    }
    if (random() < 0.3) body[pick(unknownNames)] = pick(WRONG_TYPES);
    post(`combo ${cases.length}`, body);
  }
  // List queries.
  const queries: Array<[string, string]> = [
    ['status=sleeping', 'status'],
    ['status=', 'status'],
    ['limit=0', 'limit'],
    ['limit=-5', 'limit'],
    ['limit=501', 'limit'],
    ['limit=1e309', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=1.5', 'limit'],
    ['status=queued&status=failed', 'status'],
    ['tenant=globex', 'tenant'],
    ['foo=bar', 'foo'],
    [`cursor=${'c'.repeat(600)}`, 'cursor'],
    ...INJECTIONS.map((s): [string, string] => [`status=${encodeURIComponent(s)}`, 'status']),
  ];
  for (const [query, param] of queries)
    cases.push({
      name: `list ${query.slice(0, 30)}`,
      method: 'GET',
      path: `/v1/generations?${query}`,
      param,
    });
  // Campaigns.
  const campaignBodies: Array<[unknown, string | undefined]> = [
    [{ prompt: 'launch' }, 'platforms'],
    [{ prompt: 'launch', platforms: [] }, 'platforms'],
    [{ prompt: 'launch', platforms: ['myspace'] }, 'platforms'],
    [{ prompt: 'launch', platforms: 'tiktok' }, 'platforms'],
    [{ prompt: 'launch', platforms: ['tiktok'], duration: -3 }, 'duration'],
    [{ prompt: 'launch', platforms: ['tiktok'], resolution: '8k' }, 'resolution'],
    [{ prompt: '', platforms: ['tiktok'] }, 'prompt'],
    [{ platforms: ['tiktok'] }, 'prompt'],
    [{ prompt: 'launch', platforms: ['tiktok'], extra: 1 }, 'extra'],
    ...INJECTIONS.map((s): [unknown, string] => [{ prompt: 'launch', platforms: [s] }, 'platforms']),
  ];
  for (const [body, param] of campaignBodies)
    cases.push({
      name: `campaign ${JSON.stringify(body).slice(0, 40)}`,
      method: 'POST',
      path: '/v1/campaigns',
      body,
      ...(param ? { param } : {}),
    });
  return cases;
}

let fixture: RedisFixture;
let api: ProducerApi;
beforeAll(async () => {
  fixture = await startRedis();
  api = await startProducerApi(fixture);
});
afterAll(async () => {
  await api?.stop();
  await fixture?.stop();
});

const CODES = new Set(['invalid_json', 'invalid_request', 'unsupported_media_type', 'body_too_large']);

describe('fuzz: malformed input through the HTTP API', () => {
  it('answers every one of 1,000+ malformed requests with a 4xx naming the problem; enqueues nothing', async () => {
    const cases = buildCases();
    expect(cases.length).toBeGreaterThanOrEqual(1000);
    const failures: string[] = [];
    const BATCH = 25;
    for (let i = 0; i < cases.length; i += BATCH) {
      await Promise.all(
        cases.slice(i, i + BATCH).map(async (c) => {
          const headers: Record<string, string> = { ...c.headers };
          let body: string | Uint8Array | undefined;
          if (c.body instanceof Uint8Array) body = c.body;
          else if (typeof c.body === 'string') body = c.body;
          else if (c.body !== undefined) body = JSON.stringify(c.body);
          if (body !== undefined) headers['content-type'] ??= 'application/json';
          const res = await api.call(c.method, c.path, { body: body as string, headers });
          const text = await res.text();
          let json: { error?: { code?: string; message?: string; param?: string | null } } = {};
          try {
            json = JSON.parse(text) as typeof json;
          } catch {
            failures.push(`${c.name}: not JSON: ${text.slice(0, 80)}`);
            return;
          }
          const error = json.error;
          const problems: string[] = [];
          if (res.status < 400 || res.status >= 500) problems.push(`status ${res.status}`);
          if (!error || !CODES.has(error.code ?? '')) problems.push(`code ${error?.code}`);
          if (!error?.message || /\n\s+at /.test(error.message)) problems.push('message');
          if (c.param && res.status === 400 && !(error?.param ?? '').startsWith(c.param)) {
            problems.push(`param ${error?.param} ≠ ${c.param}`);
          }
          if (problems.length > 0) failures.push(`${c.name}: ${problems.join(', ')} — ${text.slice(0, 160)}`);
        }),
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(await api.recordCount()).toBe(0);
    expect(await api.queues.submit.count()).toBe(0);
    // Still serving: a valid request after all that is accepted.
    const ok = await api.call('POST', '/v1/generations', { body: { prompt: 'a calm sea at dawn' } });
    expect(ok.status).toBe(201);
    expect(await api.recordCount()).toBe(1);
  }, 120_000);
});
