import type { Moderate } from '@reelay/client';
import { createOpenAIProvider } from '@reelay/providers';
import type { CliEnv } from './env.ts';
import { CliError, EXIT } from './exit.ts';

/** Where the embedded simulator listens by default (`reelay start`, `reelay sim`). */
const DEFAULT_BASE_URL = 'http://127.0.0.1:4010/v1';

/**
 * The client's `moderate` hook when REELAY_MODERATION=on (the provider adapter's `moderations.create`),
 * else undefined. The same check the api makes, so a prompt refused over HTTP is refused here too.
 */
export function moderationFromEnv(env: CliEnv): Moderate | undefined {
  if (env.REELAY_MODERATION !== 'on') return undefined;
  if (env.OPENAI_API_KEY === undefined) {
    throw new CliError(
      'REELAY_MODERATION=on needs OPENAI_API_KEY (the key moderation calls are made with)',
      EXIT.badInput,
    );
  }
  const provider = createOpenAIProvider({
    apiKey: env.OPENAI_API_KEY,
    baseURL: env.OPENAI_BASE_URL ?? DEFAULT_BASE_URL,
    ...(env.REELAY_MODERATION_MODEL !== undefined ? { moderationModel: env.REELAY_MODERATION_MODEL } : {}),
  });
  return (prompt) => provider.moderate(prompt);
}
