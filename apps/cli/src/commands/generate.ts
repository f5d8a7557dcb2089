import {
  GenerationStore,
  type GenerationRecord,
  type GenerationRequestInput,
  closeStageQueues,
  createStageQueues,
  generationRequestSchema,
} from '@reelay/core';
import { enqueueGeneration, resolvePipelineOptions, waitForGeneration } from '@reelay/pipeline';
import type { Command } from 'commander';
import { cliEnvSchema, loadEnv } from '../env.ts';
import { CliError, EXIT } from '../exit.ts';
import { statusLabel } from '../format.ts';
import { moderationFromEnv } from '../moderation.ts';
import { connectRedis } from '../redis.ts';

interface GenerateFlags {
  model?: string;
  seconds?: string;
  size?: string;
  thumbnail?: boolean;
  idempotencyKey?: string;
  wait?: boolean;
  timeout?: string;
  json?: boolean;
}

/** Request fields → the flag a user typed, for messages. */
const FLAG_OF: Record<string, string> = {
  prompt: '<prompt>',
  model: '--model',
  seconds: '--seconds',
  size: '--size',
  thumbnail: '--thumbnail',
};

/** Default for --wait: generations take minutes at real pace; 30 min matches the pipeline's deadline. */
const DEFAULT_WAIT_TIMEOUT_MS = 30 * 60_000;

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('enqueue one video generation and print its id')
    .argument('<prompt>', 'what the video shows')
    .option('--model <model>', 'provider model (default sora-2)')
    .option('--seconds <s>', 'clip length: 4, 8, 12, 16 or 20 (default 4)')
    .option('--size <WxH>', 'e.g. 720x1280 (default), 1280x720; 1080p needs sora-2-pro')
    .option('--thumbnail', 'also store the thumbnail')
    .option('--idempotency-key <key>', 'the same key always names the same generation')
    .option('--wait', 'wait for it to end and print where the video was stored')
    .option('--timeout <ms>', 'with --wait: give up after this long (default 1800000)')
    .option('--json', 'print one JSON object instead of text')
    .action(async (prompt: string, flags: GenerateFlags) => {
      process.exitCode = await generate(prompt, flags);
    });
}

async function generate(prompt: string, flags: GenerateFlags): Promise<number> {
  // Everything is checked before Redis is touched: bad input enqueues nothing, whatever Redis does.
  const input: GenerationRequestInput = { prompt };
  if (flags.model !== undefined) input.model = flags.model;
  if (flags.seconds !== undefined) input.seconds = flags.seconds as GenerationRequestInput['seconds'];
  if (flags.size !== undefined) input.size = flags.size as GenerationRequestInput['size'];
  if (flags.thumbnail) input.thumbnail = true;
  const parsed = generationRequestSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.') || 'request';
      return `${FLAG_OF[field] ?? field}: ${issue.message}`;
    });
    throw new CliError(`invalid request:\n  ${problems.join('\n  ')}`, EXIT.badInput);
  }
  const timeoutMs = flags.timeout === undefined ? DEFAULT_WAIT_TIMEOUT_MS : Number(flags.timeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new CliError(`--timeout: expected a positive integer (ms), got '${flags.timeout}'`, EXIT.badInput);
  }
  if (
    flags.idempotencyKey !== undefined &&
    (flags.idempotencyKey === '' || flags.idempotencyKey.length > 200)
  ) {
    throw new CliError('--idempotency-key: must be 1 to 200 characters', EXIT.badInput);
  }
  const env = loadEnv(cliEnvSchema);
  await moderate(moderationFromEnv(env), parsed.data.prompt);

  const redis = await connectRedis(env.REDIS_URL, 'producer');
  const store = new GenerationStore(redis, env.REELAY_PREFIX);
  const queues = createStageQueues(redis, env.REELAY_PREFIX);
  try {
    const result = await enqueueGeneration(
      { store, queues, options: resolvePipelineOptions() },
      parsed.data,
      flags.idempotencyKey !== undefined ? { idempotencyKey: flags.idempotencyKey } : {},
    );
    if (!flags.wait) {
      if (flags.json) print({ id: result.id, status: result.status, created: result.created });
      else {
        process.stdout.write(`${result.id}\n`);
        if (!result.created)
          process.stderr.write(`(already enqueued under this idempotency key: ${result.status})\n`);
      }
      return EXIT.ok;
    }
    if (!flags.json) {
      process.stdout.write(`${result.id}\n`);
      process.stderr.write('enqueued; waiting for it to end…\n');
    }
    const events = await connectRedis(env.REDIS_URL, 'worker');
    let record: GenerationRecord;
    try {
      record = await waitForGeneration(store, events, result.id, {
        timeoutMs,
        onStatus: (r) => {
          if (!flags.json) process.stderr.write(`  ${r.status}\n`);
        },
      });
    } catch (error) {
      const current = await store.get(result.id);
      const message = `gave up waiting after ${timeoutMs} ms (${(error as Error).message}); it is ${current?.status ?? 'unknown'}`;
      if (flags.json)
        print({
          id: result.id,
          status: current?.status ?? 'unknown',
          created: result.created,
          error: { code: 'timeout', message },
        });
      else process.stderr.write(`reelay: ${message}; check later with \`reelay status ${result.id}\`\n`);
      return EXIT.failed;
    } finally {
      events.disconnect();
    }
    return report(record, result.created, flags.json === true);
  } finally {
    await closeStageQueues(queues);
    redis.disconnect();
  }
}

function report(record: GenerationRecord, created: boolean, json: boolean): number {
  const ok = record.status === 'completed';
  if (json) {
    print({
      id: record.id,
      status: record.status,
      created,
      ...(record.storage ? { storage: record.storage } : {}),
      ...(record.error ? { error: record.error } : {}),
    });
  } else if (ok && record.storage) {
    process.stdout.write(
      `uri     ${record.storage.uri}\nbytes   ${record.storage.bytes}\nsha256  ${record.storage.sha256}\n`,
    );
  } else {
    process.stderr.write(
      `reelay: ${record.id} ${statusLabel(record)}${record.error ? `: ${record.error.message}` : ''}\n`,
    );
  }
  return ok ? EXIT.ok : EXIT.failed;
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/**
 * With REELAY_MODERATION=on, the prompt is checked before Redis is touched: flagged → exit 1 naming
 * the categories; a check that cannot be made → exit 1 too. Either way nothing is enqueued.
 */
async function moderate(check: ReturnType<typeof moderationFromEnv>, prompt: string): Promise<void> {
  if (!check) return;
  let verdict: Awaited<ReturnType<typeof check>>;
  try {
    verdict = await check(prompt);
  } catch (error) {
    throw new CliError(
      `moderation check failed (${(error as Error).message}); nothing was enqueued`,
      EXIT.failed,
    );
  }
  if (verdict.flagged) {
    throw new CliError(
      `content_policy: prompt was flagged by moderation (${verdict.categories.join(', ') || 'no category given'}); nothing was enqueued`,
      EXIT.failed,
    );
  }
}
