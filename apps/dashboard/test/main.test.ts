import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDashboardToExit, startDashboard } from './processes.ts';

const HASH_PASSWORD = fileURLToPath(new URL('../src/hash-password.ts', import.meta.url));

let redis: RedisFixture;
let env: Record<string, string>;

beforeAll(async () => {
  redis = await startRedis();
  env = { REDIS_URL: redis.url, REELAY_PREFIX: redis.prefix('dash-main'), REELAY_DASHBOARD_USERS: '' };
});
afterAll(async () => {
  await redis?.stop();
});

describe('reelay-dashboard refuses to run unprotected', () => {
  it('exits 2 without credentials, naming the variable and the way out', async () => {
    const { code, output } = await runDashboardToExit(env);
    expect(code).toBe(2);
    expect(output).toContain('REELAY_DASHBOARD_USERS: required');
    expect(output).toContain('REELAY_DASHBOARD_INSECURE=true with REELAY_DASHBOARD_HOST=127.0.0.1');
  });

  it('exits 2 in insecure mode on a non-loopback address', async () => {
    const { code, output } = await runDashboardToExit({ ...env, REELAY_DASHBOARD_INSECURE: 'true' });
    expect(code).toBe(2);
    expect(output).toContain('REELAY_DASHBOARD_INSECURE: allowed only with REELAY_DASHBOARD_HOST=127.0.0.1');
  });

  it('exits 2 on a malformed operator entry without echoing it', async () => {
    const secretish = 'scrypt$1$2$3$c2VjcmV0$c2VjcmV0';
    const { code, output } = await runDashboardToExit({
      ...env,
      REELAY_DASHBOARD_USERS: `carol:root:${secretish}`,
    });
    expect(code).toBe(2);
    expect(output).toContain('entry 1 (carol): role must be one of admin, readonly');
    expect(output).not.toContain(secretish);
  });
});

describe('reelay-dashboard cannot start', () => {
  it('exits 1 on a port already taken, naming the variables', async () => {
    const holder = createServer();
    holder.listen(0, '127.0.0.1');
    await once(holder, 'listening');
    const { port } = holder.address() as AddressInfo;
    try {
      const { code, output } = await runDashboardToExit({
        ...env,
        REELAY_DASHBOARD_INSECURE: 'true',
        REELAY_DASHBOARD_HOST: '127.0.0.1',
        REELAY_DASHBOARD_PORT: String(port),
      });
      expect(code).toBe(1);
      expect(output).toContain(
        `reelay-dashboard: cannot listen on 127.0.0.1:${port} (REELAY_DASHBOARD_HOST, REELAY_DASHBOARD_PORT): the port is in use`,
      );
      expect(output).not.toContain('"event":"listening"');
    } finally {
      holder.close();
    }
  });
});

describe('reelay-dashboard runs', () => {
  it('in insecure dev mode on loopback: open to local requests, and stops on SIGTERM', async () => {
    const dash = await startDashboard({
      ...env,
      REELAY_DASHBOARD_INSECURE: 'true',
      REELAY_DASHBOARD_HOST: '127.0.0.1',
    });
    expect(dash.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${dash.url}/health/queues.json`)).status).toBe(200);
    expect(dash.lines.join('\n')).toContain('WITHOUT authentication');
    expect(await dash.stop()).toBe(0);
  });

  it('with a hash made by hash-password: that password logs in, others do not', async () => {
    const made = spawnSync(process.execPath, [HASH_PASSWORD], { input: 'dave-long-passphrase\n' });
    expect(made.status, made.stderr.toString()).toBe(0);
    const hash = made.stdout.toString().trim();
    expect(hash).toMatch(/^scrypt\$/);
    const dash = await startDashboard({ ...env, REELAY_DASHBOARD_USERS: `dave:readonly:${hash}` });
    try {
      const auth = (p: string) => ({ authorization: `Basic ${Buffer.from(`dave:${p}`).toString('base64')}` });
      expect((await fetch(`${dash.url}/health`, { headers: auth('dave-long-passphrase') })).status).toBe(200);
      expect((await fetch(`${dash.url}/health`, { headers: auth('dave-long-passphrasE') })).status).toBe(401);
      expect(dash.lines.join('\n')).not.toContain(hash);
    } finally {
      expect(await dash.stop()).toBe(0);
    }
  });
});
