import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateBytes, startS3 } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { createObjectStore, DEFAULT_STORAGE_URL, LocalObjectStore, S3ObjectStore } from '../src/index.ts';

describe('createObjectStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('reads file:///absolute URLs as a local directory and stores there', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelay-url-'));
    dirs.push(dir);
    const store = createObjectStore(pathToFileURL(dir).href);
    expect(store).toBeInstanceOf(LocalObjectStore);
    const stored = await store.put('a.bin', generateBytes(10).stream);
    expect(stored.uri).toBe(pathToFileURL(join(dir, 'a.bin')).href);
  });

  it('reads file://./relative and plain paths against the working directory', () => {
    expect((createObjectStore('file://./data/videos') as LocalObjectStore).root).toBe(resolve('data/videos'));
    expect((createObjectStore('./some/dir') as LocalObjectStore).root).toBe(resolve('some/dir'));
    expect((createObjectStore('/srv/videos') as LocalObjectStore).root).toBe('/srv/videos');
  });

  it('defaults to ./data/videos', () => {
    expect(DEFAULT_STORAGE_URL).toBe('file://./data/videos');
    expect((createObjectStore() as LocalObjectStore).root).toBe(resolve('data/videos'));
  });

  it('reads s3://bucket/prefix as the S3 driver', async () => {
    const store = createObjectStore('s3://my-bucket/videos/prod/', { clientConfig: { region: 'us-east-1' } });
    expect(store).toBeInstanceOf(S3ObjectStore);
    expect(store.kind).toBe('s3');
    expect(store.uri('gen_1/video.mp4')).toBe('s3://my-bucket/videos/prod/gen_1/video.mp4');
    expect(createObjectStore('s3://my-bucket', { clientConfig: { region: 'us-east-1' } }).uri('k')).toBe(
      's3://my-bucket/k',
    );
    await store.close();
  });

  it('?forcePathStyle=true reaches a self-hosted S3 server (s3rver) configured by the environment alone', async () => {
    const s3 = await startS3();
    const saved = { ...process.env };
    // The AWS SDK's own variables: endpoint, region, credentials, checksum mode (see @reelay/testing s3.ts).
    Object.assign(process.env, {
      // A host name, not an IP: with an IP endpoint the SDK falls back to path style by itself.
      AWS_ENDPOINT_URL_S3: s3.endpoint.replace('127.0.0.1', 'localhost'),
      AWS_REGION: s3.region,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    });
    // Without the parameter the SDK would address http://<bucket>.localhost:<port>/.
    const pathStyle = createObjectStore(`s3://${s3.bucket}/videos?forcePathStyle=true`);
    try {
      const stored = await pathStyle.putJson('gen_1/manifest.json', { ok: true });
      expect(stored.uri).toBe(`s3://${s3.bucket}/videos/gen_1/manifest.json`);
      expect(await pathStyle.getJson('gen_1/manifest.json')).toEqual({ ok: true });
      // Really written where path style puts it: read back with the fixture's own client.
      const { GetObjectCommand } = await import('@aws-sdk/client-s3');
      const object = await s3.client.send(
        new GetObjectCommand({ Bucket: s3.bucket, Key: 'videos/gen_1/manifest.json' }),
      );
      expect(JSON.parse(await object.Body!.transformToString())).toEqual({ ok: true });
    } finally {
      process.env = saved;
      await pathStyle.close();
      await s3.stop();
    }
  });

  it('refuses other schemes and malformed URLs, naming REELAY_STORAGE_URL and the allowed forms', () => {
    for (const url of [
      'http://example.com/videos',
      'gs://bucket/x',
      's3:///no-bucket',
      's3://bucket/x?forcePathStyle=yes',
      's3://bucket/x?endpoint=http://evil',
      '',
      'file://host/x',
    ]) {
      let caught: unknown;
      try {
        createObjectStore(url);
      } catch (error) {
        caught = error;
      }
      expect(caught, url).toMatchObject({ code: 'config_invalid', param: 'REELAY_STORAGE_URL' });
      expect((caught as Error).message, url).toMatch(/REELAY_STORAGE_URL.*s3:\/\/bucket\/prefix/);
    }
  });

  it('keeps credentials out of the error when a URL carries them', () => {
    expect(() => createObjectStore('s3://AKIAEXAMPLE:sekrit@bucket/x')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sekrit') }),
    );
  });
});
