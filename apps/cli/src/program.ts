import { Command, CommanderError } from 'commander';
import { registerBatch } from './commands/batch.ts';
import { registerCampaign } from './commands/campaign.ts';
import { registerCancel } from './commands/cancel.ts';
import { registerGenerate } from './commands/generate.ts';
import { registerList } from './commands/list.ts';
import { registerSim } from './commands/sim.ts';
import { registerStart } from './commands/start.ts';
import { registerStatus } from './commands/status.ts';
import { CliError, EXIT } from './exit.ts';

export function buildProgram(): Command {
  const program = new Command('reelay')
    .description(
      'Reelay: queue-backed AI video generation. Exit codes: 0 ok, 1 failed, 2 bad input, 3 no Redis.',
    )
    .enablePositionalOptions()
    .showHelpAfterError('(see --help)')
    .exitOverride();
  registerStart(program);
  registerGenerate(program);
  registerStatus(program);
  registerSim(program);
  registerBatch(program);
  registerCampaign(program);
  registerList(program);
  registerCancel(program);
  for (const command of program.commands) command.exitOverride();
  return program;
}

/** Runs the CLI; resolves with the exit code (never exits by itself). */
export async function run(argv: string[]): Promise<number> {
  process.exitCode = undefined;
  try {
    await buildProgram().parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0; commander already printed the message.
      return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    }
    if (error instanceof CliError) {
      process.stderr.write(`reelay: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(
      `reelay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failed;
  }
}
