import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import { APP_ENTRIES } from '../paths.ts';

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('run the provider simulator in the foreground (flags pass through; try `reelay sim --help`)')
    .helpOption(false)
    .passThroughOptions()
    .allowUnknownOption()
    .allowExcessArguments()
    .argument('[flags...]', 'simulator flags, e.g. --port 4010 --time-scale 20')
    .action(async (flags: string[]) => {
      process.exitCode = await runSim(flags);
    });
}

/** The simulator with inherited stdio; signals are forwarded so Ctrl-C stops it cleanly. */
async function runSim(flags: string[]): Promise<number> {
  const child = spawn(process.execPath, [APP_ENTRIES.sim, ...flags], { stdio: 'inherit' });
  const forward = (signal: NodeJS.Signals) => {
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code, signal) => resolve(code ?? (signal === 'SIGINT' ? 130 : 1)));
    });
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}
