import { BASE_MP4_BASE64, SPRITESHEET_JPEG_BASE64, THUMBNAIL_WEBP_BASE64 } from './assets/media.ts';
import { seededBytes } from './random.ts';

const BASE_MP4 = Buffer.from(BASE_MP4_BASE64, 'base64');
export const THUMBNAIL_WEBP = Buffer.from(THUMBNAIL_WEBP_BASE64, 'base64');
export const SPRITESHEET_JPEG = Buffer.from(SPRITESHEET_JPEG_BASE64, 'base64');

/** Padding is a 64 KiB block seeded by the video id, repeated: cheap to stream at any size, distinct per id. */
const BLOCK_BYTES = 64 * 1024;
/** Smallest padding payload, so that even a tiny configured size carries bytes that differ per id. */
const MIN_PAYLOAD = 32;
const MAX_32BIT_BOX = 0xffff_ffff;

/**
 * A real MP4 (ftyp, moov, mdat of a 2 s H.264 clip) followed by one top-level `free` box that pads the file
 * to the configured size. Players skip `free` boxes, so every size stays a valid, playable file. Above
 * 4 GiB the box switches to the 64-bit `largesize` form.
 */
export interface Mp4Layout {
  size: number;
  freeHeader: Buffer;
  payloadBytes: number;
  block: Buffer;
}

export function mp4Layout(videoId: string, requestedBytes: number, seed: string): Mp4Layout {
  const minimum = BASE_MP4.length + 8 + MIN_PAYLOAD;
  const size = Math.max(requestedBytes, minimum);
  let boxBytes = size - BASE_MP4.length;
  let freeHeader: Buffer;
  if (boxBytes <= MAX_32BIT_BOX) {
    freeHeader = Buffer.alloc(8);
    freeHeader.writeUInt32BE(boxBytes, 0);
    freeHeader.write('free', 4, 'latin1');
  } else {
    freeHeader = Buffer.alloc(16);
    freeHeader.writeUInt32BE(1, 0);
    freeHeader.write('free', 4, 'latin1');
    freeHeader.writeBigUInt64BE(BigInt(boxBytes), 8);
  }
  boxBytes -= freeHeader.length;
  // Only as much of the block as the payload uses: a small video does not pay for 64 KiB of draws.
  const block = seededBytes(Math.min(BLOCK_BYTES, boxBytes), seed, 'mp4', videoId);
  return { size, freeHeader, payloadBytes: boxBytes, block };
}

/** The bytes [start, end] (inclusive) of the file, in chunks of at most 64 KiB, without building it whole. */
export function* mp4Chunks(layout: Mp4Layout, start: number, end: number): Generator<Buffer> {
  const head = Buffer.concat([BASE_MP4, layout.freeHeader]);
  let offset = start;
  if (offset < head.length) {
    const stop = Math.min(head.length, end + 1);
    yield head.subarray(offset, stop);
    offset = stop;
  }
  while (offset <= end) {
    const inBlock = (offset - head.length) % BLOCK_BYTES;
    const take = Math.min(BLOCK_BYTES - inBlock, end + 1 - offset);
    yield layout.block.subarray(inBlock, inBlock + take);
    offset += take;
  }
}
