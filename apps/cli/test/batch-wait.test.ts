import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type PipelineServices, startPipelineServices } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

// `reelay batch <file> --wait` against a real pipeline: Redis, the simulator (which refuses prompts
// holding "explosion" as moderation_blocked, a final content_policy failure) and a worker process
// running every stage.

let services: PipelineServices;
beforeAll(async () => {
  services = await startPipelineServices({
    name: 'cli-wait',
    simFlags: { moderationBlocklist: 'explosion' },
  });
  await services.start('submit,poll,download');
}, 120_000);
afterAll(async () => {
  await services?.close();
});

interface Waited {
  line: number;
  id: string;
  status: string;
  storage?: { uri: string; bytes: number; sha256: string };
  error?: { code: string; message: string };
}

const env = () => ({ REDIS_URL: services.redis.url, REELAY_PREFIX: services.prefix });

describe('reelay batch --wait', () => {
  it('waits for every generation with live progress, prints where each was stored, exit 0', async () => {
    const file = join(services.storageDir, 'good.txt');
    await writeFile(file, ['a kite over dunes', '{"prompt": "a lighthouse at dusk", "n": 2}'].join('\n'));
    const run = await runCli(['batch', file, '--wait', '--json'], env(), 180_000);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout) as { generations: Waited[]; notCompleted: number };
    expect(out.notCompleted).toBe(0);
    expect(out.generations.map((g) => g.line)).toEqual([1, 2, 2]);
    for (const g of out.generations) {
      expect(g.status).toBe('completed');
      const bytes = await readFile(new URL(g.storage!.uri));
      expect(bytes.length).toBe(g.storage!.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(g.storage!.sha256);
    }
  }, 200_000);

  it('names the failure code of a failed one next to the stored ones, and exits 1', async () => {
    const file = join(services.storageDir, 'mixed.txt');
    await writeFile(file, ['a paper boat on a pond', 'an explosion in a lab', 'a fox in snow'].join('\n'));
    const run = await runCli(['batch', file, '--wait'], env(), 180_000);
    expect(run.code).toBe(1);
    // The wait's progress line (stderr is not a TTY here: only its final state is written).
    expect(run.stderr).toMatch(/3\/3 \(1 failed\) \d+\/s ETA/);
    const rows = run.stdout.split('\n');
    const row = (line: number) => rows.find((r) => new RegExp(`^${line}\\s+gen_`).test(r)) ?? '';
    expect(row(1)).toMatch(/gen_\w+\s+completed\s+file:\/\//);
    expect(row(2)).toMatch(/gen_\w+\s+failed\s+content_policy: /);
    expect(row(3)).toMatch(/gen_\w+\s+completed\s+file:\/\//);
    expect(run.stdout).toContain('2 of 3 stored, 1 not');
  }, 200_000);

  it('gives up after --timeout with exit 1, naming each one still waiting and its status', async () => {
    const file = join(services.storageDir, 'nobody.txt');
    await writeFile(file, 'a slow river\n');
    // A prefix no worker serves: the generation stays queued.
    const prefix = services.redis.prefix('cli-wait-idle');
    const run = await runCli(['batch', file, '--wait', '--timeout', '500', '--json'], {
      ...env(),
      REELAY_PREFIX: prefix,
    });
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { generations: Waited[]; notCompleted: number };
    expect(out.notCompleted).toBe(1);
    expect(out.generations[0]).toMatchObject({ line: 1, status: 'queued', error: { code: 'timeout' } });
  });

  it('refuses a bad --timeout before enqueuing anything', async () => {
    const file = join(services.storageDir, 'bad-timeout.txt');
    await writeFile(file, 'a cat\n');
    const prefix = services.redis.prefix('cli-wait-bad');
    const run = await runCli(['batch', file, '--wait', '--timeout', 'soon'], {
      ...env(),
      REELAY_PREFIX: prefix,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--timeout');
    const listed = await runCli(['list', '--json'], { ...env(), REELAY_PREFIX: prefix });
    expect((JSON.parse(listed.stdout) as { data: unknown[] }).data).toHaveLength(0);
  });
});

describe('REELAY_MODERATION=on', () => {
  const moderated = (name: string) => ({
    ...env(),
    REELAY_PREFIX: services.redis.prefix(name),
    REELAY_MODERATION: 'on',
    OPENAI_BASE_URL: services.sim.baseURL,
    OPENAI_API_KEY: services.sim.apiKey,
  });
  const listed = async (e: Record<string, string>) =>
    (JSON.parse((await runCli(['list', '--json'], e)).stdout) as { data: Array<{ id: string }> }).data;

  it('generate: a flagged prompt exits 1 naming content_policy and its category; nothing enqueued', async () => {
    const e = moderated('cli-mod-generate');
    const run = await runCli(['generate', 'an explosion at sea'], e);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/content_policy: .*\(violence\).*nothing was enqueued/);
    expect(await listed(e)).toHaveLength(0);
    expect((await runCli(['generate', 'a calm sea'], e)).code).toBe(0);
    expect(await listed(e)).toHaveLength(1);
  });

  it('batch: the flagged line is rejected with content_policy, the others are enqueued', async () => {
    const e = moderated('cli-mod-batch');
    const file = join(services.storageDir, 'moderated.txt');
    await writeFile(file, ['a calm sea', 'an explosion at sea', 'a quiet forest'].join('\n'));
    const run = await runCli(['batch', file, '--json'], e);
    expect(run.code).toBe(2);
    const out = JSON.parse(run.stdout) as {
      created: number;
      results: Array<{ ok: boolean; index: number; error?: { code: string } }>;
    };
    expect(out.created).toBe(2);
    expect(out.results[1]).toMatchObject({ ok: false, error: { code: 'content_policy' } });
    expect(await listed(e)).toHaveLength(2);
  });

  it('without OPENAI_API_KEY: exit 2 naming it, nothing enqueued', async () => {
    const { OPENAI_API_KEY: _, ...e } = moderated('cli-mod-nokey');
    expect(process.env['OPENAI_API_KEY']).toBeUndefined();
    const run = await runCli(['generate', 'a calm sea'], e);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('REELAY_MODERATION=on needs OPENAI_API_KEY');
  });
});
