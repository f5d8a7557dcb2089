import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

// Measures the provider simulator's retrieve throughput against a bare node:http server that returns the
// same Video JSON, both in child processes pinned to the same single core (when `taskset` exists), loaded
// in turn from this process with keep-alive connections. The ratio, not the absolute figure, is what
// says whether the simulator could ever be what a pipeline benchmark measures.

const ROOT = resolve(import.meta.dirname, '..');
const SIM_MAIN = resolve(ROOT, 'apps/provider-sim/src/main.ts');
const WARMUP_S = 1;
const ROUND_S = 3;
const ROUNDS = 2;
const CONNECTIONS = 32;
const SERVER_CPU = '0';

const BARE_SERVER = `
const http = require('node:http');
const body = Buffer.from(process.env.BENCH_BODY);
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 75000;
server.listen(0, '127.0.0.1', () => {
  console.log(JSON.stringify({ event: 'listening', url: 'http://127.0.0.1:' + server.address().port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Starts `node args…` (pinned to one core when possible) and resolves with the URL of its first line. */
async function startChild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const pinned = hasTaskset() && availableParallelism() > 1;
  const command = pinned ? 'taskset' : process.execPath;
  const argv = pinned ? ['-c', SERVER_CPU, process.execPath, ...args] : args;
  const child = spawn(command, argv, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    for await (const line of lines) {
      const event = JSON.parse(line) as { event?: string; url?: string };
      if (event.event === 'listening' && event.url) return { child, url: event.url };
    }
    throw new Error(`child ${args.join(' ')} exited before listening`);
  } finally {
    clearTimeout(timeout);
    lines.close();
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, headers: Record<string, string>, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, headers });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx replies and ${result.errors} errors under load`);
  }
  return result.requests.average;
}

/** Makes one completed video on the simulator and returns its id and JSON. */
async function makeVideo(
  simUrl: string,
  auth: Record<string, string>,
): Promise<{ id: string; json: string }> {
  const created = await fetch(`${simUrl}/v1/videos`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ prompt: 'benchmark clip', model: 'sora-2', seconds: '4' }),
  });
  const { id } = (await created.json()) as { id: string };
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const json = await (await fetch(`${simUrl}/v1/videos/${id}`, { headers: auth })).text();
    if ((JSON.parse(json) as { status: string }).status === 'completed') return { id, json };
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('benchmark video did not complete');
}

/** Keeps the load generator off the servers' core, so the two do not compete for it. */
function pinSelfAwayFromServerCore(): void {
  const cpus = availableParallelism();
  if (!hasTaskset() || cpus < 2) return;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `1-${cpus - 1}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // Not allowed here (some containers): the figures get noisier, not wrong.
  }
}

export async function benchSim(): Promise<Record<string, number>> {
  pinSelfAwayFromServerCore();
  const auth = { authorization: 'Bearer sk-bench' };
  // A high time scale so the video completes at once and the retrieve path serves its final form.
  const sim = await startChild([SIM_MAIN, '--port', '0', '--time-scale', '100000', '--seed', 'bench']);
  let bare: ChildProcess | null = null;
  try {
    const { id, json } = await makeVideo(sim.url, auth);
    const started = await startChild(['-e', BARE_SERVER], { BENCH_BODY: json });
    bare = started.child;
    const targets = { sim: `${sim.url}/v1/videos/${id}`, bare: started.url };
    await load(targets.sim, auth, WARMUP_S);
    await load(targets.bare, auth, WARMUP_S);
    // Alternating rounds, best of each: the machine may be shared, and a noisy neighbour during one
    // round should not decide the ratio.
    let simRps = 0;
    let bareRps = 0;
    for (let round = 0; round < ROUNDS; round++) {
      simRps = Math.max(simRps, await load(targets.sim, auth, ROUND_S));
      bareRps = Math.max(bareRps, await load(targets.bare, auth, ROUND_S));
    }

    const ratio = simRps / bareRps;
    const out = (name: string, value: string, note: string) =>
      process.stdout.write(`${name.padEnd(32)} ${value.padStart(10)}  ${note}\n`);
    out(
      'sim.retrieve_rps',
      simRps.toFixed(0),
      `req/s  (target >= 5000; baseline sim.bare_rps ${bareRps.toFixed(0)})`,
    );
    out('sim.bare_rps', bareRps.toFixed(0), 'req/s  (bare node:http, same JSON, same core)');
    out('sim.retrieve_throughput_ratio', ratio.toFixed(3), '(sim / bare; target >= 0.5)');
    return { 'sim.retrieve_rps': simRps, 'sim.bare_rps': bareRps, 'sim.retrieve_throughput_ratio': ratio };
  } finally {
    await stopChild(sim.child);
    if (bare) await stopChild(bare);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await benchSim();
}
