import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { probeContainerRuntime } from './container-runtime.ts';
import { freePort } from './ports.ts';
import { pingRedis } from './redis-ping.ts';
import { RedisServerProcess } from './redis-server-process.ts';
import { waitFor } from './wait.ts';

export type RedisBackend = 'env' | 'testcontainers' | 'redis-server';

export interface StartRedisOptions {
  /**
   * Never use the shared Redis at REDIS_URL; start one of our own (container or process). Default
   * false. Tests that kill or restart the server need this: killing the shared one would break every
   * other test running beside them.
   */
  private?: boolean;
  /**
   * Extra server settings for an own server (process or container), applied over the fixture's
   * defaults (`appendonly yes`, `appendfsync always`, no RDB): e.g. the production settings
   * `{ appendfsync: 'everysec', 'maxmemory-policy': 'noeviction' }`. Ignored on the `env` backend,
   * so ask for `private: true` with them.
   */
  settings?: Record<string, string>;
}

export interface RedisFixture {
  /** `redis://host:port`, ready for ioredis / BullMQ. */
  readonly url: string;
  readonly backend: RedisBackend;
  /**
   * A fresh key prefix / queue name on every call, in Redis Cluster hash-tag form (`{t-<name>-<hex>}`)
   * so it works as a BullMQ prefix and keeps one test's keys in one slot. On a shared server,
   * `stop()` deletes every key containing a prefix this fixture handed out.
   */
  prefix(name?: string): string;
  /** SIGKILL the server (no shutdown, no final save). Throws on the `env` backend. */
  kill(): Promise<void>;
  /** Bring a killed (or running) server back on the same port with the same data (AOF); resolves once PING answers. */
  restart(): Promise<void>;
  /** Stop the server (own backends) or delete this fixture's keys (env backend), then clean up. */
  stop(): Promise<void>;
}

/** Image for the container backend; AOF settings are passed on the command line, as for the process. */
const REDIS_IMAGE = 'redis:7-alpine';
/** A port picked by freePort() can be taken before redis-server binds it; a new one is tried this often. */
const PORT_ATTEMPTS = 3;

/**
 * A real Redis for a test, from the first source that answers: REDIS_URL (unless `private`), a
 * testcontainers Redis where a container runtime answers, else a `redis-server` child process in a
 * temp dir. Fails loudly (never skips) when none is available.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisFixture> {
  const envUrl = process.env['REDIS_URL'];
  if (!options.private && envUrl) return announce(envFixture(envUrl));

  const runtime = await probeContainerRuntime();
  if (runtime.ok) return announce(await containerFixture(options.settings));

  try {
    return announce(await processFixture(options.settings));
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(
      'startRedis: no Redis available. ' +
        `${options.private ? 'A private server was asked for (REDIS_URL not used)' : 'REDIS_URL is not set'}; ` +
        `no container runtime (${runtime.reason}); and redis-server failed: ${why}. ` +
        'Install redis-server (apt-get install redis-server) or start Docker.',
      { cause: error },
    );
  }
}

const announced = new Set<RedisBackend>();
function announce(fixture: RedisFixture): RedisFixture {
  if (!announced.has(fixture.backend)) {
    announced.add(fixture.backend);
    process.stderr.write(`[@reelay/testing] Redis backend: ${fixture.backend} (${fixture.url})\n`);
  }
  return fixture;
}

function makePrefix(name: string | undefined): string {
  const slug = (name ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  const id = randomBytes(6).toString('hex');
  return slug ? `{t-${slug}-${id}}` : `{t-${id}}`;
}

function envFixture(url: string): RedisFixture {
  const issued: string[] = [];
  const refuse = (what: string): Promise<never> =>
    Promise.reject(
      new Error(
        `RedisFixture.${what}() is not possible on the shared REDIS_URL server; ` +
          'use startRedis({ private: true }) for kill/restart tests',
      ),
    );
  return {
    url,
    backend: 'env',
    prefix(name) {
      const prefix = makePrefix(name);
      issued.push(prefix);
      return prefix;
    },
    kill: () => refuse('kill'),
    restart: () => refuse('restart'),
    async stop() {
      if (issued.length === 0) return;
      const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        for (const prefix of issued) await deleteMatching(redis, `*${globEscape(prefix)}*`);
      } finally {
        redis.disconnect();
      }
    },
  };
}

async function deleteMatching(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

async function processFixture(settings: Record<string, string> = {}): Promise<RedisFixture> {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-redis-'));
  let server: RedisServerProcess | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS && !server; attempt++) {
    const candidate = new RedisServerProcess(await freePort(), dir, settings);
    try {
      await candidate.start();
      server = candidate;
    } catch (error) {
      lastError = error;
      // Only a lost port race is worth another port; a missing binary or bad config is not.
      if (!(error instanceof Error && /Address already in use/i.test(error.message))) break;
    }
  }
  if (!server) {
    await rm(dir, { recursive: true, force: true });
    throw lastError;
  }
  const running = server;
  return {
    url: `redis://127.0.0.1:${running.port}`,
    backend: 'redis-server',
    prefix: makePrefix,
    kill: () => running.kill(),
    async restart() {
      await running.kill();
      await running.start();
    },
    async stop() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function containerFixture(settings: Record<string, string> = {}): Promise<RedisFixture> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const { getContainerRuntimeClient } = await import('testcontainers');
  // A fixed host port: Docker would pick a new one on every start, and a restarted server must be
  // reachable at the URL the test already holds.
  const port = await freePort();
  const container = await new RedisContainer(REDIS_IMAGE)
    .withCommand([
      'redis-server',
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      ...Object.entries(settings).flatMap(([key, value]) => [`--${key}`, value]),
    ])
    .withExposedPorts({ container: 6379, host: port })
    .start();
  const host = container.getHost();
  const ready = async (): Promise<void> => {
    await waitFor(() => pingRedis(host, port), {
      timeoutMs: 30_000,
      message: `Redis container answering PING on ${port}`,
    });
  };
  await ready();
  let killed = false;
  const kill = async (): Promise<void> => {
    const client = await getContainerRuntimeClient();
    await client.container.getById(container.getId()).kill({ signal: 'SIGKILL' });
    killed = true;
  };
  return {
    url: `redis://${host}:${port}`,
    backend: 'testcontainers',
    prefix: makePrefix,
    kill,
    async restart() {
      if (!killed) await kill();
      await container.restart();
      killed = false;
      await ready();
    },
    async stop() {
      await container.stop();
    },
  };
}
