import { type RedisFixture, startRedis, waitFor } from '@reelay/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_PRICES,
  GenerationStore,
  InFlightLeases,
  RateLog,
  SpendLedger,
  budgetPeriods,
  newGenerationId,
  pricePerSecond,
} from '../src/index.ts';

let redis: RedisFixture;
const connections: Redis[] = [];
const connect = () => {
  const c = new Redis(redis.url);
  connections.push(c);
  return c;
};

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const c of connections) c.disconnect();
  await redis.stop();
});

describe('RateLog (sliding log in Redis)', () => {
  it('never lets more than the limit through in any window, across connections', async () => {
    const prefix = redis.prefix('rate');
    const logs = [
      new RateLog(connect(), prefix),
      new RateLog(connect(), prefix),
      new RateLog(connect(), prefix),
    ];
    const sent: number[] = [];
    const until = Date.now() + 900;
    await Promise.all(
      logs.map(async (log) => {
        while (Date.now() < until) {
          const d = await log.acquire('create', 5, 200, 50);
          if (d.admitted) {
            sent.push(d.at);
            await new Promise((r) => setTimeout(r, d.waitMs));
          } else await new Promise((r) => setTimeout(r, d.retryInMs));
        }
      }),
    );
    sent.sort((a, b) => a - b);
    // Slot times on the Redis clock: any 6 consecutive slots span at least one window.
    for (let i = 5; i < sent.length; i++) expect(sent[i]! - sent[i - 5]!).toBeGreaterThanOrEqual(200);
    // More than one window's worth went through, so the check above was not vacuous.
    expect(sent.length).toBeGreaterThan(10);
  });

  it('reserves a slot ahead within the horizon and refuses beyond it with the exact wait', async () => {
    const log = new RateLog(connect(), redis.prefix('rate'));
    for (let i = 0; i < 2; i++) expect(await log.acquire('read', 2, 1000, 0)).toMatchObject({ waitMs: 0 });
    const refused = await log.acquire('read', 2, 1000, 0);
    expect(refused).toMatchObject({ admitted: false, blocked: false });
    if (!refused.admitted) expect(refused.retryInMs).toBeGreaterThan(900);
    const ahead = await log.acquire('read', 2, 1000, 2000);
    expect(ahead.admitted).toBe(true);
    if (ahead.admitted) expect(ahead.waitMs).toBeGreaterThan(900);
  });

  it('takes many slots in one call: admits up to the limit in order, shares the log with acquire', async () => {
    const log = new RateLog(connect(), redis.prefix('rate'));
    expect(await log.acquire('read', 5, 1000, 0)).toMatchObject({ admitted: true });
    const batch = await log.takeNow('read', 5, 1000, 7);
    expect(batch.admitted).toBe(4);
    expect(batch.retryInMs).toBeGreaterThan(900);
    expect(batch.retryInMs).toBeLessThanOrEqual(1000);
    expect(await log.takeNow('read', 5, 1000, 3)).toMatchObject({ admitted: 0 });
    expect(await log.acquire('read', 5, 1000, 0)).toMatchObject({ admitted: false });
    expect(await log.used('read')).toBe(5);
  });

  it('takes thousands of slots in one call and gives back thousands (more than one Lua unpack holds)', async () => {
    const log = new RateLog(connect(), redis.prefix('rate'));
    const big = await log.takeNow('read', 1_000_000, 60_000, 9000);
    expect(big).toMatchObject({ admitted: 9000, blocked: false });
    expect(await log.used('read')).toBe(9000);
    await log.releaseMany('read', [{ prefix: big.prefix, from: 1, to: 8500 }]);
    expect(await log.used('read')).toBe(500);
  });

  it('dates a create by its answer: one sent late still never shares a window with a later one', async () => {
    const log = new RateLog(connect(), redis.prefix('rate'));
    const a = await log.acquireToSend('create', 1, 300, 0, 60_000);
    expect(a).toMatchObject({ admitted: true, waitMs: 0 });
    // A is outstanding (its sender stalled): it may arrive at any moment, so nothing else may go.
    expect(await log.acquireToSend('create', 1, 300, 0, 60_000)).toMatchObject({ admitted: false });
    await new Promise((r) => setTimeout(r, 400)); // A goes out a whole window after its slot
    if (a.admitted) await log.sent('create', a.slot, 300, 60_000);
    // Dated at the slot, B could go now and reach the provider right after A; dated by A's answer it waits.
    const b = await log.acquireToSend('create', 1, 300, 0, 60_000);
    expect(b).toMatchObject({ admitted: false, blocked: false });
    if (!b.admitted) expect(b.retryInMs).toBeGreaterThan(250);
    expect(await log.acquireToSend('create', 1, 300, 1000, 60_000)).toMatchObject({ admitted: true });
  });

  it('keeps every window at the provider within the limit when sends are late by random amounts', async () => {
    const prefix = redis.prefix('rate');
    const W = 200;
    const limit = 3;
    const arrivals: number[] = [];
    const until = Date.now() + 1200;
    await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const log = new RateLog(connect(), prefix);
        while (Date.now() < until) {
          const d = await log.acquireToSend('create', limit, W, 50, 60_000);
          if (!d.admitted) {
            await new Promise((r) => setTimeout(r, d.retryInMs));
            continue;
          }
          // Sent at or after its slot, late by up to half a window; "arrives" somewhere before the answer.
          await new Promise((r) => setTimeout(r, d.waitMs + 1 + Math.random() * W * 0.5));
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          arrivals.push(Date.now());
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          await log.sent('create', d.slot, W, 60_000);
        }
      }),
    );
    arrivals.sort((a, b) => a - b);
    for (let i = limit; i < arrivals.length; i++) {
      expect(arrivals[i]! - arrivals[i - limit]!).toBeGreaterThanOrEqual(W);
    }
    expect(arrivals.length).toBeGreaterThan(2 * limit);
  });

  it('counts the slot of a holder that died without reporting until its send bound', async () => {
    const log = new RateLog(connect(), redis.prefix('rate'));
    const started = Date.now();
    expect(await log.acquireToSend('create', 1, 100, 0, 200)).toMatchObject({ admitted: true });
    await waitFor(async () => (await log.acquireToSend('create', 1, 100, 0, 200)).admitted, {
      message: 'the dead holder’s slot to count as sent at its bound, then leave the window',
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250); // slot + bound 200 + window 100
  });

  it('honours a block learnt from the provider for every replica', async () => {
    const prefix = redis.prefix('rate');
    await new RateLog(connect(), prefix).block('create', 800);
    const d = await new RateLog(connect(), prefix).acquire('create', 100, 1000, 0);
    expect(d).toMatchObject({ admitted: false, blocked: true });
    if (!d.admitted) expect(d.retryInMs).toBeGreaterThan(600);
  });
});

describe('InFlightLeases', () => {
  async function records(prefix: string, n: number) {
    const store = new GenerationStore(connect(), prefix);
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = newGenerationId();
      await store.create({ id, tenant: 't', provider: 'sim', request: request(i) });
      ids.push(id);
    }
    return { store, ids };
  }

  it('holds the cap, counts a re-take once, and reclaims the lease of a finished generation', async () => {
    const prefix = redis.prefix('lease');
    const { store, ids } = await records(prefix, 3);
    const leases = new InFlightLeases(connect(), prefix);
    expect(await leases.take(ids[0]!, 2, 60_000, 60_000)).toEqual({ taken: true, created: true });
    expect(await leases.take(ids[0]!, 2, 60_000, 60_000)).toEqual({ taken: true, created: false });
    await leases.take(ids[1]!, 2, 60_000, 60_000);
    expect((await leases.take(ids[2]!, 2, 60_000, 60_000)).taken).toBe(false);
    await store.update(ids[0]!, { providerVideoId: 'video_1' }, { status: 'generating' });
    expect((await leases.take(ids[2]!, 2, 60_000, 60_000)).taken).toBe(false);
    await store.update(ids[0]!, {}, { status: 'downloading' });
    expect(await leases.take(ids[2]!, 2, 60_000, 60_000)).toEqual({ taken: true, created: true });
    expect((await leases.holders()).sort()).toEqual([ids[1], ids[2]].sort());
  });

  it('reclaims an expired lease whose holder never sent the create, keeps one that may have', async () => {
    const prefix = redis.prefix('lease');
    const { store, ids } = await records(prefix, 3);
    const leases = new InFlightLeases(connect(), prefix);
    await leases.take(ids[0]!, 2, 150, 60_000); // holder dies before marking the record
    await leases.take(ids[1]!, 2, 150, 60_000);
    await store.update(ids[1]!, { timings: { submitIntentAt: Date.now() } }, { status: 'submitting' });
    await waitFor(async () => (await leases.take(ids[2]!, 2, 60_000, 60_000)).taken, {
      message: 'the dead holder’s lease to be reclaimed',
    });
    expect((await leases.holders()).sort()).toEqual([ids[1], ids[2]].sort());
  });
});

describe('SpendLedger', () => {
  it('reserves within budgets, refuses at the boundary, settles and releases once', async () => {
    const ledger = new SpendLedger(connect(), redis.prefix('spend'));
    const scopes = [{ scope: 'global', period: 'd1', limitUsd: 1 }];
    expect(await ledger.reserve('g1', 0, 't', 0.4, scopes)).toEqual({
      reserved: true,
      created: true,
      moved: false,
    });
    expect(await ledger.reserve('g1', 0, 't', 0.4, scopes)).toEqual({
      reserved: true,
      created: false,
      moved: false,
    });
    expect(await ledger.reserve('g2', 0, 't', 0.4, scopes)).toMatchObject({ reserved: true });
    expect(await ledger.reserve('g3', 0, 't', 0.4, scopes)).toMatchObject({ reserved: false });
    expect(await ledger.settle('g1', 0, 0.4)).toBe(true);
    expect(await ledger.settle('g1', 0, 0.4)).toBe(false);
    expect(await ledger.release('g2', 0)).toBe(true);
    expect(await ledger.figures(scopes)).toEqual([
      { scope: 'global', period: 'd1', spentUsd: 0.4, reservedUsd: 0 },
    ]);
    expect(await ledger.reserve('g3', 0, 't', 0.4, scopes)).toMatchObject({ reserved: true });
    expect(await ledger.tenants()).toEqual(['t']);
  });
});

describe('SpendLedger across a rollover', () => {
  it('moves a round still reserved in an old period to the new one, within the new limits', async () => {
    const ledger = new SpendLedger(connect(), redis.prefix('spend'));
    const day = (d: string, limitUsd = 0.8) => [
      { scope: 'global', period: d, limitUsd },
      { scope: 'global', period: 'm1', limitUsd: 0 },
    ];
    expect(await ledger.reserve('g1', 0, 't', 0.4, day('d1'))).toMatchObject({ created: true });
    await ledger.reserve('x1', 0, 't', 0.4, day('d2'));
    await ledger.reserve('x2', 0, 't', 0.4, day('d2'));
    // d2 is full: g1 is refused there and stays reserved in d1.
    expect(await ledger.reserve('g1', 0, 't', 0.4, day('d2'))).toMatchObject({ reserved: false });
    expect(await ledger.reserve('g1', 0, 't', 0.4, day('d3'))).toEqual({
      reserved: true,
      created: false,
      moved: true,
    });
    const figures = await ledger.figures([...day('d1'), ...day('d3')].slice(0, 3));
    expect(figures.map((f) => f.reservedUsd)).toEqual([0, 1.2, 0.4]); // d1, m1 (g1 once), d3
    expect(await ledger.settle('g1', 0, 0.4)).toBe(true);
    expect((await ledger.figures(day('d3')))[0]).toMatchObject({ spentUsd: 0.4, reservedUsd: 0 });
  });
});

describe('prices and periods', () => {
  it('prices by model and size, snapshots by their base model, unknown models at the fallback', () => {
    expect(pricePerSecond(DEFAULT_PRICES, 'sora-2', '1280x720', 9)).toBe(0.1);
    expect(pricePerSecond(DEFAULT_PRICES, 'sora-2-pro-2025-10-06', '1792x1024', 9)).toBe(0.5);
    expect(pricePerSecond(DEFAULT_PRICES, 'sora-2-pro', '1920x1080', 9)).toBe(0.7);
    expect(pricePerSecond(DEFAULT_PRICES, 'veo-3', '1280x720', 9)).toBe(9);
  });

  it('names UTC days and months, and short test days roll over', () => {
    const p = budgetPeriods(Date.UTC(2026, 0, 31, 23, 59));
    expect(p.day).toEqual({ id: '2026-01-31', endsAt: Date.UTC(2026, 1, 1) });
    expect(p.month).toEqual({ id: '2026-01', endsAt: Date.UTC(2026, 1, 1) });
    expect(budgetPeriods(1999, 1000).day).toEqual({ id: 'd1', endsAt: 2000 });
  });
});

function request(i: number) {
  return {
    prompt: `clip ${i}`,
    model: 'sora-2',
    seconds: '4' as const,
    size: '720x1280' as const,
    thumbnail: false,
  };
}
