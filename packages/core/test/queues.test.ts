import { type RedisFixture, startRedis } from '@reelay/testing';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STAGES, closeStageQueues, createStageQueues, newGenerationId } from '../src/index.ts';

let fixture: RedisFixture;
let redis: Redis;
beforeAll(async () => {
  fixture = await startRedis();
  redis = new Redis(fixture.url, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis.disconnect();
  await fixture.stop();
});

describe('stage queues', () => {
  it('give every job of every stage bounded retention and retries with backoff, as stored in Redis', async () => {
    const prefix = fixture.prefix('queues');
    const queues = createStageQueues(redis, prefix);
    try {
      for (const stage of STAGES) {
        const id = newGenerationId();
        await queues[stage].add(stage, { generationId: id }, { jobId: id });
        // Read back through a fresh connection: what another process's worker will apply.
        const other = new Redis(fixture.url, { maxRetriesPerRequest: null });
        const reader = createStageQueues(other, prefix);
        const job = await reader[stage].getJob(id);
        await closeStageQueues(reader);
        other.disconnect();
        expect(job?.opts, stage).toMatchObject({
          removeOnComplete: { age: 24 * 3600, count: 10_000 },
          removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
          backoff: { type: 'exponential', jitter: 0.5 },
        });
        expect(job?.opts.attempts, stage).toBeGreaterThanOrEqual(8);
      }
    } finally {
      await closeStageQueues(queues);
    }
  });

  it('remove a completed job once it is older than its age bound', async () => {
    // The age bound is enforced when a later job of the queue finishes (BullMQ trims then): a job
    // finished with a timestamp past 24 h is gone after the next completion.
    const prefix = fixture.prefix('retention');
    const queues = createStageQueues(redis, prefix);
    const worker = new Worker('download', async () => 'ok', {
      connection: redis.duplicate(),
      prefix,
      autorun: false,
    });
    try {
      const old = newGenerationId();
      const fresh = newGenerationId();
      await queues.download.add('download', { generationId: old }, { jobId: old });
      const token = 'test';
      const first = await worker.getNextJob(token);
      await first?.moveToCompleted('ok', token, false);
      // Age the finished job as if a day and a minute had passed.
      const completedKey = `${prefix}:download:completed`;
      await redis.zadd(completedKey, Date.now() - (24 * 3600 + 60) * 1000, old);
      await queues.download.add('download', { generationId: fresh }, { jobId: fresh });
      const second = await worker.getNextJob(token);
      await second?.moveToCompleted('ok', token, false);
      expect(await queues.download.getJob(old)).toBeUndefined();
      expect((await queues.download.getJob(fresh))?.returnvalue).toBe('ok');
    } finally {
      await worker.close();
      await closeStageQueues(queues);
    }
  });
});
