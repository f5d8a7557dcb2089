import type { GenerationRequestInput, RequestMapping } from '@reelay/core';
import { CLIP_SECONDS, LONGEST_CLIP, type ParsedParams } from './params.ts';
import type { AspectRatio, Resolution } from './types.ts';

export interface MappedRequest {
  request: GenerationRequestInput;
  mapping: RequestMapping[];
  n: number;
  metadata?: Record<string, string>;
}

export type Issue = { path: string; message: string };

const PRO = /^sora-2-pro/;

/** The provider's sizes by orientation and resolution; `pro` = only for sora-2-pro. */
const SIZE_TABLE: Record<
  'landscape' | 'portrait',
  Record<'720p' | '1080p', { base: string; pro: string }>
> = {
  landscape: {
    '720p': { base: '1280x720', pro: '1280x720' },
    '1080p': { base: '1792x1024', pro: '1920x1080' },
  },
  portrait: {
    '720p': { base: '720x1280', pro: '720x1280' },
    '1080p': { base: '1024x1792', pro: '1080x1920' },
  },
};

/**
 * Friendly parameters → the provider's native ones. Each friendly value leaves a RequestMapping on
 * the record. Strict mode turns every inexact mapping into an issue that names the field and the
 * values it would accept; a duration past the provider's longest clip is an issue in any mode
 * (cutting a 30 s ask to 20 s silently would deliver something nobody asked for).
 */
export function mapParams(p: ParsedParams, strict: boolean): { mapped?: MappedRequest; issues: Issue[] } {
  const issues: Issue[] = [];
  const mapping: RequestMapping[] = [];
  const request: GenerationRequestInput = { prompt: p.prompt };

  let model = p.model;
  if (p.quality !== undefined) {
    if (model === undefined) {
      model = p.quality === 'high' ? 'sora-2-pro' : 'sora-2';
      mapping.push({
        field: 'quality',
        requested: p.quality,
        applied: model,
        reason: 'quality selects the model',
      });
    } else if ((p.quality === 'high') !== PRO.test(model)) {
      if (strict)
        issues.push({ path: 'quality', message: `${p.quality} does not match model ${model}; omit one` });
      else
        mapping.push({ field: 'quality', requested: p.quality, reason: `ignored: model ${model} was given` });
    }
  }
  if (model !== undefined) request.model = model;

  if (p.seconds !== undefined) request.seconds = p.seconds;
  if (p.duration !== undefined) {
    const d = p.duration;
    const allowed = CLIP_SECONDS.join(', ');
    if (d > LONGEST_CLIP) {
      issues.push({
        path: 'duration',
        message: `${d} s is longer than the provider's longest clip (${LONGEST_CLIP} s); allowed: ${allowed}`,
      });
    } else if (CLIP_SECONDS.includes(d)) {
      request.seconds = String(d) as GenerationRequestInput['seconds'];
      mapping.push({ field: 'duration', requested: d, applied: String(d), reason: 'exact' });
    } else if (strict) {
      issues.push({
        path: 'duration',
        message: `${d} s is not a clip length the provider makes; allowed: ${allowed}`,
      });
    } else {
      const up = CLIP_SECONDS.find((s) => s >= d) ?? LONGEST_CLIP;
      request.seconds = String(up) as GenerationRequestInput['seconds'];
      mapping.push({
        field: 'duration',
        requested: d,
        applied: String(up),
        reason: 'rounded up to the nearest clip length the provider makes',
      });
    }
  }

  if (p.size !== undefined) request.size = p.size;
  if (p.aspect_ratio !== undefined || p.resolution !== undefined) {
    const size = mapSize(p.aspect_ratio, p.resolution, model ?? 'sora-2', strict, issues, mapping);
    if (size !== undefined) request.size = size as GenerationRequestInput['size'];
  }

  if (p.seed !== undefined) {
    if (strict)
      issues.push({ path: 'seed', message: 'the provider has no seed; omit it (or use non-strict mode)' });
    else mapping.push({ field: 'seed', requested: p.seed, reason: 'dropped: the provider has no seed' });
  }
  if (p.input_reference !== undefined) {
    request.inputReference =
      'image_url' in p.input_reference
        ? { imageUrl: p.input_reference.image_url }
        : { fileId: p.input_reference.file_id };
  }
  if (p.thumbnail !== undefined) request.thumbnail = p.thumbnail;
  if (issues.length > 0) return { issues };
  const mapped: MappedRequest = { request, mapping, n: p.n ?? 1 };
  if (p.metadata !== undefined) mapped.metadata = p.metadata;
  return { mapped, issues };
}

function mapSize(
  ratio: AspectRatio | undefined,
  resolution: Resolution | undefined,
  model: string,
  strict: boolean,
  issues: Issue[],
  mapping: RequestMapping[],
): string | undefined {
  // Only a resolution: keep the provider's default orientation (portrait, 720x1280).
  const r = ratio ?? '9:16';
  const res = resolution ?? '720p';
  const before = issues.length;
  if (strict && (r === '1:1' || r === '21:9'))
    issues.push({
      path: 'aspect_ratio',
      message: `${r} is not a shape the provider makes; allowed: 16:9, 9:16`,
    });
  if (strict && res === '480p')
    issues.push({ path: 'resolution', message: '480p is not made by the provider; allowed: 720p, 1080p' });
  const pro = PRO.test(model);
  if (strict && res === '1080p' && !pro)
    issues.push({
      path: 'resolution',
      message: `1080p needs model sora-2-pro (model is ${model}); allowed: 720p`,
    });
  if (issues.length > before) return undefined;

  const orientation = r === '9:16' ? 'portrait' : 'landscape';
  const tier = res === '1080p' ? '1080p' : '720p';
  const size = SIZE_TABLE[orientation][tier][pro ? 'pro' : 'base'];
  const reasons: string[] = [];
  if (r === '1:1') reasons.push('no square size: nearest supported shape (landscape)');
  if (r === '21:9') reasons.push('no 21:9 size: nearest supported shape (16:9)');
  if (res === '480p') reasons.push('no 480p: lowest supported resolution (720p)');
  if (res === '1080p' && !pro) reasons.push(`1080p needs sora-2-pro: largest size for ${model}`);
  const reason = reasons.length > 0 ? reasons.join('; ') : 'exact';
  if (ratio !== undefined) mapping.push({ field: 'aspect_ratio', requested: ratio, applied: size, reason });
  if (resolution !== undefined)
    mapping.push({ field: 'resolution', requested: resolution, applied: size, reason });
  return size;
}
