import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const DASHBOARD_MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
/** The worker app is started as a process by path, as the testing fixtures start the simulator. */
const WORKER_MAIN = fileURLToPath(new URL('../../worker/src/main.ts', import.meta.url));

export interface AppProcess {
  readonly child: ChildProcess;
  /** Every stdout/stderr line so far. */
  readonly lines: string[];
  readonly exited: Promise<number | null>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Spawns `main` and resolves once a line satisfies `ready` (or rejects with every line when the
 * process exits first).
 */
export async function startProcess(
  main: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => boolean,
): Promise<AppProcess & { readyLine: string }> {
  const child = spawn(process.execPath, [main, ...args], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  const lines: string[] = [];
  const exited = once(child, 'exit').then(([code]) => {
    live.delete(child);
    return code as number | null;
  });
  const readyLine = await new Promise<string>((resolve, reject) => {
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream! }).on('line', (line) => {
        lines.push(line);
        if (ready(line)) resolve(line);
      });
    }
    void exited.then((code) => reject(new Error(`${main} exited with ${code}:\n${lines.join('\n')}`)));
  });
  return {
    child,
    lines,
    exited,
    readyLine,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** The dashboard's main.ts; resolves with its URL from the `listening` line. */
export async function startDashboard(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  const proc = await startProcess(DASHBOARD_MAIN, [], { REELAY_DASHBOARD_PORT: '0', ...env }, (line) =>
    line.startsWith('{"event":"listening"'),
  );
  return { ...proc, url: (JSON.parse(proc.readyLine) as { url: string }).url };
}

/** Runs the dashboard's main.ts to its exit; for configurations it must refuse. */
export async function runDashboardToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [DASHBOARD_MAIN], {
    env: { ...process.env, LOG_FORMAT: 'json', REELAY_DASHBOARD_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  live.delete(child);
  return { code, output };
}

/** A worker process (apps/worker) running the given stages. */
export function startWorker(stage: string, env: Record<string, string>): Promise<AppProcess> {
  return startProcess(WORKER_MAIN, ['--stage', stage], { REELAY_WORKER_PORT: '0', ...env }, (line) =>
    line.includes('"worker ready"'),
  );
}
