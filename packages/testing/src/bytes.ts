import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface GeneratedBytes {
  /** The bytes, produced chunk by chunk as they are read: never all in memory at once. */
  readonly stream: Readable;
  /** sha256 hex of everything the stream produced; valid once the stream has ended. */
  sha256(): string;
  /** Bytes produced so far. */
  bytes(): number;
}

export interface GenerateBytesOptions {
  /** Size of each chunk in bytes. Default 1 MiB, about what a network download delivers per read. */
  chunkBytes?: number;
  /** Make the stream fail with this error once `failAfterBytes` bytes were produced. */
  failAfterBytes?: number;
  failWith?: Error;
}

/**
 * Random bytes of a given size as a stream, hashed as they are produced, for large-upload tests
 * that must not hold the payload in memory (and whose check is "same sha256 on the way out").
 * With `failAfterBytes` it plays a download that drops mid-stream.
 */
export function generateBytes(totalBytes: number, options: GenerateBytesOptions = {}): GeneratedBytes {
  const chunkBytes = options.chunkBytes ?? 1024 * 1024;
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    read() {
      if (options.failAfterBytes !== undefined && produced >= options.failAfterBytes) {
        this.destroy(options.failWith ?? new Error(`generated stream failed after ${produced} bytes`));
        return;
      }
      if (produced >= totalBytes) {
        digest = hash.digest('hex');
        this.push(null);
        return;
      }
      let size = Math.min(chunkBytes, totalBytes - produced);
      if (options.failAfterBytes !== undefined) size = Math.min(size, options.failAfterBytes - produced);
      const chunk = randomBytes(size);
      hash.update(chunk);
      produced += size;
      this.push(chunk);
    },
  });
  return {
    stream,
    sha256() {
      if (digest === undefined) throw new Error('generateBytes: sha256() read before the stream ended');
      return digest;
    },
    bytes: () => produced,
  };
}
