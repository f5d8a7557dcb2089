import { readFile } from 'node:fs/promises';
import type {
  Generation,
  GenerationCreateManyItem,
  GenerationCreateManyResponse,
  GenerationCreateParams,
} from '@reelay/client';
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

/** Default for --wait: generations take minutes at real pace; 30 min matches the pipeline's deadline. */
const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

interface BatchFlags {
  tenant?: string;
  priority?: string;
  keyPrefix?: string;
  json?: boolean;
  wait?: boolean;
  timeout?: string;
}

/** One generation of the batch after --wait: where its video is, or why there is none. */
interface WaitedGeneration {
  line: number;
  id: string;
  status: string;
  storage?: Generation['storage'];
  error?: { code: string; message: string };
}

export function registerBatch(program: Command): void {
  program
    .command('batch')
    .description('enqueue many generations from a file: one prompt a line, or JSONL (SDK params per line)')
    .argument('<file>', 'text or JSONL file')
    .option('--tenant <tenant>', 'tenant for lines that name none')
    .option('--priority <n>', 'priority for lines that name none (0 first)')
    .option('--key-prefix <prefix>', 'idempotency keys <prefix>-<line>: re-running adds nothing twice')
    .option(
      '--wait',
      'wait until every generation has ended (live progress); print where each video was stored or its failure code; exit 1 if any did not complete',
    )
    .option('--timeout <ms>', 'with --wait: give up after this long (default 1800000)')
    .option('--json', 'print {created, failed, results[, generations]} as one JSON object (no progress bar)')
    .action(async (file: string, flags: BatchFlags) => {
      process.exitCode = await batch(file, flags);
    });
}

async function batch(file: string, flags: BatchFlags): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  const { items, lines } = parseBatch(text);
  if (items.length === 0) throw new CliError(`${file} holds no prompts`, EXIT.badInput);
  const priority = intFlag('priority', flags.priority, 0, 2_097_151);
  const timeoutMs = flags.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new CliError(`--timeout: expected a positive integer (ms), got '${flags.timeout}'`, EXIT.badInput);
  }
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
  const { res, waited } = await withClient(async (client) => {
    const bar = flags.json ? undefined : new ProgressBar(items.length);
    const res = await client.generations.createMany(withDefaults, {
      chunkSize: 500,
      onProgress: (p) => bar?.update(p.done, p.failed),
    });
    bar?.finish();
    if (!flags.wait) return { res, waited: undefined };
    // Every generation of every accepted line (n > 1 makes several), in file order.
    const made: Array<{ line: number; id: string }> = [];
    for (const r of res.results) {
      if (r.ok) for (const g of r.data) made.push({ line: lines[r.index]!, id: g.id });
    }
    if (!flags.json) summary(items.length, res, started, lines);
    const waitBar = flags.json ? undefined : new ProgressBar(made.length, undefined, 'failed');
    waitBar?.update(0, 0);
    const outcome = await client.generations.waitForMany(
      made.map((m) => m.id),
      { timeout: timeoutMs, onEnded: (_, c) => waitBar?.update(c.ended, c.failed) },
    );
    waitBar?.finish();
    const waited: WaitedGeneration[] = made.map(({ line, id }) => {
      const record = outcome.ended.get(id);
      if (!record) {
        const last = outcome.pending.get(id);
        return {
          line,
          id,
          status: last?.status ?? 'unknown',
          error: { code: 'timeout', message: `still ${last?.status ?? 'unknown'} after ${timeoutMs} ms` },
        };
      }
      return {
        line,
        id,
        status: record.status,
        ...(record.storage ? { storage: record.storage } : {}),
        ...(record.error ? { error: { code: record.error.code, message: record.error.message } } : {}),
      };
    });
    return { res, waited };
  });
  const seconds = (performance.now() - started) / 1000;
  const notCompleted = waited?.filter((g) => g.status !== 'completed');
  if (flags.json) {
    const out = {
      ...res,
      seconds,
      ...(waited ? { generations: waited, notCompleted: notCompleted?.length ?? 0 } : {}),
    };
    process.stdout.write(`${JSON.stringify(out)}\n`);
  } else if (waited) {
    process.stdout.write(
      `${table(
        ['line', 'id', 'status', 'stored at / failure'],
        waited.map((g) => [
          String(g.line),
          g.id,
          g.status,
          g.storage?.uri ?? (g.error ? `${g.error.code}: ${g.error.message}` : ''),
        ]),
      )}\n`,
    );
    process.stdout.write(
      `${waited.length - (notCompleted?.length ?? 0)} of ${waited.length} stored, ${notCompleted?.length ?? 0} not, in ${seconds.toFixed(1)} s\n`,
    );
  } else {
    summary(items.length, res, started, lines);
  }
  // Not every generation completed (with --wait): 1. Else some lines rejected: 2 (bad input), though
  // the valid ones were enqueued.
  if (notCompleted && notCompleted.length > 0) return EXIT.failed;
  return res.failed > 0 ? EXIT.badInput : EXIT.ok;
}

/** The enqueue summary table, and the rejected lines (first 20). */
function summary(
  lineCount: number,
  res: GenerationCreateManyResponse,
  started: number,
  lines: readonly number[],
): void {
  const seconds = (performance.now() - started) / 1000;
  const generations = res.results.reduce((n, r) => n + (r.ok ? r.data.length : 0), 0);
  const existing = res.results.reduce((n, r) => n + (r.ok ? r.data.filter((d) => !d.created).length : 0), 0);
  process.stdout.write(
    `${table(
      ['lines', 'accepted', 'rejected', 'generations', 'already there', 'seconds'],
      [
        [
          String(lineCount),
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
        rejected.map((r) => [String(lines[r.index]), r.ok ? '' : r.error.code, r.ok ? '' : r.error.message]),
      )}\n`,
    );
    if (res.failed > rejected.length) process.stdout.write(`… and ${res.failed - rejected.length} more\n`);
  }
}
