import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

const API_MAIN = fileURLToPath(new URL('../../api/src/main.ts', import.meta.url));
const SECRET = `whsec_${Buffer.from('reelay-webhook-test-secret-32by').toString('base64')}`;

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
  it('detect completion without polling, and duplicate or out-of-order deliveries still give one download', async () => {
    h = await createHarness({}, { REELAY_WEBHOOKS: 'true' });
    const url = await startApi(h.env);
    await h.sim.configure({
      webhookUrl: `${url}/webhooks/provider`,
      webhookSecret: SECRET,
      webhookDuplicateRate: 1,
      webhookOutOfOrder: true,
    });
    await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    const ids = await h.enqueue(10);
    const records = await h.waitAll(ids);
    for (const record of records) {
      expect(record.status).toBe('completed');
      expect(record.attempts.download).toBe(1);
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
    // Webhooks promote the one scheduled poll: about one retrieve per video, not a polling loop.
    expect(stats.retrieveRequests / 10).toBeLessThanOrEqual(1.5);
  });
});
