import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { GenerationRecord } from '@reelay/core';
import { APP_MAINS, type AppProcess, startApi, startDashboard, waitFor } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordFigures } from '../src/figures.ts';
import { SCALE } from '../src/scale.ts';
import { type ChaosStack, startChaosStack } from '../src/stack.ts';

// Security, end to end against running processes (api, dashboard, a worker, the simulator): no way in
// without credentials, no tenant reaching another's generations, no secret in any log line, record,
// manifest or error message, and callbacks aimed at internal addresses refused. The unit suites
// (apps/api/test, apps/dashboard/test, packages/pipeline/test/ssrf.test.ts) cover the cases in depth;
// this proves the wiring of the deployed processes.

const hex = (n: number) => randomBytes(n).toString('hex');
const PROVIDER_KEY = `sk-chaos-${hex(16)}`;
const WEBHOOK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const CALLBACK_SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const KEY_A = `rk_${hex(16)}`;
const KEY_B = `rk_${hex(16)}`;
const DASHBOARD_PASSWORD = `pw-${hex(12)}`;
const SECRETS = {
  PROVIDER_KEY,
  WEBHOOK_SECRET,
  WEBHOOK_SECRET_KEY: WEBHOOK_SECRET.slice('whsec_'.length),
  CALLBACK_SECRET,
  CALLBACK_SECRET_KEY: CALLBACK_SECRET.slice('whsec_'.length),
  KEY_A,
  KEY_B,
  DASHBOARD_PASSWORD,
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let stack: ChaosStack;
let api: AppProcess & { url: string };
let dashboard: AppProcess & { url: string };
let internal: Server;
let internalHits = 0;
let internalPort = 0;
/** Every response body the api and dashboard gave in this suite (error messages included). */
const responses: string[] = [];
const generationIds: string[] = [];
const figures: Record<string, number> = {};

async function call(
  base: string,
  method: string,
  path: string,
  init: { key?: string; basic?: string; body?: unknown } = {},
): Promise<{ status: number; text: string; json: () => unknown }> {
  const headers: Record<string, string> = {};
  if (init.key) headers['authorization'] = `Bearer ${init.key}`;
  if (init.basic) headers['authorization'] = `Basic ${Buffer.from(init.basic).toString('base64')}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: 'manual',
  });
  const text = await res.text();
  responses.push(text);
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const suiteStartedAt = Date.now();
beforeAll(async () => {
  internal = createServer((req, res) => {
    internalHits++;
    req.resume();
    res.end('internal secret data');
  });
  await new Promise<void>((resolve) => internal.listen(0, '127.0.0.1', resolve));
  internalPort = (internal.address() as { port: number }).port;

  stack = await startChaosStack({
    name: 'chaos-security',
    simFlags: { apiKeys: `sk-sim-test,${PROVIDER_KEY}` },
    workerEnv: {
      OPENAI_API_KEY: PROVIDER_KEY,
      OPENAI_WEBHOOK_SECRET: WEBHOOK_SECRET,
      REELAY_CALLBACK_SECRET: CALLBACK_SECRET,
      // Plain http is allowed, so a refusal below is for the address, not the scheme.
      REELAY_CALLBACK_ALLOW_HTTP: 'true',
      REELAY_CALLBACK_TIMEOUT_MS: '2000',
    },
  });
  const hash = execFileSync(process.execPath, [join(dirname(APP_MAINS.dashboard), 'hash-password.ts')], {
    input: DASHBOARD_PASSWORD,
  })
    .toString()
    .trim();
  [api, dashboard] = await Promise.all([
    startApi({ ...stack.env, REELAY_API_KEYS: `acme:${sha256(KEY_A)},globex:${sha256(KEY_B)}` }),
    startDashboard({
      REDIS_URL: stack.env['REDIS_URL']!,
      REELAY_PREFIX: stack.prefix,
      REELAY_DASHBOARD_USERS: `admin:admin:${hash}`,
    }),
    stack.start('all'),
  ]);
});

afterAll(async () => {
  await recordFigures('security', figures, { seed: '-', seconds: (Date.now() - suiteStartedAt) / 1000 });
  await Promise.all([api?.stop(), dashboard?.stop()]);
  await stack?.close();
  await new Promise((resolve) => internal?.close(resolve));
});

describe(`chaos: security, end to end (${SCALE})`, () => {
  it('answers 401 to unauthenticated or wrongly authenticated api and dashboard requests', async () => {
    const attempts: Array<Promise<{ status: number }>> = [
      call(api.url, 'GET', '/v1/generations'),
      call(api.url, 'GET', '/v1/generations', { key: `rk_${hex(16)}` }),
      call(api.url, 'POST', '/v1/generations', { body: { prompt: 'no key' } }),
      call(api.url, 'GET', '/v1/generations/gen_x'),
      call(api.url, 'DELETE', '/v1/generations/gen_x'),
      call(api.url, 'POST', '/v1/campaigns', { body: { prompt: 'no key', platforms: ['tiktok'] } }),
      call(dashboard.url, 'GET', '/health'),
      call(dashboard.url, 'GET', '/health/queues.json'),
      call(dashboard.url, 'GET', '/queues'),
      call(dashboard.url, 'GET', '/queues', { basic: 'admin:wrong-password' }),
      call(dashboard.url, 'GET', '/health', { basic: `nobody:${DASHBOARD_PASSWORD}` }),
    ];
    const statuses = (await Promise.all(attempts)).map((r) => r.status);
    figures['unauthenticated_attempts'] = statuses.length;
    figures['unauthenticated_refused'] = statuses.filter((s) => s === 401).length;
    expect(statuses).toEqual(attempts.map(() => 401));
    // The right credentials do get in (so the 401s above are not a broken server).
    expect((await call(api.url, 'GET', '/v1/generations', { key: KEY_A })).status).toBe(200);
    expect(
      (await call(dashboard.url, 'GET', '/health', { basic: `admin:${DASHBOARD_PASSWORD}` })).status,
    ).toBe(200);
  });

  it("keeps tenant B's key away from tenant A's generations: no read, no list, no content, no cancel", async () => {
    const created = await call(api.url, 'POST', '/v1/generations', {
      key: KEY_A,
      body: { prompt: 'tenant A private clip', seconds: '4' },
    });
    expect(created.status).toBe(201);
    const id = (created.json() as { data: Array<{ id: string }> }).data[0]!.id;
    generationIds.push(id);
    const probes = [
      await call(api.url, 'GET', `/v1/generations/${id}`, { key: KEY_B }),
      await call(api.url, 'GET', `/v1/generations/${id}/content`, { key: KEY_B }),
      await call(api.url, 'DELETE', `/v1/generations/${id}`, { key: KEY_B }),
    ];
    figures['cross_tenant_attempts'] = probes.length + 1;
    figures['cross_tenant_refused'] = probes.filter((p) => p.status === 404).length;
    expect(probes.map((p) => p.status)).toEqual([404, 404, 404]);
    const listB = (await call(api.url, 'GET', '/v1/generations', { key: KEY_B })).json() as {
      data: Array<{ id: string }>;
    };
    expect(listB.data.map((g) => g.id)).not.toContain(id);
    figures['cross_tenant_refused'] += 1;
    // A's generation was not cancelled by B's attempt and runs to completion.
    const record = await stack.waitTerminal([id], 60_000);
    expect(record[0]?.status).toBe('completed');
    expect((await call(api.url, 'GET', `/v1/generations/${id}`, { key: KEY_A })).status).toBe(200);
  });

  it('refuses callbacks aimed at internal addresses: nothing reaches the internal service', async () => {
    const targets = [
      `http://127.0.0.1:${internalPort}/hook`,
      `http://localhost:${internalPort}/hook`,
      `http://[::ffff:127.0.0.1]:${internalPort}/hook`,
      `http://0x7f000001:${internalPort}/hook`,
      `http://2130706433:${internalPort}/hook`,
      'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
      'http://10.0.0.1/hook',
    ];
    const ids: string[] = [];
    let refusedAtCreate = 0;
    for (const callback_url of targets) {
      const res = await call(api.url, 'POST', '/v1/generations', {
        key: KEY_A,
        body: { prompt: `ssrf probe ${callback_url}`, seconds: '4', callback_url },
      });
      if (res.status === 400) refusedAtCreate++;
      else {
        expect(res.status).toBe(201);
        ids.push((res.json() as { data: Array<{ id: string }> }).data[0]!.id);
      }
    }
    generationIds.push(...ids);
    // Each stored video is completed once its callback is over: abandoned (refused), never delivered.
    const records = await stack.waitTerminal(ids, 60_000);
    const worker = stack.workers[0]!;
    const abandoned = () => worker.lines.filter((l) => l.includes('"msg":"callback abandoned')).length;
    await waitFor(() => abandoned() >= ids.length, {
      timeoutMs: 10_000,
      message: 'a callback-abandoned line per probe',
    });
    figures['ssrf_attempts'] = targets.length;
    figures['ssrf_refused_at_create'] = refusedAtCreate;
    figures['ssrf_refused_at_delivery'] = abandoned();
    figures['ssrf_internal_hits'] = internalHits;
    expect(records.map((r) => r.status)).toEqual(ids.map(() => 'completed'));
    expect(refusedAtCreate + abandoned()).toBe(targets.length);
    expect(internalHits).toBe(0);
  });

  it('puts no secret in any log line, record, manifest or error message', async () => {
    // Ordinary traffic first, for both tenants, so every stage has logged, recorded and stored.
    const ordinary: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await call(api.url, 'POST', '/v1/generations', {
        key: i % 2 === 0 ? KEY_A : KEY_B,
        body: { prompt: `secrets scan clip ${i}`, seconds: '4' },
      });
      expect(res.status).toBe(201);
      ordinary.push((res.json() as { data: Array<{ id: string }> }).data[0]!.id);
    }
    generationIds.push(...ordinary);
    const done = await stack.waitTerminal(ordinary, 60_000);
    expect(done.map((r) => r.status)).toEqual(ordinary.map(() => 'completed'));
    // An error path that involves the provider key: the provider stops accepting it.
    await stack.sim.configure({ apiKeys: ['sk-sim-test'] });
    const res = await call(api.url, 'POST', '/v1/generations', {
      key: KEY_A,
      body: { prompt: 'refused by the provider', seconds: '4' },
    });
    const refusedId = (res.json() as { data: Array<{ id: string }> }).data[0]!.id;
    generationIds.push(refusedId);
    const [refused] = await stack.waitTerminal([refusedId], 60_000);
    expect(refused?.status).toBe('failed');
    expect(refused?.error?.code).toBe('auth_failed');
    // Bad requests answer with messages naming fields; none may echo a secret.
    await call(api.url, 'POST', '/v1/generations', { key: KEY_A, body: { prompt: KEY_B } });
    await call(api.url, 'POST', '/v1/generations', {
      key: KEY_A,
      body: { prompt: 'x', callback_url: KEY_B },
    });

    const records: GenerationRecord[] = [];
    for (const id of generationIds) {
      const record = await stack.store.get(id);
      if (record) records.push(record);
    }
    const files = (await readdir(stack.storageDir, { recursive: true })).filter((f) => f.endsWith('.json'));
    const manifests = await Promise.all(files.map((f) => readFile(join(stack.storageDir, f), 'utf8')));
    const logLines = [...stack.workers.flatMap((w) => w.lines), ...api.lines, ...dashboard.lines];
    const haystacks: Array<[string, string]> = [
      ...logLines.map((l, i): [string, string] => [`log line ${i}`, l]),
      ...records.map((r): [string, string] => [`record ${r.id}`, JSON.stringify(r)]),
      ...manifests.map((m, i): [string, string] => [`manifest ${files[i]}`, m]),
      ...responses.map((r, i): [string, string] => [`response ${i}`, r]),
    ];
    const leaks: string[] = [];
    for (const [where, text] of haystacks) {
      for (const [name, secret] of Object.entries(SECRETS))
        if (text.includes(secret)) leaks.push(`${name} in ${where}`);
    }
    figures['log_lines_scanned'] = logLines.length;
    figures['records_scanned'] = records.length;
    figures['manifests_scanned'] = manifests.length;
    figures['responses_scanned'] = responses.length;
    figures['secrets_found'] = leaks.length;
    expect(logLines.length).toBeGreaterThan(0);
    expect(manifests.length).toBeGreaterThan(0);
    expect(leaks).toEqual([]);
  });
});
