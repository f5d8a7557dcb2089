import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const execFileAsync = promisify(execFile);
const LAUNCHER = fileURLToPath(new URL('../bin/reelay-worker.js', import.meta.url));

/** Every file under `dir`, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('launcher (bin/reelay-worker.js)', () => {
  let cacheDir: string | undefined;
  afterEach(async () => {
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('runs the worker with the compile cache on and leaves the cache for the next start', async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'reelay-compile-cache-'));
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_COMPILE_CACHE: cacheDir };
    delete env['NODE_DISABLE_COMPILE_CACHE'];
    const { stdout } = await execFileAsync(process.execPath, [LAUNCHER, '--help'], { env });
    expect(stdout).toContain('usage: reelay-worker');
    // main.ts and what it imports, stripped and compiled: a warm start loads neither the type
    // stripper nor the compiler for them.
    expect((await filesUnder(cacheDir)).length).toBeGreaterThan(10);
  });

  it('passes a bad environment through to the worker (exit 2, one message)', async () => {
    const env = { ...process.env, NODE_DISABLE_COMPILE_CACHE: '1', REELAY_WORKER_PORT: 'not-a-port' };
    const failed = await execFileAsync(process.execPath, [LAUNCHER], { env }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toContain('REELAY_WORKER_PORT');
  });
});
