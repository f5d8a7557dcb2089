import { GENERATION_STATUSES, type GenerationStatus } from '@reelay/core';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit.ts';
import { statusLabel, table } from '../format.ts';
import { intFlag, withClient } from './producer-client.ts';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('list generations, newest first (filter by status and tenant; page with --cursor)')
    .option('--status <status>', `one of ${GENERATION_STATUSES.join(', ')}`)
    .option('--tenant <tenant>', 'only this tenant')
    .option('--limit <n>', 'page size, 1–500 (default 50)')
    .option('--cursor <cursor>', 'from a previous page (printed as "next:")')
    .option('--json', 'print {data, nextCursor} as one JSON object')
    .action(
      async (flags: {
        status?: string;
        tenant?: string;
        limit?: string;
        cursor?: string;
        json?: boolean;
      }) => {
        if (
          flags.status !== undefined &&
          !(GENERATION_STATUSES as readonly string[]).includes(flags.status)
        ) {
          throw new CliError(`--status must be one of ${GENERATION_STATUSES.join(', ')}`, EXIT.badInput);
        }
        const limit = intFlag('limit', flags.limit, 1, 500);
        await withClient(async (client) => {
          const page = await client.generations.list({
            ...(flags.status !== undefined ? { status: flags.status as GenerationStatus } : {}),
            ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
            ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
            ...(limit !== undefined ? { limit } : {}),
          });
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(page)}\n`);
            return;
          }
          const rows = page.data.map((g) => [
            g.id,
            statusLabel(g),
            g.tenant,
            new Date(g.timings.createdAt).toISOString(),
            g.request.prompt.length > 40 ? `${g.request.prompt.slice(0, 39)}…` : g.request.prompt,
          ]);
          process.stdout.write(`${table(['id', 'status', 'tenant', 'created', 'prompt'], rows)}\n`);
          if (page.nextCursor) process.stdout.write(`next: --cursor ${page.nextCursor}\n`);
        });
      },
    );
}
