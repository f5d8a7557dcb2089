import { createHash, randomBytes } from 'node:crypto';

/**
 * Generation ids are also BullMQ job ids (the submit job of generation X has id X), so they avoid `:`
 * (BullMQ reserves it) and stay short. With an idempotency key the id is derived from it, so the
 * same key always names the same generation — in every process, without a lookup.
 */
export function newGenerationId(): string {
  return `gen_${randomBytes(12).toString('hex')}`;
}

export function generationIdFor(tenant: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(tenant).update('\0').update(idempotencyKey).digest('hex');
  return `gen_${digest.slice(0, 24)}`;
}

/** Stable short hash of a request, to tell a retried create from a different one under the same key. */
export function requestFingerprint(value: unknown): string {
  return createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 32);
}

function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
}
