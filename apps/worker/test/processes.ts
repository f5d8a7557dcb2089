import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const WORKER_MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines). */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** A worker process for the given stages; resolves once it logged `worker ready`. */
export async function startWorker(stage: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [WORKER_MAIN, '--stage', stage], {
    env: { ...process.env, LOG_FORMAT: 'json', REELAY_WORKER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });
  const ready = new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"worker ready"')) resolve();
      });
    }
    void exited.then((code) =>
      reject(new Error(`worker (${stage}) exited with ${code}:\n${lines.join('\n')}`)),
    );
  });
  await ready;
  return {
    child,
    lines,
    exited,
    async stop() {
      child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
