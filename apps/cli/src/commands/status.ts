import { GenerationStore } from '@reelay/core';
import type { Command } from 'commander';
import { cliEnvSchema, loadEnv } from '../env.ts';
import { CliError, EXIT } from '../exit.ts';
import { describeRecord } from '../format.ts';
import { connectRedis } from '../redis.ts';

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show a generation: status, where it is stored, error, timings')
    .argument('<id>', 'generation id (gen_…)')
    .option('--json', 'print the record as one JSON object')
    .action(async (id: string, flags: { json?: boolean }) => {
      const env = loadEnv(cliEnvSchema);
      const redis = await connectRedis(env.REDIS_URL, 'producer');
      try {
        const record = await new GenerationStore(redis, env.REELAY_PREFIX).get(id);
        if (!record) {
          throw new CliError(
            `no generation ${id} under prefix ${env.REELAY_PREFIX} (REDIS_URL, REELAY_PREFIX)`,
            EXIT.failed,
          );
        }
        process.stdout.write(`${flags.json ? JSON.stringify(record) : describeRecord(record)}\n`);
      } finally {
        redis.disconnect();
      }
    });
}
