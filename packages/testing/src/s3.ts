import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { probeContainerRuntime } from './container-runtime.ts';

export type S3Backend = 's3rver' | 'minio';

export interface StartS3Options {
  /** Bucket to create. Default: a fresh `reelay-test-<hex>`, so fixtures never share a bucket. */
  bucket?: string;
  /**
   * Which server. Default: `REELAY_TEST_S3_BACKEND` when set, else `s3rver` (in-process, no Docker).
   * `minio` needs a container runtime and fails loudly without one.
   */
  backend?: S3Backend;
}

export interface S3Fixture {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  /** Everything an S3Client needs to talk to this server correctly; see `clientConfigFor`. */
  readonly clientConfig: S3ClientConfig;
  /** A client built from `clientConfig`, destroyed by `stop()`. */
  readonly client: S3Client;
  readonly backend: S3Backend;
  stop(): Promise<void>;
}

/** s3rver's own fixed credentials; it checks signatures against them. */
const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const REGION = 'us-east-1';
const MINIO_IMAGE = 'minio/minio:latest';

/**
 * Client settings for an S3-compatible test server.
 * - `forcePathStyle`: the bucket goes in the path; `<bucket>.127.0.0.1` does not resolve.
 * - `requestChecksumCalculation` / `responseChecksumValidation` = `WHEN_REQUIRED`: since v3.729 the SDK
 *   otherwise sends streamed bodies as `aws-chunked` with a trailing CRC32, which s3rver does not
 *   decode: a streamed PutObject is then stored *with the chunk framing inside*, silently.
 */
export function clientConfigFor(endpoint: string, credentials: S3Fixture['credentials']): S3ClientConfig {
  return {
    endpoint,
    region: REGION,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** A real S3-protocol server with a bucket created: s3rver in a temp dir, or MinIO in a container. */
export async function startS3(options: StartS3Options = {}): Promise<S3Fixture> {
  const bucket = options.bucket ?? `reelay-test-${randomBytes(4).toString('hex')}`;
  const envBackend = process.env['REELAY_TEST_S3_BACKEND'];
  const backend = options.backend ?? (envBackend === 'minio' ? 'minio' : 's3rver');
  const fixture = backend === 'minio' ? await startMinio(bucket) : await startS3rver(bucket);
  if (!announced.has(fixture.backend)) {
    announced.add(fixture.backend);
    process.stderr.write(`[@reelay/testing] S3 backend: ${fixture.backend} (${fixture.endpoint})\n`);
  }
  return fixture;
}

const announced = new Set<S3Backend>();

interface S3rverServer {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverServer;

async function startS3rver(bucket: string): Promise<S3Fixture> {
  // s3rver is CommonJS and ships no types; the two methods used are typed above.
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const directory = await mkdtemp(join(tmpdir(), 'reelay-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  let address: AddressInfo;
  try {
    address = await server.run();
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${address.port}`;
  const clientConfig = clientConfigFor(endpoint, S3RVER_CREDENTIALS);
  const client = new S3Client(clientConfig);
  return {
    endpoint,
    bucket,
    region: REGION,
    credentials: S3RVER_CREDENTIALS,
    clientConfig,
    client,
    backend: 's3rver',
    async stop() {
      client.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

async function startMinio(bucket: string): Promise<S3Fixture> {
  const runtime = await probeContainerRuntime();
  if (!runtime.ok) {
    throw new Error(`startS3({ backend: 'minio' }) needs a container runtime: ${runtime.reason}`);
  }
  const { GenericContainer, Wait } = await import('testcontainers');
  const credentials = { accessKeyId: 'reelay-test', secretAccessKey: randomBytes(16).toString('hex') };
  const container = await new GenericContainer(MINIO_IMAGE)
    .withCommand(['server', '/data'])
    .withEnvironment({
      MINIO_ROOT_USER: credentials.accessKeyId,
      MINIO_ROOT_PASSWORD: credentials.secretAccessKey,
    })
    .withExposedPorts(9000)
    .withWaitStrategy(Wait.forHttp('/minio/health/live', 9000))
    .start();
  const endpoint = `http://${container.getHost()}:${container.getMappedPort(9000)}`;
  const clientConfig = clientConfigFor(endpoint, credentials);
  const client = new S3Client(clientConfig);
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    client.destroy();
    await container.stop();
    throw error;
  }
  return {
    endpoint,
    bucket,
    region: REGION,
    credentials,
    clientConfig,
    client,
    backend: 'minio',
    async stop() {
      client.destroy();
      await container.stop();
    },
  };
}
