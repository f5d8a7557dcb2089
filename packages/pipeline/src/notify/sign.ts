import type { GenerationRecord, GenerationRequest } from '@reelay/core';
import { Webhook } from 'standardwebhooks';

export type CallbackEvent = 'generation.completed' | 'generation.failed';

interface StoredObjectSummary {
  uri: string;
  bytes: number;
  sha256: string;
}

/** The JSON body of a callback. Built from the record alone, so every retry sends the same bytes. */
export interface CallbackPayload {
  type: CallbackEvent;
  /** The generation id. */
  id: string;
  /** When the generation ended (ISO 8601): stable across retries, unlike `webhook-timestamp`. */
  created_at: string;
  data: {
    id: string;
    status: 'completed' | 'failed';
    tenant: string;
    request: GenerationRequest;
    storage?: StoredObjectSummary & { thumbnail?: StoredObjectSummary };
    error?: { code: string; message: string };
    metadata?: Record<string, string>;
  };
}

/**
 * The `webhook-id`: one per generation and outcome, the same on every retry and every re-run of the
 * job, so a producer that stores the ids it has processed drops duplicates (Standard Webhooks §ids).
 */
export function webhookIdFor(generationId: string, event: CallbackEvent): string {
  return `${generationId}.${event === 'generation.completed' ? 'completed' : 'failed'}`;
}

export function buildCallbackPayload(record: GenerationRecord, event: CallbackEvent): CallbackPayload {
  const endedAt = record.timings.completedAt ?? record.timings.updatedAt;
  const data: CallbackPayload['data'] = {
    id: record.id,
    status: event === 'generation.completed' ? 'completed' : 'failed',
    tenant: record.tenant,
    request: record.request,
  };
  if (record.storage) {
    const { uri, bytes, sha256, thumbnail } = record.storage;
    data.storage = { uri, bytes, sha256 };
    if (thumbnail) {
      data.storage.thumbnail = { uri: thumbnail.uri, bytes: thumbnail.bytes, sha256: thumbnail.sha256 };
    }
  }
  if (event === 'generation.failed' && record.error) {
    data.error = { code: record.error.code, message: record.error.message };
  }
  if (record.metadata) data.metadata = record.metadata;
  return { type: event, id: record.id, created_at: new Date(endedAt).toISOString(), data };
}

/** A secret that `standardwebhooks` can sign with; throws (without echoing the secret) otherwise. */
export function createSigner(secret: string): Webhook {
  try {
    return new Webhook(secret);
  } catch {
    throw new Error('a callback signing secret is not valid: expected whsec_ followed by base64');
  }
}

/**
 * The three Standard Webhooks headers for one send. The timestamp is the moment of sending (receivers
 * refuse signatures older than ~5 minutes), so a retry carries a fresh timestamp and signature but
 * the same id and body.
 */
export function signCallback(
  signer: Webhook,
  webhookId: string,
  body: string,
  now: Date = new Date(),
): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return {
    'webhook-id': webhookId,
    'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    'webhook-signature': signer.sign(webhookId, now, body),
  };
}
