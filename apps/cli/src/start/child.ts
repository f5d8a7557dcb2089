import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SUPERVISE } from '../paths.ts';
import type { ChildOutput } from './output.ts';

export interface ChildSpec {
  /** Short name: the output prefix and the log file name. */
  name: string;
  /** A Node entry file (run with this Node), or a binary (`node: false`). */
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  node: boolean;
  /** SIGTERM → SIGKILL bound applied by the child's supervisor, ms. */
  graceMs: number;
}

/** Past the supervisor's own bound, the CLI kills the whole group itself. */
const OUTER_MARGIN_MS = 5000;

/** Kept for error messages: why a child died before it was ready. */
const TAIL_LINES = 20;

/**
 * One child process of `reelay start`: spawned with its output routed through `ChildOutput`, awaited
 * for a readiness line, stopped with SIGTERM then SIGKILL after a bound.
 */
export class ManagedChild {
  readonly name: string;
  private readonly graceMs: number;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly process: ChildProcess;
  private readonly stdoutListeners = new Set<(line: string) => void>();
  private readonly tail: string[] = [];

  constructor(spec: ChildSpec, output: ChildOutput) {
    this.name = spec.name;
    const target = spec.node ? [process.execPath, spec.command] : [spec.command];
    this.graceMs = spec.graceMs;
    this.process = spawn(process.execPath, [SUPERVISE, String(spec.graceMs), ...target, ...spec.args], {
      env: spec.env,
      // The IPC channel is the supervisor's lifeline to this process (see supervise.ts).
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches this process only, which then stops
      // the children in order (worker before Redis) instead of all at once; and the group can be
      // killed as one.
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => resolve({ code, signal }));
      this.process.once('error', (error) => {
        this.remember(`could not start ${spec.command}: ${error.message}`);
        resolve({ code: null, signal: null });
      });
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const source = this.process[stream];
      if (!source) continue;
      createInterface({ input: source, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
        this.remember(line);
        output.line(this.name, stream, line);
        if (stream === 'stdout') for (const listener of this.stdoutListeners) listener(line);
      });
    }
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return (
      this.process.exitCode === null && this.process.signalCode === null && this.process.pid !== undefined
    );
  }

  /**
   * Resolves with the `url` of the first stdout line `{"event":"listening","url":…}` (the contract of
   * the api and the simulator); rejects when the child exits first or the deadline passes.
   */
  listeningUrl(timeoutMs: number): Promise<string> {
    return this.waitForLine((line) => {
      if (!line.startsWith('{')) return undefined;
      try {
        const event = JSON.parse(line) as { event?: unknown; url?: unknown };
        return event.event === 'listening' && typeof event.url === 'string'
          ? event.url.replace(/\/+$/, '')
          : undefined;
      } catch {
        return undefined;
      }
    }, timeoutMs);
  }

  waitForLine<T>(match: (line: string) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const listener = (line: string) => {
        const value = match(line);
        if (value === undefined) return;
        cleanup();
        resolve(value);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(this.failure(`not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.stdoutListeners.delete(listener);
      };
      this.stdoutListeners.add(listener);
      void this.exited.then(({ code, signal }) => {
        cleanup();
        reject(this.failure(`exited before it was ready (code ${code}, signal ${signal})`));
      });
    });
  }

  /** An Error naming the child, with the last lines it printed. */
  failure(why: string): Error {
    const tail = this.tail.length > 0 ? `\n  last output:\n    ${this.tail.join('\n    ')}` : '';
    return new Error(`${this.name} ${why}${tail}`);
  }

  /**
   * SIGTERM; the supervisor SIGKILLs the child after the grace period, and this kills the whole group
   * if even that did not end it. Resolves once the process is gone.
   */
  async stop(): Promise<'stopped' | 'killed'> {
    if (!this.running) return 'stopped';
    this.process.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.graceMs + OUTER_MARGIN_MS);
    });
    const outcome = await Promise.race([this.exited.then(({ code }) => code), deadline]);
    clearTimeout(timer);
    if (outcome !== 'timeout') return outcome === 137 ? 'killed' : 'stopped';
    this.kill();
    await this.exited;
    return 'killed';
  }

  /** SIGKILL to the child's whole process group now; synchronous, so safe in an `exit` handler. */
  kill(): void {
    if (!this.running || this.process.pid === undefined) return;
    try {
      process.kill(-this.process.pid, 'SIGKILL');
    } catch {
      // The group is already gone.
    }
  }

  private remember(line: string): void {
    this.tail.push(line);
    if (this.tail.length > TAIL_LINES) this.tail.shift();
  }
}
