import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/**
 * The apps' entry points, started by path as processes (as the simulator fixture starts
 * apps/provider-sim): tests drive them from outside, nothing here imports an app.
 */
export const APP_MAINS = {
  worker: fileURLToPath(new URL('../../../apps/worker/bin/reelay-worker.js', import.meta.url)),
  api: fileURLToPath(new URL('../../../apps/api/src/main.ts', import.meta.url)),
  dashboard: fileURLToPath(new URL('../../../apps/dashboard/src/main.ts', import.meta.url)),
} as const;

export interface AppProcess {
  readonly child: ChildProcess;
  /** Every stdout/stderr line so far (JSON log lines). */
  readonly lines: string[];
  /** The line that made it ready. */
  readonly readyLine: string;
  readonly exited: Promise<number | null>;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL; resolves once it is gone. */
  kill(): Promise<void>;
}

export interface WorkerProcess extends AppProcess {
  /** The `--stage` it was started with. */
  readonly stage: string;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Spawns `node <main> <args>` and resolves once an output line satisfies `ready`; rejects with every
 * line so far when the process exits first.
 */
export async function startAppProcess(
  main: string,
  args: string[],
  env: Record<string, string>,
  ready: (line: string) => boolean,
): Promise<AppProcess> {
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
    readyLine,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** A worker process (apps/worker) for the given stages; resolves once it logged `worker ready`. */
export async function startWorker(stage: string, env: Record<string, string>): Promise<WorkerProcess> {
  const proc = await startAppProcess(
    APP_MAINS.worker,
    ['--stage', stage],
    { REELAY_WORKER_PORT: '0', ...env },
    (line) => line.includes('"worker ready"'),
  );
  return Object.assign(proc, { stage });
}

/** An app that prints `{"event":"listening","url":…}` first (api, dashboard); resolves with that URL. */
async function startListening(
  main: string,
  env: Record<string, string>,
): Promise<AppProcess & { url: string }> {
  const proc = await startAppProcess(main, [], env, (line) => line.startsWith('{"event":"listening"'));
  return Object.assign(proc, { url: (JSON.parse(proc.readyLine) as { url: string }).url });
}

/** The api app (producer API, provider webhooks) on a free loopback port. */
export function startApi(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  return startListening(APP_MAINS.api, { REELAY_API_PORT: '0', REELAY_API_HOST: '127.0.0.1', ...env });
}

/** The dashboard app on a free loopback port. */
export function startDashboard(env: Record<string, string>): Promise<AppProcess & { url: string }> {
  return startListening(APP_MAINS.dashboard, {
    REELAY_DASHBOARD_PORT: '0',
    REELAY_DASHBOARD_HOST: '127.0.0.1',
    ...env,
  });
}
