import { Redis, type RedisFixture, startRedis } from './deps.ts';

export interface BenchRedis {
  fixture: RedisFixture;
  url: string;
  /** A connection for the benchmark's own use (enqueue, events, INFO). */
  client: Redis;
  /** The redis-server process id (from INFO server), for CPU accounting. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * A private redis-server, so INFO commandstats count our commands only. The fixture runs it with
 * `appendfsync always` (its crash tests need every write durable); a benchmark measures the pipeline,
 * not the disk, so persistence is switched off here — baseline and pipeline alike run on it.
 */
export async function startBenchRedis(): Promise<BenchRedis> {
  const fixture = await startRedis({ private: true });
  const client = new Redis(fixture.url, { maxRetriesPerRequest: null });
  await client.config('SET', 'appendonly', 'no');
  await client.config('SET', 'save', '');
  const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1] ?? Number.NaN);
  return {
    fixture,
    url: fixture.url,
    client,
    pid,
    async stop() {
      client.disconnect();
      await fixture.stop();
    },
  };
}

/** `calls` per command from INFO commandstats (commands run inside Lua scripts included). */
export async function commandStats(client: Redis): Promise<Map<string, number>> {
  const info = await client.info('commandstats');
  const stats = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) stats.set(match[1]!, Number(match[2]));
  return stats;
}

/** Sum of `calls` over every command in INFO commandstats. */
export async function commandCalls(client: Redis): Promise<number> {
  let total = 0;
  for (const calls of (await commandStats(client)).values()) total += calls;
  return total;
}

/** Per-command growth between two snapshots, largest first. */
export function commandDelta(
  before: Map<string, number>,
  after: Map<string, number>,
): Array<[string, number]> {
  return [...after]
    .map(([name, calls]): [string, number] => [name, calls - (before.get(name) ?? 0)])
    .filter(([, delta]) => delta > 0)
    .sort((a, b) => b[1] - a[1]);
}
