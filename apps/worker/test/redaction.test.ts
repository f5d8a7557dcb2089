import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const API_KEY = 'sk-redact-test-0123456789abcdef';
const WEBHOOK_SECRET = `whsec_${Buffer.from('redaction-test-webhook-secret-0123').toString('base64')}`;
const CALLBACK_SECRET = `whsec_${Buffer.from('redaction-test-callback-secret-456').toString('base64')}`;
/** An Authorization value that is not already masked. */
const BEARER = /Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]+/i;

describe('secrets in logs, whole pipeline at debug level', () => {
  it('never prints the provider key, a webhook or callback secret, or a bearer token', async () => {
    // The simulator accepts only this key, so every request really carried it.
    h = await createHarness(
      // A slower provider, so polls find videos still running and reschedule (debug lines).
      { apiKeys: API_KEY, serverErrorRate: 0.2, timeScale: 40 },
      {
        OPENAI_API_KEY: API_KEY,
        OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
        REELAY_CALLBACK_SECRET: CALLBACK_SECRET,
        LOG_LEVEL: 'debug',
        // The openai SDK's own request logging, which prints request options (headers included).
        OPENAI_LOG: 'debug',
      },
    );
    const workers = await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    const ok = await h.waitAll(await h.enqueue(4));
    // A failure names its code, message and attempts per stage, so a red run says why and where.
    const outcome = (r: {
      status: string;
      error?: { code: string; message: string } | null;
      attempts: object;
    }) =>
      r.status === 'completed'
        ? r.status
        : `${r.status}: ${r.error?.code} ${r.error?.message} (attempts ${JSON.stringify(r.attempts)})`;
    expect(ok.map(outcome)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // A failure path too: the provider refuses the next video for content policy.
    await h.sim.configure({ failureRate: 1, failureCode: 'moderation_blocked' });
    const [failed] = await h.waitAll(await h.enqueue(1));
    expect(failed?.status).toBe('failed');
    await Promise.all(workers.map((w) => w.stop()));

    const lines = workers.flatMap((w) => w.lines);
    // Debug was really on, ours (rescheduled polls) and the SDK's (each request, headers included).
    expect(lines.some((l) => l.includes('"stage rescheduled"'))).toBe(true);
    expect(lines.some((l) => l.includes('sending request'))).toBe(true);
    expect(lines.filter((l) => l.includes('"stage transition"')).length).toBeGreaterThanOrEqual(13);
    const leaks = lines.filter(
      (l) =>
        l.includes(API_KEY) ||
        l.includes(WEBHOOK_SECRET) ||
        l.includes(WEBHOOK_SECRET.slice('whsec_'.length)) ||
        l.includes(CALLBACK_SECRET) ||
        l.includes(CALLBACK_SECRET.slice('whsec_'.length)) ||
        BEARER.test(l),
    );
    expect(leaks).toEqual([]);
  }, 60_000);
});
