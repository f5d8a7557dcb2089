import {
  type GenerationRecord,
  GenerationStore,
  createRedisConnection,
  enqueueGeneration,
} from '@reelay/core';
import { createStageQueues, closeStageQueues } from '@reelay/core';
import { afterEach, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE, seededRng, sized } from '../src/scale.ts';
import { type ChaosStack, checkStored, startChaosStack } from '../src/stack.ts';

// Scenario 2, Redis dies: a private redis-server with the documented production settings (AOF,
// appendfsync everysec, noeviction) is SIGKILLed mid-run and restarted from its AOF, while a producer
// keeps enqueueing (retrying refused enqueues with the same idempotency key, as producers should) and
// the workers keep working. Every generation acknowledged to the producer must complete, paid once.
// What is and is not guaranteed for a crash of the whole machine is in GUARANTEES.md.

/** The production settings of README "Production settings" and infra/docker-compose.yml. */
const PRODUCTION_REDIS = {
  appendonly: 'yes',
  appendfsync: 'everysec',
  'maxmemory-policy': 'noeviction',
};

const N = sized(50, 300);
const ARRIVAL_MS = sized(12_000, 90_000);
const KILLS = sized(1, 3);
/** How long Redis stays dead each time, ms. */
const DOWN_MS = sized(2000, 4000);
const TIME_SCALE = 40;

let stack: ChaosStack | undefined;
afterEach(async () => {
  await stack?.close();
  stack = undefined;
});

describe(`chaos: Redis dies (${SCALE})`, () => {
  it(`completes every acknowledged generation when Redis is SIGKILLed ${KILLS}× and restarted from its AOF`, async () => {
    const rng = seededRng('redis_dies');
    const startedAt = Date.now();
    stack = await startChaosStack({
      name: 'chaos-redis-dies',
      redis: { private: true, settings: PRODUCTION_REDIS },
      timeScale: TIME_SCALE,
      simFlags: { idempotency: false, ttlSeconds: TIME_SCALE * 3600, seed: `dies-${rng.seed}` },
      workerEnv: {
        REELAY_LOCK_DURATION_MS: '5000',
        REELAY_STALLED_INTERVAL_MS: '5000',
        REELAY_SWEEP_INTERVAL_MS: '3000',
      },
    });
    const s = stack;
    expect(s.redis.backend).not.toBe('env');
    await Promise.all([s.start('submit'), s.start('poll'), s.start('download')]);

    // The producer: its own connection that gives up on a command after a few retries (role
    // `producer`, as the api uses), so an enqueue while Redis is dead fails instead of hanging.
    const producerRedis = createRedisConnection(s.redis.url, { role: 'producer', name: 'chaos-producer' });
    producerRedis.on('error', () => {});
    const producerQueues = createStageQueues(producerRedis, s.prefix, { retryBaseMs: 50 });
    for (const queue of Object.values(producerQueues)) queue.on('error', () => {});
    const producer = {
      store: new GenerationStore(producerRedis, s.prefix),
      queues: producerQueues,
      options: s.producer.options,
    };
    const acknowledged = new Set<string>();
    const ackTimes: number[] = [];
    const killTimes: number[] = [];
    let refused = 0;
    const produce = async (): Promise<void> => {
      const began = Date.now();
      for (let i = 0; i < N; i++) {
        const due = began + (ARRIVAL_MS * i) / N;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        for (;;) {
          try {
            const { id } = await enqueueGeneration(
              producer,
              { prompt: `redis dies clip ${i}`, seconds: '4' },
              { idempotencyKey: `redis-dies-${i}` },
            );
            acknowledged.add(id);
            ackTimes.push(Date.now());
            break;
          } catch {
            refused++; // not acknowledged: the producer tries again with the same key
            await new Promise((resolve) => setTimeout(resolve, 200));
          }
        }
      }
    };
    const faults = async (): Promise<number> => {
      let kills = 0;
      for (let k = 0; k < KILLS; k++) {
        // Kill points spread over the arrival window (seeded), so work is at every stage each time.
        const at = ((k + 0.3 + rng.next() * 0.4) * ARRIVAL_MS) / KILLS;
        const wait = startedAt + at - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        killTimes.push(Date.now());
        await s.redis.kill();
        kills++;
        await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
        await s.redis.restart();
      }
      return kills;
    };
    let records: GenerationRecord[];
    let kills: number;
    try {
      [, kills] = await Promise.all([produce(), faults()]);
      records = await s.waitTerminal([...acknowledged], sized(90_000, 600_000));
    } finally {
      await closeStageQueues(producerQueues);
      producerRedis.disconnect();
    }
    const stats = await s.sim.stats<{ videosCreated: number }>();
    const stored = await checkStored(s, records);
    await recordFigures(
      'redis_dies',
      {
        kills,
        down_ms: DOWN_MS,
        generations: N,
        acknowledged: acknowledged.size,
        refused_enqueues: refused,
        // Acknowledged in the last second before a kill: inside everysec's not-yet-fsynced window.
        acknowledged_in_last_second: ackTimes.filter((t) => killTimes.some((k) => t <= k && t > k - 1000))
          .length,
        completed: stored.completed,
        lost: acknowledged.size - stored.completed,
        videos_created: stats.videosCreated,
        duplicates: stats.videosCreated - stored.distinctVideos,
      },
      { seed: rng.seed, seconds: (Date.now() - startedAt) / 1000 },
    );

    expect(acknowledged.size).toBe(N);
    expect(records.filter((r) => r.status !== 'completed').map((r) => [r.id, r.status, r.error])).toEqual([]);
    expect(stats.videosCreated).toBe(N);
    expect(stored.matching).toBe(N);
    expect(stored.strays).toEqual([]);
    // No process was killed here: a failed put must have cleaned its temp file up.
    expect(stored.crashLeftovers).toEqual([]);
  });
});
