import { jobIdFor } from '@reelay/core';
import type { PipelineContext } from '@reelay/pipeline';
import type { ProviderWebhookEvent } from '@reelay/providers';
import type { Redis } from 'ioredis';
import type { Handler, HandlerRequest, HandlerResult } from './handler.ts';
import { claimDelivery } from './webhook-dedupe.ts';

/** What the provider webhook needs: the provider (to verify), the store and queues, Redis (dedupe). */
export type WebhookContext = Pick<PipelineContext, 'provider' | 'store' | 'queues' | 'logger'> & {
  redis: Redis;
  prefix: string;
};

/**
 * POST /webhooks/provider. `ctx` is undefined when no webhook secret is configured: the route then
 * answers 503 rather than 400, because the fault is ours (configuration), not the sender's, and the
 * provider keeps retrying a 5xx — deliveries are not lost while an operator adds the secret.
 */
export function providerWebhookHandler(ctx: WebhookContext | undefined): Handler {
  return async ({ rawBody, headers }) => {
    if (ctx === undefined) {
      return {
        status: 503,
        body: {
          ok: false,
          error: 'provider webhooks are not configured on this api: set OPENAI_WEBHOOK_SECRET (whsec_…)',
        },
      };
    }
    return receiveDelivery(ctx, rawBody, headers);
  };
}

/**
 * The provider webhook fast path: verify the signature on the raw body, drop a delivery whose
 * `webhook-id` was already processed, and promote the generation's delayed poll job so it runs now.
 * The payload's status is never trusted — the promoted poll retrieves the video itself — so a forged
 * or out-of-order event can at most cause one early poll.
 *
 * The id counts as processed only once processing succeeded: if it throws (Redis away → 500), the
 * claim is released and the provider's retry of the same id is processed. A copy arriving while
 * another request processes the id gets a 409, which the provider retries too: answering it
 * `duplicate` would end the retries while the first copy may still fail.
 */
async function receiveDelivery(
  ctx: WebhookContext,
  rawBody: string,
  headers: HandlerRequest['headers'],
): Promise<HandlerResult> {
  let event: ProviderWebhookEvent;
  try {
    event = ctx.provider.verifyWebhook(rawBody, headers);
  } catch (error) {
    ctx.logger.warn({ err: (error as Error).message }, 'provider webhook refused');
    return { status: 400, body: { ok: false, error: 'invalid webhook signature' } };
  }
  const claim = await claimDelivery(ctx.redis, ctx.prefix, event.id);
  if (claim.state === 'done') return { status: 200, body: { ok: true, duplicate: true } };
  if (claim.state === 'in_progress') {
    return {
      status: 409,
      headers: { 'retry-after': '1' },
      body: { ok: false, error: 'a delivery with this webhook-id is being processed; retry later' },
    };
  }
  let result: HandlerResult;
  try {
    result = await promotePoll(ctx, event);
  } catch (error) {
    // Best effort: if Redis is still away the claim expires on its own (CLAIM_SECONDS). The original
    // error is what the app's error handler logs and answers 500 for.
    await claim.release().catch((releaseError: unknown) => {
      ctx.logger.warn(
        { err: (releaseError as Error).message, webhookId: event.id },
        'provider webhook claim not released; it expires',
      );
    });
    throw error;
  }
  await claim.commit();
  return result;
}

async function promotePoll(ctx: WebhookContext, event: ProviderWebhookEvent): Promise<HandlerResult> {
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
    } catch (error) {
      // It left the delayed set between our check and the promote: a worker already has it. If it is
      // still delayed, the promote itself failed (Redis away): that must not count as processed.
      if (await job.isDelayed()) throw error;
    }
  }
  ctx.logger.info({ generationId, videoId: event.videoId, type: event.type, promoted }, 'provider webhook');
  return { status: 200, body: { ok: true, promoted } };
}
