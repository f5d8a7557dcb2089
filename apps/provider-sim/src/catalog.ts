import { ApiError, invalidValue, listValues, missingParameter } from './api-error.ts';

export const MODELS = [
  'sora-2',
  'sora-2-pro',
  'sora-2-2025-10-06',
  'sora-2-pro-2025-10-06',
  'sora-2-2025-12-08',
] as const;
/** The message lists only the two public names, as the API does; snapshots are still accepted. */
const ADVERTISED_MODELS = ['sora-2', 'sora-2-pro'];

export const SECONDS = ['4', '8', '12'] as const;
const BASE_SIZES = ['720x1280', '1280x720', '1024x1792', '1792x1024'];
const PRO_SIZES = [...BASE_SIZES, '1080x1920', '1920x1080'];

/** Sizes a model accepts: the 1080p ones belong to sora-2-pro only. */
export function sizesFor(model: string): readonly string[] {
  return model.startsWith('sora-2-pro') ? PRO_SIZES : BASE_SIZES;
}

export interface CreateRequest {
  prompt: string;
  model: string;
  seconds: string;
  size: string;
}

function typeName(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return `an ${typeof value}`;
}

function stringParam(
  body: Record<string, unknown>,
  name: string,
  allowed?: readonly string[],
): string | undefined {
  const value = body[name];
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') {
    const expected = allowed ? `one of ${listValues(allowed).replace(', and ', ', or ')}` : 'a string';
    throw new ApiError(
      400,
      `Invalid type for '${name}': expected ${expected}, but got ${typeName(value)} instead.`,
      {
        param: name,
        code: 'invalid_type',
      },
    );
  }
  return value;
}

/** Validates create parameters in the API's order: prompt, model, seconds, size. */
export function validateCreate(body: Record<string, unknown>): CreateRequest {
  const prompt = stringParam(body, 'prompt');
  if (prompt === undefined || prompt.trim() === '') throw missingParameter('prompt');
  const model = stringParam(body, 'model') ?? 'sora-2';
  if (!(MODELS as readonly string[]).includes(model)) throw invalidValue('model', model, ADVERTISED_MODELS);
  const seconds = stringParam(body, 'seconds', SECONDS) ?? '4';
  if (!(SECONDS as readonly string[]).includes(seconds)) throw invalidValue('seconds', seconds, SECONDS);
  const sizes = sizesFor(model);
  const size = stringParam(body, 'size') ?? '720x1280';
  if (!sizes.includes(size)) throw invalidValue('size', size, sizes);
  return { prompt, model, seconds, size };
}
