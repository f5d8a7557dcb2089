import { ASPECT_RATIOS, PLATFORMS, QUALITIES, RESOLUTIONS } from '@reelay/client';
import { GENERATION_STATUSES, SECONDS, SIZES } from '@reelay/core';
import { MAX_PRIORITY } from '@reelay/pipeline';
import { z } from 'zod';

/**
 * The request schemas of the producer API: the routes validate with these, and /openapi.json is
 * generated from these same objects, so the document cannot drift from what is enforced. They mirror
 * the client's `GenerationCreateParams` (snake_case on the wire, as the provider's own API) and are
 * strict: an unknown field is a 400 naming it. The client validates again (mapping friendly values),
 * so these add only what the wire needs: strictness, bounds, and the options carried in the body.
 */

/** Prompt bounds: the client's default (1 … 4000 characters). */
const PROMPT_MAX = 4000;
/** Labels are stored on the record and echoed back: bounded so a body cannot bloat Redis. */
const METADATA_MAX_ENTRIES = 16;
const METADATA_KEY_MAX = 64;
const METADATA_VALUE_MAX = 512;

const prompt = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(PROMPT_MAX, `must be at most ${PROMPT_MAX} characters`)
  .describe('What to generate.');

const metadata = z
  .record(z.string().min(1).max(METADATA_KEY_MAX), z.string().max(METADATA_VALUE_MAX))
  .refine((value) => Object.keys(value).length <= METADATA_MAX_ENTRIES, {
    message: `must have at most ${METADATA_MAX_ENTRIES} entries`,
  })
  .describe('Labels, returned as given.');

const httpsUrl = z
  .url({ protocol: /^https?$/ })
  .max(2048)
  .describe('Where the result is posted (Standard Webhooks signed).');

export const generationCreateBodySchema = z
  .strictObject({
    prompt,
    model: z.string().min(1).max(100).optional().describe('Provider model, e.g. sora-2, sora-2-pro.'),
    seconds: z
      .union([z.enum(SECONDS), z.literal([4, 8, 12, 16, 20])])
      .optional()
      .describe('Provider clip length in seconds.'),
    size: z.enum(SIZES).optional().describe('Provider size, width x height.'),
    input_reference: z
      .union([
        z.strictObject({ image_url: z.url().max(2048) }),
        z.strictObject({ file_id: z.string().min(1).max(200) }),
      ])
      .optional()
      .describe('An image the video starts from.'),
    duration: z
      .number()
      .min(5)
      .max(60)
      .optional()
      .describe('Seconds; mapped onto the provider clip lengths.'),
    aspect_ratio: z.enum(ASPECT_RATIOS).optional(),
    resolution: z.enum(RESOLUTIONS).optional(),
    n: z.int().min(1).max(4).optional().describe('This many generations of the same request. Default 1.'),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .optional()
      .describe('Not supported by the provider: recorded.'),
    quality: z.enum(QUALITIES).optional().describe("'high' selects the pro model when no model is given."),
    metadata: metadata.optional(),
    thumbnail: z.boolean().optional().describe("Also store the provider's thumbnail."),
    priority: z
      .int()
      .min(0)
      .max(MAX_PRIORITY)
      .optional()
      .describe('Lower first within your tenant. Default 0.'),
    callback_url: httpsUrl.optional(),
  })
  .describe('POST /v1/generations body. Send an Idempotency-Key header to make retries safe.');
export type GenerationCreateBody = z.output<typeof generationCreateBodySchema>;

export const IDEMPOTENCY_KEY_MAX = 255;
export const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(IDEMPOTENCY_KEY_MAX)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

export const generationListQuerySchema = z.strictObject({
  status: z.enum(GENERATION_STATUSES).optional(),
  cursor: z.string().min(1).max(512).optional().describe("The previous page's nextCursor."),
  limit: z.coerce.number().int().min(1).max(500).optional().describe('Default 50.'),
});

export const campaignCreateBodySchema = z
  .strictObject({
    prompt,
    platforms: z.array(z.enum(PLATFORMS)).min(1).max(PLATFORMS.length),
    duration: z.number().min(1).max(60).optional(),
    resolution: z.enum(RESOLUTIONS).optional(),
    model: z.string().min(1).max(100).optional(),
    metadata: metadata.optional(),
    callback_url: httpsUrl.optional(),
  })
  .describe('POST /v1/campaigns body: one generation per platform.');

/** Generation and campaign ids: anything else cannot exist, so it is a 404 without a lookup. */
export const resourceIdSchema = z.string().regex(/^[a-z]{2,4}_[0-9A-Za-z]{8,64}$/);

const generationSchema = z
  .looseObject({
    id: z.string(),
    status: z.enum(GENERATION_STATUSES),
    tenant: z.string(),
    request: z.looseObject({ prompt: z.string(), model: z.string(), seconds: z.string(), size: z.string() }),
    progress: z.number(),
    metadata: z.record(z.string(), z.string()).optional(),
    error: z.looseObject({ code: z.string(), message: z.string() }).optional(),
  })
  .describe('A generation record.');

export const responseSchemas = {
  error: z.strictObject({
    error: z.strictObject({
      code: z.string(),
      message: z.string(),
      param: z.string().nullable(),
      categories: z
        .array(z.string())
        .optional()
        .describe('`content_policy` only: the moderation categories the prompt was flagged for.'),
    }),
  }),
  generation: generationSchema,
  created: z.object({
    data: z.array(z.object({ id: z.string(), status: z.enum(GENERATION_STATUSES), created: z.boolean() })),
  }),
  page: z.object({ data: z.array(generationSchema), nextCursor: z.string().nullable() }),
  campaign: z.looseObject({
    id: z.string(),
    status: z.string(),
    children: z.array(z.object({ platform: z.enum(PLATFORMS), generation: generationSchema })),
  }),
};
