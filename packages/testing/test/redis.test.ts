import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Redis, type RedisOptions } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type RedisFixture, startRedis, waitFor } from '../src/index.ts';

const INDEX = fileURLToPath(new URL('../src/index.ts', import.meta.url));
const fixtures: RedisFixture[] = [];
const clients: Redis[] = [];

async function privateRedis(): Promise<RedisFixture> {
  const fixture = await startRedis({ private: true });
  fixtures.push(fixture);
  return fixture;
}

function client(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, options);
  redis.on('error', () => {}); // connection errors are what some tests provoke
  clients.push(redis);
  return redis;
}

afterEach(async () => {
  for (const redis of clients.splice(0)) redis.disconnect();
  for (const fixture of fixtures.splice(0)) await fixture.stop();
});

/** Runs startRedis in a fresh Node process, so its one-time stderr report can be read. */
function runStartRedis(env: NodeJS.ProcessEnv): Promise<{ code: number; stderr: string }> {
  const script = `import(${JSON.stringify(INDEX)}).then((m) => m.startRedis({ private: true })).then((f) => f.stop())`;
  return new Promise((resolve) => {
    execFile(process.execPath, ['-e', script], { env, timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stderr });
    });
  });
}

describe('startRedis', () => {
  it('reports on stderr which backend it chose, and exposes it', async () => {
    const { code, stderr } = await runStartRedis(process.env);
    expect(code).toBe(0);
    expect(stderr).toMatch(/\[@reelay\/testing\] Redis backend: (testcontainers|redis-server) \(redis:\/\//);

    const fixture = await privateRedis();
    expect(['testcontainers', 'redis-server']).toContain(fixture.backend);
    expect(await client(fixture.url).ping()).toBe('PONG');
  });

  it('fails loudly, naming what it tried, when neither redis-server nor a container runtime is there', async () => {
    const { code, stderr } = await runStartRedis({ ...process.env, PATH: '/nonexistent' });
    if (stderr.includes('Redis backend: testcontainers')) {
      // A container runtime answered: the fixture rightly needed no redis-server.
      expect(code).toBe(0);
      return;
    }
    expect(code).not.toBe(0);
    expect(stderr).toContain('startRedis: no Redis available');
    expect(stderr).toContain('no container runtime');
    expect(stderr).toContain('redis-server');
  });

  it('hands out a different hash-tagged prefix on every call', async () => {
    const fixture = await privateRedis();
    const prefixes = new Set([
      fixture.prefix(),
      fixture.prefix(),
      fixture.prefix('Queue: Submit!'),
      fixture.prefix(),
    ]);
    expect(prefixes.size).toBe(4);
    for (const prefix of prefixes) expect(prefix).toMatch(/^\{t-[a-z0-9-]+\}$/);
    expect([...prefixes].some((p) => p.startsWith('{t-queue-submit-'))).toBe(true);
  });

  it('keeps data written before a SIGKILL across restart (AOF)', async () => {
    const fixture = await privateRedis();
    const key = `${fixture.prefix()}:survivor`;
    const writer = client(fixture.url);
    await writer.set(key, 'still here');
    writer.disconnect();

    await fixture.kill();
    await fixture.restart();

    expect(await client(fixture.url).get(key)).toBe('still here');
  });

  it('kill() breaks a connected client; restart() brings it back on the same URL', async () => {
    const fixture = await privateRedis();
    const redis = client(fixture.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: () => 50,
    });
    await waitFor(() => redis.status === 'ready', { message: 'client ready' });
    await redis.set(`${fixture.prefix()}:k`, '1');

    const closed = once(redis, 'close');
    await fixture.kill();
    await closed;
    await expect(redis.ping()).rejects.toThrow();

    await fixture.restart();
    await waitFor(() => redis.status === 'ready', { message: 'client reconnected after restart' });
    expect(await redis.ping()).toBe('PONG');
  });

  it('on the shared REDIS_URL server: refuses kill/restart and deletes only its own keys on stop', async () => {
    const server = await privateRedis();
    const saved = process.env['REDIS_URL'];
    process.env['REDIS_URL'] = server.url;
    let shared: RedisFixture;
    try {
      shared = await startRedis();
    } finally {
      if (saved === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = saved;
    }
    expect(shared.backend).toBe('env');
    expect(shared.url).toBe(server.url);
    await expect(shared.kill()).rejects.toThrow(/private: true/);
    await expect(shared.restart()).rejects.toThrow(/private: true/);

    const redis = client(server.url);
    const mine = shared.prefix('mine');
    await redis.set(`${mine}:a`, '1');
    await redis.set(`bull:${mine}:b`, '1');
    await redis.set('someone-else:key', '1');
    await shared.stop();

    expect(await redis.exists(`${mine}:a`, `bull:${mine}:b`)).toBe(0);
    expect(await redis.get('someone-else:key')).toBe('1');
  });
});
