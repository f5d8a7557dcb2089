import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { call, sdk, waitForStatus, useSim } from './helpers.ts';

const sim = useSim((sim) => {
  sim.configure({
    idempotency: true,
    lostCreateRate: 0,
    resetRate: 0,
    slowMs: 0,
    dropDownloadRate: 0,
    dropAfterBytes: 0,
    videoBytes: 64 * 1024,
  });
  sim.reset();
});

describe('Idempotency-Key', () => {
  it('the same key returns the same video and bills once', async () => {
    const client = sdk(sim);
    const headers = { 'Idempotency-Key': 'order-42' };
    const a = await client.videos.create({ prompt: 'once' }, { headers });
    const b = await client.videos.create({ prompt: 'once' }, { headers });
    expect(b.id).toBe(a.id);
    expect(sim.stats()).toMatchObject({
      videosCreated: 1,
      billedSeconds: 4,
      idempotentReplays: 1,
      createRequests: 2,
    });
    const c = await client.videos.create({ prompt: 'once' }, { headers: { 'Idempotency-Key': 'order-43' } });
    expect(c.id).not.toBe(a.id);
  });

  it('a create whose reply is lost, retried by the SDK with a key, bills once', async () => {
    sim.configure({ lostCreateRate: 1 });
    const client = sdk(sim, { maxRetries: 2 });
    // The first attempt is accepted and billed, then the connection is reset; the SDK retries it.
    const pending = client.videos.create({ prompt: 'lost reply' }, { headers: { 'Idempotency-Key': 'k-1' } });
    // Every attempt loses its reply while lostCreateRate is 1, but the replay path answers from the stored video.
    const video = await pending;
    expect(video.prompt).toBe('lost reply');
    expect(sim.stats()).toMatchObject({ videosCreated: 1, connectionResets: 1, idempotentReplays: 1 });
  });

  it('switched off, the same key bills twice (a provider without idempotency)', async () => {
    sim.configure({ idempotency: false });
    const client = sdk(sim);
    const headers = { 'Idempotency-Key': 'same' };
    const a = await client.videos.create({ prompt: 'twice' }, { headers });
    const b = await client.videos.create({ prompt: 'twice' }, { headers });
    expect(b.id).not.toBe(a.id);
    expect(sim.stats().videosCreated).toBe(2);
  });
});

describe('network faults', () => {
  it('reset connections surface as APIConnectionError', async () => {
    sim.configure({ resetRate: 1 });
    await expect(sdk(sim).videos.list()).rejects.toBeInstanceOf(OpenAI.APIConnectionError);
    expect(sim.stats().connectionResets).toBe(1);
  });

  it('slow replies arrive after slowMs', async () => {
    sim.configure({ slowMs: 150 });
    const started = Date.now();
    expect((await call(sim, '/v1/videos')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('a dropped download ends early with fewer bytes than Content-Length', async () => {
    const client = sdk(sim);
    const video = await client.videos.create({ prompt: 'to download' });
    await waitForStatus(client, video.id, ['completed']);
    sim.configure({ dropDownloadRate: 1, dropAfterBytes: 20_000, videoBytes: 200_000 });
    const response = await client.videos.downloadContent(video.id);
    expect(response.headers.get('content-length')).toBe('200000');
    let received = 0;
    const read = async () => {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) received += chunk.length;
    };
    await expect(read()).rejects.toThrow();
    expect(received).toBe(20_000);
    expect(sim.stats().downloadsDropped).toBe(1);
  });
});
