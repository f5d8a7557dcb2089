import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { notFound } from './errors.ts';
import { HashMeter } from './hash-meter.ts';
import { jsonBody } from './json-body.ts';
import { checkKey } from './keys.ts';
import type {
  ObjectHead,
  ObjectStore,
  PutBody,
  PutOptions,
  ReadableUrlOptions,
  StoredObject,
} from './object-store.ts';
import { type S3DriverOptions, resolveS3DriverOptions } from './s3-options.ts';

const DEFAULT_URL_TTL_SECONDS = 3600;

/**
 * Objects in an S3 bucket under an optional prefix: the only file that imports the AWS SDK.
 * Puts go through lib-storage's `Upload` (multipart past one part, at most `partSize × queueSize` in
 * memory); a body that fails midway makes `Upload` abort the multipart upload, so no object appears.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(bucket: string, prefix: string, options: S3DriverOptions = {}) {
    const resolved = resolveS3DriverOptions(options);
    this.bucket = bucket;
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.#client = resolved.client ?? new S3Client(resolved.clientConfig);
    this.#ownsClient = resolved.client === undefined;
    this.#partSize = resolved.partSize;
    this.#queueSize = resolved.queueSize;
  }

  uri(key: string): string {
    return `s3://${this.bucket}/${this.#objectKey(key)}`;
  }

  async put(key: string, body: PutBody, options: PutOptions = {}): Promise<StoredObject> {
    const objectKey = this.#objectKey(key);
    options.signal?.throwIfAborted();
    const meter = new HashMeter(options.expectedBytes);
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.bucket, Key: objectKey, Body: meter, ContentType: options.contentType },
      partSize: this.#partSize,
      queueSize: this.#queueSize,
      leavePartsOnError: false,
    });
    // The source feeds the meter while Upload drains it. A source error, an abort or a wrong length
    // destroys the meter, which fails Upload's read and makes it abort the multipart upload; an
    // upload error destroys the meter in turn so the source is not left hanging.
    const feeding = pipeline(body, meter, options.signal ? { signal: options.signal } : {});
    const uploading = upload.done().catch((error: unknown) => {
      meter.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [fed, uploaded] = await Promise.allSettled([feeding, uploading]);
    // The source's failure is the cause; Upload's is usually just its echo.
    if (fed.status === 'rejected') throw fed.reason;
    if (uploaded.status === 'rejected') throw uploaded.reason;
    return { uri: this.uri(key), key, bytes: meter.bytes, sha256: meter.sha256 };
  }

  putJson(key: string, value: unknown): Promise<StoredObject> {
    return this.put(key, jsonBody(value), { contentType: 'application/json' });
  }

  async head(key: string): Promise<ObjectHead | null> {
    try {
      const out = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      const head: ObjectHead = { bytes: out.ContentLength ?? 0 };
      if (out.ContentType) head.contentType = out.ContentType;
      return head;
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async getJson<T = unknown>(key: string): Promise<T | null> {
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      const text = await out.Body?.transformToString('utf8');
      return text === undefined ? null : (JSON.parse(text) as T);
    } catch (error) {
      if (isMissing(error)) return null;
      throw error;
    }
  }

  async createReadStream(key: string): Promise<Readable> {
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      // In Node the SDK's body is an http.IncomingMessage (a Readable) with helpers mixed in.
      return out.Body as Readable;
    } catch (error) {
      if (isMissing(error)) throw notFound(this.uri(key));
      throw error;
    }
  }

  async readableUrl(key: string, options: ReadableUrlOptions = {}): Promise<string> {
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) });
    return getSignedUrl(this.#client, command, {
      expiresIn: options.expiresInSeconds ?? DEFAULT_URL_TTL_SECONDS,
    });
  }

  async delete(key: string): Promise<void> {
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
  }

  async close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
  }

  #objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

function isMissing(error: unknown): boolean {
  if (error instanceof S3ServiceException) {
    return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}
