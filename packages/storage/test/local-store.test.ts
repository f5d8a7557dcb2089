import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateBytes } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalObjectStore } from '../src/index.ts';
import { describeObjectStoreContract } from './contract.ts';

describeObjectStoreContract('local directory', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'reelay-store-'));
  return { store: new LocalObjectStore(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
});

describe('LocalObjectStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
  });

  it('leaves no temp file behind after a failed put', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelay-store-'));
    dirs.push(dir);
    const store = new LocalObjectStore(dir);
    await store.put('v/ok.mp4', generateBytes(10).stream);
    await expect(
      store.put('v/bad.mp4', generateBytes(100).stream, { expectedBytes: 50 }),
    ).rejects.toMatchObject({
      code: 'length_mismatch',
    });
    expect(await readdir(join(dir, 'v'))).toEqual(['ok.mp4']);
  });

  it('names objects by file URL under its root', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'reelay-store-'));
    dirs.push(dir);
    const store = new LocalObjectStore(dir);
    expect(store.uri('a/b c.mp4')).toBe(`file://${dir}/a/b%20c.mp4`);
    expect(await store.readableUrl('a/b c.mp4')).toBe(store.uri('a/b c.mp4'));
  });
});
