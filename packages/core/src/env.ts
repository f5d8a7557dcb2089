import { z } from 'zod';
import { ValidationError } from './errors.ts';

/**
 * Parses an app's environment once, at start, with a zod object schema whose keys are variable names.
 * Fails fast with one message naming every bad variable and what it allows. The values themselves are
 * never echoed: a variable may hold a secret.
 */
export function parseEnv<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const lines = issues.map((i) => `  ${i.path}: ${i.message}`);
  return throwConfig(`invalid environment:\n${lines.join('\n')}`, issues);
}

function throwConfig(message: string, issues: Array<{ path: string; message: string }>): never {
  throw new ValidationError(message, issues, 'config_invalid');
}

/** Common field builders for env schemas: strings from the environment, typed on the way in. */
export const envField = {
  /** An integer, with bounds; the message names the range. */
  int: (opts: { min?: number; max?: number; default: number }) =>
    z.coerce
      .number()
      .int()
      .min(opts.min ?? Number.MIN_SAFE_INTEGER)
      .max(opts.max ?? Number.MAX_SAFE_INTEGER)
      .default(opts.default),
  /** A number (may be fractional), with bounds. */
  number: (opts: { min?: number; max?: number; default: number }) =>
    z.coerce
      .number()
      .min(opts.min ?? -Number.MAX_VALUE)
      .max(opts.max ?? Number.MAX_VALUE)
      .default(opts.default),
  /** `true/false/1/0/yes/no/on/off`, case-insensitive. */
  bool: (defaultValue: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off', 'TRUE', 'FALSE', 'True', 'False'])
      .optional()
      .transform((v) =>
        v === undefined ? defaultValue : ['true', '1', 'yes', 'on'].includes(v.toLowerCase()),
      ),
  /** A URL with one of the given protocols, e.g. `['redis:', 'rediss:']`. */
  url: (protocols: string[], defaultValue?: string) => {
    const base = z.string().refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
    );
    return defaultValue === undefined ? base : base.default(defaultValue);
  },
  /** A comma-separated list. */
  list: (defaultValue: string[] = []) =>
    z
      .string()
      .optional()
      .transform((v) =>
        v === undefined
          ? defaultValue
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      ),
};
