import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateBytes } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestKey, type ObjectStore } from '../src/index.ts';

const MiB = 1024 * 1024;

export interface ContractStore {
  store: ObjectStore;
  dispose(): Promise<void>;
}

async function digest(body: AsyncIterable<Uint8Array>): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of body) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest('hex'), bytes };
}

function sha256(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Reads a readable URL the way a consumer would: a file URL from disk, anything else over HTTP. */
async function readUrl(url: string): Promise<{ sha256: string; bytes: number }> {
  if (url.startsWith('file:')) return digest(createReadStream(fileURLToPath(url)));
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`GET readable URL: HTTP ${response.status}`);
  return digest(response.body);
}

/**
 * Behaviour every ObjectStore driver must show. `makeStore` runs once per suite; each test works
 * under its own random folder so tests never see each other's objects.
 */
export function describeObjectStoreContract(name: string, makeStore: () => Promise<ContractStore>): void {
  describe(`ObjectStore contract: ${name}`, () => {
    let made: ContractStore;
    let store: ObjectStore;
    const folder = (): string => `t-${randomBytes(6).toString('hex')}`;

    beforeAll(async () => {
      made = await makeStore();
      store = made.store;
    });
    afterAll(async () => {
      await made?.dispose();
    });

    it('round-trips bytes and reports the size and sha256 it measured while streaming', async () => {
      const key = `${folder()}/video.mp4`;
      const source = generateBytes(MiB + 3, { chunkBytes: 100_000 });
      const stored = await store.put(key, source.stream, { contentType: 'video/mp4' });

      expect(stored).toEqual({ uri: store.uri(key), key, bytes: MiB + 3, sha256: source.sha256() });
      expect(await digest(await store.createReadStream(key))).toEqual({
        sha256: source.sha256(),
        bytes: MiB + 3,
      });
      expect((await store.head(key))?.bytes).toBe(MiB + 3);
    });

    it('accepts any async iterable of chunks as a body', async () => {
      const key = `${folder()}/chunks.bin`;
      const parts = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new TextEncoder().encode('four')];
      async function* body(): AsyncGenerator<Uint8Array> {
        for (const part of parts) yield part;
      }
      const stored = await store.put(key, body());
      expect(stored.bytes).toBe(7);
      expect(stored.sha256).toBe(sha256(Buffer.concat(parts)));
    });

    it('stores an empty body as an empty object', async () => {
      const key = `${folder()}/empty`;
      const stored = await store.put(key, generateBytes(0).stream, { expectedBytes: 0 });
      expect(stored.bytes).toBe(0);
      expect(stored.sha256).toBe(sha256(''));
      expect(await store.head(key)).toMatchObject({ bytes: 0 });
    });

    it('leaves nothing at the key when the body fails midway (after whole parts were sent)', async () => {
      const key = `${folder()}/dropped.mp4`;
      const failure = new Error('provider connection reset');
      const source = generateBytes(40 * MiB, { failAfterBytes: 20 * MiB, failWith: failure });
      await expect(store.put(key, source.stream)).rejects.toThrow('provider connection reset');

      expect(await store.head(key)).toBeNull();
      await expect(store.createReadStream(key)).rejects.toMatchObject({ code: 'not_found' });
    });

    it('fails with length_mismatch and stores nothing when the body is shorter than expected', async () => {
      const key = `${folder()}/short.mp4`;
      const put = store.put(key, generateBytes(1000).stream, { expectedBytes: 2000 });
      await expect(put).rejects.toMatchObject({
        code: 'length_mismatch',
        details: { expectedBytes: 2000, actualBytes: 1000 },
      });
      expect(await store.head(key)).toBeNull();
    });

    it('fails with length_mismatch and stores nothing when the body runs past the expected length', async () => {
      const key = `${folder()}/long.mp4`;
      const put = store.put(key, generateBytes(12 * MiB).stream, { expectedBytes: 10 * MiB });
      await expect(put).rejects.toMatchObject({ code: 'length_mismatch' });
      expect(await store.head(key)).toBeNull();
    });

    it('stores nothing when the put is aborted midway', async () => {
      const key = `${folder()}/aborted.mp4`;
      const controller = new AbortController();
      async function* endless(): AsyncGenerator<Uint8Array> {
        for (let i = 0; ; i++) {
          if (i === 12) controller.abort(new Error('job cancelled'));
          yield randomBytes(MiB);
        }
      }
      await expect(store.put(key, endless(), { signal: controller.signal })).rejects.toThrow();
      expect(await store.head(key)).toBeNull();
    });

    it('keeps the old object when a replacing put fails', async () => {
      const key = `${folder()}/kept.mp4`;
      const first = await store.put(key, generateBytes(2048).stream);
      await expect(store.put(key, generateBytes(4096).stream, { expectedBytes: 5000 })).rejects.toMatchObject(
        {
          code: 'length_mismatch',
        },
      );
      expect(await digest(await store.createReadStream(key))).toEqual({ sha256: first.sha256, bytes: 2048 });
    });

    it('replaces the object on a second put to the same key', async () => {
      const key = `${folder()}/twice.bin`;
      await store.put(key, generateBytes(3000).stream);
      const second = await store.put(key, generateBytes(1500).stream);
      expect((await store.head(key))?.bytes).toBe(1500);
      expect(await digest(await store.createReadStream(key))).toEqual({ sha256: second.sha256, bytes: 1500 });
    });

    it('streams a 64 MiB body through and stores it exactly', async () => {
      const key = `${folder()}/large.mp4`;
      const source = generateBytes(64 * MiB);
      const stored = await store.put(key, source.stream, { expectedBytes: 64 * MiB });
      expect(stored.bytes).toBe(64 * MiB);
      expect(stored.sha256).toBe(source.sha256());
      expect(await digest(await store.createReadStream(key))).toEqual({
        sha256: source.sha256(),
        bytes: 64 * MiB,
      });
    });

    it('answers null for a missing object, and deletes idempotently', async () => {
      const key = `${folder()}/gone.json`;
      expect(await store.head(key)).toBeNull();
      expect(await store.getJson(key)).toBeNull();
      await store.delete(key);

      await store.putJson(key, { a: 1 });
      expect(await store.head(key)).not.toBeNull();
      await store.delete(key);
      expect(await store.head(key)).toBeNull();
      expect(await store.getJson(key)).toBeNull();
      await store.delete(key);
    });

    it('writes a manifest beside its video and reads it back', async () => {
      const dir = folder();
      const videoKey = `${dir}/gen_123/video.mp4`;
      const video = await store.put(videoKey, generateBytes(5000).stream);
      const manifest = { generationId: 'gen_123', video: video, timings: { createdAt: 1, completedAt: 2 } };
      const stored = await store.putJson(manifestKey(videoKey), manifest);

      expect(manifestKey(videoKey)).toBe(`${dir}/gen_123/video.mp4.manifest.json`);
      expect(stored.uri).toBe(store.uri(manifestKey(videoKey)));
      expect(await store.getJson(manifestKey(videoKey))).toEqual(manifest);
    });

    it('refuses keys that could escape the store, on every operation', async () => {
      const bad = [
        '',
        '../escape.mp4',
        'a/../../escape.mp4',
        '/etc/passwd',
        'a//b',
        'a/./b',
        'a\\..\\b',
        'dir/',
      ];
      for (const key of bad) {
        await expect(store.put(key, generateBytes(10).stream), key).rejects.toMatchObject({
          code: 'invalid_request',
          param: 'key',
        });
        await expect(store.head(key), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(store.getJson(key), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(store.createReadStream(key), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(store.readableUrl(key), key).rejects.toMatchObject({ code: 'invalid_request' });
        await expect(store.delete(key), key).rejects.toMatchObject({ code: 'invalid_request' });
        expect(() => store.uri(key), key).toThrow(/invalid object key/);
      }
    });

    it('gives a readable URL that serves the exact bytes', async () => {
      const key = `${folder()}/shared/video file.mp4`;
      const stored = await store.put(key, generateBytes(300_000).stream, { contentType: 'video/mp4' });
      const url = await store.readableUrl(key, { expiresInSeconds: 300 });
      expect(await readUrl(url)).toEqual({ sha256: stored.sha256, bytes: 300_000 });
    });
  });
}
