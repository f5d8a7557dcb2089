import { handleProviderWebhook } from '@reelay/pipeline';
import type { Handler } from './handler.ts';

/** What the provider webhook needs: the provider (to verify), the store and queues, Redis (dedupe). */
export type WebhookContext = Parameters<typeof handleProviderWebhook>[0];

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
    // Signature, freshness, dedupe on webhook-id and the promote all live in the pipeline; the
    // payload's status is never trusted — the promoted poll asks the provider itself.
    return handleProviderWebhook(ctx, rawBody, headers);
  };
}
