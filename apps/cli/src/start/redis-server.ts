import { accessSync, constants, mkdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CliError, EXIT } from '../exit.ts';
import { redisAnswers, redisLocation } from '../redis.ts';
import { ManagedChild } from './child.ts';
import type { ChildOutput } from './output.ts';
import { freePort, portIsFree } from './ports.ts';
import type { Stack } from './stack.ts';

/** A cold redis-server answers in tens of ms; replaying a large AOF can take longer. */
const REDIS_START_TIMEOUT_MS = 30_000;
const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

export interface ResolvedRedis {
  url: string;
  /** `running`: REDIS_URL answered; `started`: a redis-server child was started for this run. */
  source: 'running' | 'started';
  dataDir?: string;
}

/**
 * The embedded-default Redis: REDIS_URL when it answers; else a `redis-server` from PATH with its
 * data (AOF on, so a restart keeps the queues) under `<dataDir>/redis`, on REDIS_URL's port when free.
 */
export async function ensureRedis(
  url: string,
  dataDir: string,
  graceMs: number,
  stack: Stack,
  output: ChildOutput,
): Promise<ResolvedRedis> {
  if (await redisAnswers(url)) return { url, source: 'running' };
  const parsed = new URL(url);
  const binary = findOnPath('redis-server');
  if (!LOCAL_HOSTS.has(parsed.hostname) || binary === undefined) {
    const why =
      binary === undefined
        ? 'no redis-server binary is on PATH to start one'
        : 'it is not a local address, so no local redis-server is started in its place';
    throw new CliError(
      `no Redis answers at ${redisLocation(url)} (REDIS_URL), and ${why}. ` +
        'Set REDIS_URL to a running Redis, or install redis-server (apt-get install redis-server).',
      EXIT.noRedis,
    );
  }
  const wanted = Number(parsed.port || '6379');
  const port = (await portIsFree(wanted)) ? wanted : await freePort();
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const child = stack.add(
    new ManagedChild(
      {
        name: 'redis',
        command: binary,
        // Loopback only: this Redis has no password. `--save ''`: the AOF is the persistence.
        args: [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--appendonly',
          'yes',
          '--save',
          '',
          '--daemonize',
          'no',
        ],
        env: process.env,
        node: false,
        graceMs,
      },
      output,
    ),
  );
  const started = `redis://127.0.0.1:${port}${parsed.pathname.length > 1 ? parsed.pathname : ''}`;
  const ready = (async () => {
    const deadline = Date.now() + REDIS_START_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (await redisAnswers(started, 500)) return true;
      if (!child.running) return false;
      await delay(50);
    }
    return false;
  })();
  if (!(await ready)) throw child.failure(`did not answer PING on port ${port}`);
  return { url: started, source: 'started', dataDir: dir };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}
