import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { generateBytes, type S3Fixture, startS3 } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore, S3ObjectStore } from '../src/index.ts';
import { describeObjectStoreContract } from './contract.ts';

describeObjectStoreContract('S3 (s3rver, prefixed bucket)', async () => {
  const s3 = await startS3();
  const store = createObjectStore(`s3://${s3.bucket}/videos/contract`, { clientConfig: s3.clientConfig });
  return {
    store,
    async dispose() {
      await store.close();
      await s3.stop();
    },
  };
});

describe('S3ObjectStore', () => {
  let s3: S3Fixture;
  beforeAll(async () => {
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
  });

  it('stores objects under the URL prefix, with their content type', async () => {
    const store = createObjectStore(`s3://${s3.bucket}/some/prefix/`, { client: s3.client });
    expect(store.kind).toBe('s3');
    const stored = await store.put('gen_1/video.mp4', generateBytes(1234).stream, {
      contentType: 'video/mp4',
    });

    expect(stored.uri).toBe(`s3://${s3.bucket}/some/prefix/gen_1/video.mp4`);
    const head = await s3.client.send(
      new HeadObjectCommand({ Bucket: s3.bucket, Key: 'some/prefix/gen_1/video.mp4' }),
    );
    expect(head.ContentLength).toBe(1234);
    expect(await store.head('gen_1/video.mp4')).toEqual({ bytes: 1234, contentType: 'video/mp4' });
  });

  it('takes endpoint, region and credentials from the AWS SDK environment when given no client options', async () => {
    const names = [
      'AWS_ENDPOINT_URL_S3',
      'AWS_REGION',
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_REQUEST_CHECKSUM_CALCULATION',
    ] as const;
    const saved = names.map((name) => [name, process.env[name]] as const);
    Object.assign(process.env, {
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    });
    const store = createObjectStore(`s3://${s3.bucket}/from-env`);
    try {
      const stored = await store.put('x.bin', generateBytes(6 * 1024 * 1024).stream);
      expect(await store.head('x.bin')).toMatchObject({ bytes: 6 * 1024 * 1024 });
      expect(stored.uri).toBe(`s3://${s3.bucket}/from-env/x.bin`);
    } finally {
      await store.close();
      for (const [name, value] of saved) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('refuses a part size below the S3 minimum', () => {
    expect(() => new S3ObjectStore(s3.bucket, '', { client: s3.client, partSize: 1024 })).toThrow(/5 MiB/);
  });
});
