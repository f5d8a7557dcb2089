import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError, envField, parseEnv } from '../src/index.ts';

const schema = z.object({
  REDIS_URL: envField.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
  REELAY_CONCURRENCY: envField.int({ min: 1, max: 500, default: 10 }),
  REELAY_DEBUG: envField.bool(false),
  OPENAI_API_KEY: z.string().min(1),
});

describe('parseEnv', () => {
  it('applies defaults and types values', () => {
    const env = parseEnv(schema, { OPENAI_API_KEY: 'k', REELAY_DEBUG: 'yes' });
    expect(env).toEqual({
      REDIS_URL: 'redis://127.0.0.1:6379',
      REELAY_CONCURRENCY: 10,
      REELAY_DEBUG: true,
      OPENAI_API_KEY: 'k',
    });
  });

  it('fails fast naming every bad variable, without echoing values', () => {
    let error: unknown;
    try {
      parseEnv(schema, { REDIS_URL: 'http://secret-host', REELAY_CONCURRENCY: '0', OPENAI_API_KEY: '' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ValidationError);
    const message = (error as Error).message;
    expect(message).toContain('REDIS_URL: must be a URL starting with redis:// or rediss://');
    expect(message).toContain('REELAY_CONCURRENCY');
    expect(message).toContain('OPENAI_API_KEY');
    expect(message).not.toContain('secret-host');
    expect((error as ValidationError).code).toBe('config_invalid');
  });
});
