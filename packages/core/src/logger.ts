import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys whose values are secrets wherever they appear. pino's `redact` paths match one level per `*`,
 * so a key three objects deep would slip through its wildcard; instead every logged object passes
 * through `redactDeep` (the `formatters.log` hook), which walks all depths and is cycle-safe.
 */
const SECRET_KEY =
  /^(authorization|proxy-authorization|cookie|set-cookie|x-api-key|api[-_]?key|apikey|secret|.*[-_]secret|secret[-_].*|password|passwd|token|access[-_]?token|refresh[-_]?token|.*[-_]token|client[-_]?secret|webhook[-_]?secret|signing[-_]?secret|private[-_]?key|credentials?|secretaccesskey|aws[-_]?secret[-_]?access[-_]?key|webhook-signature)$/i;

/** Secret-looking substrings inside otherwise harmless strings (an error message quoting a header). */
const SECRET_VALUE =
  /(Bearer\s+)[A-Za-z0-9._~+/=-]{6,}|\b(sk|rk|whsec|rl)_[A-Za-z0-9_-]{6,}|\bsk-[A-Za-z0-9_-]{6,}/g;

export const REDACTED = '[redacted]';

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function redactString(value: string): string {
  return value.replace(SECRET_VALUE, (_m, bearer: string | undefined) =>
    bearer ? `${bearer}${REDACTED}` : REDACTED,
  );
}

/** A copy of `value` with every secret-named key's value and every secret-looking token replaced. */
export function redactDeep(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, seen));
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactString(value.message) };
    if (value.stack) out['stack'] = redactString(value.stack);
    for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactDeep(v, seen);
    return out;
  }
  if (value instanceof Map || value instanceof Set || ArrayBuffer.isView(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = isSecretKey(k) ? REDACTED : redactDeep(v, seen);
  return out;
}

export interface LoggerFactoryOptions {
  /** Component name on every line (`worker`, `api`, ...). */
  name: string;
  /** pino level. Default: `LOG_LEVEL` or `info`. */
  level?: string;
  /**
   * `json` (one JSON object a line, for production and log shippers) or `pretty` (pino-pretty, for a
   * terminal). Default: `LOG_FORMAT`, else `pretty` when stdout is a TTY and NODE_ENV is not production.
   */
  format?: 'json' | 'pretty';
  /** Where lines go. Default: stdout. Tests pass a stream to read lines back. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(options: LoggerFactoryOptions): Logger {
  const format =
    options.format ??
    (process.env['LOG_FORMAT'] === 'json' || process.env['LOG_FORMAT'] === 'pretty'
      ? process.env['LOG_FORMAT']
      : process.stdout.isTTY && process.env['NODE_ENV'] !== 'production'
        ? 'pretty'
        : 'json');
  const config: LoggerOptions = {
    name: options.name,
    level: options.level ?? process.env['LOG_LEVEL'] ?? 'info',
    formatters: { log: (object) => redactDeep(object) as Record<string, unknown> },
    // `err` goes through formatters.log like every other field; the default serializer would
    // return a fresh object after our hook had already run.
    serializers: { err: (e: unknown) => redactDeep(e) },
    // The message string is not part of the object `formatters.log` sees; scrub it here.
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? redactString(a) : a)) as typeof args;
        method.apply(this, scrubbed);
      },
    },
  };
  if (format === 'pretty' && options.destination === undefined) {
    return pino({ ...config, transport: { target: 'pino-pretty', options: { colorize: true } } });
  }
  return options.destination ? pino(config, options.destination) : pino(config);
}
