import { z } from 'zod';

/**
 * The job catalog: one schema per stage's job, so what a producer adds and what a processor reads
 * cannot drift apart. Jobs carry ids only; the generation record is the system of record, so a job
 * payload never goes stale and never holds a secret.
 */
export const STAGES = ['submit', 'poll', 'download', 'notify'] as const;
export type Stage = (typeof STAGES)[number];

export const MODELS = ['sora-2', 'sora-2-pro'] as const;
export const SECONDS = ['4', '8', '12', '16', '20'] as const;
export const SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024', '1080x1920', '1920x1080'] as const;
/** 1080p is served by `sora-2-pro` only (provider contract). */
export const PRO_ONLY_SIZES: ReadonlySet<string> = new Set(['1080x1920', '1920x1080']);

const id = z.string().regex(/^gen_[0-9a-f]{24}$/, 'must be a generation id (gen_ + 24 hex)');

/** What the provider is asked for. Model names are open (gateways serve others); the rest is checked. */
export const generationRequestSchema = z
  .object({
    prompt: z.string().trim().min(1, 'must not be empty').max(4000, 'must be at most 4000 characters'),
    model: z.string().min(1).max(100).default('sora-2'),
    seconds: z.enum(SECONDS).default('4'),
    size: z.enum(SIZES).default('720x1280'),
    inputReference: z
      .union([
        z.object({ imageUrl: z.url() }).strict(),
        z.object({ fileId: z.string().min(1).max(200) }).strict(),
      ])
      .optional(),
    /** Also store the provider's thumbnail beside the video. */
    thumbnail: z.boolean().default(false),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (PRO_ONLY_SIZES.has(value.size) && !value.model.startsWith('sora-2-pro')) {
      ctx.addIssue({
        code: 'custom',
        path: ['size'],
        message: `size ${value.size} needs model sora-2-pro; for ${value.model} use one of 720x1280, 1280x720, 1024x1792, 1792x1024`,
      });
    }
  });
export type GenerationRequest = z.output<typeof generationRequestSchema>;
export type GenerationRequestInput = z.input<typeof generationRequestSchema>;

export const jobSchemas = {
  /**
   * Create the video at the provider. `round` counts provider-side failures retried as a new video
   * (round 0 is the first video); each round has its own job ids and its own create ledger entry.
   */
  submit: z.object({ generationId: id, round: z.number().int().min(0).default(0) }).strict(),
  /** Watch the provider's video until it ends. */
  poll: z
    .object({
      generationId: id,
      videoId: z.string().min(1),
      round: z.number().int().min(0).default(0),
      // The previous observation, so the next interval comes from a measured progress rate.
      lastProgress: z.number().min(0).max(100).optional(),
      lastAt: z.number().int().optional(),
    })
    .strict(),
  /** Copy the finished asset into the object store. */
  download: z
    .object({ generationId: id, videoId: z.string().min(1), round: z.number().int().min(0).default(0) })
    .strict(),
  /** Tell the producer. */
  notify: z.object({ generationId: id }).strict(),
} as const;

export type JobData<S extends Stage> = z.output<(typeof jobSchemas)[S]>;

/**
 * The deterministic job id of a stage's job for a generation: hand-offs are idempotent adds. A resubmit
 * (a new provider video after a provider-side failure) starts a new round with fresh ids, since the
 * finished jobs of the earlier round may still be kept under the plain id.
 */
export function jobIdFor(generationId: string, round = 0): string {
  return round > 0 ? `${generationId}-r${round}` : generationId;
}
