import { randomBytes } from 'node:crypto';
import { type FileHandle, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { notFound } from './errors.ts';
import { HashMeter } from './hash-meter.ts';
import { jsonBody } from './json-body.ts';
import { checkKey } from './keys.ts';
import type { ObjectHead, ObjectStore, PutBody, PutOptions, StoredObject } from './object-store.ts';

/**
 * Objects as files under one root directory: the embedded default. A put streams into a hidden temp
 * file in the target's own directory (same filesystem, so the rename is atomic), flushes it to disk,
 * then renames it over the key; a failed put removes the temp file. A crash mid-put can leave a
 * `.<name>.<hex>.partial` file behind, never a partial object at the key.
 */
export class LocalObjectStore implements ObjectStore {
  readonly kind = 'file' as const;
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
  }

  uri(key: string): string {
    return pathToFileURL(this.#path(key)).href;
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<StoredObject> {
    const path = this.#path(key);
    options.signal?.throwIfAborted();
    const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`);
    const meter = new HashMeter(options.expectedBytes);
    // The directory is made only when the open says it is missing: most puts go to a directory an
    // earlier put made (a video's manifest beside it), and a recursive mkdir each time cost more
    // than the open itself.
    let handle: FileHandle;
    try {
      handle = await open(temp, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      await mkdir(dirname(path), { recursive: true });
      handle = await open(temp, 'wx');
    }
    try {
      // `flush: true` fsyncs before close: the rename must not publish a file whose data is still
      // only in the page cache. A 512 KiB write buffer instead of the default 16 KiB: with the
      // default, every 64 KiB socket chunk overflows it, so reading waits on each write syscall in
      // turn; with room for several chunks the stream keeps reading while a `writev` writes them
      // together. Measured (`node bench/download.ts`, 4 × 256 MiB at a time): 16 KiB 241–250, 1 MiB
      // 322–324 MiB/s. Not more: every chunk held here is live memory (up to twice the buffer per put,
      // with a `writev` in flight), and one held across two young-generation GCs is promoted and
      // waits for a full GC. The download worker pacing its GCs every 4 MiB (apps/worker/src/
      // lean-heap.ts), its download run alone: 1 MiB peak RSS 160.8–164.0 MB at 382–396 MiB/s
      // (3 runs), 512 KiB 140.3–143.9 MB at 352–391 MiB/s (8 runs), 256 KiB 142.5–143.3 MB at
      // 326–351 MiB/s (3 runs).
      const file = handle.createWriteStream({ flush: true, highWaterMark: 512 * 1024 });
      await pipeline(body, meter, file, options.signal ? { signal: options.signal } : {});
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    return { uri: this.uri(key), key, bytes: meter.bytes, sha256: meter.sha256 };
  }

  putJson(key: string, value: unknown): Promise<StoredObject> {
    return this.put(key, jsonBody(value), { contentType: 'application/json' });
  }

  async head(key: string): Promise<ObjectHead | null> {
    try {
      const info = await stat(this.#path(key));
      return info.isFile() ? { bytes: info.size } : null;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async getJson<T = unknown>(key: string): Promise<T | null> {
    try {
      return JSON.parse(await readFile(this.#path(key), 'utf8')) as T;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async createReadStream(key: string): Promise<Readable> {
    const path = this.#path(key);
    try {
      // Opened first so a missing object rejects here, not as a late 'error' event on the stream.
      const handle = await open(path, 'r');
      return handle.createReadStream();
    } catch (error) {
      if (isMissing(error)) throw notFound(this.uri(key));
      throw error;
    }
  }

  async readableUrl(key: string): Promise<string> {
    return this.uri(key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }

  async close(): Promise<void> {}

  #path(key: string): string {
    const path = join(this.root, checkKey(key));
    // checkKey already refuses `..`; this is the belt to its braces.
    if (!path.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep))
      throw new Error(`object key escapes the store root: ${key}`);
    return path;
  }
}

function isMissing(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
