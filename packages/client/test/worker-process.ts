import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// The worker app is run as a process by its path (packages never import apps).
const WORKER_MAIN = fileURLToPath(new URL('../../../apps/worker/src/main.ts', import.meta.url));

export interface WorkerProcess {
  readonly lines: string[];
  kill(): Promise<void>;
}

/** A real worker process for the given stages; resolves once it logged `worker ready`. */
export async function startWorker(stages: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, [WORKER_MAIN, '--stage', stages], {
    env: { ...process.env, LOG_FORMAT: 'json', REELAY_WORKER_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const exited = once(child, 'exit');
  await new Promise<void>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        lines.push(line);
        if (line.includes('"worker ready"')) resolve();
      });
    }
    void exited.then(([code]) => reject(new Error(`worker exited with ${code}:\n${lines.join('\n')}`)));
  });
  return {
    lines,
    async kill() {
      if (child.exitCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
}
