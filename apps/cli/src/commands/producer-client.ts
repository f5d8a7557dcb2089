import { Reelay } from '@reelay/client';
import { ReelayError } from '@reelay/core';
import { cliEnvSchema, loadEnv } from '../env.ts';
import { CliError, EXIT } from '../exit.ts';
import { moderationFromEnv } from '../moderation.ts';
import { connectRedis } from '../redis.ts';

/**
 * Runs `fn` with a producer client on REDIS_URL / REELAY_PREFIX (exit 3 when Redis does not answer)
 * and turns the SDK's errors into exit codes: bad input → 2, not found / refused → 1.
 */
export async function withClient<T>(fn: (client: Reelay) => Promise<T>): Promise<T> {
  const env = loadEnv(cliEnvSchema);
  const moderate = moderationFromEnv(env);
  // 'worker' role: retries forever, which BullMQ's QueueEvents (waitForCompletion) require.
  const redis = await connectRedis(env.REDIS_URL, 'worker');
  const client = new Reelay({ redis, prefix: env.REELAY_PREFIX, ...(moderate ? { moderate } : {}) });
  try {
    return await fn(client);
  } catch (error) {
    if (error instanceof ReelayError) {
      const code = error.code === 'invalid_request' && error.param !== 'id' ? EXIT.badInput : EXIT.failed;
      throw new CliError(`${error.code}: ${error.message}`, code);
    }
    throw error;
  } finally {
    await client.close();
    redis.disconnect();
  }
}

/** A flag's integer value, or a bad-input error naming the flag. */
export function intFlag(
  name: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new CliError(`--${name} must be an integer from ${min} to ${max}; got "${value}"`, EXIT.badInput);
  }
  return n;
}
