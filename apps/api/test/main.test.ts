import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

let fixture: RedisFixture;
beforeAll(async () => {
  fixture = await startRedis();
});
afterAll(async () => {
  await fixture.stop();
});

function run(env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [MAIN], {
    env: { ...process.env, LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The first stdout line must be the listening event: scripts read exactly that. */
async function listeningUrl(child: ChildProcess): Promise<string> {
  const lines = createInterface({ input: child.stdout! });
  const exited = once(child, 'exit').then(([code]) => {
    throw new Error(`api exited (code ${String(code)}) before listening`);
  });
  const first = (async () => {
    for await (const line of lines) return line;
    throw new Error('stdout closed');
  })();
  const line = await Promise.race([first, exited]);
  const event = JSON.parse(line) as { event: string; url: string };
  expect(event.event).toBe('listening');
  child.stdout!.resume();
  return event.url;
}

describe('the api process', () => {
  it('prints its listening line, serves real HTTP, and stops cleanly on SIGTERM', async () => {
    const child = run({
      REDIS_URL: fixture.url,
      REELAY_PREFIX: fixture.prefix('api-main'),
      REELAY_API_PORT: '0',
      REELAY_API_HOST: '127.0.0.1',
      OPENAI_WEBHOOK_SECRET: SECRET,
    });
    try {
      const url = await listeningUrl(child);
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ok: true, redis: 'ok' });

      // A signed delivery for a video nobody knows: accepted over real HTTP, nothing to promote.
      const body = JSON.stringify({ type: 'video.completed', data: { id: 'video_unknown' } });
      const at = new Date();
      const webhookId = `wh_${randomBytes(6).toString('hex')}`;
      const response = await fetch(`${url}/webhooks/provider`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': webhookId,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': new Webhook(SECRET).sign(webhookId, at, body),
        },
        body,
      });
      expect(response.status).toBe(202);

      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exit;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 naming the variable when the environment is invalid, without echoing its value', async () => {
    const child = run({ REDIS_URL: fixture.url, REELAY_API_PORT: 'not-a-port-70000' });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('REELAY_API_PORT');
    expect(stderr).not.toContain('not-a-port-70000');
  });

  it('serves the producer API with keys from REELAY_API_KEYS, and never writes a key to its output', async () => {
    const key = `rk_${randomBytes(16).toString('hex')}`;
    const hash = createHash('sha256').update(key).digest('hex');
    const child = run({
      REDIS_URL: fixture.url,
      REELAY_PREFIX: fixture.prefix('api-main-producer'),
      REELAY_API_PORT: '0',
      REELAY_API_HOST: '127.0.0.1',
      REELAY_API_KEYS: `acme:${hash}`,
      LOG_LEVEL: 'debug',
    });
    let output = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      output += chunk;
    });
    try {
      const url = await listeningUrl(child);
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (chunk: string) => {
        output += chunk;
      });
      const created = await fetch(`${url}/v1/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: 'a quiet harbour' }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const { data } = (await created.json()) as { data: Array<{ id: string }> };
      const read = await fetch(`${url}/v1/generations/${data[0]!.id}`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(((await read.json()) as { tenant: string }).tenant).toBe('acme');
      const refused = await fetch(`${url}/v1/generations`, { headers: { authorization: 'Bearer wrong' } });
      expect(refused.status).toBe(401);
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exit;
      expect(code).toBe(0);
      expect(output).not.toContain(key);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('exits 2 on a malformed REELAY_API_KEYS entry, naming the variable but not the entry', async () => {
    const child = run({ REDIS_URL: fixture.url, REELAY_API_KEYS: 'acme:not-a-sha256-hash' });
    let stderr = '';
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('REELAY_API_KEYS');
    expect(stderr).toContain('entry 1');
    expect(stderr).not.toContain('not-a-sha256-hash');
  });
});
