import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export interface StartSimulatorOptions {
  /**
   * Simulator settings by config key, passed as CLI flags: `{ createRpm: 5 }` → `--create-rpm 5`,
   * `{ timeScale: 0.01 }` → `--time-scale 0.01`, `{ idempotency: false }` → `--no-idempotency`,
   * `{ verbose: true }` → `--verbose`. Kebab-case keys pass through unchanged.
   */
  flags?: Record<string, string | number | boolean>;
  /** Extra environment for the simulator process (merged over this process's environment). */
  env?: Record<string, string>;
  /** How long to wait for the `listening` line, in ms. Default 20 000 (a cold Node start with TS). */
  startTimeoutMs?: number;
}

/** The simulator's accounting; its shape belongs to apps/provider-sim, so it is not re-declared here. */
export type SimStats = Record<string, unknown>;

export interface SimulatorFixture {
  /** `http://127.0.0.1:<port>`: the simulator root (control endpoints live under `/__sim`). */
  readonly url: string;
  /** `url + '/v1'`: what the `openai` SDK takes as `baseURL`. */
  readonly baseURL: string;
  /** A key the simulator accepts. */
  readonly apiKey: string;
  readonly pid: number;
  stats<T extends object = SimStats>(): Promise<T>;
  /** Change settings at run time (POST /__sim/config); keys are the simulator's config keys. */
  configure(patch: Record<string, unknown>): Promise<void>;
  /** Forget all videos, counters and limits state (POST /__sim/reset). */
  reset(): Promise<void>;
  /** SIGTERM and wait for exit (SIGKILL if it has not exited after 10 s). */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit: a provider that vanishes mid-request. */
  kill(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('../../../apps/provider-sim/src/main.ts', import.meta.url));
const API_KEY = 'sk-sim-test';
const STOP_GRACE_MS = 10_000;
const STDERR_TAIL_BYTES = 8_192;

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export function simulatorFlags(flags: StartSimulatorOptions['flags'] = {}): string[] {
  const args: string[] = [];
  for (const [key, value] of Object.entries(flags)) {
    const name = key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
    if (value === true) args.push(`--${name}`);
    else if (value === false) args.push(`--no-${name}`);
    else args.push(`--${name}`, String(value));
  }
  return args;
}

/**
 * The provider simulator as a real child process on an OS-chosen port. Resolves once it printed its
 * first stdout line, `{"event":"listening","url":...}`.
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<SimulatorFixture> {
  const child = spawn(process.execPath, [MAIN, '--port', '0', ...simulatorFlags(options.flags)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderrTail = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL_BYTES);
  });

  let url: string;
  try {
    url = await readListeningUrl(child, options.startTimeoutMs ?? 20_000);
  } catch (error) {
    child.kill('SIGKILL');
    const why = error instanceof Error ? error.message : String(error);
    throw new Error(`startSimulator: ${why}\n--- simulator stderr ---\n${stderrTail}`, { cause: error });
  }
  const waitExit = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await once(child, 'exit');
  };

  const control = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${url}/__sim/${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) {
      throw new Error(`simulator ${method} /__sim/${path}: HTTP ${response.status} ${await response.text()}`);
    }
    return response;
  };

  return {
    url,
    baseURL: `${url}/v1`,
    apiKey: API_KEY,
    pid: child.pid ?? -1,
    async stats<T extends object>() {
      return (await (await control('GET', 'stats')).json()) as T;
    },
    async configure(patch) {
      await (await control('POST', 'config', patch)).arrayBuffer();
    },
    async reset() {
      await (await control('POST', 'reset', {})).arrayBuffer();
    },
    async stop() {
      const done = waitExit();
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
    },
    async kill() {
      const done = waitExit();
      child.kill('SIGKILL');
      await done;
    },
  };
}

function readListeningUrl(child: ChildProcess, timeoutMs: number): Promise<string> {
  const stdout = child.stdout;
  if (!stdout) return Promise.reject(new Error('no stdout pipe'));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const cleanup = (): void => {
      clearTimeout(timer);
      stdout.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      // Keep draining: a full pipe would block the simulator's later writes.
      stdout.resume();
    };
    const onData = (chunk: string): void => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline === -1) return;
      cleanup();
      const line = buffered.slice(0, newline).trim();
      try {
        const event = JSON.parse(line) as { event?: unknown; url?: unknown };
        if (event.event === 'listening' && typeof event.url === 'string')
          resolve(event.url.replace(/\/+$/, ''));
        else reject(new Error(`first stdout line is not a listening event: ${line}`));
      } catch {
        reject(new Error(`first stdout line is not JSON: ${line}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      reject(new Error(`simulator exited before listening (code ${code}, signal ${signal})`));
    };
    const onError = (error: Error): void => {
      cleanup();
      reject(new Error(`could not spawn the simulator: ${error.message}`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`no listening line within ${timeoutMs} ms (${MAIN})`));
    }, timeoutMs);
    stdout.setEncoding('utf8');
    stdout.on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}
