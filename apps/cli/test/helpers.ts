import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/main.ts', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Starts the CLI as a real process, with `env` over this process's environment. */
export function spawnCli(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs the CLI to its end; SIGKILLs it (and fails) after `timeoutMs`. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliRun> {
  const child = spawnCli(args, env);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`reelay ${args.join(' ')} did not end within ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // 'exit' can precede the last 'data'; 'close' waits for the streams.
      child.once('close', () => resolve({ code, stdout, stderr }));
      if (child.stdout!.closed && child.stderr!.closed) resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Pids of live processes whose environment holds `marker` (a value only this test's processes
 * carry, e.g. its private data dir): how a test sees every process a CLI run left behind.
 */
export function processesWithEnv(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
        // A zombie (state Z) has exited; only its parent's bookkeeping is left.
        if (!/^\d+ \(.*\) Z/.test(stat)) pids.push(Number(entry));
      }
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return pids;
}
