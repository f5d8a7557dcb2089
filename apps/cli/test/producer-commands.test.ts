import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers.ts';

let fixture: RedisFixture;
let dir: string;
beforeAll(async () => {
  fixture = await startRedis();
  dir = await mkdtemp(join(tmpdir(), 'reelay-cli-batch-'));
});
afterAll(async () => {
  await fixture.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('batch, list, cancel, campaign', () => {
  it('batch enqueues text and JSONL lines, reports rejected ones, and list/cancel see them', async () => {
    const env = { REDIS_URL: fixture.url, REELAY_PREFIX: fixture.prefix('cli') };
    const file = join(dir, 'prompts.txt');
    await writeFile(
      file,
      [
        '# a comment',
        'a fox in the snow',
        '{"prompt": "a boat", "aspect_ratio": "1:1", "n": 2}',
        '{"prompt": ""}',
        'a lighthouse',
      ].join('\n'),
    );
    const run = await runCli(['batch', file, '--json', '--tenant', 'acme'], env);
    expect(run.code).toBe(2); // one line rejected
    const out = JSON.parse(run.stdout) as {
      created: number;
      failed: number;
      results: Array<{ ok: boolean; index: number }>;
    };
    expect(out.created).toBe(3);
    expect(out.failed).toBe(1);
    expect(out.results.find((r) => !r.ok)?.index).toBe(2);

    const human = await runCli(['batch', file], env);
    expect(human.stdout).toContain('rejected');
    expect(human.stderr).toMatch(/4\/4 \(1 rejected\) \d+\/s ETA/);

    const listed = await runCli(['list', '--tenant', 'acme', '--json'], env);
    expect(listed.code).toBe(0);
    const page = JSON.parse(listed.stdout) as { data: Array<{ id: string; status: string }> };
    expect(page.data).toHaveLength(4);

    const id = page.data[0]!.id;
    const cancelled = await runCli(['cancel', id, '--json'], env);
    expect(cancelled.code).toBe(0);
    expect(JSON.parse(cancelled.stdout)).toMatchObject({ id, status: 'cancelled' });
    const again = await runCli(['cancel', id], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already cancelled');
    expect((await runCli(['list', '--status', 'bogus'], env)).code).toBe(2);
  }, 60_000);

  it('campaign makes one generation per platform, and rejects an unknown platform with exit 2', async () => {
    const env = { REDIS_URL: fixture.url, REELAY_PREFIX: fixture.prefix('cli') };
    const run = await runCli(
      ['campaign', 'a sneaker launch', '--platforms', 'youtube,tiktok', '--json'],
      env,
    );
    expect(run.code).toBe(0);
    const campaign = JSON.parse(run.stdout) as { status: string; children: Array<{ platform: string }> };
    expect(campaign.status).toBe('queued');
    expect(campaign.children.map((c) => c.platform)).toEqual(['youtube', 'tiktok']);
    const bad = await runCli(['campaign', 'x', '--platforms', 'myspace'], env);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('allowed: youtube');
  }, 60_000);
});
