import { readdir } from 'node:fs/promises';
import { waitFor } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type Harness, TIME_SCALE, createHarness } from './harness.ts';

interface Stats {
  videosCreated: number;
  rateLimited: number;
  serverErrors: number;
  contentRequests: number;
  createRequests: number;
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function allStages(harness: Harness) {
  await Promise.all([harness.start('submit'), harness.start('poll'), harness.start('download')]);
}

async function expectStoredAsServed(harness: Harness, ids: string[]) {
  const records = await harness.waitAll(ids);
  for (const record of records) {
    expect(record.status, JSON.stringify(record.error)).toBe('completed');
    expect(record.storage?.sha256).toBe(await harness.simSha256(record.providerVideoId!));
    expect(await harness.fileSha256(record)).toBe(record.storage?.sha256);
  }
  return records;
}

describe('pipeline under provider faults', () => {
  it('rides out a 429 storm: every generation completes, none is created twice', async () => {
    h = await createHarness({ createRpm: 3, readRpm: 10, windowMs: 500 });
    await allStages(h);
    const ids = await h.enqueue(12);
    await expectStoredAsServed(h, ids);
    const stats = await h.sim.stats<Stats>();
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.videosCreated).toBe(12);
  });

  it('rides out 5xx bursts on every endpoint without paying twice', async () => {
    h = await createHarness({ serverErrorRate: 0.3, seed: 'bursts' });
    await allStages(h);
    const ids = await h.enqueue(12);
    await expectStoredAsServed(h, ids);
    const stats = await h.sim.stats<Stats>();
    expect(stats.serverErrors).toBeGreaterThan(0);
    expect(stats.videosCreated).toBe(12);
  });

  it('resubmits a video the provider failed, a bounded number of times, then fails with provider_failed', async () => {
    h = await createHarness({ failureRate: 1, failureCode: 'internal_error' }, { REELAY_MAX_RESUBMITS: '2' });
    await allStages(h);
    const ids = await h.enqueue(4);
    const records = await h.waitAll(ids);
    for (const record of records) {
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('provider_failed');
      expect(record.attempts.resubmits).toBe(2);
    }
    // One original and two resubmitted videos each: 3 paid attempts, as configured, never more.
    expect((await h.sim.stats<Stats>()).videosCreated).toBe(12);
  });

  it('never resubmits a video the provider failed as an invalid request: fails invalid_request', async () => {
    h = await createHarness({ failureRate: 1, failureCode: 'invalid_input_reference' });
    await allStages(h);
    const records = await h.waitAll(await h.enqueue(2));
    for (const record of records) {
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('invalid_request');
      expect(record.attempts.resubmits).toBe(0);
    }
    expect((await h.sim.stats<Stats>()).videosCreated).toBe(2);
  });

  it('never resubmits a video failed for content policy', async () => {
    h = await createHarness({ failureRate: 1, failureCode: 'moderation_blocked' });
    await allStages(h);
    const records = await h.waitAll(await h.enqueue(3));
    for (const record of records) {
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('content_policy');
      expect(record.attempts.resubmits).toBe(0);
    }
    expect((await h.sim.stats<Stats>()).videosCreated).toBe(3);
  });

  it('ends a job started more than maxStartedAttempts times: its generation fails rate_limited, nothing is created for it', async () => {
    // One in-flight slot, held by a generation the provider runs at real pace (minutes); the second
    // generation's submit job is refused a slot and started again every 200 ms, so the bound of 3
    // starts ends it. Unbounded, it would wait (and be started) until the first one finishes.
    h = await createHarness(
      { timeScale: 1 },
      {
        REELAY_MAX_IN_FLIGHT: '1',
        REELAY_IN_FLIGHT_RECHECK_MS: '200',
        REELAY_MAX_STARTED_ATTEMPTS: '3',
      },
    );
    await h.start('submit');
    const [first] = await h.enqueue(1);
    await waitFor(async () => (await h!.store.get(first!))?.status === 'generating', {
      timeoutMs: 20_000,
      message: 'the first generation did not reach the provider',
    });
    const [second] = await h.enqueue(1);
    const [record] = await h.waitAll([second!]);
    expect(record?.status).toBe('failed');
    expect(record?.error?.code).toBe('rate_limited');
    expect(record?.error?.details).toMatchObject({ stage: 'submit', starts: 4 });
    expect((await h.store.get(first!))?.status).toBe('generating');
    expect((await h.sim.stats<Stats>()).createRequests).toBe(1);
  });

  it('pauses the submit queue when the provider refuses the account (insufficient_quota) until an operator resumes it', async () => {
    h = await createHarness({ quotaExhausted: true });
    await allStages(h);
    const [refused] = await h.enqueue(1);
    const [record] = await h.waitAll([refused!]);
    expect(record?.error?.code).toBe('quota_exceeded');
    expect(await h.queues.submit.isPaused()).toBe(true);
    const [next] = await h.enqueue(1);
    // The account is topped up and an operator resumes the queue (bull-board's queue menu does this).
    await h.sim.configure({ quotaExhausted: false });
    await h.queues.submit.resume();
    await expectStoredAsServed(h, [next!]);
    expect((await h.sim.stats<Stats>()).createRequests).toBe(2);
  });

  it('fails auth_failed and pauses the submit queue when the provider rejects the key', async () => {
    h = await createHarness({ apiKeys: 'sk-some-other-key' });
    await allStages(h);
    const records = await h.waitAll(await h.enqueue(1));
    expect(records[0]?.error?.code).toBe('auth_failed');
    expect(await h.queues.submit.isPaused()).toBe(true);
  });

  it('fails a generation still running at the provider past its deadline with timeout', async () => {
    // The provider runs at real pace (minutes) while the workers think 400× faster: the deadline,
    // 400 s of provider time, is 1 s of wall time, reached after a few polls saw the video running.
    h = await createHarness({ timeScale: 1 }, { REELAY_DEADLINE_MS: '400000' });
    await allStages(h);
    const [record] = await h.waitAll(await h.enqueue(1));
    expect(record?.status).toBe('failed');
    expect(record?.error?.code).toBe('timeout');
    expect(record?.storage).toBeUndefined();
    const stats = await h.sim.stats<Stats & { retrieveRequests: number }>();
    expect(stats.retrieveRequests).toBeGreaterThanOrEqual(2);
    expect(stats.videosCreated).toBe(1);
  });

  it('retries a download dropped mid-stream and stores exactly the served bytes', async () => {
    h = await createHarness({ dropDownloadRate: 0.5, dropAfterBytes: 10_000, seed: 'drops' });
    await allStages(h);
    const ids = await h.enqueue(8);
    await expectStoredAsServed(h, ids);
    const stats = await h.sim.stats<Stats>();
    expect(stats.contentRequests).toBeGreaterThan(8);
    expect(stats.videosCreated).toBe(8);
  });

  it('fails with asset_expired, storing nothing, when the asset expired before the download', async () => {
    // ttl of 0.5 s of real time at this time scale.
    h = await createHarness({ ttlSeconds: TIME_SCALE / 2 });
    await Promise.all([h.start('submit'), h.start('poll')]);
    const ids = await h.enqueue(3);
    await waitFor(async () => (await h!.store.countByStatus('downloading')) === 3, {
      timeoutMs: 20_000,
      message: 'generations did not reach downloading',
    });
    const expiries = await Promise.all(ids.map(async (id) => (await h!.store.get(id))!.providerExpiresAt!));
    await waitFor(() => Date.now() > Math.max(...expiries) * 1000, { timeoutMs: 10_000, message: 'expiry' });
    await h.start('download');
    const records = await h.waitAll(ids);
    for (const record of records) {
      expect(record.status).toBe('failed');
      expect(record.error?.code).toBe('asset_expired');
      expect(record.storage).toBeUndefined();
    }
    const entries = await readdir(h.storageDir, { recursive: true });
    expect(entries.filter((e) => e.endsWith('.mp4'))).toEqual([]);
  });
});
