import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { APP_MAINS } from '@reelay/testing';

export { type AppProcess, startDashboard, startWorker } from '@reelay/testing';

/** Runs the dashboard's main.ts to its exit; for configurations it must refuse. */
export async function runDashboardToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [APP_MAINS.dashboard], {
    env: { ...process.env, LOG_FORMAT: 'json', REELAY_DASHBOARD_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { code, output };
}
