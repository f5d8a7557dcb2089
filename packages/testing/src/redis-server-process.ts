import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pingRedis } from './redis-ping.ts';
import { waitFor } from './wait.ts';

/** How long a freshly spawned redis-server may take to answer PING (it replays the AOF first). */
const READY_TIMEOUT_MS = 15_000;

// Children still alive when the test process exits are killed, so a crashed or interrupted run does
// not leave redis-servers behind on the machine.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * A redis-server child on a fixed port with its data in `dir`. AOF with `appendfsync always` unless
 * `settings` says otherwise, so a SIGKILL loses no acknowledged write and `restart()` (a new process on the same port and dir) comes
 * back with the same data; RDB snapshots are off so the AOF is the only source on restart.
 */
export class RedisServerProcess {
  readonly port: number;
  readonly dir: string;
  /** Extra `redis-server` settings (`{ appendfsync: 'everysec' }` → `--appendfsync everysec`), applied last. */
  readonly settings: Readonly<Record<string, string>>;
  #child: ChildProcess | undefined;

  constructor(port: number, dir: string, settings: Record<string, string> = {}) {
    this.port = port;
    this.dir = dir;
    this.settings = { ...settings };
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error('redis-server is already running');
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--protected-mode',
      'no',
      '--daemonize',
      'no',
      '--logfile',
      join(this.dir, 'redis.log'),
      ...Object.entries(this.settings).flatMap(([key, value]) => [`--${key}`, value]),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const exited = once(child, 'exit').then(([code, signal]) => ({ code, signal }));
    this.#child = child;
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
    });

    const ready = waitFor(() => pingRedis('127.0.0.1', this.port), {
      timeoutMs: READY_TIMEOUT_MS,
      message: `redis-server on port ${this.port} answering PING`,
    });
    const outcome = await Promise.race([
      ready.then(() => ({ kind: 'ready' as const })),
      spawnError.then((error) => ({ kind: 'spawn-error' as const, error })),
      exited.then((exit) => ({ kind: 'exited' as const, exit })),
    ]).catch((error: unknown) => ({ kind: 'timeout' as const, error }));
    if (outcome.kind === 'ready') return;

    child.kill('SIGKILL');
    ready.catch(() => {});
    if (outcome.kind === 'spawn-error') {
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
      throw new Error(`could not run redis-server (${outcome.error.message}); is it installed and on PATH?`);
    }
    const log = await this.#logTail();
    if (outcome.kind === 'exited') {
      const { code, signal } = outcome.exit;
      throw new Error(
        `redis-server on port ${this.port} exited at start (code ${code}, signal ${signal}):\n${log}`,
      );
    }
    throw new Error(`redis-server on port ${this.port} did not become ready:\n${log}`, {
      cause: outcome.error,
    });
  }

  /** SIGKILL: no shutdown, no final fsync. What a crashed or OOM-killed Redis looks like. */
  async kill(): Promise<void> {
    await this.#signal('SIGKILL');
  }

  /** SIGTERM: a clean shutdown. */
  async stop(): Promise<void> {
    await this.#signal('SIGTERM');
  }

  async #signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
  }

  async #logTail(): Promise<string> {
    try {
      const text = await readFile(join(this.dir, 'redis.log'), 'utf8');
      return text.split('\n').slice(-15).join('\n');
    } catch {
      return '(no redis.log)';
    }
  }
}
