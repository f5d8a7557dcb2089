import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ReelayClient } from '@reelay/client';
import type { ObjectStore } from '@reelay/storage';
import { apiError, fromError } from './errors.ts';
import { ownGeneration } from './generations.ts';
import type { ProducerHandler } from './request.ts';

const NOT_FOUND = 'no generation with this id for this API key';

/**
 * GET /v1/generations/:id/content — the stored video. Local files (`file://`) are streamed from
 * disk with their length; S3 objects (`s3://`) are a 302 to a presigned URL, so the bytes never pass
 * through this process. Before the video is stored: 409 `not_ready` (not 404 — the id exists and is
 * the caller's; 404 stays reserved for "no such generation").
 *
 * `objectStore` is the store the workers write to (REELAY_STORAGE_URL); only S3 URIs need it.
 */
export function generationContentHandler(
  client: ReelayClient,
  objectStore: () => ObjectStore | undefined,
): ProducerHandler {
  return async ({ caller, params }) => {
    try {
      const generation = await ownGeneration(client, caller, params['id']);
      if (!generation) return apiError(404, 'not_found', NOT_FOUND, 'id');
      const storage = generation.storage;
      if (storage === undefined) {
        const why =
          generation.status === 'failed' || generation.status === 'cancelled'
            ? `generation is ${generation.status}; it has no content`
            : `generation is ${generation.status}; content is available once it is stored`;
        return apiError(409, 'not_ready', why, 'id');
      }
      if (storage.uri.startsWith('s3://')) {
        const store = objectStore();
        if (store === undefined) {
          return apiError(503, 'unavailable', 'object store is not configured on this api', null);
        }
        const url = await store.readableUrl(storage.key);
        return { status: 302, body: '', headers: { location: url } };
      }
      if (storage.uri.startsWith('file://')) {
        const path = fileURLToPath(storage.uri);
        const info = await stat(path).catch(() => undefined);
        if (!info?.isFile()) return apiError(404, 'not_found', 'content is no longer stored', 'id');
        return {
          status: 200,
          body: createReadStream(path),
          headers: {
            'content-type': 'video/mp4',
            'content-length': String(info.size),
            'content-disposition': `attachment; filename="${generation.id}.mp4"`,
          },
        };
      }
      return apiError(500, 'internal', 'content stored under an unsupported URI scheme', null);
    } catch (error) {
      return fromError(error, NOT_FOUND);
    }
  };
}
