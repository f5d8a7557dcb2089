import type { Command } from 'commander';
import { withClient } from './producer-client.ts';

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description('cancel a generation (queued: removed; at the provider: polling stops, slot freed)')
    .argument('<id>', 'generation id (gen_…)')
    .option('--json', 'print the cancelled record as one JSON object')
    .action(async (id: string, flags: { json?: boolean }) => {
      await withClient(async (client) => {
        const record = await client.generations.cancel(id);
        process.stdout.write(flags.json ? `${JSON.stringify(record)}\n` : `${record.id} cancelled\n`);
      });
    });
}
