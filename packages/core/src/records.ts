import type { Redis } from 'ioredis';
import type { GenerationRequest } from './catalog.ts';
import { ReelayError, type SerializedError } from './errors.ts';
import { requestFingerprint } from './ids.ts';
import type {
  GenerationAttempts,
  GenerationRecord,
  GenerationStorage,
  GenerationTimings,
  RequestMapping,
} from './record.ts';
import { CREATE_MANY_SCRIPT, CREATE_SCRIPT, UPDATE_SCRIPT } from './records-scripts.ts';
import type { GenerationStatus } from './status.ts';

/** The fingerprint of a create without an idempotency key (its id is random: nothing to compare). */
const NO_FINGERPRINT = '-';

export interface NewGeneration {
  id: string;
  tenant: string;
  request: GenerationRequest;
  provider: string;
  /**
   * The caller's key when `id` was derived from it (`generationIdFor`): a create that meets an existing
   * record is then a replay (same request) or a conflict. Without one the id must be new (random).
   */
  idempotencyKey?: string;
  metadata?: Record<string, string>;
  callbackUrl?: string;
  estimatedCostUsd?: number;
  /** How friendly parameters were mapped onto the provider's. */
  mapping?: RequestMapping[];
  campaignId?: string;
  /** Default: now. */
  createdAt?: number;
}

/** Fields a stage may change. Timings and attempts merge field by field; the rest replace. */
export interface GenerationPatch {
  providerVideoId?: string;
  providerExpiresAt?: number;
  progress?: number;
  timings?: Partial<Omit<GenerationTimings, 'createdAt' | 'updatedAt'>>;
  attempts?: Partial<GenerationAttempts>;
  storage?: GenerationStorage;
  error?: SerializedError;
  cost?: { estimatedUsd: number; actualUsd?: number };
  cancelledAt?: number;
}

export interface UpdateOptions {
  /** Move to this status (index updated atomically with the fields). */
  status?: GenerationStatus;
  /** Apply only when the record is in one of these statuses; `'*'` = any; default: any non-terminal. */
  from?: readonly GenerationStatus[] | '*';
  /** Fields to remove (e.g. `error` when a retry succeeds, `providerVideoId` on a resubmit). */
  unset?: ReadonlyArray<'error' | 'providerVideoId' | 'providerExpiresAt'>;
}

export interface UpdateResult {
  /** False when the record was not in an allowed status, or is gone. */
  applied: boolean;
  /** The status before the update (or the current one, when refused); undefined if no record. */
  previous: GenerationStatus | undefined;
}

type ScriptRedis = Redis & {
  reelayGenCreate(...args: Array<string | number>): Promise<[number, string?, string?]>;
  reelayGenUpdate(...args: Array<string | number>): Promise<[number, string?]>;
  reelayGenCreateMany(...args: Array<string | number>): Promise<Array<number | string>>;
};

/**
 * Generation records in Redis: one hash per generation, a zset index per status, one of all records
 * and one per tenant (score = createdAt), and a provider video id → generation id map. Every write
 * is one Lua script, so a record and its indexes never disagree, whichever process crashes when.
 */
export class GenerationStore {
  readonly prefix: string;
  private readonly redis: ScriptRedis;

  constructor(redis: Redis, prefix: string) {
    this.prefix = prefix;
    if (!('reelayGenCreate' in redis)) {
      redis.defineCommand('reelayGenCreate', { numberOfKeys: 4, lua: CREATE_SCRIPT });
      redis.defineCommand('reelayGenUpdate', { numberOfKeys: 1, lua: UPDATE_SCRIPT });
    }
    if (!('reelayGenCreateMany' in redis)) {
      redis.defineCommand('reelayGenCreateMany', { numberOfKeys: 2, lua: CREATE_MANY_SCRIPT });
    }
    this.redis = redis as ScriptRedis;
  }

  key(id: string): string {
    return `${this.prefix}:gen:${id}`;
  }
  statusIndex(status: GenerationStatus): string {
    return `${this.prefix}:gen:status:${status}`;
  }
  /** Every record, score = createdAt (for listing). */
  get allIndex(): string {
    return `${this.prefix}:gen:all`;
  }
  tenantIndex(tenant: string): string {
    return `${this.prefix}:gen:tenant:${tenant}`;
  }
  private get videoMap(): string {
    return `${this.prefix}:gen:by-video`;
  }

  /**
   * Creates the record, or finds the one an earlier call with the same id created. The same id with
   * a different request is a conflict (an idempotency key reused for something else).
   */
  async create(input: NewGeneration): Promise<{ created: boolean; id: string; status: GenerationStatus }> {
    const args = this.createArgs(input);
    return this.createResult(input, args.fingerprint, await this.redis.reelayGenCreate(...args.argv));
  }

  /**
   * Many creates in one script call (for bulk producers; callers chunk, ~1,000 a call keeps Redis
   * responsive between calls). Results in input order; a conflicting idempotency key comes back as
   * that item's error instead of failing the whole call.
   */
  async createMany(
    inputs: readonly NewGeneration[],
  ): Promise<Array<{ created: boolean; id: string; status: GenerationStatus } | { error: ReelayError }>> {
    if (inputs.length === 0) return [];
    const argv: Array<string | number> = [
      this.allIndex,
      this.statusIndex('queued'),
      `${this.prefix}:gen:`,
      `${this.prefix}:gen:tenant:`,
    ];
    const fingerprints: string[] = [];
    for (const input of inputs) {
      const { fingerprint, createdAt, fields } = this.createFields(input);
      fingerprints.push(fingerprint);
      const flat: string[] = [];
      for (const key in fields) flat.push(key, String(fields[key]));
      argv.push(input.id, createdAt, input.tenant, JSON.stringify(flat));
    }
    const flat = await this.redis.reelayGenCreateMany(...argv);
    return inputs.map((input, i) => {
      const reply: [number, string?, string?] = [
        Number(flat[i * 3]),
        String(flat[i * 3 + 1] ?? ''),
        String(flat[i * 3 + 2] ?? ''),
      ];
      try {
        return this.createResult(input, fingerprints[i]!, reply);
      } catch (error) {
        if (error instanceof ReelayError) return { error };
        throw error;
      }
    });
  }

  private createArgs(input: NewGeneration): { fingerprint: string; argv: Array<string | number> } {
    const { fingerprint, createdAt, fields } = this.createFields(input);
    const argv = [
      this.key(input.id),
      this.allIndex,
      this.statusIndex('queued'),
      this.tenantIndex(input.tenant),
      createdAt,
      fingerprint,
      input.id,
      ...Object.entries(fields).flat(),
    ];
    return { fingerprint, argv };
  }

  private createFields(input: NewGeneration): {
    fingerprint: string;
    createdAt: number;
    fields: Record<string, string | number>;
  } {
    const createdAt = input.createdAt ?? Date.now();
    // Only an idempotency key can make two creates meet on one id, so only then is there a request to
    // compare; a random id's fingerprint would be hashed for nothing on every create.
    const fingerprint =
      input.idempotencyKey === undefined
        ? NO_FINGERPRINT
        : requestFingerprint({ request: input.request, tenant: input.tenant });
    const fields: Record<string, string | number> = {
      id: input.id,
      status: 'queued',
      tenant: input.tenant,
      provider: input.provider,
      request: JSON.stringify(input.request),
      fingerprint,
      progress: 0,
      createdAt,
      updatedAt: createdAt,
    };
    if (input.idempotencyKey !== undefined) fields['idempotencyKey'] = input.idempotencyKey;
    if (input.metadata !== undefined) fields['metadata'] = JSON.stringify(input.metadata);
    if (input.callbackUrl !== undefined) fields['callbackUrl'] = input.callbackUrl;
    if (input.estimatedCostUsd !== undefined)
      fields['cost'] = JSON.stringify({ estimatedUsd: input.estimatedCostUsd });
    if (input.mapping !== undefined && input.mapping.length > 0)
      fields['mapping'] = JSON.stringify(input.mapping);
    if (input.campaignId !== undefined) fields['campaignId'] = input.campaignId;
    return { fingerprint, createdAt, fields };
  }

  private createResult(
    input: NewGeneration,
    fingerprint: string,
    reply: [number, string?, string?],
  ): { created: boolean; id: string; status: GenerationStatus } {
    const [ok, existingFingerprint, existingStatus] = reply;
    if (ok === 1) return { created: true, id: input.id, status: 'queued' };
    if (fingerprint === NO_FINGERPRINT) {
      throw new ReelayError(
        'internal',
        `generation ${input.id} already exists; an id without an idempotency key must be new`,
      );
    }
    if (existingFingerprint !== fingerprint) {
      throw new ReelayError(
        'invalid_request',
        'this idempotency key was already used for a different request; use a new key for new parameters',
        { param: 'idempotencyKey', details: { generationId: input.id } },
      );
    }
    return { created: false, id: input.id, status: existingStatus as GenerationStatus };
  }

  async get(id: string): Promise<GenerationRecord | null> {
    const raw = await this.redis.hgetall(this.key(id));
    return raw['id'] ? parseRecord(raw) : null;
  }

  async update(id: string, patch: GenerationPatch, options: UpdateOptions = {}): Promise<UpdateResult> {
    const fields = encodePatch(patch);
    const guard = options.from === undefined ? '' : options.from === '*' ? '*' : options.from.join(',');
    const unset = options.unset ?? [];
    const [code, status] = await this.redis.reelayGenUpdate(
      this.key(id),
      `${this.prefix}:gen:status:`,
      options.status ?? '',
      guard,
      Date.now(),
      unset.length,
      ...unset,
      ...Object.entries(fields).flat(),
    );
    return { applied: code === 1, previous: code === -1 ? undefined : (status as GenerationStatus) };
  }

  /**
   * Binds a provider video to a generation. Returns false when the video already belongs to another
   * generation — which only a mistaken reconciliation could cause; the caller must not use it.
   */
  async claimVideo(videoId: string, generationId: string): Promise<boolean> {
    const set = await this.redis.hsetnx(this.videoMap, videoId, generationId);
    if (set === 1) return true;
    return (await this.redis.hget(this.videoMap, videoId)) === generationId;
  }

  async generationForVideo(videoId: string): Promise<string | null> {
    return this.redis.hget(this.videoMap, videoId);
  }

  /** Ids in a status, oldest first, created before `before` (ms). For sweepers and dashboards. */
  async idsByStatus(
    status: GenerationStatus,
    options: { before?: number; limit?: number } = {},
  ): Promise<string[]> {
    return this.redis.zrangebyscore(
      this.statusIndex(status),
      '-inf',
      options.before ?? '+inf',
      'LIMIT',
      0,
      options.limit ?? 100,
    );
  }

  async countByStatus(status: GenerationStatus): Promise<number> {
    return this.redis.zcard(this.statusIndex(status));
  }
}

function encodePatch(patch: GenerationPatch): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (patch.providerVideoId !== undefined) out['providerVideoId'] = patch.providerVideoId;
  if (patch.providerExpiresAt !== undefined) out['providerExpiresAt'] = patch.providerExpiresAt;
  if (patch.progress !== undefined) out['progress'] = patch.progress;
  for (const [k, v] of Object.entries(patch.timings ?? {})) if (v !== undefined) out[`t.${k}`] = v;
  for (const [k, v] of Object.entries(patch.attempts ?? {})) if (v !== undefined) out[`a.${k}`] = v;
  if (patch.storage !== undefined) out['storage'] = JSON.stringify(patch.storage);
  if (patch.error !== undefined) out['error'] = JSON.stringify(patch.error);
  if (patch.cost !== undefined) out['cost'] = JSON.stringify(patch.cost);
  if (patch.cancelledAt !== undefined) out['cancelledAt'] = patch.cancelledAt;
  return out;
}

function num(v: string | undefined): number | undefined {
  return v === undefined ? undefined : Number(v);
}

function parseRecord(raw: Record<string, string>): GenerationRecord {
  const timings: GenerationTimings = {
    createdAt: Number(raw['createdAt']),
    updatedAt: Number(raw['updatedAt']),
  };
  const attempts: GenerationAttempts = { submit: 0, poll: 0, download: 0, notify: 0, resubmits: 0 };
  for (const [field, value] of Object.entries(raw)) {
    if (field.startsWith('t.'))
      (timings as unknown as Record<string, number>)[field.slice(2)] = Number(value);
    if (field.startsWith('a.'))
      (attempts as unknown as Record<string, number>)[field.slice(2)] = Number(value);
  }
  const record: GenerationRecord = {
    id: raw['id']!,
    status: raw['status'] as GenerationStatus,
    tenant: raw['tenant']!,
    request: JSON.parse(raw['request']!) as GenerationRequest,
    provider: raw['provider']!,
    progress: Number(raw['progress'] ?? 0),
    attempts,
    timings,
  };
  if (raw['idempotencyKey'] !== undefined) record.idempotencyKey = raw['idempotencyKey'];
  if (raw['metadata'] !== undefined) record.metadata = JSON.parse(raw['metadata']) as Record<string, string>;
  if (raw['callbackUrl'] !== undefined) record.callbackUrl = raw['callbackUrl'];
  if (raw['providerVideoId'] !== undefined) record.providerVideoId = raw['providerVideoId'];
  const expires = num(raw['providerExpiresAt']);
  if (expires !== undefined) record.providerExpiresAt = expires;
  if (raw['cost'] !== undefined)
    record.cost = JSON.parse(raw['cost']) as NonNullable<GenerationRecord['cost']>;
  if (raw['storage'] !== undefined) record.storage = JSON.parse(raw['storage']) as GenerationStorage;
  if (raw['error'] !== undefined) record.error = JSON.parse(raw['error']) as SerializedError;
  if (raw['mapping'] !== undefined) record.mapping = JSON.parse(raw['mapping']) as RequestMapping[];
  if (raw['campaignId'] !== undefined) record.campaignId = raw['campaignId'];
  const cancelledAt = num(raw['cancelledAt']);
  if (cancelledAt !== undefined) record.cancelledAt = cancelledAt;
  return record;
}
