import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { ROOT } from './paths.ts';

/** Log lines kept per child for error messages; the rest are drained and dropped (a busy worker logs a lot). */
const TAIL_LINES = 60;
/** A child that has not exited this long after SIGTERM is killed. */
const STOP_GRACE_MS = 10_000;

export interface NodeProcess<T> {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** What the ready-line matcher returned (e.g. a URL). */
  readonly ready: T;
  readonly exited: Promise<number | null>;
  /** The last lines of stdout and stderr, for error messages. */
  tail(): string;
  /** SIGTERM, then SIGKILL after a grace period; resolves once it is gone. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * `node <args>` from the repository root, with `env` over ours. Resolves once a stdout/stderr line makes
 * `ready` return something other than undefined; rejects if the child exits or `timeoutMs` passes first.
 */
export async function spawnNode<T>(
  name: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => T | undefined,
  timeoutMs = 30_000,
): Promise<NodeProcess<T>> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });
  const tail = () => lines.join('\n');
  let timer: NodeJS.Timeout | undefined;
  const value = await new Promise<T>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        lines.push(line);
        if (lines.length > TAIL_LINES) lines.shift();
        const matched = ready(line);
        if (matched !== undefined) resolve(matched);
      });
    }
    child.once('error', reject);
    void exited.then((code) =>
      reject(new Error(`${name} exited with ${code} before it was ready:\n${tail()}`)),
    );
    timer = setTimeout(
      () => reject(new Error(`${name} not ready within ${timeoutMs} ms:\n${tail()}`)),
      timeoutMs,
    );
  }).finally(() => clearTimeout(timer));
  return {
    name,
    child,
    pid: child.pid ?? -1,
    ready: value,
    exited,
    tail,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const force = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(force);
    },
  };
}

/** A JSON log line's `msg` equals `message`. */
export function logMessageIs(line: string, message: string): boolean {
  return line.includes(`"${message}"`) && parseJson(line)?.['msg'] === message;
}

export function parseJson(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A field of `/proc/<pid>/status` in MiB (`VmRSS` now, `VmHWM` the peak so far); NaN off Linux. */
export async function procMemoryMb(pid: number, field: 'VmRSS' | 'VmHWM'): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1];
    return kb === undefined ? Number.NaN : Number(kb) / 1024;
  } catch {
    return Number.NaN;
  }
}
