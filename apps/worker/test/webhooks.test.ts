import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { GenerationRecord } from '@reelay/core';
import { firstCheckDelay, resolvePipelineOptions } from '@reelay/pipeline';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

const API_MAIN = fileURLToPath(new URL('../../api/src/main.ts', import.meta.url));
const SECRET = `whsec_${Buffer.from('reelay-webhook-test-secret-32by').toString('base64')}`;

/**
 * The simulator runs 100x faster than real: a 4 s sora-2 clip is done 0.35-2.3 s after its create
 * (its duration model's clamps), ~0.75 s typically. Slower than the harness's 400x on purpose: a
 * webhook that reaches the api before the submit stage has added the poll job finds nothing to
 * promote (and its copies are duplicates), so the gap between create and completion is kept wide.
 */
const SIM_TIME_SCALE = 100;
/**
 * The workers are told the provider runs in real time, so their one scheduled poll (webhook mode:
 * 1.5x the expected 74 s) is ~111 s after submit: far after the video is done, and after this test
 * would time out. Only a webhook promoting that poll gets a generation detected in time.
 */
const WORKER_ENV = { REELAY_WEBHOOKS: 'true', REELAY_PROVIDER_TIME_SCALE: '1' };
const WORKER_OPTIONS = resolvePipelineOptions({ durationScale: 1, webhooks: true });

/** When the workers' first poll of this generation was scheduled, ms after its submit. */
function firstPollAfter(record: GenerationRecord): number {
  return firstCheckDelay(WORKER_OPTIONS, record.request.model, record.request.seconds);
}

let h: Harness | undefined;
let api: ChildProcess | undefined;
afterEach(async () => {
  if (api && api.exitCode === null) {
    api.kill('SIGTERM');
    await once(api, 'exit');
  }
  api = undefined;
  await h?.close();
  h = undefined;
});

/** The api app as its own process, receiving the simulator's webhooks. */
async function startApi(env: Record<string, string>): Promise<string> {
  api = spawn(process.execPath, [API_MAIN], {
    env: {
      ...process.env,
      ...env,
      REELAY_API_PORT: '0',
      REELAY_API_HOST: '127.0.0.1',
      OPENAI_WEBHOOK_SECRET: SECRET,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  for await (const line of createInterface({ input: api.stdout! })) {
    const parsed = JSON.parse(line) as { event?: string; url?: string };
    if (parsed.event === 'listening' && parsed.url) return parsed.url;
  }
  throw new Error('api exited before listening');
}

describe('provider webhooks', () => {
  it('promote the delayed poll: each video is detected long before its first poll, with one retrieve, and duplicate or out-of-order deliveries still give one download', async () => {
    h = await createHarness({ timeScale: SIM_TIME_SCALE }, WORKER_ENV);
    const url = await startApi(h.env);
    await h.sim.configure({
      webhookUrl: `${url}/webhooks/provider`,
      webhookSecret: SECRET,
      webhookDuplicateRate: 1,
      webhookOutOfOrder: true,
    });
    await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    const ids = await h.enqueue(10);
    // A quarter of the first poll's delay: without a webhook promoting the poll, this times out.
    const firstPoll = firstPollAfter((await h.store.get(ids[0]!))!);
    expect(firstPoll).toBeGreaterThan(100_000);
    const records = await h.waitAll(ids, firstPoll / 4);
    for (const record of records) {
      expect(record.status).toBe('completed');
      expect(record.attempts.download).toBe(1);
      // Detected (by the promoted poll) well before the scheduled poll would have run.
      const { submittedAt, generatedAt } = record.timings;
      expect(generatedAt! - submittedAt!).toBeLessThan(firstPollAfter(record) / 4);
    }
    type Stats = { webhooksDelivered: number; contentRequests: number; retrieveRequests: number };
    // Every event is delivered at least twice, yet each video was downloaded once. A duplicate is sent
    // a while after the first delivery, so the last ones may still be on their way when the videos
    // are stored: wait for them rather than read the count once.
    const harness = h;
    const stats = await waitFor(
      async () => {
        const s = await harness.sim.stats<Stats>();
        return s.webhooksDelivered >= 20 ? s : undefined;
      },
      { timeoutMs: 30_000 },
    );
    expect(stats.webhooksDelivered).toBeGreaterThanOrEqual(20);
    expect(stats.contentRequests).toBe(10);
    // The one scheduled poll per video, promoted once (the duplicates promote nothing), retrieves
    // once and finds the video done: no polling loop.
    expect(stats.retrieveRequests).toBe(10);
  });
});
