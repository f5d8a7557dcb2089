import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';

const MiB = 1024 * 1024;

export interface S3DriverOptions {
  /**
   * A ready client. Wins over `clientConfig`; the store never destroys a client it was given.
   */
  client?: S3Client;
  /**
   * Settings for the client the store builds. Anything left unset comes from the AWS SDK's own
   * environment handling (`AWS_REGION`, `AWS_ENDPOINT_URL_S3`, the credential chain,
   * `AWS_REQUEST_CHECKSUM_CALCULATION`, ...), which is not re-implemented here. Default: `{}`.
   */
  clientConfig?: S3ClientConfig;
  /**
   * Multipart part size in bytes. Default 8 MiB: S3's minimum is 5 MiB, and parts are held in memory
   * while they upload, so bigger parts cost memory without much speed on a typical video.
   */
  partSize?: number;
  /**
   * Parts uploaded concurrently. Default 4. Peak memory per put is about `partSize × queueSize`
   * (32 MiB by default), whatever the size of the video.
   */
  queueSize?: number;
}

export interface ResolvedS3DriverOptions {
  client: S3Client | undefined;
  clientConfig: S3ClientConfig;
  partSize: number;
  queueSize: number;
}

export const S3_MIN_PART_SIZE = 5 * MiB;

export function resolveS3DriverOptions(options: S3DriverOptions = {}): ResolvedS3DriverOptions {
  const partSize = options.partSize ?? 8 * MiB;
  const queueSize = options.queueSize ?? 4;
  if (!Number.isInteger(partSize) || partSize < S3_MIN_PART_SIZE) {
    throw new RangeError(
      `S3 partSize must be an integer >= ${S3_MIN_PART_SIZE} bytes (5 MiB), got ${partSize}`,
    );
  }
  if (!Number.isInteger(queueSize) || queueSize < 1) {
    throw new RangeError(`S3 queueSize must be a positive integer, got ${queueSize}`);
  }
  return { client: options.client, clientConfig: options.clientConfig ?? {}, partSize, queueSize };
}
