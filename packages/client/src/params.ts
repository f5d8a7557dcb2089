import { SECONDS, SIZES } from '@reelay/core';
import { z } from 'zod';
import { ASPECT_RATIOS, QUALITIES, RESOLUTIONS } from './types.ts';

const list = (values: readonly (string | number)[]) => values.join(', ');

/** The provider's clip lengths, as numbers, ascending. */
export const CLIP_SECONDS: readonly number[] = SECONDS.map(Number);
export const LONGEST_CLIP = Math.max(...CLIP_SECONDS);

const metadataSchema = z
  .record(
    z.string().min(1, 'keys must not be empty').max(64, 'keys must be at most 64 characters'),
    z.string().max(512, 'values must be strings of at most 512 characters'),
  )
  .refine((m) => Object.keys(m).length <= 16, 'must have at most 16 keys');

/**
 * The producer's parameters: native and friendly, checked field by field with messages that name the
 * allowed values. Unknown fields are errors (a typo must not silently fall back to a default).
 */
export function paramsSchema(prompt: { minLength: number; maxLength: number }) {
  // zod compiles a schema on its first parse: build one per prompt-bounds pair, not one per call.
  const key = `${prompt.minLength}:${prompt.maxLength}`;
  let schema = schemas.get(key);
  if (!schema) {
    schema = buildParamsSchema(prompt);
    schemas.set(key, schema);
  }
  return schema;
}

const schemas = new Map<string, ReturnType<typeof buildParamsSchema>>();

function buildParamsSchema(prompt: { minLength: number; maxLength: number }) {
  return z
    .object({
      prompt: z
        .string({ error: 'must be a string' })
        .trim()
        .min(prompt.minLength, `must be at least ${prompt.minLength} characters`)
        .max(prompt.maxLength, `must be at most ${prompt.maxLength} characters`)
        // Lone surrogates cannot be encoded as UTF-8: the provider would receive mangled text.
        .refine((s) => s.isWellFormed(), 'must be valid Unicode (it contains a lone surrogate)'),
      model: z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
      // An enum and a literal, not a refine over a union: zod checks these without a closure call.
      seconds: z
        .union(
          [z.enum(SECONDS), z.literal(CLIP_SECONDS).transform((v) => String(v) as (typeof SECONDS)[number])],
          { error: `must be one of ${list(SECONDS)}` },
        )
        .optional(),
      size: z.enum(SIZES, { error: `must be one of ${list(SIZES)}` }).optional(),
      input_reference: z
        .union(
          [
            z.object({ image_url: z.url({ protocol: /^https?$/ }) }).strict(),
            z.object({ file_id: z.string().min(1).max(200) }).strict(),
          ],
          { error: 'must be {image_url: an http(s) URL} or {file_id: a string}' },
        )
        .optional(),
      duration: z
        .number({ error: 'must be a number of seconds' })
        .int('must be a whole number of seconds')
        .min(5, 'must be from 5 to 60 seconds')
        .max(60, 'must be from 5 to 60 seconds')
        .optional(),
      aspect_ratio: z.enum(ASPECT_RATIOS, { error: `must be one of ${list(ASPECT_RATIOS)}` }).optional(),
      resolution: z.enum(RESOLUTIONS, { error: `must be one of ${list(RESOLUTIONS)}` }).optional(),
      n: z
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(1, 'must be from 1 to 4')
        .max(4, 'must be from 1 to 4')
        .optional(),
      seed: z
        .number({ error: 'must be a number' })
        .int('must be a whole number')
        .min(0, 'must be from 0 to 4294967295')
        .max(4294967295, 'must be from 0 to 4294967295')
        .optional(),
      quality: z.enum(QUALITIES, { error: `must be one of ${list(QUALITIES)}` }).optional(),
      metadata: metadataSchema.optional(),
      thumbnail: z.boolean({ error: 'must be true or false' }).optional(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.seconds !== undefined && v.duration !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['duration'],
          message: 'give either seconds or duration, not both',
        });
      if (v.size !== undefined && (v.aspect_ratio !== undefined || v.resolution !== undefined))
        ctx.addIssue({
          code: 'custom',
          path: ['size'],
          message: 'give either size or aspect_ratio/resolution, not both',
        });
    });
}
export type ParsedParams = z.output<ReturnType<typeof buildParamsSchema>>;

export const optionsSchema = z
  .object({
    idempotencyKey: z
      .string()
      .min(1, 'must not be empty')
      .max(255, 'must be at most 255 characters')
      .optional(),
    priority: z.number({ error: 'must be a number' }).optional(),
    // Tenants name Redis keys: a closed alphabet keeps one tenant from reaching another's keys.
    tenant: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be 1–100 characters of A–Z, a–z, 0–9, ".", "_", "-"')
      .optional(),
    callbackUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(2048)
      .optional(),
    metadata: metadataSchema.optional(),
    strict: z.boolean().optional(),
  })
  .strict();
