import { PLATFORMS, type Platform } from '@reelay/client';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit.ts';
import { statusLabel, table } from '../format.ts';
import { intFlag, withClient } from './producer-client.ts';

export function registerCampaign(program: Command): void {
  program
    .command('campaign')
    .description('one prompt, one generation per platform (shape, length and style from its preset)')
    .argument('<prompt>', 'what to generate')
    .option('--platforms <list>', `comma-separated: ${PLATFORMS.join(', ')}`, 'youtube,tiktok,instagram_feed')
    .option('--duration <s>', 'seconds; each platform gets the longest clip within it and its own limit')
    .option('--tenant <tenant>', 'tenant (default: default)')
    .option('--key <key>', 'idempotency key: the same key gives the same campaign')
    .option('--json', 'print the campaign as one JSON object')
    .action(
      async (
        prompt: string,
        flags: { platforms: string; duration?: string; tenant?: string; key?: string; json?: boolean },
      ) => {
        const platforms = flags.platforms.split(',').map((p) => p.trim());
        const unknown = platforms.filter((p) => !(PLATFORMS as readonly string[]).includes(p));
        if (unknown.length > 0) {
          throw new CliError(
            `--platforms: unknown ${unknown.join(', ')}; allowed: ${PLATFORMS.join(', ')}`,
            EXIT.badInput,
          );
        }
        const duration = intFlag('duration', flags.duration, 4, 60);
        await withClient(async (client) => {
          const campaign = await client.campaigns.create(
            { prompt, platforms: platforms as Platform[], ...(duration !== undefined ? { duration } : {}) },
            {
              ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
              ...(flags.key !== undefined ? { idempotencyKey: flags.key } : {}),
            },
          );
          if (flags.json) {
            process.stdout.write(`${JSON.stringify(campaign)}\n`);
            return;
          }
          process.stdout.write(`campaign ${campaign.id}: ${campaign.status}\n`);
          const rows = campaign.children.map((c) => [
            c.platform,
            c.generation.id,
            c.generation.request.size,
            `${c.generation.request.seconds}s`,
            statusLabel(c.generation),
          ]);
          process.stdout.write(`${table(['platform', 'generation', 'size', 'length', 'status'], rows)}\n`);
        });
      },
    );
}
