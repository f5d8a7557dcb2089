import type { GenerationRecord } from '@reelay/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE, seededRng, sized } from '../src/scale.ts';
import { type ChaosStack, checkStored, startChaosStack } from '../src/stack.ts';
import { type TcpProxy, startTcpProxy } from '../src/tcp-proxy.ts';
import { every } from '../src/worker-pool.ts';

// Scenario 6, Redis connection cut: every worker reaches Redis through a TCP proxy that drops all
// connections at once (RST, commands in flight lost) every few seconds. The workers must reconnect
// and carry on; nothing may be lost or paid twice. The producer and the checks use Redis directly.

const N = sized(50, 300);
const ARRIVAL_MS = sized(12_000, 90_000);
const TIME_SCALE = 40;

let stack: ChaosStack | undefined;
let proxy: TcpProxy | undefined;
afterEach(async () => {
  await stack?.close();
  await proxy?.close();
  stack = undefined;
  proxy = undefined;
});

describe(`chaos: Redis connection cut (${SCALE})`, () => {
  it('loses nothing and pays once while every worker connection to Redis is cut every 1–3 s', async () => {
    const rng = seededRng('redis_cut');
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-redis-cut',
      timeScale: TIME_SCALE,
      simFlags: { idempotency: false, ttlSeconds: TIME_SCALE * 3600, seed: `cut-${rng.seed}` },
    });
    const s = stack;
    const upstream = new URL(s.redis.url);
    proxy = await startTcpProxy(upstream.hostname, Number(upstream.port || 6379));
    const p = proxy;
    const env = {
      REDIS_URL: p.url,
      REELAY_LOCK_DURATION_MS: '5000',
      REELAY_STALLED_INTERVAL_MS: '5000',
      REELAY_SWEEP_INTERVAL_MS: '3000',
    };
    await Promise.all([s.start('submit', env), s.start('poll', env), s.start('download', env)]);

    let cuts = 0;
    let connectionsCut = 0;
    const cutter = every(rng, 1000, 3000, () => {
      cuts++;
      connectionsCut += p.cut();
    });
    let records: GenerationRecord[];
    try {
      const ids = await s.enqueue(N, { label: 'redis cut clip', overMs: ARRIVAL_MS });
      records = await s.waitTerminal(ids, sized(90_000, 600_000));
    } finally {
      await cutter.stop();
    }
    const stats = await s.sim.stats<{ videosCreated: number }>();
    const stored = await checkStored(s, records);
    const alive = s.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length;
    await recordFigures(
      'redis_cut',
      {
        cuts,
        connections_cut: connectionsCut,
        generations: N,
        completed: stored.completed,
        lost: N - stored.completed,
        videos_created: stats.videosCreated,
        duplicates: stats.videosCreated - stored.distinctVideos,
        workers_crashed: 3 - alive,
      },
      { seed: rng.seed, seconds: (Date.now() - startedAt) / 1000 },
    );

    expect(records.filter((r) => r.status !== 'completed').map((r) => [r.id, r.status, r.error])).toEqual([]);
    expect(stats.videosCreated).toBe(N);
    expect(stored.matching).toBe(N);
    expect(stored.strays).toEqual([]);
    // No process was killed here: a failed put must have cleaned its temp file up.
    expect(stored.crashLeftovers).toEqual([]);
    expect(cuts).toBeGreaterThan(0);
    // The workers rode it out: none died of a dropped connection.
    expect(alive).toBe(3);
  });
});
