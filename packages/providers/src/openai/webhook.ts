import { ReelayError } from '@reelay/core';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { ProviderError } from '../errors.ts';
import type { ProviderWebhookEvent, WebhookHeaders } from '../provider.ts';

/**
 * Verifies OpenAI video webhooks (Standard Webhooks: HMAC-SHA256 over `id.timestamp.body`, 300 s
 * tolerance both ways, several `v1,` signatures allowed).
 *
 * Uses `standardwebhooks`, not the SDK's `client.webhooks.unwrap`: in openai 7.x `unwrap` is async
 * (WebCrypto), and `verifyWebhook` is synchronous by contract so a receiver can answer from a plain
 * `(request) → {status, body}` handler; the two implement the same scheme, and the SDK's event union lacks
 * video events anyway, so `unwrap` would save nothing but the header plumbing below.
 */
export function createWebhookVerifier(
  secret: string | undefined,
): (rawBody: string, headers: WebhookHeaders) => ProviderWebhookEvent {
  let webhook: Webhook | undefined;
  if (secret !== undefined) {
    try {
      webhook = new Webhook(secret);
    } catch {
      // The secret is not echoed: it is one.
      throw new ReelayError('config_invalid', 'webhook secret is not a valid whsec_<base64> secret', {
        param: 'webhookSecret',
      });
    }
  }
  return (rawBody, headers) => {
    if (webhook === undefined) {
      throw new ReelayError(
        'config_invalid',
        'cannot verify provider webhooks: no webhook secret (webhookSecret / OPENAI_WEBHOOK_SECRET)',
        { param: 'webhookSecret' },
      );
    }
    const id = single(headers, 'webhook-id');
    const timestamp = single(headers, 'webhook-timestamp');
    const signature = all(headers, 'webhook-signature');
    if (id === undefined || timestamp === undefined || signature === undefined) {
      throw rejected('missing webhook-id, webhook-timestamp or webhook-signature header');
    }
    let payload: unknown;
    try {
      payload = webhook.verify(rawBody, {
        'webhook-id': id,
        'webhook-timestamp': timestamp,
        'webhook-signature': signature,
      });
    } catch (error) {
      if (error instanceof WebhookVerificationError) throw rejected(reason(error.message), error);
      if (error instanceof SyntaxError) throw rejected('body is not JSON', error);
      throw error;
    }
    return toEvent(id, payload);
  };
}

function toEvent(webhookId: string, payload: unknown): ProviderWebhookEvent {
  const event = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  const data =
    typeof event['data'] === 'object' && event['data'] !== null
      ? (event['data'] as Record<string, unknown>)
      : {};
  const type = event['type'];
  const videoId = data['id'];
  if (
    typeof type !== 'string' ||
    !type.startsWith('video.') ||
    typeof videoId !== 'string' ||
    videoId === ''
  ) {
    throw rejected(`not a video event (type ${typeof type === 'string' ? type : 'missing'})`);
  }
  const createdAt =
    typeof event['created_at'] === 'number' ? event['created_at'] : Math.floor(Date.now() / 1000);
  return { id: webhookId, type, videoId, createdAt };
}

function rejected(why: string, cause?: unknown): ProviderError {
  return new ProviderError('invalid', `webhook rejected: ${why}`, {
    providerCode: 'invalid_webhook',
    cause,
  });
}

function reason(message: string): string {
  if (/too old/i.test(message)) return 'timestamp older than 300 s (stale or replayed)';
  if (/too new/i.test(message)) return 'timestamp more than 300 s in the future';
  if (/no matching signature/i.test(message)) return 'signature does not match (forged or body altered)';
  return message;
}

function lookup(headers: WebhookHeaders, name: string): string | string[] | undefined {
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
}

function single(headers: WebhookHeaders, name: string): string | undefined {
  const value = lookup(headers, name);
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}

/** Signatures may arrive as one space-separated header or as repeated headers; both mean "any of". */
function all(headers: WebhookHeaders, name: string): string | undefined {
  const value = lookup(headers, name);
  const joined = Array.isArray(value) ? value.join(' ') : value;
  return joined === undefined || joined === '' ? undefined : joined;
}
