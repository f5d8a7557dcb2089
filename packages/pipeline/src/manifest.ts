import type { GenerationRecord, GenerationStorage } from '@reelay/core';

export const MANIFEST_VERSION = 1;

/**
 * The manifest stored beside each video repeats the generation record (minus nothing secret: the
 * record holds none), so the object store alone can rebuild history.
 */
export interface Manifest {
  manifestVersion: number;
  generationId: string;
  tenant: string;
  request: GenerationRecord['request'];
  metadata?: Record<string, string>;
  provider: string;
  providerVideoId: string;
  timings: GenerationRecord['timings'];
  attempts: GenerationRecord['attempts'];
  cost?: GenerationRecord['cost'];
  video: Omit<GenerationStorage, 'thumbnail' | 'manifest'>;
  thumbnail?: GenerationStorage['thumbnail'];
}

export function objectKeys(generationId: string) {
  return {
    video: `${generationId}/video.mp4`,
    thumbnail: `${generationId}/thumbnail.webp`,
    manifest: `${generationId}/manifest.json`,
  };
}

export function buildManifest(
  record: GenerationRecord,
  videoId: string,
  storage: GenerationStorage,
): Manifest {
  const { thumbnail, manifest: _manifest, ...video } = storage;
  const out: Manifest = {
    manifestVersion: MANIFEST_VERSION,
    generationId: record.id,
    tenant: record.tenant,
    request: record.request,
    provider: record.provider,
    providerVideoId: videoId,
    timings: record.timings,
    attempts: record.attempts,
    video,
  };
  if (record.metadata) out.metadata = record.metadata;
  if (record.cost) out.cost = record.cost;
  if (thumbnail) out.thumbnail = thumbnail;
  return out;
}
