import { createHash } from 'node:crypto';

// Determinism comes from hashing (seed, subject, purpose) rather than from one shared generator, so a
// video's duration or fate does not depend on how many other calls came before it. Node's crypto has no
// seedable generator, hence sha256 for seeding and sfc32 (small, fast, well-tested) for streams.

/** Hex digest of the parts, joined; the root of every deterministic value. */
export function hashHex(...parts: (string | number)[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('hex');
}

/** A uniform draw in [0, 1) fixed by its parts. */
export function hashUnit(...parts: (string | number)[]): number {
  return Number.parseInt(hashHex(...parts).slice(0, 13), 16) / 2 ** 52;
}

/** A standard normal draw fixed by its parts (Box-Muller over two hashed uniforms). */
export function hashNormal(...parts: (string | number)[]): number {
  const u1 = Math.max(hashUnit(...parts, 'u1'), Number.EPSILON);
  const u2 = hashUnit(...parts, 'u2');
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/** sfc32: a seeded stream of uniforms in [0, 1), for sequences such as per-request fault draws. */
export function seededStream(...parts: (string | number)[]): () => number {
  const hex = hashHex(...parts);
  let a = Number.parseInt(hex.slice(0, 8), 16) >>> 0;
  let b = Number.parseInt(hex.slice(8, 16), 16) >>> 0;
  let c = Number.parseInt(hex.slice(16, 24), 16) >>> 0;
  let d = Number.parseInt(hex.slice(24, 32), 16) >>> 0;
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** Fills a buffer with bytes from a seeded stream (used for the MP4 padding pattern). */
export function seededBytes(length: number, ...parts: (string | number)[]): Buffer {
  const next = seededStream(...parts);
  const words = Math.ceil(length / 4);
  const out = Buffer.allocUnsafe(words * 4);
  // Each draw is one little-endian 32-bit word; a tail shorter than a word keeps the word's low bytes.
  for (let i = 0; i < words; i++) out.writeUInt32LE(Math.floor(next() * 4294967296), i * 4);
  return out.subarray(0, length);
}
