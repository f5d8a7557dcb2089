import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { unpinSelf } from './lib/affinity.ts';
import { Queue, Redis } from './lib/deps.ts';
import { API_MAIN, ROOT } from './lib/paths.ts';
import { type NodeProcess, parseJson, spawnNode } from './lib/process.ts';
import { startBenchRedis } from './lib/redis.ts';

// `api.create_ratio`: POST /v1/generations requests/s through the real api process (auth, per-key
// limit, validation, the client's record create and queue add) ÷ a bare route of the same framework
// (Fastify, the api's own copy) that parses the same JSON body and does one BullMQ add — same Redis,
// same 50 keep-alive connections, same core, in alternating rounds of the same run, best of each.
// Both servers are child processes pinned to core 0 (when `taskset` exists and there are ≥ 2 CPUs);
// autocannon and the private redis-server use the other cores. 127.0.0.1 only. Run alone:
// `node bench/api.ts` (prints the figures, writes nothing).

const THIS_FILE = fileURLToPath(import.meta.url);
const CONNECTIONS = 50;
/** Seconds per measured round (`REELAY_BENCH_API_SECONDS`, default 5); the warm-up takes 2. */
const ROUND_S = Number(process.env['REELAY_BENCH_API_SECONDS'] ?? 5);
const WARMUP_S = 2;
/** Alternating rounds of each; the best of each counts (a noisy neighbour should not decide it). */
const ROUNDS = 2;
const SERVER_CPU = '0';
/** The prefix both servers write under (hash-tagged, as in production). */
const PREFIX = '{bench-api}';
/**
 * The per-key limit stays on (it is a Redis script call on every request of the real path), set far
 * above what one key reaches here so it never refuses. `REELAY_BENCH_API_RPM=0` switches it off.
 */
const KEY_RPM = Number(process.env['REELAY_BENCH_API_RPM'] ?? 1_000_000_000);
const BODY = JSON.stringify({ prompt: 'a slow pan across a misty harbour at dawn', seconds: '4' });
/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks. */
const CLOCK_TICKS = 100;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const pinned = hasTaskset() && availableParallelism() > 1;

function taskset(cpus: string, pid: number): void {
  if (!pinned) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });
  } catch {
    // Not allowed here (some containers): the figures get noisier, not wrong.
  }
}

async function startServer(
  name: string,
  args: string[],
  env: Record<string, string>,
): Promise<NodeProcess<string>> {
  const server = await spawnNode(name, args, env, (line) => {
    const event = parseJson(line);
    return event?.['event'] === 'listening' && typeof event['url'] === 'string' ? event['url'] : undefined;
  });
  taskset(SERVER_CPU, server.pid);
  return server;
}

/** utime + stime of a process so far, ms (Linux /proc; NaN elsewhere). */
async function cpuMs(pid: number): Promise<number> {
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return Number.NaN;
  }
}

interface Target {
  url: string;
  headers: Record<string, string>;
}

async function load(target: Target, seconds: number): Promise<{ rps: number; total: number }> {
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', ...target.headers },
    body: BODY,
  });
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    throw new Error(
      `${target.url}: ${result.non2xx} non-2xx replies, ${result.errors} errors, ${result.timeouts} timeouts under load`,
    );
  }
  return { rps: result.requests.average, total: result.requests.total };
}

/** Requests/s, and the server's CPU ms per request answered. */
async function measure(
  server: NodeProcess<string>,
  target: Target,
  seconds: number,
): Promise<{ rps: number; cpu: number }> {
  const before = await cpuMs(server.pid);
  const { rps, total } = await load(target, seconds);
  return { rps, cpu: ((await cpuMs(server.pid)) - before) / total };
}

export async function benchApi(): Promise<Record<string, number>> {
  // Keeps autocannon, and the redis-server it spawns next, off the servers' core.
  taskset(`1-${availableParallelism() - 1}`, process.pid);
  const redis = await startBenchRedis();
  const key = `rk_${randomBytes(16).toString('hex')}`;
  const hash = createHash('sha256').update(key).digest('hex');
  const servers: NodeProcess<string>[] = [];
  try {
    // `REELAY_BENCH_API_PROF=<dir>`: both servers write a V8 CPU profile there (`--cpu-prof`).
    const prof = process.env['REELAY_BENCH_API_PROF'];
    const profArgs = prof ? ['--cpu-prof', `--cpu-prof-dir=${resolve(prof)}`] : [];
    const api = await startServer('api', [...profArgs, API_MAIN], {
      REDIS_URL: redis.url,
      REELAY_PREFIX: PREFIX,
      REELAY_API_PORT: '0',
      REELAY_API_HOST: '127.0.0.1',
      REELAY_API_KEYS: `bench:${hash}`,
      REELAY_API_KEY_RPM: String(KEY_RPM),
      LOG_LEVEL: 'warn',
    });
    servers.push(api);
    const bare = await startServer('bare', [...profArgs, THIS_FILE, '--bare'], { REDIS_URL: redis.url });
    servers.push(bare);
    const targets = {
      api: { url: `${api.ready}/v1/generations`, headers: { authorization: `Bearer ${key}` } },
      bare: { url: `${bare.ready}/bare`, headers: {} },
    };
    await load(targets.api, WARMUP_S);
    await load(targets.bare, WARMUP_S);
    let apiRps = 0;
    let bareRps = 0;
    let apiCpu = Number.POSITIVE_INFINITY;
    let bareCpu = Number.POSITIVE_INFINITY;
    for (let round = 0; round < ROUNDS; round++) {
      // Each round starts from an empty Redis, so neither side pays for the other's leftovers.
      await redis.client.flushall();
      const a = await measure(api, targets.api, ROUND_S);
      await redis.client.flushall();
      const b = await measure(bare, targets.bare, ROUND_S);
      apiRps = Math.max(apiRps, a.rps);
      bareRps = Math.max(bareRps, b.rps);
      apiCpu = Math.min(apiCpu, a.cpu);
      bareCpu = Math.min(bareCpu, b.cpu);
    }
    const ratio = apiRps / bareRps;
    // Wall-clock rates swing with other work on the machine; CPU per request barely does. Where the
    // server's core is the bottleneck (a quiet machine), the throughput ratio tends to this one.
    const cpuRatio = bareCpu / apiCpu;
    const out = (name: string, value: string, note: string) =>
      process.stdout.write(`${name.padEnd(32)} ${value.padStart(10)}  ${note}\n`);
    out('api.create_rps', apiRps.toFixed(0), `req/s  POST /v1/generations, ${CONNECTIONS} connections`);
    out('api.bare_add_rps', bareRps.toFixed(0), 'req/s  bare Fastify route, one queue add, same core');
    out('api.create_ratio', ratio.toFixed(3), '(api / bare; target >= 0.7)');
    out(
      'api.cpu_ms_per_create',
      apiCpu.toFixed(3),
      `ms  server CPU per request (bare ${bareCpu.toFixed(3)})`,
    );
    out('api.cpu_ratio', cpuRatio.toFixed(3), '(bare CPU per request ÷ ours)');
    return {
      'api.create_rps': apiRps,
      'api.bare_add_rps': bareRps,
      'api.create_ratio': ratio,
      'api.cpu_ms_per_create': apiCpu,
      'api.bare_cpu_ms_per_add': bareCpu,
      'api.cpu_ratio': cpuRatio,
    };
  } finally {
    for (const server of servers) await server.stop();
    await redis.stop();
    unpinSelf();
  }
}

interface BareApp {
  post(
    path: string,
    handler: (
      request: { body: unknown },
      reply: { code(status: number): { send(body: unknown): unknown } },
    ) => Promise<unknown>,
  ): void;
  listen(options: { port: number; host: string }): Promise<string>;
  close(): Promise<void>;
}

/**
 * The baseline server (`node bench/api.ts --bare`): Fastify as the api loads it, its default JSON
 * parser, one `Queue.add` per request on a connection like the api's, 201 with the job id.
 */
async function runBareServer(): Promise<void> {
  // bench/ is not a package: the api's own Fastify is loaded through its package, so both sides run
  // the same framework build.
  const fastify = createRequire(resolve(ROOT, 'apps/api/package.json'))('fastify') as (
    options: object,
  ) => BareApp;
  const connection = new Redis(process.env['REDIS_URL']!, { maxRetriesPerRequest: 3 });
  const queue = new Queue('submit', { connection, prefix: PREFIX });
  const app = fastify({ logger: false });
  app.post('/bare', async (request, reply) => {
    const id = `gen_${randomBytes(12).toString('hex')}`;
    await queue.add('submit', { generationId: id, round: 0, body: request.body }, { jobId: id });
    return reply.code(201).send({ data: [{ id, status: 'queued', created: true }] });
  });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write(`${JSON.stringify({ event: 'listening', url })}\n`);
  process.on('SIGTERM', () => {
    void app.close().then(async () => {
      await queue.close();
      connection.disconnect();
      process.exit(0);
    });
  });
}

if (process.argv[1] && resolve(process.argv[1]) === THIS_FILE) {
  if (process.argv.includes('--bare')) await runBareServer();
  else await benchApi();
}
