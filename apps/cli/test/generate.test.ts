import { closeStageQueues, createRedisConnection, createStageQueues } from '@reelay/core';
import { type RedisFixture, freePort, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis();
});
afterAll(async () => {
  await fixture.stop();
});

/** Everything this prefix holds: jobs in any state of any stage queue, and records. */
async function contents(prefix: string): Promise<{ jobs: number; keys: number }> {
  const redis = createRedisConnection(fixture.url, { role: 'producer' });
  const queues = createStageQueues(redis, prefix);
  try {
    let jobs = 0;
    for (const queue of Object.values(queues)) {
      const counts = await queue.getJobCounts();
      jobs += Object.values(counts).reduce((a, b) => a + b, 0);
    }
    const keys = (await redis.keys(`${prefix}:gen:*`)).length;
    return { jobs, keys };
  } finally {
    await closeStageQueues(queues);
    redis.disconnect();
  }
}

describe('reelay generate', () => {
  it('invalid --seconds: exit 2, the message names the flag and the allowed values, nothing enqueued', async () => {
    const prefix = fixture.prefix('cli-bad-seconds');
    const run = await runCli(['generate', 'a cat on a skateboard', '--seconds', '5'], {
      REDIS_URL: fixture.url,
      REELAY_PREFIX: prefix,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--seconds');
    for (const allowed of ['"4"', '"8"', '"12"']) expect(run.stderr).toContain(allowed);
    expect(run.stdout).toBe('');
    expect(await contents(prefix)).toEqual({ jobs: 0, keys: 0 });
  });

  it('a 1080p size for sora-2: exit 2, names --size and sora-2-pro, nothing enqueued', async () => {
    const prefix = fixture.prefix('cli-bad-size');
    const run = await runCli(['generate', 'a cat', '--size', '1920x1080'], {
      REDIS_URL: fixture.url,
      REELAY_PREFIX: prefix,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--size');
    expect(run.stderr).toContain('sora-2-pro');
    expect(await contents(prefix)).toEqual({ jobs: 0, keys: 0 });
  });

  it('an empty prompt: exit 2 naming the prompt', async () => {
    const prefix = fixture.prefix('cli-empty');
    const run = await runCli(['generate', '   '], { REDIS_URL: fixture.url, REELAY_PREFIX: prefix });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('<prompt>');
    expect(await contents(prefix)).toEqual({ jobs: 0, keys: 0 });
  });

  it('Redis that does not answer: exit 3, naming REDIS_URL', async () => {
    const run = await runCli(['generate', 'a cat'], { REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('REDIS_URL');
  });

  it('valid input: prints the id, the generation is queued with its submit job; status shows it', async () => {
    const prefix = fixture.prefix('cli-ok');
    const env = { REDIS_URL: fixture.url, REELAY_PREFIX: prefix };
    const run = await runCli(
      ['generate', 'a lighthouse in fog', '--seconds', '8', '--size', '1280x720'],
      env,
    );
    expect(run.code).toBe(0);
    const id = run.stdout.trim();
    expect(id).toMatch(/^gen_[0-9a-f]{24}$/);
    expect(await contents(prefix)).toMatchObject({ jobs: 1 });

    const status = await runCli(['status', id, '--json'], env);
    expect(status.code).toBe(0);
    const record = JSON.parse(status.stdout) as {
      id: string;
      status: string;
      request: { seconds: string; size: string };
    };
    expect(record).toMatchObject({ id, status: 'queued', request: { seconds: '8', size: '1280x720' } });
  });

  it('the same --idempotency-key names the same generation; --json prints one object', async () => {
    const prefix = fixture.prefix('cli-idem');
    const env = { REDIS_URL: fixture.url, REELAY_PREFIX: prefix };
    const args = ['generate', 'a lighthouse in fog', '--idempotency-key', 'order-42', '--json'];
    const first = JSON.parse((await runCli(args, env)).stdout) as { id: string; created: boolean };
    const second = JSON.parse((await runCli(args, env)).stdout) as { id: string; created: boolean };
    expect(first.created).toBe(true);
    expect(second).toEqual({ id: first.id, status: 'queued', created: false });
    expect(await contents(prefix)).toMatchObject({ jobs: 1 });
  });

  it('--wait with no worker running: gives up after --timeout with exit 1, naming the status', async () => {
    const prefix = fixture.prefix('cli-wait-timeout');
    const run = await runCli(['generate', 'a cat', '--wait', '--timeout', '500'], {
      REDIS_URL: fixture.url,
      REELAY_PREFIX: prefix,
    });
    expect(run.code).toBe(1);
    expect(run.stdout.trim()).toMatch(/^gen_[0-9a-f]{24}$/);
    expect(run.stderr).toContain('gave up waiting after 500 ms');
    expect(run.stderr).toContain('queued');
  });
});

describe('reelay status', () => {
  it('an unknown id: exit 1 with a message naming it', async () => {
    const run = await runCli(['status', 'gen_000000000000000000000000'], {
      REDIS_URL: fixture.url,
      REELAY_PREFIX: fixture.prefix('cli-status'),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no generation gen_000000000000000000000000');
  });
});
