import type { Readable } from 'node:stream';

export type ObjectStoreKind = 'file' | 's3';

/** What a finished put produced; `sha256` (hex) and `bytes` were measured on the bytes as they streamed. */
export interface StoredObject {
  /** Where the object lives: `file:///…` or `s3://bucket/prefix/key`. */
  uri: string;
  key: string;
  bytes: number;
  sha256: string;
}

/** A byte source: a Node stream, or any async iterable of chunks (e.g. a fetch body). */
export type PutBody = Readable | AsyncIterable<Uint8Array>;

export interface PutOptions {
  /** MIME type stored with the object (S3 `Content-Type`; the local driver keeps no metadata). */
  contentType?: string;
  /**
   * The length the source announced (e.g. a download's Content-Length). When set, a body that ends
   * short or runs long fails with code `length_mismatch` and leaves nothing at the key.
   */
  expectedBytes?: number;
  /** Aborting it fails the put and leaves nothing at the key. */
  signal?: AbortSignal;
}

export interface ObjectHead {
  bytes: number;
  contentType?: string;
}

export interface ReadableUrlOptions {
  /** Lifetime of a signed URL in seconds. Default 3600. Ignored by the local driver (file URLs don't expire). */
  expiresInSeconds?: number;
}

/**
 * Where finished videos (and their manifests) go. Every put is all-or-nothing: readers see the old
 * object or the complete new one, never a partial file — a download dropped mid-stream leaves nothing.
 * Keys are `/`-separated relative paths; `..`, `.`, empty segments and absolute keys are refused.
 */
export interface ObjectStore {
  readonly kind: ObjectStoreKind;
  /** Streams `body` into the store, hashing as it goes; replaces any object at `key` atomically. */
  put(key: string, body: PutBody, options?: PutOptions): Promise<StoredObject>;
  /** Writes `value` as pretty-printed JSON (`application/json`). */
  putJson(key: string, value: unknown): Promise<StoredObject>;
  /** Size (and type where known) of the object, or null when there is none. */
  head(key: string): Promise<ObjectHead | null>;
  /** The parsed JSON object at `key`, or null when there is none. */
  getJson<T = unknown>(key: string): Promise<T | null>;
  /** The object's bytes; rejects with code `not_found` when there is none. */
  createReadStream(key: string): Promise<Readable>;
  /** A URL a client can read the object from: `file://` locally, a presigned GET URL on S3. */
  readableUrl(key: string, options?: ReadableUrlOptions): Promise<string>;
  /** Removes the object; removing a missing one is not an error. */
  delete(key: string): Promise<void>;
  /** The URI the object at `key` has (or would have). */
  uri(key: string): string;
  /** Releases connections (S3 client the store created). */
  close(): Promise<void>;
}
