import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type RedisFixture, freePort, startRedis, waitFor } from '@reelay/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { processesWithEnv, runCli, spawnCli } from './helpers.ts';

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis({ private: true });
});
afterAll(async () => {
  await fixture.stop();
});

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A private data dir; its path also marks every process of the run (it is in their environment). */
function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'reelay-cli-start-'));
  dirs.push(dir);
  return dir;
}

function startEnv(dir: string, prefix: string, redisUrl: string): Record<string, string> {
  return {
    REDIS_URL: redisUrl,
    REELAY_PREFIX: prefix,
    REELAY_DATA_DIR: dir,
    REELAY_STORAGE_URL: pathToFileURL(join(dir, 'videos')).href,
    REELAY_SIM_PORT: '0',
    REELAY_API_PORT: '0',
    REELAY_WORKER_PORT: '0',
  };
}

interface Row {
  id: string;
  status: string;
  bytes: number;
  sha256: string;
  uri: string;
}

function tableRows(stdout: string): Row[] {
  return stdout
    .split('\n')
    .filter((line) => /^gen_[0-9a-f]{24}\s/.test(line))
    .map((line) => {
      const [id, status, bytes, sha256, uri] = line.split(/\s{2,}/);
      return { id: id!, status: status!, bytes: Number(bytes), sha256: sha256!, uri: uri! };
    });
}

describe('reelay start', () => {
  it('--demo --exit-after-demo: exit 0; each video is stored with the sha256 printed; status agrees', async () => {
    const dir = dataDir();
    const prefix = fixture.prefix('cli-demo');
    const env = startEnv(dir, prefix, fixture.url);
    const run = await runCli(['start', '--demo', '--demo-count', '2', '--exit-after-demo'], env, 120_000);
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toContain('20x real time');

    const rows = tableRows(run.stdout);
    expect(rows).toHaveLength(2);
    for (const row of rows) {
      expect(row.status).toBe('completed');
      const path = fileURLToPath(row.uri);
      expect(path.startsWith(join(dir, 'videos'))).toBe(true);
      const bytes = readFileSync(path);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      expect(bytes.length).toBe(row.bytes);
      expect(sha256.startsWith(row.sha256)).toBe(true);

      const status = await runCli(['status', row.id, '--json'], {
        REDIS_URL: fixture.url,
        REELAY_PREFIX: prefix,
      });
      expect(status.code).toBe(0);
      const record = JSON.parse(status.stdout) as {
        status: string;
        storage: { uri: string; bytes: number; sha256: string };
      };
      expect(record.status).toBe('completed');
      expect(record.storage).toMatchObject({ uri: row.uri, bytes: row.bytes, sha256 });
    }
    // Every child was stopped: nothing of this run is left.
    expect(processesWithEnv(dir)).toEqual([]);
  });

  it('starts its own redis-server when REDIS_URL does not answer, and leaves no process behind when killed', async () => {
    const dir = dataDir();
    const port = await freePort();
    const env = startEnv(dir, '{cli-own-redis}', `redis://127.0.0.1:${port}`);
    const cli = spawnCli(['start', '--quiet'], env);
    let stdout = '';
    cli.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    cli.stderr!.resume();
    try {
      await waitFor(() => stdout.includes('Ctrl-C stops everything'), {
        timeoutMs: 60_000,
        message: 'start to be up',
      });
      expect(stdout).toContain(`redis://127.0.0.1:${port} (started by reelay`);
      expect(existsSync(join(dir, 'redis', 'appendonlydir'))).toBe(true);
      // redis-server, the simulator, the api and the worker, each with its supervisor.
      expect(processesWithEnv(dir).length).toBeGreaterThanOrEqual(8);
      cli.kill('SIGKILL');
      // Without the CLI to stop them, the children still go: none may outlive it.
      await waitFor(() => processesWithEnv(dir).length === 0, {
        timeoutMs: 45_000,
        message: 'no process of the run left',
      });
    } finally {
      cli.kill('SIGKILL');
      for (const pid of processesWithEnv(dir)) process.kill(pid, 'SIGKILL');
    }
  });

  it('serves `generate --wait` while up, then stops every child on SIGTERM and exits 0', async () => {
    const dir = dataDir();
    const prefix = fixture.prefix('cli-sigterm');
    const env = startEnv(dir, prefix, fixture.url);
    const cli = spawnCli(['start', '--quiet'], env);
    let stdout = '';
    cli.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    cli.stderr!.resume();
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stdout.includes('Ctrl-C stops everything'), {
        timeoutMs: 60_000,
        message: 'start to be up',
      });
      const generated = await runCli(['generate', 'a kite over dunes', '--thumbnail', '--wait', '--json'], {
        REDIS_URL: fixture.url,
        REELAY_PREFIX: prefix,
      });
      expect(generated.code, generated.stderr).toBe(0);
      const result = JSON.parse(generated.stdout) as {
        status: string;
        storage: { uri: string; sha256: string; thumbnail?: { uri: string } };
      };
      expect(result.status).toBe('completed');
      const video = readFileSync(fileURLToPath(result.storage.uri));
      expect(createHash('sha256').update(video).digest('hex')).toBe(result.storage.sha256);
      expect(result.storage.thumbnail && existsSync(fileURLToPath(result.storage.thumbnail.uri))).toBe(true);

      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopping worker');
      expect(processesWithEnv(dir)).toEqual([]);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});

describe('reelay sim', () => {
  it('runs the simulator in the foreground with the flags passed through; SIGTERM stops it', async () => {
    const cli = spawnCli(['sim', '--port', '0', '--time-scale', '50'], {});
    let stdout = '';
    cli.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    try {
      const line = await waitFor(() => stdout.split('\n').find((l) => l.includes('"listening"')), {
        timeoutMs: 30_000,
        message: 'the simulator to listen',
      });
      const { url } = JSON.parse(line) as { url: string };
      const config = (await (await fetch(`${url}/__sim/config`)).json()) as { timeScale: number };
      expect(config.timeScale).toBe(50);
      cli.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      cli.kill('SIGKILL');
    }
  });
});
