import { DEFAULT_PREFIX, ReelayError, checkPrefix } from '@reelay/core';
import type { Moderate, ReelayOptions } from './types.ts';

/** ReelayOptions with every default applied, once. */
export interface ResolvedClientOptions {
  redisUrl: string;
  prefix: string;
  provider: string;
  defaultTenant: string;
  strict: boolean;
  prompt: { minLength: number; maxLength: number };
  moderate: Moderate | undefined;
}

/** The provider accepts prompts up to this long (core's request schema enforces it too). */
export const PROVIDER_PROMPT_MAX = 4000;

export function resolveClientOptions(input: ReelayOptions = {}): ResolvedClientOptions {
  const minLength = input.prompt?.minLength ?? 1;
  const maxLength = input.prompt?.maxLength ?? PROVIDER_PROMPT_MAX;
  if (
    !Number.isInteger(minLength) ||
    !Number.isInteger(maxLength) ||
    minLength < 1 ||
    maxLength < minLength ||
    maxLength > PROVIDER_PROMPT_MAX
  ) {
    throw new ReelayError(
      'config_invalid',
      `prompt length bounds must be integers with 1 ≤ minLength ≤ maxLength ≤ ${PROVIDER_PROMPT_MAX}`,
      { param: 'prompt' },
    );
  }
  return {
    // Env only as a documented fallback: explicit options win.
    redisUrl:
      typeof input.redis === 'string' ? input.redis : (process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379'),
    prefix: checkPrefix(input.prefix ?? DEFAULT_PREFIX),
    provider: input.provider ?? 'openai',
    defaultTenant: input.defaultTenant ?? 'default',
    strict: input.strict ?? false,
    prompt: { minLength, maxLength },
    moderate: input.moderate,
  };
}
