import { parseArgs } from 'node:util';
import { parseConfigPatch, type SimConfig, type SimulatorOptions } from './sim-options.ts';

/** Thrown for a bad flag; main.ts prints it and exits 2. The message names the flag. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

type Kind = 'number' | 'string' | 'list' | 'boolean';

/** One kebab-case flag per config key (and the same parser for every flag of that kind). */
const CONFIG_FLAGS: Record<string, { key: keyof SimConfig; kind: Kind }> = {
  'create-rpm': { key: 'createRpm', kind: 'number' },
  'read-rpm': { key: 'readRpm', kind: 'number' },
  'window-ms': { key: 'windowMs', kind: 'number' },
  'max-in-flight': { key: 'maxInFlight', kind: 'number' },
  'time-scale': { key: 'timeScale', kind: 'number' },
  'server-error-rate': { key: 'serverErrorRate', kind: 'number' },
  'server-error-status': { key: 'serverErrorStatus', kind: 'number' },
  'failure-rate': { key: 'failureRate', kind: 'number' },
  'failure-code': { key: 'failureCode', kind: 'string' },
  'webhook-url': { key: 'webhookUrl', kind: 'string' },
  'webhook-secret': { key: 'webhookSecret', kind: 'string' },
  'webhook-duplicate-rate': { key: 'webhookDuplicateRate', kind: 'number' },
  'webhook-out-of-order': { key: 'webhookOutOfOrder', kind: 'boolean' },
  'webhook-jitter-ms': { key: 'webhookJitterMs', kind: 'number' },
  'webhook-max-attempts': { key: 'webhookMaxAttempts', kind: 'number' },
  'webhook-retry-base-ms': { key: 'webhookRetryBaseMs', kind: 'number' },
  'video-bytes': { key: 'videoBytes', kind: 'number' },
  'ttl-seconds': { key: 'ttlSeconds', kind: 'number' },
  'slow-ms': { key: 'slowMs', kind: 'number' },
  'slow-rate': { key: 'slowRate', kind: 'number' },
  'reset-rate': { key: 'resetRate', kind: 'number' },
  'lost-create-rate': { key: 'lostCreateRate', kind: 'number' },
  'drop-download-rate': { key: 'dropDownloadRate', kind: 'number' },
  'drop-after-bytes': { key: 'dropAfterBytes', kind: 'number' },
  'quota-exhausted': { key: 'quotaExhausted', kind: 'boolean' },
  'quota-videos': { key: 'quotaVideos', kind: 'number' },
  'api-keys': { key: 'apiKeys', kind: 'list' },
  'moderation-blocklist': { key: 'moderationBlocklist', kind: 'list' },
};

export const HELP = `reelay provider simulator: a local /v1/videos server (OpenAI contract) with limits, faults and stats.

Usage: node apps/provider-sim/src/main.ts [flags]

  --port N                 port to listen on (default $REELAY_SIM_PORT or 4010; 0 = a free port)
  --host H                 interface to bind (default 127.0.0.1)
  --seed S                 seed for ids, durations, failures, faults and bytes (default random)
  --create-rpm N           creates allowed per key per window (0 = unlimited, default)
  --read-rpm N             other /v1 calls allowed per key per window (0 = unlimited, default)
  --window-ms N            sliding rate window, real ms (default 60000)
  --max-in-flight N        unfinished generations per key before create answers 429 (0 = no cap)
  --time-scale X           provider seconds per wall second (default 1; 100 = 100x faster)
  --server-error-rate R    fraction of /v1 calls answered 500/503 (default 0)
  --server-error-status S  500 or 503 (default 500)
  --failure-rate R         fraction of generations ending "failed" (default 0)
  --failure-code C         error.code of failed generations (default internal_error)
  --[no-]idempotency       honour Idempotency-Key on creates (default on)
  --webhook-url URL        where video.completed / video.failed events go
  --webhook-secret whsec_… Standard Webhooks signing secret
  --webhook-duplicate-rate R, --webhook-out-of-order, --webhook-jitter-ms N,
  --webhook-max-attempts N, --webhook-retry-base-ms N
  --video-bytes N          MP4 size served (default 1048576)
  --ttl-seconds N          content lifetime after completion, provider seconds (default 3600)
  --slow-ms N, --slow-rate R, --reset-rate R, --lost-create-rate R,
  --drop-download-rate R, --drop-after-bytes N, --quota-exhausted, --quota-videos N
  --api-keys a,b           accepted bearer keys (default: any non-empty key)
  --moderation-blocklist w1,w2  words that get a prompt rejected with 400 moderation_blocked
  --help                   this text

Control: GET /__sim/stats, GET|POST /__sim/config, POST /__sim/reset (no auth).`;

export interface ParsedFlags {
  help: boolean;
  options: SimulatorOptions;
}

function toValue(flag: string, kind: Kind, raw: string | boolean): unknown {
  if (kind === 'boolean') return raw === true || raw === 'true';
  const text = String(raw);
  if (kind === 'list')
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  if (kind === 'string') return text;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw new FlagError(`--${flag}: expected a number, got '${text}'`);
  return value;
}

export function parseFlags(argv: string[], env: NodeJS.ProcessEnv = process.env): ParsedFlags {
  const options: Record<string, { type: 'string' | 'boolean' }> = {
    port: { type: 'string' },
    host: { type: 'string' },
    seed: { type: 'string' },
    help: { type: 'boolean' },
    idempotency: { type: 'boolean' },
    'no-idempotency': { type: 'boolean' },
  };
  for (const [flag, spec] of Object.entries(CONFIG_FLAGS)) {
    options[flag] = { type: spec.kind === 'boolean' ? 'boolean' : 'string' };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new FlagError((error as Error).message);
  }
  const patch: Record<string, unknown> = {};
  for (const [flag, spec] of Object.entries(CONFIG_FLAGS)) {
    const raw = values[flag];
    if (raw === undefined) continue;
    const value = toValue(flag, spec.kind, raw);
    try {
      parseConfigPatch({ [spec.key]: value });
    } catch (error) {
      // Secrets never appear in the message: only the flag and the reason.
      const reason = (error as Error).message.replace(/^invalid simulator config: [^:]+: /, '');
      throw new FlagError(`--${flag}: ${reason}`);
    }
    patch[spec.key] = value;
  }
  if (values['idempotency'] === true) patch['idempotency'] = true;
  if (values['no-idempotency'] === true) patch['idempotency'] = false;

  const rawPort = (values['port'] as string | undefined) ?? env['REELAY_SIM_PORT'] ?? '4010';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FlagError(`--port: expected an integer 0-65535, got '${rawPort}'`);
  }
  return {
    help: values['help'] === true,
    options: {
      ...(patch as Partial<SimConfig>),
      port,
      host: (values['host'] as string | undefined) ?? '127.0.0.1',
      ...(values['seed'] !== undefined ? { seed: String(values['seed']) } : {}),
    },
  };
}
