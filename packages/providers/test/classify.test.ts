import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ProviderError,
  type ProviderResponseInfo,
  classifyProviderError,
  classifyVideoFailure,
  createOpenAIProvider,
  parseDurationMs,
  retryAfterMsFromHeaders,
} from '../src/index.ts';
import { type ScriptedServer, jsonError, startScriptedServer } from './helpers/scripted-server.ts';

// A gateway key in no recognisable shape: only the adapter's exact-match scrub can catch it.
const API_KEY = 'gw-live-7f3a9c1e5b2d4f6a8c0e';

const video = {
  id: 'video_abc',
  object: 'video',
  model: 'sora-2',
  status: 'completed',
  progress: 100,
  created_at: 1_700_000_000,
  completed_at: 1_700_000_060,
  expires_at: 1_700_003_660,
  prompt: 'a cat',
  size: '1280x720',
  seconds: '4',
  remixed_from_video_id: null,
  error: null,
};

let server: ScriptedServer;

beforeAll(async () => {
  server = await startScriptedServer({
    'rate-ms': jsonError(
      429,
      { message: 'Rate limit reached for requests', type: 'requests', code: 'rate_limit_exceeded' },
      { 'retry-after-ms': '1500', 'x-ratelimit-remaining-requests': '0' },
    ),
    'rate-s': jsonError(
      429,
      { message: 'Rate limit reached', code: 'rate_limit_exceeded' },
      { 'retry-after': '3' },
    ),
    'rate-reset': jsonError(
      429,
      { message: 'Rate limit reached', code: 'rate_limit_exceeded' },
      { 'x-ratelimit-reset-requests': '6m0s' },
    ),
    'rate-bare': jsonError(429, { message: 'Rate limit reached', code: 'rate_limit_exceeded' }),
    quota: jsonError(429, {
      message: 'You exceeded your current quota, please check your plan and billing details.',
      type: 'insufficient_quota',
      code: 'insufficient_quota',
    }),
    invalid: jsonError(400, {
      message: "Invalid value: '10'. Supported values are: '4', '8', and '12'.",
      code: 'invalid_value',
      param: 'seconds',
    }),
    unprocessable: jsonError(422, { message: 'size must match input_reference', param: 'size' }),
    moderation: jsonError(400, {
      message: 'Your request was blocked by our moderation system.',
      code: 'moderation_blocked',
    }),
    safety: jsonError(400, { message: 'Your request was rejected as a result of our safety system.' }),
    unauthorized: jsonError(401, {
      message: `Incorrect API key provided: ${API_KEY}.`,
      code: 'invalid_api_key',
    }),
    forbidden: jsonError(403, { message: 'Project does not have access to model sora-2' }),
    missing: jsonError(404, { message: "Video with id 'video_x' not found.", code: null }),
    'not-ready': jsonError(404, {
      message: 'Video is not ready yet, use GET /v1/videos/{video_id} to check status.',
    }),
    conflict: jsonError(409, { message: 'Another request with this Idempotency-Key is in progress.' }),
    'server-error': jsonError(500, {
      message: 'The server had an error processing your request.',
      type: 'server_error',
    }),
    unavailable: jsonError(
      503,
      { message: 'Service unavailable', type: 'server_error' },
      { 'retry-after': '2' },
    ),
    'plain-502': (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(`<html>Bad gateway</html>`);
    },
    reset: (req) => req.socket.destroy(),
    hang: () => {
      // never answers: the client's timeoutMs must end it
    },
    ok: (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-ratelimit-remaining-requests': '24',
        'x-ratelimit-reset-requests': '2.4s',
      });
      res.end(JSON.stringify(video));
    },
    'cut-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '100000' });
      res.write(Buffer.alloc(40_000, 1), () => req.socket.destroy());
    },
  });
});

afterAll(() => server.close());

function provider(script: string, extra: Parameters<typeof createOpenAIProvider>[0] = {}) {
  return createOpenAIProvider({ apiKey: API_KEY, baseURL: server.baseURL(script), env: {}, ...extra });
}

async function failureOf(promise: Promise<unknown>): Promise<ProviderError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, 'the call should have failed').toBeDefined();
  expect((error as Error).name).toBe('ProviderError');
  const e = error as ProviderError;
  // The key must never leak, neither in the message nor in what gets stored on a record.
  expect(e.message).not.toContain(API_KEY);
  expect(JSON.stringify(e)).not.toContain(API_KEY);
  return e;
}

describe('classification of real HTTP answers through the real SDK', () => {
  it('429 with retry-after-ms is a rate limit that waits exactly that long', async () => {
    const e = await failureOf(provider('rate-ms').retrieve('video_abc'));
    expect(e).toMatchObject({
      kind: 'rate_limit',
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: 1500,
      status: 429,
    });
    expect(e.requestId).toBe('req_429');
    expect(server.seen('rate-ms')).toHaveLength(1); // the SDK did not retry on its own
  });

  it('429 with retry-after seconds, or only x-ratelimit-reset-requests, waits that long', async () => {
    expect((await failureOf(provider('rate-s').retrieve('video_abc'))).retryAfterMs).toBe(3000);
    expect((await failureOf(provider('rate-reset').retrieve('video_abc'))).retryAfterMs).toBe(360_000);
  });

  it('429 without any delay header waits the documented default of 5 s', async () => {
    const e = await failureOf(provider('rate-bare').retrieve('video_abc'));
    expect(e).toMatchObject({ kind: 'rate_limit', retryable: true, retryAfterMs: 5000 });
  });

  it('429 insufficient_quota is final quota exhaustion that pauses submissions', async () => {
    const e = await failureOf(
      provider('quota').create({ prompt: 'a cat', seconds: '4', size: '1280x720' }, { idempotencyKey: 'k1' }),
    );
    expect(e).toMatchObject({
      kind: 'quota',
      code: 'quota_exceeded',
      retryable: false,
      retryAfterMs: undefined,
    });
    expect(e.pausesSubmissions).toBe(true);
    expect(server.seen('quota')).toHaveLength(1);
  });

  it('400 invalid_value and 422 are final invalid requests naming the field', async () => {
    const bad = await failureOf(
      provider('invalid').create(
        { prompt: 'a cat', seconds: '10', size: '1280x720' },
        { idempotencyKey: 'k2' },
      ),
    );
    expect(bad).toMatchObject({
      kind: 'invalid',
      code: 'invalid_request',
      retryable: false,
      param: 'seconds',
      providerCode: 'invalid_value',
    });
    expect(bad.message).toContain("Invalid value: '10'");
    const unprocessable = await failureOf(provider('unprocessable').retrieve('video_abc'));
    expect(unprocessable).toMatchObject({ kind: 'invalid', retryable: false, param: 'size', status: 422 });
  });

  it('400 moderation_blocked, or a 400 worded about the safety system, is a final content-policy refusal', async () => {
    const blocked = await failureOf(
      provider('moderation').create(
        { prompt: 'x', seconds: '4', size: '1280x720' },
        { idempotencyKey: 'k3' },
      ),
    );
    expect(blocked).toMatchObject({ kind: 'moderation', code: 'content_policy', retryable: false });
    const worded = await failureOf(provider('safety').retrieve('video_abc'));
    expect(worded).toMatchObject({ kind: 'moderation', code: 'content_policy' });
  });

  it('401 and 403 are final auth failures that pause submissions, and the echoed key is cut out', async () => {
    const unauthorized = await failureOf(provider('unauthorized').retrieve('video_abc'));
    expect(unauthorized).toMatchObject({ kind: 'auth', code: 'auth_failed', retryable: false, status: 401 });
    expect(unauthorized.pausesSubmissions).toBe(true);
    expect(unauthorized.message).toContain('Incorrect API key provided: [redacted]');
    const forbidden = await failureOf(provider('forbidden').retrieve('video_abc'));
    expect(forbidden).toMatchObject({ kind: 'auth', status: 403 });
  });

  it('404 is not_found, but content that is "not ready yet" is transient', async () => {
    expect(await failureOf(provider('missing').retrieve('video_x'))).toMatchObject({
      kind: 'not_found',
      code: 'not_found',
      retryable: false,
    });
    const early = await failureOf(provider('not-ready').downloadContent('video_abc', 'video'));
    expect(early).toMatchObject({ kind: 'transient', retryable: true, status: 404 });
  });

  it('409 is transient and flags that a create may have gone through', async () => {
    const e = await failureOf(
      provider('conflict').create(
        { prompt: 'a cat', seconds: '4', size: '1280x720' },
        { idempotencyKey: 'k4' },
      ),
    );
    expect(e).toMatchObject({ kind: 'transient', code: 'transient', retryable: true, outcomeUnknown: true });
    expect(e.toJSON().details).toMatchObject({ kind: 'transient', status: 409, outcomeUnknown: true });
  });

  it('5xx is transient, honours a Retry-After, and is sent exactly once', async () => {
    const e500 = await failureOf(
      provider('server-error').create(
        { prompt: 'a cat', seconds: '4', size: '1280x720' },
        { idempotencyKey: 'k5' },
      ),
    );
    expect(e500).toMatchObject({ kind: 'transient', retryable: true, status: 500, outcomeUnknown: true });
    expect(server.seen('server-error')).toHaveLength(1);
    const e503 = await failureOf(provider('unavailable').retrieve('video_abc'));
    expect(e503).toMatchObject({ kind: 'transient', retryAfterMs: 2000 });
    const html = await failureOf(provider('plain-502').retrieve('video_abc'));
    expect(html).toMatchObject({ kind: 'transient', status: 502 });
  });

  it('a socket destroyed before the answer is a transient reset whose outcome is unknown', async () => {
    const e = await failureOf(
      provider('reset').create({ prompt: 'a cat', seconds: '4', size: '1280x720' }, { idempotencyKey: 'k6' }),
    );
    expect(e).toMatchObject({ kind: 'transient', retryable: true, outcomeUnknown: true });
    expect(server.seen('reset')).toHaveLength(1);
  });

  it('a server that hangs past timeoutMs is a transient timeout, not retried by the SDK', async () => {
    const e = await failureOf(
      provider('hang', { timeoutMs: 300 }).create(
        { prompt: 'a cat', seconds: '4', size: '1280x720' },
        { idempotencyKey: 'k7' },
      ),
    );
    expect(e).toMatchObject({ kind: 'transient', providerCode: 'timeout', outcomeUnknown: true });
    expect(server.seen('hang')).toHaveLength(1);
  });

  it('a refused connection is transient and known not to have reached the provider', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const p = createOpenAIProvider({ apiKey: API_KEY, baseURL: `http://127.0.0.1:${port}/v1`, env: {} });
    const e = await failureOf(
      p.create({ prompt: 'a cat', seconds: '4', size: '1280x720' }, { idempotencyKey: 'k8' }),
    );
    expect(e).toMatchObject({ kind: 'transient', providerCode: 'ECONNREFUSED', outcomeUnknown: false });
  });

  it('a body cut mid-download errors the content stream with a transient ProviderError', async () => {
    const content = await provider('cut-body').downloadContent('video_abc', 'video');
    expect(content.contentLength).toBe(100_000);
    let received = 0;
    const error = await (async () => {
      for await (const chunk of content.body) received += (chunk as Buffer).length;
    })().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(received).toBeLessThan(100_000);
    expect(error).toMatchObject({ name: 'ProviderError', kind: 'transient', retryable: true });
    expect(classifyProviderError(error)).toBe(error);
  });

  it('onResponse sees status and rate-limit headers on success and on error', async () => {
    const seen: ProviderResponseInfo[] = [];
    await provider('ok', { onResponse: (info) => seen.push(info) }).retrieve('video_abc');
    await failureOf(provider('rate-ms', { onResponse: (info) => seen.push(info) }).retrieve('video_abc'));
    expect(seen.map((s) => [s.endpoint, s.status])).toEqual([
      ['retrieve', 200],
      ['retrieve', 429],
    ]);
    expect(seen[0]?.headers.get('x-ratelimit-remaining-requests')).toBe('24');
    expect(seen[1]?.headers.get('retry-after-ms')).toBe('1500');
    expect(seen[0]?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('an onResponse hook that throws does not fail the call', async () => {
    const p = provider('ok', {
      onResponse: () => {
        throw new Error('metrics broke');
      },
    });
    await expect(p.retrieve('video_abc')).resolves.toMatchObject({ id: 'video_abc', status: 'completed' });
  });

  it('anything unexpected is transient (bounded by the queue), marked unexpected, and scrubbed', () => {
    const e = classifyProviderError(new TypeError(`cannot read x of undefined near ${API_KEY}`), {
      secrets: [API_KEY],
    });
    expect(e).toMatchObject({
      kind: 'transient',
      retryable: true,
      providerCode: 'unexpected',
      outcomeUnknown: true,
    });
    expect(e.message).not.toContain(API_KEY);
    const bearer = classifyProviderError(new Error('header was Bearer sk-abcdefghijklmnop'));
    expect(bearer.message).not.toContain('sk-abcdefghijklmnop');
  });
});

describe('retry-after parsing', () => {
  it('reads retry-after-ms, retry-after seconds and HTTP dates, and Go-style reset durations', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(retryAfterMsFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).toBe(
      250,
    );
    expect(
      retryAfterMsFromHeaders(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:07 GMT' }), now),
    ).toBe(7000);
    expect(
      retryAfterMsFromHeaders(new Headers({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), now),
    ).toBe(0);
    expect(retryAfterMsFromHeaders({ 'Retry-After': '1.5' }, now)).toBe(1500);
    expect(retryAfterMsFromHeaders(new Headers(), now)).toBeUndefined();
    expect(parseDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(parseDurationMs('20ms')).toBe(20);
    expect(parseDurationMs('soon')).toBeUndefined();
  });
});

describe('a failed video, by its error code', () => {
  it('is final for content policy and invalid requests, and resubmittable for the provider’s own failures', () => {
    for (const code of ['moderation_blocked', 'content_policy_violation', 'safety_filter'])
      expect(classifyVideoFailure(code), code).toEqual({ code: 'content_policy', resubmit: false });
    for (const code of ['invalid_input_reference', 'unsupported_size', 'bad_request'])
      expect(classifyVideoFailure(code), code).toEqual({ code: 'invalid_request', resubmit: false });
    for (const code of ['internal_error', 'server_error', 'capacity_exceeded', 'timeout', undefined])
      expect(classifyVideoFailure(code), String(code)).toEqual({ code: 'provider_failed', resubmit: true });
  });
});
