import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type SimulatorFixture, startSimulator, waitFor } from '@reelay/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOpenAIProvider } from '../src/index.ts';

let sim: SimulatorFixture;
beforeAll(async () => {
  sim = await startSimulator({
    flags: {
      timeScale: 100_000,
      ttlSeconds: 100_000 * 3600, // an hour of wall time at this scale
      dropDownloadRate: 1,
      dropAfterBytes: 10_000,
      videoBytes: 200_000,
    },
  });
});
afterAll(() => sim.stop());

it('a download dropped before the caller starts reading surfaces as a transient error, not a crash', async () => {
  const provider = createOpenAIProvider({ apiKey: sim.apiKey, baseURL: sim.baseURL });
  const video = await provider.create(
    { prompt: 'drop', seconds: '4', size: '720x1280' },
    { idempotencyKey: 'd1' },
  );
  await waitFor(async () => (await provider.retrieve(video.id)).status === 'completed', {
    timeoutMs: 10_000,
  });
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);
  process.on('uncaughtException', onUncaught);
  try {
    const content = await provider.downloadContent(video.id, 'video');
    // The socket closes while nobody reads yet (a slow destination being opened).
    await waitFor(async () => (await sim.stats<{ downloadsDropped: number }>()).downloadsDropped >= 1, {
      timeoutMs: 5_000,
    });
    const sink = new Writable({ write: (_c, _e, done) => done() });
    const error = await pipeline(content.body, sink).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ kind: 'transient', retryable: true });
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});
