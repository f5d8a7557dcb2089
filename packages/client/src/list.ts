import { type GenerationRecord, type GenerationStore, ValidationError } from '@reelay/core';
import type { Redis } from 'ioredis';
import type { GenerationListParams, GenerationPage } from './types.ts';
import { GENERATION_STATUSES } from '@reelay/core';

/** Where a page stopped: the last score seen and how many members at that score were already returned. */
interface Position {
  score: number;
  ties: number;
}

function encodeCursor(p: Position): string {
  return Buffer.from(JSON.stringify([p.score, p.ties])).toString('base64url');
}

function decodeCursor(cursor: string): Position {
  try {
    const [score, ties] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    if (typeof score === 'number' && typeof ties === 'number' && Number.isInteger(ties) && ties >= 0)
      return { score, ties };
  } catch {}
  throw new ValidationError('cursor: is not a cursor this API returned', [
    { path: 'cursor', message: 'is not a cursor this API returned' },
  ]);
}

/**
 * Newest first over one index (tenant, status or all; score = createdAt; generations created in the
 * same millisecond in descending id order), cursor-paged by score so a
 * page does not shift when new generations arrive. With both tenant and status, the tenant index is
 * walked and filtered by status; a scan is bounded, and a short page still carries a cursor.
 */
export async function listGenerations(
  redis: Redis,
  store: GenerationStore,
  params: GenerationListParams = {},
): Promise<GenerationPage> {
  const limit = params.limit ?? 50;
  const issues = [];
  if (!Number.isInteger(limit) || limit < 1 || limit > 500)
    issues.push({ path: 'limit', message: 'must be an integer from 1 to 500' });
  if (params.status !== undefined && !(GENERATION_STATUSES as readonly string[]).includes(params.status))
    issues.push({ path: 'status', message: `must be one of ${GENERATION_STATUSES.join(', ')}` });
  if (params.tenant !== undefined && !/^[A-Za-z0-9._-]{1,100}$/.test(params.tenant))
    issues.push({ path: 'tenant', message: 'must be 1–100 characters of A–Z, a–z, 0–9, ".", "_", "-"' });
  if (issues.length > 0)
    throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);

  const key =
    params.tenant !== undefined
      ? store.tenantIndex(params.tenant)
      : params.status !== undefined
        ? store.statusIndex(params.status)
        : store.allIndex;
  const filter = params.tenant !== undefined ? params.status : undefined;
  let pos: Position | undefined = params.cursor ? decodeCursor(params.cursor) : undefined;
  const data: GenerationRecord[] = [];
  // Bounds the work one call does when a filter matches little: the caller pages on.
  let scanned = 0;
  const maxScan = Math.max(limit * 20, 1000);
  while (data.length < limit && scanned < maxScan) {
    const batch = await redis.zrevrangebyscore(
      key,
      pos ? pos.score : '+inf',
      '-inf',
      'WITHSCORES',
      'LIMIT',
      pos ? pos.ties : 0,
      limit,
    );
    if (batch.length === 0) return { data, nextCursor: null };
    const ids: string[] = [];
    const scores: number[] = [];
    for (let i = 0; i + 1 < batch.length; i += 2) {
      ids.push(batch[i]!);
      scores.push(Number(batch[i + 1]));
    }
    const records = await Promise.all(ids.map((id) => store.get(id)));
    for (let i = 0; i < ids.length; i++) {
      const score = scores[i]!;
      pos = pos && pos.score === score ? { score, ties: pos.ties + 1 } : { score, ties: 1 };
      scanned++;
      const record = records[i];
      if (record && (filter === undefined || record.status === filter)) data.push(record);
      if (data.length === limit) break;
    }
    if (ids.length < limit && data.length < limit) return { data, nextCursor: null };
  }
  return { data, nextCursor: pos ? encodeCursor(pos) : null };
}
