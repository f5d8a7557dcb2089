import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { lengthMismatch } from './errors.ts';

/**
 * A pass-through that hashes (sha256) and counts bytes as they flow to the driver. With an expected
 * length it fails as soon as the body runs long, and at the end if it came up short — before the
 * driver's final step (rename, multipart complete), so a wrong-length body is never committed.
 */
export class HashMeter extends Transform {
  readonly #hash = createHash('sha256');
  readonly #expectedBytes: number | undefined;
  #bytes = 0;
  #sha256: string | undefined;

  constructor(expectedBytes?: number) {
    super();
    this.#expectedBytes = expectedBytes;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /** Hex digest; only after the body ended. */
  get sha256(): string {
    if (this.#sha256 === undefined) throw new Error('HashMeter: sha256 read before the body ended');
    return this.#sha256;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#bytes += chunk.byteLength;
    if (this.#expectedBytes !== undefined && this.#bytes > this.#expectedBytes) {
      callback(lengthMismatch(this.#expectedBytes, this.#bytes, true));
      return;
    }
    this.#hash.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#expectedBytes !== undefined && this.#bytes !== this.#expectedBytes) {
      callback(lengthMismatch(this.#expectedBytes, this.#bytes, false));
      return;
    }
    this.#sha256 = this.#hash.digest('hex');
    callback();
  }
}
