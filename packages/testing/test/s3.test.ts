import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterEach, describe, expect, it } from 'vitest';
import { generateBytes, type S3Fixture, startS3 } from '../src/index.ts';

const MiB = 1024 * 1024;
const fixtures: S3Fixture[] = [];
afterEach(async () => {
  for (const fixture of fixtures.splice(0)) await fixture.stop();
});

async function s3(): Promise<S3Fixture> {
  const fixture = await startS3();
  fixtures.push(fixture);
  return fixture;
}

async function sha256Of(body: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

async function download(fixture: S3Fixture, key: string): Promise<{ sha256: string; bytes: number }> {
  const object = await fixture.client.send(new GetObjectCommand({ Bucket: fixture.bucket, Key: key }));
  return sha256Of(object.Body as Readable);
}

describe('startS3', () => {
  it('starts a server with its bucket and says which backend it is', async () => {
    const fixture = await s3();
    expect(fixture.backend).toBe(process.env['REELAY_TEST_S3_BACKEND'] === 'minio' ? 'minio' : 's3rver');
    expect(fixture.clientConfig).toMatchObject({
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    await fixture.client.send(
      new PutObjectCommand({ Bucket: fixture.bucket, Key: 'hello.txt', Body: 'hello' }),
    );
    expect(await download(fixture, 'hello.txt')).toEqual({
      sha256: createHash('sha256').update('hello').digest('hex'),
      bytes: 5,
    });
  });

  it('round-trips a 30 MiB multipart Upload from a stream byte for byte', async () => {
    const fixture = await s3();
    const source = generateBytes(30 * MiB);
    const upload = new Upload({
      client: fixture.client,
      params: { Bucket: fixture.bucket, Key: 'big/video.mp4', Body: source.stream, ContentType: 'video/mp4' },
      partSize: 5 * MiB,
      queueSize: 4,
    });
    await upload.done();

    const head = await fixture.client.send(
      new HeadObjectCommand({ Bucket: fixture.bucket, Key: 'big/video.mp4' }),
    );
    expect(head.ContentLength).toBe(30 * MiB);
    expect(await download(fixture, 'big/video.mp4')).toEqual({ sha256: source.sha256(), bytes: 30 * MiB });
  });

  it('stores a streamed PutObject without chunk framing inside', async () => {
    const fixture = await s3();
    const source = generateBytes(3 * MiB + 17, { chunkBytes: 64 * 1024 });
    await fixture.client.send(
      new PutObjectCommand({
        Bucket: fixture.bucket,
        Key: 'streamed.bin',
        Body: source.stream,
        ContentLength: 3 * MiB + 17,
      }),
    );
    const head = await fixture.client.send(
      new HeadObjectCommand({ Bucket: fixture.bucket, Key: 'streamed.bin' }),
    );
    expect(head.ContentLength).toBe(3 * MiB + 17);
    expect(await download(fixture, 'streamed.bin')).toEqual({ sha256: source.sha256(), bytes: 3 * MiB + 17 });
  });

  it('gives each fixture its own bucket', async () => {
    const [a, b] = await Promise.all([s3(), s3()]);
    expect(a.bucket).not.toBe(b.bucket);
    expect(a.endpoint).not.toBe(b.endpoint);
  });
});
