import { createServer } from 'node:http';
import { enqueueGeneration } from '@reelay/core';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE } from '../src/scale.ts';
import { type ChaosStack, startChaosStack } from '../src/stack.ts';
import { type TcpProxy, startTcpProxy } from '../src/tcp-proxy.ts';

// Found by the killed-workers scenario at full size (seed y5n9e06d: 499 of 500 completed, one left in
// `downloading` with no download job): a poll worker SIGKILLed after it moved the record to
// `downloading` and before it added the download job. Its poll job stalled and ran again, found the
// record no longer `generating`, and ended — nothing ever downloaded the video. Reproduced
// deterministically: the poll worker reaches Redis through a proxy that holds back its download-queue
// add, and is killed while that command is in transit.

const ENV = { REELAY_LOCK_DURATION_MS: '1000', REELAY_STALLED_INTERVAL_MS: '1000' };

/** ENV for a worker that also runs the notify stage, allowed to call back to 127.0.0.1 over http. */
function notifyingEnv(secretSeed: string): Record<string, string> {
  return {
    ...ENV,
    REELAY_CALLBACK_SECRET: `whsec_${Buffer.from(secretSeed).toString('base64')}`,
    REELAY_CALLBACK_ALLOW: '127.0.0.1',
    REELAY_CALLBACK_ALLOW_HTTP: 'true',
  };
}

/** A callback receiver on 127.0.0.1 that records each delivery's event type. */
async function startReceiver(): Promise<{ url: string; types: string[]; close(): Promise<void> }> {
  const types: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      types.push((JSON.parse(body) as { type: string }).type);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    types,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

let stack: ChaosStack | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await stack?.close();
  await proxy?.close();
  stack = undefined;
  proxy = undefined;
});

describe(`chaos: a poll worker killed between its record write and its hand-off (${SCALE})`, () => {
  it('hands on again when the poll job runs again: the generation completes', async () => {
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-handoff',
      timeScale: 40,
      simFlags: { ttlSeconds: 40 * 3600, seed: 'handoff-lost' },
    });
    const s = stack;
    const upstream = new URL(s.redis.url);
    proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 6379));
    await Promise.all([s.start('submit', ENV), s.start('download', ENV)]);
    const poller = await s.start('poll', { ...ENV, REDIS_URL: proxy.url });
    const [id] = await s.enqueue(1, { label: 'hand-off lost clip' });
    // The download-queue add for this generation: its keys name the download queue, its data the id.
    const handOff = proxy.trap((text) => text.includes(`${s.prefix}:download:`) && text.includes(id!));
    await handOff;
    await poller.kill();
    proxy.cut();
    expect((await s.store.get(id!))?.status).toBe('downloading');
    expect(await s.queues.download.getJob(id!)).toBeUndefined();

    // A new poll worker: the killed one's poll job stalls back to it and runs again.
    await s.start('poll', ENV);
    const [record] = await s.waitTerminal([id!], 30_000);
    await recordFigures(
      'handoff_lost',
      { kills: 1, completed: record?.status === 'completed' ? 1 : 0 },
      { seed: '-', seconds: (Date.now() - startedAt) / 1000 },
    );
    expect(record?.status).toBe('completed');
    await waitFor(async () => (await s.sim.stats<{ contentRequests: number }>()).contentRequests === 1, {
      timeoutMs: 1000,
      message: 'exactly one download',
    });
  });

  it('adds the callback job again when a download worker died between storing and handing on', async () => {
    const startedAt = Date.now();
    const receiver = await startReceiver();
    try {
      stack = await startChaosStack({
        name: 'chaos-handoff-notify',
        timeScale: 40,
        simFlags: { ttlSeconds: 40 * 3600, seed: 'handoff-notify' },
      });
      const s = stack;
      const upstream = new URL(s.redis.url);
      proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 6379));
      const notifying = notifyingEnv('chaos-handoff-callback-secret-32b');
      // submit and poll (and, having the callback secret, notify) directly; download through the proxy.
      await Promise.all([s.start('submit', ENV), s.start('poll', notifying)]);
      const downloader = await s.start('download', { ...ENV, REDIS_URL: proxy.url });
      const { id } = await enqueueGeneration(
        s.producer,
        { prompt: 'hand-off lost before the callback', seconds: '4' },
        { callbackUrl: receiver.url },
      );
      await proxy.trap((text) => text.includes(`${s.prefix}:notify:`) && text.includes(id));
      await downloader.kill();
      proxy.cut();
      expect((await s.store.get(id))?.status).toBe('notifying');
      expect(await s.queues.notify.getJob(id)).toBeUndefined();

      await s.start('download', ENV);
      const [record] = await s.waitTerminal([id], 30_000);
      await recordFigures(
        'handoff_lost_notify',
        { kills: 1, completed: record?.status === 'completed' ? 1 : 0, callbacks: receiver.types.length },
        { seed: '-', seconds: (Date.now() - startedAt) / 1000 },
      );
      expect(record?.status).toBe('completed');
      expect(receiver.types).toEqual(['generation.completed']);
    } finally {
      await receiver.close();
    }
  });
  it('adds the failure callback job again when a poll worker died between failing a generation and handing on', async () => {
    const startedAt = Date.now();
    const receiver = await startReceiver();
    const types = receiver.types;
    try {
      stack = await startChaosStack({
        name: 'chaos-handoff-failed',
        timeScale: 40,
        // Every video ends failed for content policy: poll fails the generation (final, no resubmit).
        simFlags: {
          ttlSeconds: 40 * 3600,
          seed: 'handoff-failed',
          failureRate: 1,
          failureCode: 'moderation_blocked',
        },
      });
      const s = stack;
      const upstream = new URL(s.redis.url);
      proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 6379));
      const notifying = notifyingEnv('chaos-handoff-failed-secret-32by');
      // submit (and, having the callback secret, notify) directly; poll through the proxy.
      await s.start('submit', notifying);
      const poller = await s.start('poll', { ...notifying, REDIS_URL: proxy.url });
      const { id } = await enqueueGeneration(
        s.producer,
        { prompt: 'hand-off lost before the failure callback', seconds: '4' },
        { callbackUrl: receiver.url },
      );
      await proxy.trap((text) => text.includes(`${s.prefix}:notify:`) && text.includes(id));
      await poller.kill();
      proxy.cut();
      expect((await s.store.get(id))?.status).toBe('failed');
      expect(await s.queues.notify.getJob(id)).toBeUndefined();

      // A new poll worker: the killed one's poll job stalls back to it, finds the generation failed and
      // adds the callback job it never got.
      await s.start('poll', notifying);
      await waitFor(() => types.length > 0, { timeoutMs: 30_000, message: 'the failure callback' });
      const record = await s.store.get(id);
      await recordFigures(
        'handoff_lost_failed_notify',
        { kills: 1, failed: record?.status === 'failed' ? 1 : 0, callbacks: types.length },
        { seed: '-', seconds: (Date.now() - startedAt) / 1000 },
      );
      expect(record?.status).toBe('failed');
      expect(record?.error?.code).toBe('content_policy');
      expect(types).toEqual(['generation.failed']);
    } finally {
      await receiver.close();
    }
  });
});
