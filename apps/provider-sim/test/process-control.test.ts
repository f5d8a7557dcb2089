import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Simulator } from '../src/index.ts';
import { call, startSim } from './helpers.ts';

const MAIN = resolve(import.meta.dirname, '../src/main.ts');

function run(args: string[]) {
  const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => {
    stderr += c.toString();
  });
  return { child, stderr: () => stderr };
}

describe('the process entry (main.ts)', () => {
  it('prints exactly one listening line first, applies flags, and exits 0 on SIGTERM', async () => {
    const { child } = run([
      '--port',
      '0',
      '--create-rpm',
      '7',
      '--no-idempotency',
      '--api-keys',
      'a,b',
      '--seed',
      's',
    ]);
    const lines = createInterface({ input: child.stdout });
    const [first] = (await once(lines, 'line')) as [string];
    const event = JSON.parse(first) as { event: string; url: string };
    expect(event).toEqual({ event: 'listening', url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
    const config = (await (await fetch(`${event.url}/__sim/config`)).json()) as Record<string, unknown>;
    expect(config).toMatchObject({ createRpm: 7, idempotency: false, apiKeys: ['***', '***'] });
    const denied = await fetch(`${event.url}/v1/videos`, { headers: { authorization: 'Bearer c' } });
    expect(denied.status).toBe(401);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    expect((await exited)[0]).toBe(0);
  });

  it('rejects a bad flag value with a message naming the flag and exit code 2', async () => {
    const { child, stderr } = run(['--port', '0', '--failure-rate', '2']);
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(2);
    expect(stderr()).toContain('--failure-rate');
    const other = run(['--time-scale', 'fast']);
    expect(((await once(other.child, 'exit')) as [number])[0]).toBe(2);
    expect(other.stderr()).toContain('--time-scale');
  });
});

describe('control endpoints', () => {
  let sim: Simulator;
  beforeAll(async () => {
    sim = await startSim();
  });
  afterAll(async () => {
    await sim.close();
  });

  it('config changes at run time, is checked, hides secrets; reset clears state and counters', async () => {
    const changed = await call(sim, '/__sim/config', {
      auth: null,
      body: { createRpm: 3, webhookSecret: 'whsec_c2VjcmV0', webhookUrl: 'http://127.0.0.1:9/x' },
    });
    expect(changed.status).toBe(200);
    expect(changed.json).toMatchObject({ createRpm: 3, webhookSecret: 'whsec_***' });
    expect(changed.text).not.toContain('c2VjcmV0');
    expect(sim.config().createRpm).toBe(3);

    const bad = await call(sim, '/__sim/config', { auth: null, body: { createRpm: -1, nope: true } });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ error: { message: expect.stringContaining('createRpm') } });
    expect(bad.json).toMatchObject({ error: { message: expect.stringContaining('nope') } });

    sim.configure({ webhookUrl: null, webhookSecret: null });
    const created = await call(sim, '/v1/videos', { body: { prompt: 'counted' } });
    expect(created.status).toBe(200);
    const stats = (await call(sim, '/__sim/stats', { auth: null })).json as Record<string, number>;
    for (const key of [
      'videosCreated',
      'billedSeconds',
      'createRequests',
      'retrieveRequests',
      'contentRequests',
      'listRequests',
      'rateLimited',
      'serverErrors',
      'maxInFlight',
      'maxCreatesInWindow',
      'webhooksDelivered',
    ]) {
      expect(typeof stats[key], key).toBe('number');
    }
    expect(stats['videosCreated']).toBe(1);

    expect((await call(sim, '/__sim/reset', { auth: null, method: 'POST' })).status).toBe(200);
    expect(sim.stats()).toMatchObject({ videosCreated: 0, createRequests: 0, maxInFlight: 0 });
    const id = (created.json as { id: string }).id;
    expect((await call(sim, `/v1/videos/${id}`)).status).toBe(404);
  });
});
