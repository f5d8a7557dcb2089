import { ReelayError } from '@reelay/core';
import type { ProviderResponseInfo } from '../provider.ts';

export interface OpenAIProviderOptions {
  /**
   * Bearer key for the provider. Default: `OPENAI_API_KEY`. Required one way or the other; never
   * logged and cut out of every error message.
   */
  apiKey?: string;
  /**
   * Base URL including `/v1` (a gateway, a self-hosted server, the simulator).
   * Default: `OPENAI_BASE_URL`, else `https://api.openai.com/v1`.
   */
  baseURL?: string;
  /** Model used when a request names none. Default: `REELAY_MODEL`, else `sora-2`. */
  model?: string;
  /**
   * Per-request deadline in ms, up to the response headers (a download's body is bounded by the
   * caller's `signal` instead: a large file legitimately takes longer). Default 60 000: every Videos
   * call is a quick metadata exchange — the generation itself runs asynchronously — so a minute means
   * the provider or the network is stuck, and the queue's retry is a better use of the time than the
   * SDK's 10-minute default.
   */
  timeoutMs?: number;
  /**
   * Standard Webhooks secret (`whsec_…`) for `verifyWebhook`. Default: `OPENAI_WEBHOOK_SECRET`.
   * Optional: only the process that receives webhooks needs it.
   */
  webhookSecret?: string;
  /** Sent on every request (e.g. a gateway's routing header). Default: none. */
  defaultHeaders?: Record<string, string>;
  /** Name of this provider configuration in records and metrics. Default `openai`. */
  name?: string;
  /** Model for `moderate`. Default `omni-moderation-latest` (the API's own default, named for clarity). */
  moderationModel?: string;
  /**
   * How many times a READ (retrieve, list page, content headers, moderation) that failed transiently
   * — 5xx, a reset connection, an unreadable reply — is sent again in place, after a short jittered
   * pause (100 ms, 200 ms, ... capped at 2 s, or the provider's retry-after). Reads are free and
   * idempotent, so a 5xx burst should not spend a job's attempts: a reconciliation that walks four list
   * pages at a 30 % error rate would otherwise fail three times in four. Timeouts, aborts, 429s and
   * every create are never retried here (the queue's backoff and the rate limiter own those; a second
   * create is a second paid video). In an outage retries stop after a few failures (a retry budget:
   * they need most recent exchanges to have succeeded), so a provider that is down is not sent three
   * requests per job attempt. Default 2; 0 turns it off.
   */
  readRetries?: number;
  /**
   * Called after every HTTP exchange — success or error — with the status and headers
   * (`x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests`, `retry-after-ms`...), for adaptive
   * rate limiting and metrics. Its exceptions are swallowed: a metrics hook must not fail a paid create.
   */
  onResponse?: (info: ProviderResponseInfo) => void;
  /** Where the fallbacks above are read. Default `process.env`; tests pass their own. */
  env?: Record<string, string | undefined>;
}

export interface ResolvedOpenAIProviderOptions {
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  readRetries: number;
  webhookSecret: string | undefined;
  defaultHeaders: Record<string, string>;
  name: string;
  moderationModel: string;
  onResponse: ((info: ProviderResponseInfo) => void) | undefined;
}

export const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
export const DEFAULT_MODEL = 'sora-2';
export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_READ_RETRIES = 2;
export const DEFAULT_MODERATION_MODEL = 'omni-moderation-latest';

/** Explicit options first, the environment second, defaults last — resolved once, here. */
export function resolveOpenAIProviderOptions(
  options: OpenAIProviderOptions = {},
): ResolvedOpenAIProviderOptions {
  const env = options.env ?? process.env;
  const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const apiKey = nonEmpty(options.apiKey) ?? nonEmpty(env['OPENAI_API_KEY']);
  if (apiKey === undefined) {
    throw new ReelayError('config_invalid', 'no provider API key: pass apiKey or set OPENAI_API_KEY', {
      param: 'apiKey',
    });
  }
  const baseURL = nonEmpty(options.baseURL) ?? nonEmpty(env['OPENAI_BASE_URL']) ?? DEFAULT_BASE_URL;
  if (!URL.canParse(baseURL)) {
    throw new ReelayError('config_invalid', 'provider baseURL is not a URL (baseURL / OPENAI_BASE_URL)', {
      param: 'baseURL',
    });
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new ReelayError(
      'config_invalid',
      `provider timeoutMs must be a positive integer, got ${timeoutMs}`,
      {
        param: 'timeoutMs',
      },
    );
  }
  const readRetries = options.readRetries ?? DEFAULT_READ_RETRIES;
  if (!Number.isInteger(readRetries) || readRetries < 0 || readRetries > 10) {
    throw new ReelayError(
      'config_invalid',
      `provider readRetries must be an integer from 0 to 10, got ${readRetries}`,
      { param: 'readRetries' },
    );
  }
  return {
    apiKey,
    baseURL,
    readRetries,
    model: nonEmpty(options.model) ?? nonEmpty(env['REELAY_MODEL']) ?? DEFAULT_MODEL,
    timeoutMs,
    webhookSecret: nonEmpty(options.webhookSecret) ?? nonEmpty(env['OPENAI_WEBHOOK_SECRET']),
    defaultHeaders: options.defaultHeaders ?? {},
    name: options.name ?? 'openai',
    moderationModel: options.moderationModel ?? DEFAULT_MODERATION_MODEL,
    onResponse: options.onResponse,
  };
}
