import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { pipeline } from 'node:stream/promises';
import type { SimulatorFixture } from './deps.ts';

/**
 * The download baseline: the same videos fetched with plain `fetch` and piped into
 * `fs.createWriteStream`, `lanes` at a time — no hashing, no manifest, no record. `flush` adds the
 * fsync-before-close the local object store does, to show what durability alone costs.
 * Returns bytes/s over the whole copy; the files are deleted afterwards.
 */
export async function plainCopy(
  sim: SimulatorFixture,
  videoIds: readonly string[],
  lanes: number,
  parent: string,
  flush: boolean,
): Promise<number> {
  const dir = await mkdtemp(join(parent, 'reelay-bench-copy-'));
  try {
    let next = 0;
    let bytes = 0;
    const lane = async () => {
      while (next < videoIds.length) {
        const id = videoIds[next++]!;
        const res = await fetch(`${sim.baseURL}/videos/${id}/content`, {
          headers: { authorization: `Bearer ${sim.apiKey}` },
        });
        if (!res.ok || !res.body) throw new Error(`plain copy: content of ${id} answered ${res.status}`);
        const file = createWriteStream(join(dir, `${id}.mp4`), { flush });
        await pipeline(Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), file);
        bytes += file.bytesWritten;
      }
    };
    const start = Date.now();
    await Promise.all(Array.from({ length: lanes }, lane));
    return (bytes * 1000) / (Date.now() - start);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
