import {
  type EnqueueOptions,
  type PreparedEnqueue,
  ReelayError,
  type RequestMapping,
  ValidationError,
  generationIdFor,
  pooledGenerationId,
  validateEnqueue,
} from '@reelay/core';
import type { ZodError } from 'zod';
import type { ResolvedClientOptions } from './client-options.ts';
import { type Issue, mapParams } from './mapping.ts';
import { optionsSchema, paramsSchema } from './params.ts';
import type { GenerationCreateOptions } from './types.ts';

export interface PreparedCreate {
  items: PreparedEnqueue[];
  mapping: RequestMapping[];
  prompt: string;
}

function zodIssues(error: ZodError, prefix = ''): Issue[] {
  return error.issues.map((i) => ({
    path: prefix + (i.path.map(String).join('.') || '(params)'),
    message: i.message,
  }));
}

function fail(issues: Issue[]): never {
  throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
}

/**
 * Everything a create checks before Redis is touched: params, options, the friendly → native mapping
 * and core's own request schema. Throws one ValidationError listing every problem; `n` becomes n
 * prepared generations (ids derived from `key`, `key#1`, … when an idempotency key is given).
 */
export function prepareCreate(
  opts: ResolvedClientOptions,
  params: unknown,
  options: unknown = {},
  extra: Pick<EnqueueOptions, 'campaignId'> = {},
): PreparedCreate {
  const parsedOptions = optionsSchema.safeParse(options ?? {});
  const parsedParams = paramsSchema(opts.prompt).safeParse(params);
  const issues: Issue[] = [];
  if (!parsedParams.success) issues.push(...zodIssues(parsedParams.error));
  if (!parsedOptions.success) issues.push(...zodIssues(parsedOptions.error, 'options.'));
  if (!parsedParams.success || !parsedOptions.success) fail(issues);
  const o: GenerationCreateOptions = parsedOptions.data;
  const { mapped, issues: mapIssues } = mapParams(parsedParams.data, o.strict ?? opts.strict);
  if (!mapped) fail(mapIssues);

  const priority = o.priority ?? 0;
  const request = validateEnqueue(mapped.request, priority);
  const tenant = o.tenant ?? opts.defaultTenant;
  const metadata = mapped.metadata || o.metadata ? { ...mapped.metadata, ...o.metadata } : undefined;
  const enqueueOptions: EnqueueOptions = {
    tenant,
    priority,
    ...(o.idempotencyKey !== undefined ? { idempotencyKey: o.idempotencyKey } : {}),
    ...(metadata !== undefined ? { metadata } : {}),
    ...(o.callbackUrl !== undefined ? { callbackUrl: o.callbackUrl } : {}),
    ...(mapped.mapping.length > 0 ? { mapping: mapped.mapping } : {}),
    ...extra,
  };
  const items: PreparedEnqueue[] = [];
  for (let i = 0; i < mapped.n; i++) {
    const key =
      o.idempotencyKey === undefined ? undefined : i === 0 ? o.idempotencyKey : `${o.idempotencyKey}#${i}`;
    items.push({
      id: key === undefined ? pooledGenerationId() : generationIdFor(tenant, key),
      tenant,
      request,
      priority,
      options: key === undefined ? enqueueOptions : { ...enqueueOptions, idempotencyKey: key },
    });
  }
  return { items, mapping: mapped.mapping, prompt: request.prompt };
}

/**
 * Injected moderation, before anything is enqueued: flagged → content_policy with the categories.
 * A moderation call that fails fails the create (nothing enqueued): with moderation on, nothing goes
 * to the video endpoint unchecked. Its error keeps the cause's code and retryability (a provider
 * `transient` or `rate_limited` may be retried) and says `details.stage: 'moderation'`.
 */
export async function moderateOrThrow(opts: ResolvedClientOptions, prompt: string): Promise<void> {
  if (!opts.moderate) return;
  let verdict: Awaited<ReturnType<NonNullable<ResolvedClientOptions['moderate']>>>;
  try {
    verdict = await opts.moderate(prompt);
  } catch (error) {
    const cause = error instanceof ReelayError ? error : undefined;
    throw new ReelayError(
      cause?.code ?? 'transient',
      `moderation check failed (${cause?.message ?? 'moderation call threw'}); nothing was enqueued`,
      {
        param: 'prompt',
        retryable: cause?.retryable ?? true,
        ...(cause?.retryAfterMs !== undefined ? { retryAfterMs: cause.retryAfterMs } : {}),
        details: { stage: 'moderation' },
        cause: error,
      },
    );
  }
  if (verdict.flagged) {
    throw new ReelayError(
      'content_policy',
      `prompt was flagged by moderation (${verdict.categories.join(', ') || 'no category given'}); nothing was enqueued`,
      { param: 'prompt', details: { categories: verdict.categories } },
    );
  }
}
