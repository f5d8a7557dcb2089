import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ApiError, invalidValue, notFound } from '../api-error.ts';
import { mp4Chunks, mp4Layout, SPRITESHEET_JPEG, THUMBNAIL_WEBP } from '../mp4.ts';
import type { SimState } from '../sim-state.ts';
import { expiresAtSec } from '../video-record.ts';
import { videoNotFound } from './video-routes.ts';

const VARIANTS = ['video', 'thumbnail', 'spritesheet'] as const;

/** `bytes=a-b`, `bytes=a-`, `bytes=-n` → inclusive [start, end]; null when absent or not satisfiable here. */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'invalid' {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null; // multi-range or odd units: serve the whole file, as many servers do
  const [, a = '', b = ''] = match;
  if (a === '' && b === '') return 'invalid';
  const start = a === '' ? Math.max(0, size - Number(b)) : Number(a);
  const end = a === '' || b === '' ? size - 1 : Math.min(Number(b), size - 1);
  return start > end || start >= size ? 'invalid' : { start, end };
}

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/**
 * Writes the body by hand (after hijacking the reply) so that a download can be cut at an exact byte count,
 * after those bytes have reached the socket, and so hundreds of MB stream with backpressure in 64 KiB chunks.
 */
async function stream(
  reply: FastifyReply,
  status: number,
  headers: Record<string, string>,
  chunks: Iterable<Buffer>,
  dropAfter: number | null,
): Promise<void> {
  const res = reply.raw;
  const base: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.getHeaders()))
    if (value !== undefined) base[name] = String(value);
  reply.hijack();
  res.writeHead(status, { ...base, ...headers });
  let sent = 0;
  for (const chunk of chunks) {
    if (res.destroyed) return;
    let piece = chunk;
    if (dropAfter !== null && sent + piece.length >= dropAfter) {
      piece = piece.subarray(0, Math.max(0, dropAfter - sent));
      await new Promise<void>((resolve) => res.write(piece, () => resolve()));
      res.socket?.destroy();
      return;
    }
    sent += piece.length;
    if (!res.write(piece)) await drainedOrClosed(res);
  }
  res.end();
}

export function registerContentRoute(app: FastifyInstance, state: SimState): void {
  app.get<{ Params: { id: string }; Querystring: { variant?: string } }>(
    '/v1/videos/:id/content',
    async (request, reply) => {
      const variant = request.query.variant ?? 'video';
      if (!(VARIANTS as readonly string[]).includes(variant))
        throw invalidValue('variant', variant, VARIANTS);
      const now = Date.now();
      const record = state.store.get(request.params.id, now);
      if (!record) throw videoNotFound(request.params.id);
      const status = state.store.statusOf(record, now);
      if (status === 'failed') throw notFound('Video generation failed; there is no content to download.');
      if (status !== 'completed') throw notFound('Video is not ready yet.');
      if (now >= expiresAtSec(record) * 1000) throw notFound('Video content has expired.');

      const config = state.config;
      if (variant !== 'video') {
        const bytes = variant === 'thumbnail' ? THUMBNAIL_WEBP : SPRITESHEET_JPEG;
        return reply
          .type(variant === 'thumbnail' ? 'image/webp' : 'image/jpeg')
          .header('content-length', String(bytes.length))
          .send(bytes);
      }
      const layout = mp4Layout(record.id, config.videoBytes, state.seed);
      const range = parseRange(request.headers.range, layout.size);
      if (range === 'invalid') {
        throw new ApiError(416, 'Requested range not satisfiable.', {
          headers: { 'content-range': `bytes */${layout.size}` },
        });
      }
      const start = range?.start ?? 0;
      const end = range?.end ?? layout.size - 1;
      const length = end - start + 1;
      let dropAfter: number | null = null;
      if (config.dropDownloadRate > 0 && state.faultDraw() < config.dropDownloadRate) {
        state.stats.downloadsDropped += 1;
        dropAfter =
          config.dropAfterBytes > 0 ? Math.min(config.dropAfterBytes, length - 1) : Math.floor(length / 2);
      }
      const headers: Record<string, string> = {
        'content-type': 'video/mp4',
        'content-length': String(length),
        'accept-ranges': 'bytes',
      };
      if (range) headers['content-range'] = `bytes ${start}-${end}/${layout.size}`;
      await stream(reply, range ? 206 : 200, headers, mp4Chunks(layout, start, end), dropAfter);
      return reply;
    },
  );
}
