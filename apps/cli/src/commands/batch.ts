import { readFile } from 'node:fs/promises';
import type { GenerationCreateManyItem, GenerationCreateParams } from '@reelay/client';
import type { Command } from 'commander';
import { CliError, EXIT } from '../exit.ts';
import { table } from '../format.ts';
import { intFlag, withClient } from './producer-client.ts';
import { ProgressBar } from './progress.ts';

/**
 * Lines → create items. A line starting with `{` is JSON (the SDK's params, optionally with an
 * `options` object); any other non-empty line is a prompt. Blank lines and `#` comments are skipped.
 */
export function parseBatch(text: string): { items: GenerationCreateManyItem[]; lines: number[] } {
  const items: GenerationCreateManyItem[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    if (line.startsWith('{')) {
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new CliError(`line ${i + 1}: not valid JSON (${(error as Error).message})`, EXIT.badInput);
      }
      const { options, ...params } = value as { options?: GenerationCreateManyItem['options'] };
      items.push({ params: params as GenerationCreateParams, ...(options ? { options } : {}) });
    } else {
      items.push({ params: { prompt: line } });
    }
    lines.push(i + 1);
  });
  return { items, lines };
}

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('enqueue many generations from a file: one prompt a line, or JSONL (SDK params per line)')
    .argument('<file>', 'text or JSONL file')
    .option('--tenant <tenant>', 'tenant for lines that name none')
    .option('--priority <n>', 'priority for lines that name none (0 first)')
    .option('--key-prefix <prefix>', 'idempotency keys <prefix>-<line>: re-running adds nothing twice')
    .option('--json', 'print {created, failed, results} as one JSON object (no progress bar)')
    .action(
      async (
        file: string,
        flags: { tenant?: string; priority?: string; keyPrefix?: string; json?: boolean },
      ) => {
        let text: string;
        try {
          text = await readFile(file, 'utf8');
        } catch (error) {
          throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
        }
        const { items, lines } = parseBatch(text);
        if (items.length === 0) throw new CliError(`${file} holds no prompts`, EXIT.badInput);
        const priority = intFlag('priority', flags.priority, 0, 2_097_151);
        const withDefaults = items.map((item, i) => ({
          params: item.params,
          options: {
            ...(flags.tenant !== undefined ? { tenant: flags.tenant } : {}),
            ...(priority !== undefined ? { priority } : {}),
            ...(flags.keyPrefix !== undefined ? { idempotencyKey: `${flags.keyPrefix}-${lines[i]}` } : {}),
            ...item.options,
          },
        }));
        const started = performance.now();
        const bar = flags.json ? undefined : new ProgressBar(items.length);
        const res = await withClient((client) =>
          client.generations.createMany(withDefaults, {
            chunkSize: 500,
            onProgress: (p) => bar?.update(p.done, p.failed),
          }),
        );
        bar?.finish();
        const seconds = (performance.now() - started) / 1000;
        if (flags.json) {
          process.stdout.write(`${JSON.stringify({ ...res, seconds })}\n`);
        } else {
          const generations = res.results.reduce((n, r) => n + (r.ok ? r.data.length : 0), 0);
          const existing = res.results.reduce(
            (n, r) => n + (r.ok ? r.data.filter((d) => !d.created).length : 0),
            0,
          );
          process.stdout.write(
            `${table(
              ['lines', 'accepted', 'rejected', 'generations', 'already there', 'seconds'],
              [
                [
                  String(items.length),
                  String(res.created),
                  String(res.failed),
                  String(generations),
                  String(existing),
                  seconds.toFixed(2),
                ],
              ],
            )}\n`,
          );
          const rejected = res.results.filter((r) => !r.ok).slice(0, 20);
          if (rejected.length > 0) {
            process.stdout.write(
              `${table(
                ['line', 'code', 'error'],
                rejected.map((r) => [
                  String(lines[r.index]),
                  r.ok ? '' : r.error.code,
                  r.ok ? '' : r.error.message,
                ]),
              )}\n`,
            );
            if (res.failed > rejected.length)
              process.stdout.write(`… and ${res.failed - rejected.length} more\n`);
          }
        }
        // Some lines rejected: exit 2 (bad input), though the valid ones were enqueued.
        if (res.failed > 0) process.exitCode = EXIT.badInput;
      },
    );
}
