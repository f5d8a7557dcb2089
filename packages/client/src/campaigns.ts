import {
  type GenerationRecord,
  type PreparedEnqueue,
  ReelayError,
  ValidationError,
  enqueuePrepared,
  generationIdFor,
  newGenerationId,
} from '@reelay/core';
import { z } from 'zod';
import type { ClientInternals } from './generations.ts';
import { CLIP_SECONDS, LONGEST_CLIP } from './params.ts';
import { moderateOrThrow, prepareCreate } from './prepare.ts';
import { PLATFORM_PRESETS } from './presets.ts';
import {
  type Campaign,
  type CampaignCreateParams,
  type CampaignStatus,
  type CampaignsResource,
  type GenerationCreateOptions,
  PLATFORMS,
  type Platform,
  type PlatformPreset,
  RESOLUTIONS,
} from './types.ts';

const campaignSchema = z
  .object({
    prompt: z.string({ error: 'must be a string' }),
    platforms: z
      .array(z.enum(PLATFORMS, { error: `must be one of ${PLATFORMS.join(', ')}` }))
      .min(1, 'must name at least one platform')
      .refine((p) => new Set(p).size === p.length, 'must not repeat a platform'),
    duration: z
      .number()
      .int('must be a whole number')
      .min(4, 'must be from 4 to 60')
      .max(60, 'must be from 4 to 60')
      .optional(),
    resolution: z.enum(RESOLUTIONS, { error: `must be one of ${RESOLUTIONS.join(', ')}` }).optional(),
    model: z.string().min(1).max(100).optional(),
    metadata: z.record(z.string(), z.string()).optional(),
  })
  .strict();

interface StoredChild {
  platform: Platform;
  generationId: string;
}

/**
 * Aggregates children: any still running → in_progress (queued while none started); all ended → by
 * outcome (all completed, all cancelled, some completed, none).
 */
export function aggregateStatus(statuses: readonly GenerationRecord['status'][]): CampaignStatus {
  if (statuses.length === 0) return 'queued';
  if (statuses.every((s) => s === 'queued')) return 'queued';
  const terminal = statuses.every((s) => s === 'completed' || s === 'failed' || s === 'cancelled');
  if (!terminal) return 'in_progress';
  const completed = statuses.filter((s) => s === 'completed').length;
  if (completed === statuses.length) return 'completed';
  if (statuses.every((s) => s === 'cancelled')) return 'cancelled';
  return completed > 0 ? 'partially_completed' : 'failed';
}

/** The clip for a platform: the longest the provider makes within min(asked, platform's longest). */
export function secondsFor(preset: PlatformPreset, duration: number | undefined): number {
  const cap = Math.min(duration ?? LONGEST_CLIP, preset.maxSeconds, LONGEST_CLIP);
  return [...CLIP_SECONDS].reverse().find((s) => s <= cap) ?? CLIP_SECONDS[0]!;
}

/**
 * A campaign is one parent record (a hash: tenant, prompt, children) and one generation per platform,
 * each carrying the campaign id. Friendly shapes always map (1:1 → nearest size) even on a strict
 * client: a preset is ours, not the producer's, so there is nothing for them to correct.
 */
export class Campaigns implements CampaignsResource {
  private readonly c: ClientInternals;

  constructor(internals: ClientInternals) {
    this.c = internals;
  }

  private key(id: string): string {
    return `${this.c.store.prefix}:campaign:${id}`;
  }

  presets(): readonly PlatformPreset[] {
    return PLATFORMS.map((p) => PLATFORM_PRESETS[p]);
  }

  async create(params: CampaignCreateParams, options: GenerationCreateOptions = {}): Promise<Campaign> {
    const parsed = campaignSchema.safeParse(params);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => ({
        path: i.path.map(String).join('.') || '(params)',
        message: i.message,
      }));
      throw new ValidationError(issues.map((i) => `${i.path}: ${i.message}`).join('; '), issues);
    }
    const p = parsed.data;
    const tenant = options.tenant ?? this.c.options.defaultTenant;
    const id = options.idempotencyKey
      ? generationIdFor(tenant, `campaign:${options.idempotencyKey}`).replace(/^gen_/, 'cmp_')
      : newGenerationId().replace(/^gen_/, 'cmp_');
    const items: PreparedEnqueue[] = [];
    const children: StoredChild[] = [];
    for (const platform of p.platforms) {
      const preset = PLATFORM_PRESETS[platform];
      const prepared = prepareCreate(
        this.c.options,
        {
          prompt: `${p.prompt.trim()}. Style: ${preset.promptStyle}.`,
          seconds: String(secondsFor(preset, p.duration)),
          aspect_ratio: preset.aspect_ratio,
          ...(p.resolution !== undefined ? { resolution: p.resolution } : {}),
          ...(p.model !== undefined ? { model: p.model } : {}),
          metadata: { ...p.metadata, platform },
        },
        {
          ...options,
          strict: false,
          ...(options.idempotencyKey !== undefined
            ? { idempotencyKey: `${options.idempotencyKey}:${platform}` }
            : {}),
        },
        { campaignId: id },
      );
      items.push(...prepared.items);
      children.push({ platform, generationId: prepared.items[0]!.id });
    }
    await moderateOrThrow(this.c.options, p.prompt);
    // The parent first: a crash after it leaves a campaign whose children a retry with the key adds.
    await this.c.redis
      .multi()
      .hsetnx(this.key(id), 'createdAt', Date.now())
      .hset(this.key(id), { id, tenant, prompt: p.prompt, children: JSON.stringify(children) })
      .exec();
    const written = await enqueuePrepared(this.c.producer, items);
    for (const r of written) if ('error' in r) throw r.error;
    return this.retrieve(id);
  }

  async retrieve(id: string): Promise<Campaign> {
    const raw = typeof id === 'string' ? await this.c.redis.hgetall(this.key(id)) : {};
    if (!raw['id']) throw new ReelayError('not_found', `no campaign ${String(id)}`, { param: 'id' });
    const stored = JSON.parse(raw['children'] ?? '[]') as StoredChild[];
    const records = await Promise.all(stored.map((c) => this.c.store.get(c.generationId)));
    const children: Campaign['children'] = [];
    stored.forEach((c, i) => {
      const generation = records[i];
      if (generation) children.push({ platform: c.platform, generation });
    });
    return {
      id,
      tenant: raw['tenant'] ?? '',
      prompt: raw['prompt'] ?? '',
      createdAt: Number(raw['createdAt']),
      status: aggregateStatus(children.map((c) => c.generation.status)),
      children,
    };
  }
}
