import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
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

type S3Sdk = typeof import('@aws-sdk/client-s3');
type StorageSdk = typeof import('@aws-sdk/lib-storage');

let sdk: Promise<{ s3: S3Sdk; storage: StorageSdk }> | undefined;

/**
 * The AWS SDK, loaded on first use: it costs tens of MB of memory and a few hundred ms of start-up,
 * which a process storing to `file://` (the default) should not pay.
 */
function loadSdk(): Promise<{ s3: S3Sdk; storage: StorageSdk }> {
  sdk ??= Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]).then(
    ([s3, storage]) => ({ s3, storage }),
  );
  return sdk;
}

const DEFAULT_URL_TTL_SECONDS = 3600;

/**
 * Objects in an S3 bucket under an optional prefix: the only file that imports the AWS SDK (lazily,
 * on the first call that needs it).
 * Puts go through lib-storage's `Upload` (multipart past one part, at most `partSize × queueSize` in
 * memory); a body that fails midway makes `Upload` abort the multipart upload, so no object appears.
 */
export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly prefix: string;
  #client: S3Client | undefined;
  #creating: Promise<S3Client> | undefined;
  readonly #clientConfig: S3ClientConfig;
  readonly #ownsClient: boolean;
  readonly #partSize: number;
  readonly #queueSize: number;

  constructor(bucket: string, prefix: string, options: S3DriverOptions = {}) {
    const resolved = resolveS3DriverOptions(options);
    this.bucket = bucket;
    this.prefix = prefix.replace(/^\/+|\/+$/g, '');
    this.#client = resolved.client;
    this.#clientConfig = resolved.clientConfig;
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
    const [client, { storage }] = await Promise.all([this.#getClient(), loadSdk()]);
    const meter = new HashMeter(options.expectedBytes);
    const upload = new storage.Upload({
      client,
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
    const [client, { s3 }] = await Promise.all([this.#getClient(), loadSdk()]);
    try {
      const out = await client.send(
        new s3.HeadObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      const head: ObjectHead = { bytes: out.ContentLength ?? 0 };
      if (out.ContentType) head.contentType = out.ContentType;
      return head;
    } catch (error) {
      if (isMissing(s3, error)) return null;
      throw error;
    }
  }

  async getJson<T = unknown>(key: string): Promise<T | null> {
    const [client, { s3 }] = await Promise.all([this.#getClient(), loadSdk()]);
    try {
      const out = await client.send(
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      const text = await out.Body?.transformToString('utf8');
      return text === undefined ? null : (JSON.parse(text) as T);
    } catch (error) {
      if (isMissing(s3, error)) return null;
      throw error;
    }
  }

  async createReadStream(key: string): Promise<Readable> {
    const [client, { s3 }] = await Promise.all([this.#getClient(), loadSdk()]);
    try {
      const out = await client.send(
        new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }),
      );
      // In Node the SDK's body is an http.IncomingMessage (a Readable) with helpers mixed in.
      return out.Body as Readable;
    } catch (error) {
      if (isMissing(s3, error)) throw notFound(this.uri(key));
      throw error;
    }
  }

  async readableUrl(key: string, options: ReadableUrlOptions = {}): Promise<string> {
    const [client, { s3 }, { getSignedUrl }] = await Promise.all([
      this.#getClient(),
      loadSdk(),
      import('@aws-sdk/s3-request-presigner'),
    ]);
    const command = new s3.GetObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) });
    return getSignedUrl(client, command, {
      expiresIn: options.expiresInSeconds ?? DEFAULT_URL_TTL_SECONDS,
    });
  }

  async delete(key: string): Promise<void> {
    const [client, { s3 }] = await Promise.all([this.#getClient(), loadSdk()]);
    await client.send(new s3.DeleteObjectCommand({ Bucket: this.bucket, Key: this.#objectKey(key) }));
  }

  async close(): Promise<void> {
    // A client still being built is destroyed once it exists; one never built needs nothing.
    const client = this.#client ?? (await this.#creating?.catch(() => undefined));
    if (this.#ownsClient) client?.destroy();
  }

  /** The given client, or the store's own, built on first use (with the SDK). */
  #getClient(): Promise<S3Client> {
    if (this.#client) return Promise.resolve(this.#client);
    this.#creating ??= loadSdk().then(({ s3 }) => {
      this.#client = new s3.S3Client(this.#clientConfig);
      return this.#client;
    });
    return this.#creating;
  }

  #objectKey(key: string): string {
    checkKey(key);
    return this.prefix ? `${this.prefix}/${key}` : key;
  }
}

function isMissing(s3: S3Sdk, error: unknown): boolean {
  if (error instanceof s3.S3ServiceException) {
    return error.name === 'NotFound' || error.name === 'NoSuchKey' || error.$metadata.httpStatusCode === 404;
  }
  return false;
}
