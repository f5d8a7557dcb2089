import { createLogger } from '@reelay/core';
import {
  type FairDispatcher,
  enqueueGeneration,
  resolvePipelineOptions,
  startFairDispatcher,
} from '@reelay/pipeline';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, createHarness } from './harness.ts';

// A heavy tenant's backlog and a light tenant's handful, against a provider that takes 10 creates a
// second, with submit, poll and download each in their own worker process. The fair dispatcher runs
// here, in the producer's process (it also runs in every submit worker once the worker starts one:
// dispatchers cooperate, so the test holds either way).

const HEAVY = 150;
const LIGHT = 10;
const CREATES_PER_SECOND = 10;

let h: Harness | undefined;
let dispatcher: FairDispatcher | undefined;
afterEach(async () => {
  await dispatcher?.close();
  await h?.close();
  h = undefined;
  dispatcher = undefined;
});

describe('fair sharing between tenants', () => {
  it('serves a light tenant’s 10 generations at its share while a heavy tenant’s 150 queued earlier wait', async () => {
    h = await createHarness({ createRpm: CREATES_PER_SECOND, windowMs: 1000 });
    const harness = h;
    await Promise.all([
      harness.start('submit', { REELAY_SUBMIT_CONCURRENCY: '4', REELAY_FAIR_WINDOW: '4' }),
      harness.start('poll'),
      harness.start('download'),
    ]);
    dispatcher = startFairDispatcher(
      { store: harness.store, queues: harness.queues, logger: createLogger({ name: 'test', level: 'warn' }) },
      harness.connection,
      { readyWindow: 4 },
    );
    await waitFor(async () => (await harness.connection.exists(`${harness.prefix}:fair:alive`)) === 1, {
      message: 'dispatcher presence',
    });

    const ctx = { store: harness.store, queues: harness.queues, options: resolvePipelineOptions() };
    const heavy = await Promise.all(
      Array.from({ length: HEAVY }, async (_, i) => {
        return (await enqueueGeneration(ctx, { prompt: `heavy ${i}` }, { tenant: 'heavy' })).id;
      }),
    );
    const backlogWhenLightArrived = (await Promise.all(heavy.map((id) => harness.store.get(id)))).filter(
      (r) => r?.status === 'queued',
    ).length;
    const lightArrivedAt = Date.now();
    const light: string[] = [];
    for (let i = 0; i < LIGHT; i++) {
      light.push((await enqueueGeneration(ctx, { prompt: `light ${i}` }, { tenant: 'light' })).id);
    }

    const done = await harness.waitAll(light, 55_000);
    expect(done.map((r) => r.status)).toEqual(light.map(() => 'completed'));
    // Count the heavy creates made while the light tenant had creates to make.
    const lastLightCreate = Math.max(...done.map((r) => r.timings.submittedAt ?? 0));
    const heavyRecords = await Promise.all(heavy.map((id) => harness.store.get(id)));
    const heavyCreatesMeanwhile = heavyRecords.filter((r) => {
      const at = r?.timings.submittedAt;
      return at !== undefined && at > lightArrivedAt && at <= lastLightCreate;
    }).length;
    // The backlog was real: FIFO would have made every one of these heavy creates go first.
    expect(backlogWhenLightArrived).toBeGreaterThanOrEqual(50);
    // Sharing fairly: about one heavy create per light one, plus the heavy work already released to the
    // submit stage when the light tenant came (ready window 4 + 4 submit slots) and rate-limit retries.
    expect(heavyCreatesMeanwhile).toBeLessThanOrEqual(2 * LIGHT + 8);
    // Slowed, not starved.
    expect(heavyCreatesMeanwhile).toBeGreaterThan(0);
  }, 90_000);
});
