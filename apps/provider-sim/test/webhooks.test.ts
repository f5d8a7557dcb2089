import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Simulator, WebhookEvent } from '../src/index.ts';
import { sdk, startSim, waitFor } from './helpers.ts';

interface Delivery {
  body: string;
  headers: IncomingHttpHeaders;
}

const secret = `whsec_${randomBytes(24).toString('base64')}`;
let sim: Simulator;
let receiver: Server;
let receiverUrl: string;
let deliveries: Delivery[] = [];
/** Status the receiver answers with, per delivery number (default 200). */
let answer: (n: number) => number = () => 200;

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      deliveries.push({ body: Buffer.concat(chunks).toString('utf8'), headers: req.headers });
      res.writeHead(answer(deliveries.length)).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  sim = await startSim({ webhookUrl: receiverUrl, webhookSecret: secret, webhookRetryBaseMs: 20 });
});
afterAll(async () => {
  await sim.close();
  await new Promise((resolve) => receiver.close(resolve));
});
beforeEach(() => {
  sim.reset();
  sim.configure({ failureRate: 0, webhookDuplicateRate: 0, webhookOutOfOrder: false });
  deliveries = [];
  answer = () => 200;
});

function plainHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)]));
}

describe('webhooks', () => {
  it('delivers video.completed signed per Standard Webhooks, verified by the SDK and by standardwebhooks', async () => {
    const client = sdk(sim);
    const video = await client.videos.create({ prompt: 'notify me' });
    const delivery = await waitFor(() => deliveries[0]);
    const unwrapped = (await client.webhooks.unwrap(
      delivery.body,
      plainHeaders(delivery.headers),
      secret,
    )) as unknown;
    expect(unwrapped).toMatchObject({ object: 'event', type: 'video.completed', data: { id: video.id } });
    const event = new Webhook(secret).verify(delivery.body, plainHeaders(delivery.headers)) as WebhookEvent;
    expect(event.id).toMatch(/^evt_[0-9a-f]+$/);
    expect(event.created_at).toEqual(expect.any(Number));
    expect(delivery.headers['webhook-id']).toBe(event.id);
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,/);
    // A wrong secret must not verify.
    const other = `whsec_${randomBytes(24).toString('base64')}`;
    await expect(
      client.webhooks.unwrap(delivery.body, plainHeaders(delivery.headers), other),
    ).rejects.toThrow();
    expect(sim.stats().webhooksDelivered).toBe(1);
  });

  it('delivers video.failed for failed generations', async () => {
    sim.configure({ failureRate: 1 });
    const video = await sdk(sim).videos.create({ prompt: 'doomed' });
    const delivery = await waitFor(() => deliveries[0]);
    expect(JSON.parse(delivery.body)).toMatchObject({ type: 'video.failed', data: { id: video.id } });
  });

  it('retries a failing receiver with the same webhook-id until it answers 2xx', async () => {
    answer = (n) => (n < 3 ? 503 : 200);
    await sdk(sim).videos.create({ prompt: 'retry me' });
    await waitFor(() => (sim.stats().webhooksDelivered === 1 ? true : undefined));
    expect(deliveries).toHaveLength(3);
    expect(new Set(deliveries.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(sim.stats().webhookAttemptsFailed).toBe(2);
    for (const d of deliveries)
      expect(() => new Webhook(secret).verify(d.body, plainHeaders(d.headers))).not.toThrow();
  });

  it('can deliver duplicates (same webhook-id) and out of order', async () => {
    sim.configure({ webhookDuplicateRate: 1, webhookOutOfOrder: true, webhookJitterMs: 100 });
    const client = sdk(sim);
    const ids = [];
    for (let i = 0; i < 4; i++) ids.push((await client.videos.create({ prompt: `dup ${i}` })).id);
    await waitFor(() => (deliveries.length === 8 ? true : undefined));
    const byVideo = new Map<string, Set<string>>();
    for (const d of deliveries) {
      const videoId = (JSON.parse(d.body) as WebhookEvent).data.id;
      byVideo.set(videoId, (byVideo.get(videoId) ?? new Set()).add(String(d.headers['webhook-id'])));
    }
    expect([...byVideo.keys()].sort()).toEqual([...ids].sort());
    for (const webhookIds of byVideo.values()) expect(webhookIds.size).toBe(1);
  });
});
