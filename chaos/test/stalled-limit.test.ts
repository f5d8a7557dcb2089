import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE } from '../src/scale.ts';
import { type ChaosStack, startChaosStack } from '../src/stack.ts';

// Found by the killed-workers scenario's reasoning, reproduced deterministically here: when the worker
// holding a download (or poll) job dies more often than REELAY_MAX_STALLED_COUNT, BullMQ fails the job
// without running our processor. The record stayed `downloading` forever (the sweeper re-adds only
// submit work); the stage workers now re-add such a job. With the limit at 0, one SIGKILL is enough.

const ENV = {
  REELAY_MAX_STALLED_COUNT: '0',
  REELAY_LOCK_DURATION_MS: '1000',
  REELAY_STALLED_INTERVAL_MS: '1000',
};

let stack: ChaosStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe(`chaos: a job whose workers died past the stalled limit (${SCALE})`, () => {
  it('is picked up again: the generation completes instead of waiting in downloading forever', async () => {
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-stalled-limit',
      timeScale: 40,
      simFlags: { ttlSeconds: 40 * 3600, seed: 'stalled-limit' },
    });
    const s = stack;
    await Promise.all([s.start('submit', ENV), s.start('poll', ENV)]);
    const [id] = await s.enqueue(1, { label: 'stalled limit clip' });
    await waitFor(async () => (await s.store.get(id!))?.status === 'downloading', {
      timeoutMs: 30_000,
      message: 'the generation waiting for its download',
    });
    // Every provider call now takes 5 s, so the download is surely running when its worker is killed.
    await s.sim.configure({ slowMs: 5000, slowRate: 1 });
    const holder = await s.start('download', ENV);
    await waitFor(async () => (await s.queues.download.getJobs(['active'])).length === 1, {
      timeoutMs: 10_000,
      message: 'the download job active',
    });
    await holder.kill();
    await s.sim.configure({ slowMs: 0 });
    await s.start('download', ENV);
    const [record] = await s.waitTerminal([id!], 30_000).catch(async (error: Error) => {
      const job = await s.queues.download.getJob(id!);
      throw new Error(`${error.message}; download job: ${await job?.getState()} (${job?.failedReason})`);
    });
    await recordFigures(
      'stalled_limit',
      { kills: 1, max_stalled_count: 0, completed: record?.status === 'completed' ? 1 : 0 },
      { seed: '-', seconds: (Date.now() - startedAt) / 1000 },
    );
    expect(record?.status).toBe('completed');
    expect(record?.storage?.sha256).toBe(await s.simSha256(record!.providerVideoId!));
  });
});
