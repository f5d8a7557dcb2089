import { jobIdFor } from '@reelay/core';
import type { Redis } from 'ioredis';
import type { PipelineContext } from './context.ts';

export interface WebhookOutcome {
  /** HTTP status for the provider: 2xx stops its retries, 4xx says the delivery was refused. */
  status: 200 | 202 | 400;
  body: { ok: boolean; duplicate?: boolean; promoted?: boolean; error?: string };
}

/** How long a webhook id is remembered for deduplication; providers retry for up to 72 h. */
const DEDUPE_SECONDS = 72 * 3600;

/**
 * The provider webhook fast path: verify the signature on the raw body, drop a delivery whose
 * `webhook-id` was seen before, and promote the generation's delayed poll job so it runs now.
 * The payload's status is never trusted — the promoted poll retrieves the video itself — so a forged
 * or out-of-order event can at most cause one early poll.
 */
export async function handleProviderWebhook(
  ctx: Pick<PipelineContext, 'provider' | 'store' | 'queues' | 'logger'> & { redis: Redis; prefix: string },
  rawBody: string,
  headers: Record<string, string | string[] | undefined>,
): Promise<WebhookOutcome> {
  let event: ReturnType<PipelineContext['provider']['verifyWebhook']>;
  try {
    event = ctx.provider.verifyWebhook(rawBody, headers);
  } catch (error) {
    ctx.logger.warn({ err: (error as Error).message }, 'provider webhook refused');
    return { status: 400, body: { ok: false, error: 'invalid webhook signature' } };
  }
  const fresh = await ctx.redis.set(`${ctx.prefix}:webhook:${event.id}`, '1', 'EX', DEDUPE_SECONDS, 'NX');
  if (fresh === null) return { status: 200, body: { ok: true, duplicate: true } };

  const generationId = await ctx.store.generationForVideo(event.videoId);
  if (!generationId) return { status: 202, body: { ok: true, promoted: false } };
  const record = await ctx.store.get(generationId);
  if (record?.status !== 'generating') return { status: 200, body: { ok: true, promoted: false } };

  const job = await ctx.queues.poll.getJob(jobIdFor(generationId, record.attempts.resubmits));
  let promoted = false;
  if (job && (await job.isDelayed())) {
    try {
      await job.promote();
      promoted = true;
    } catch {
      // It left the delayed set between our check and the promote: a worker already has it.
    }
  }
  ctx.logger.info({ generationId, videoId: event.videoId, type: event.type, promoted }, 'provider webhook');
  return { status: 200, body: { ok: true, promoted } };
}
