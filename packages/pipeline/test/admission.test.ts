import { GenerationStore, type SIZES, newGenerationId } from '@reelay/core';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisAdmission } from '../src/index.ts';

let redis: RedisFixture;
let connection: Redis;

beforeAll(async () => {
  redis = await startRedis();
  connection = new Redis(redis.url);
});
afterAll(async () => {
  connection.disconnect();
  await redis.stop();
});

async function setup(options: ConstructorParameters<typeof RedisAdmission>[2]) {
  const store = new GenerationStore(connection, redis.prefix('admission'));
  const admission = new RedisAdmission(connection, store, options);
  const make = async (tenant = 'acme', model = 'sora-2', size: (typeof SIZES)[number] = '720x1280') => {
    const id = newGenerationId();
    await store.create({
      id,
      tenant,
      provider: 'sim',
      request: { prompt: `p ${id}`, model, seconds: '4', size, thumbnail: false },
    });
    return (await store.get(id))!;
  };
  return { store, admission, make };
}

describe('RedisAdmission budgets', () => {
  it('waits at the day boundary and admits again when the day rolls over', async () => {
    let now = Date.UTC(2026, 2, 10, 23, 0);
    const { admission, make } = await setup({
      budgets: { tenantDailyUsd: 0.8 },
      budgetRecheckMs: 86_400_000,
      clock: () => now,
    });
    expect(await admission.admit(await make())).toMatchObject({ admitted: true }); // $0.40
    expect(await admission.admit(await make())).toMatchObject({ admitted: true }); // $0.80
    const third = await make();
    const wait = await admission.admit(third);
    expect(wait).toEqual({ admitted: false, reason: 'budget', retryInMs: 3_600_000 }); // until midnight UTC
    // Another tenant has its own budget.
    expect(await admission.admit(await make('globex'))).toMatchObject({ admitted: true });
    now = Date.UTC(2026, 2, 11, 0, 0, 1);
    expect(await admission.admit(third)).toMatchObject({ admitted: true });
    const snapshot = await admission.snapshot();
    expect(snapshot.day).toBe('2026-03-11');
    expect(snapshot.tenants['acme']?.day).toEqual({ spentUsd: 0, reservedUsd: 0.4, limitUsd: 0.8 });
    expect(snapshot.tenants['acme']?.month.reservedUsd).toBeCloseTo(1.2);
  });

  it('reserves in the period the admission ends in when the day rolls over during it', async () => {
    // A clock that crosses midnight between the reservation and the end of admission.
    const ticks = [Date.UTC(2026, 2, 10, 23, 59, 59, 999), Date.UTC(2026, 2, 11, 0, 0, 0, 5)];
    let now = ticks[0]!;
    const { admission, make } = await setup({
      budgets: { tenantDailyUsd: 0.4 },
      budgetRecheckMs: 86_400_000,
      clock: () => {
        const t = now;
        now = ticks[1]!;
        return t;
      },
    });
    const first = await make();
    const decision = await admission.admit(first);
    expect(decision).toEqual({ admitted: true, at: ticks[1] });
    const snapshot = await admission.snapshot();
    expect(snapshot.day).toBe('2026-03-11');
    expect(snapshot.tenants['acme']?.day.reservedUsd).toBeCloseTo(0.4); // moved to the new day
    // The new day's budget holds that one create only.
    expect(await admission.admit(await make())).toMatchObject({ admitted: false, reason: 'budget' });
  });

  it('gives back the lease when the new day has no room after a rollover during admission (fail mode)', async () => {
    const before = Date.UTC(2026, 2, 10, 23, 59, 59, 999);
    const after = Date.UTC(2026, 2, 11, 0, 0, 0, 5);
    const now = after;
    const options = {
      budgets: { tenantDailyUsd: 0.4 },
      budgetMode: 'fail' as const,
      maxInFlight: 1,
      clock: () => now,
    };
    const { admission, make, store } = await setup(options);
    expect(await admission.admit(await make())).toMatchObject({ admitted: true }); // fills the new day
    const ticks = [before, after];
    const crossing = new RedisAdmission(connection, store, {
      ...options,
      maxInFlight: 2,
      clock: () => ticks.shift() ?? after,
    });
    await expect(crossing.admit(await make())).rejects.toMatchObject({ code: 'budget_exceeded' });
    expect((await crossing.snapshot()).inFlight).toBe(1); // only the first generation's lease
  });

  it('fails with budget_exceeded in fail mode, and for an estimate no budget could ever fit', async () => {
    const { admission, make } = await setup({ budgets: { globalDailyUsd: 1 }, budgetMode: 'fail' });
    await admission.admit(await make()); // $0.40
    await admission.admit(await make()); // $0.80
    await expect(admission.admit(await make())).rejects.toMatchObject({ code: 'budget_exceeded' });
    const pro = await make('acme', 'sora-2-pro', '1792x1024'); // 4 s × $0.50 = $2
    const waiting = await setup({ budgets: { globalDailyUsd: 1 } });
    await expect(waiting.admission.admit(pro)).rejects.toMatchObject({ code: 'budget_exceeded' });
  });

  it('puts the estimate on the record at admission and the actual cost at settlement', async () => {
    const { admission, make, store } = await setup({});
    const record = await make('acme', 'sora-2-pro', '1920x1080');
    await admission.admit(record);
    expect((await store.get(record.id))?.cost).toEqual({ estimatedUsd: 2.8 });
    await admission.settle((await store.get(record.id))!, { status: 'completed', videoId: 'v' });
    await admission.settle((await store.get(record.id))!, { status: 'completed', videoId: 'v' });
    expect((await store.get(record.id))?.cost).toEqual({ estimatedUsd: 2.8, actualUsd: 2.8 });
    const snapshot = await admission.snapshot();
    expect(snapshot.global.day).toEqual({ spentUsd: 2.8, reservedUsd: 0, limitUsd: 0 });
  });
});

describe('RedisAdmission in-flight cap and learning', () => {
  it('refuses past the cap without holding a budget, and admits once a slot is settled', async () => {
    const { admission, make } = await setup({ maxInFlight: 1, inFlightRecheckMs: 50 });
    const first = await make();
    expect(await admission.admit(first)).toMatchObject({ admitted: true });
    const second = await make();
    expect(await admission.admit(second)).toMatchObject({ admitted: false, reason: 'in_flight' });
    expect((await admission.snapshot()).global.day.reservedUsd).toBeCloseTo(0.4);
    await admission.settle(first, { status: 'failed', videoId: 'v', billedSeconds: 0 });
    expect(await admission.admit(second)).toMatchObject({ admitted: true });
  });

  it('blocks creates for every replica when the provider answers 429 with retry-after', async () => {
    const { admission, make, store } = await setup({ createLimit: 100, windowMs: 60_000 });
    admission.observe({
      endpoint: 'create',
      status: 429,
      headers: new Headers({ 'retry-after-ms': '1500' }),
      durationMs: 3,
    });
    const other = new RedisAdmission(connection, store, { createLimit: 100, windowMs: 60_000 });
    let decision = await other.admit(await make());
    for (let i = 0; i < 50 && decision.admitted; i++) decision = await other.admit(await make());
    expect(decision).toMatchObject({ admitted: false, reason: 'rate' });
    if (!decision.admitted) expect(decision.retryInMs).toBeGreaterThan(1000);
  });

  it('keeps a create slot taken until the create is reported, and gives back one never sent', async () => {
    const { admission, make } = await setup({ createLimit: 1, windowMs: 60_000, reserveHorizonMs: 0 });
    const first = await make();
    expect(await admission.admit(first)).toMatchObject({ admitted: true });
    const second = await make();
    expect(await admission.admit(second)).toMatchObject({ admitted: false, reason: 'rate' });
    await admission.afterCreate(first, 'not_sent');
    expect(await admission.admit(second)).toMatchObject({ admitted: true });
    await admission.afterCreate(second, 'answered');
    const third = await admission.admit(await make());
    expect(third).toMatchObject({ admitted: false, reason: 'rate' });
    if (!third.admitted) expect(third.retryInMs).toBeGreaterThan(50_000); // a window after the answer
  });
});
