import { readFile } from 'node:fs/promises';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('pipeline end to end, each stage in its own worker process', () => {
  it('turns N requests into N stored videos whose bytes are what the provider served', async () => {
    h = await createHarness();
    await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    const ids = await h.enqueue(12, { thumbnail: true });
    const records = await h.waitAll(ids);

    for (const record of records) {
      expect(record.status).toBe('completed');
      expect(record.storage?.bytes).toBe(48 * 1024);
      expect(record.storage?.sha256).toBe(await h.simSha256(record.providerVideoId!));
      expect(await h.fileSha256(record)).toBe(record.storage?.sha256);
      expect(record.storage?.thumbnail?.bytes).toBeGreaterThan(0);
      const manifest = JSON.parse(await readFile(new URL(record.storage!.manifest!.uri), 'utf8'));
      expect(manifest).toMatchObject({
        generationId: record.id,
        providerVideoId: record.providerVideoId,
        video: { sha256: record.storage?.sha256, bytes: record.storage?.bytes },
        request: { prompt: record.request.prompt },
      });
    }
    const stats = await h.sim.stats<{ videosCreated: number; retrieveRequests: number }>();
    expect(stats.videosCreated).toBe(12);
    // Adaptive polling: a handful of looks per video, not one every few seconds of its life.
    expect(stats.retrieveRequests / 12).toBeLessThanOrEqual(4);
  });

  it('loses nothing when workers get SIGTERM mid-run and others take over', async () => {
    h = await createHarness({ timeScale: 100 });
    const first = await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    const ids = await h.enqueue(15);
    // Stop every first-generation worker once some work is in flight, then start replacements.
    await new Promise<void>((resolve) => {
      const check = setInterval(async () => {
        if ((await h!.store.countByStatus('generating')) >= 3) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    const codes = await Promise.all(first.map((w) => w.stop()));
    expect(codes).toEqual([0, 0, 0]);
    await Promise.all([h.start('submit'), h.start('poll'), h.start('download')]);
    // Judged from the record store itself: every generation reaches a terminal status.
    await waitFor(async () => (await h!.store.countByStatus('completed')) === ids.length, {
      timeoutMs: 50_000,
      message: 'not every generation completed after the restart',
    });
    const records = await Promise.all(ids.map(async (id) => (await h!.store.get(id))!));
    expect(records.map((r) => r.status)).toEqual(ids.map(() => 'completed'));
    expect((await h.sim.stats<{ videosCreated: number }>()).videosCreated).toBe(15);
  });
});
