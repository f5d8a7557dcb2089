import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../src/index.ts';
import { type PipelineRun, startPipeline } from './pipeline-run.ts';
import { type AppProcess, startDashboard } from './processes.ts';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard.png', import.meta.url));
const HEALTH_SCREENSHOT = fileURLToPath(new URL('../../../docs/dashboard-health.png', import.meta.url));
const ADMIN = { username: 'alice', password: 'alice-correct-horse' };
const VIEWER = { username: 'bob', password: 'bob-battery-staple' };
const STAGES = ['submit', 'poll', 'download', 'notify'] as const;

let run: PipelineRun;
let dashboard: AppProcess & { url: string };
let browser: Browser;
let failedIds: string[];

beforeAll(async () => {
  // Fails loudly, never skips: CI installs it with `apt-get install -y chromium`.
  await stat(CHROMIUM).catch(() => {
    throw new Error(
      `${CHROMIUM} not found: install Debian's chromium (apt-get update && apt-get install -y chromium)`,
    );
  });
  run = await startPipeline();
  await run.startWorker();
  // A provider out of quota: the create is refused for good, the submit job fails and the pipeline
  // pauses the submit queue until an operator resumes it.
  await run.sim.configure({ quotaExhausted: true });
  failedIds = await run.enqueue(1);
  expect((await run.waitAll(failedIds)).map((r) => r.error?.code)).toEqual(['quota_exceeded']);
  await run.sim.configure({ quotaExhausted: false });
  await run.queues.submit.resume();
  // One generation the provider fails (content policy: final, its jobs complete), three that finish.
  await run.sim.configure({ failureRate: 1, failureCode: 'moderation_blocked' });
  expect((await run.waitAll(await run.enqueue(1))).map((r) => r.status)).toEqual(['failed']);
  await run.sim.configure({ failureRate: 0 });
  const done = await run.waitAll(await run.enqueue(3));
  expect(done.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
  // With the worker gone, two more wait in `submit`: every count now holds still.
  await run.stopWorker();
  await run.enqueue(2);

  const users = `${ADMIN.username}:admin:${await hashPassword(ADMIN.password)},${VIEWER.username}:readonly:${await hashPassword(VIEWER.password)}`;
  dashboard = await startDashboard({
    REDIS_URL: run.redis.url,
    REELAY_PREFIX: run.prefix,
    REELAY_DASHBOARD_USERS: users,
    REELAY_MAX_IN_FLIGHT: '8',
    REELAY_BUDGET_GLOBAL_DAILY_USD: '25',
  });
  // Playwright gives each launch a fresh temporary profile (its own --user-data-dir).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await dashboard?.stop();
  await run?.close();
});

async function realCounts() {
  const out: Record<string, Record<string, number>> = {};
  for (const stage of STAGES) {
    const c = await run.queues[stage].getJobCounts(
      'wait',
      'prioritized',
      'active',
      'delayed',
      'failed',
      'completed',
    );
    out[stage] = {
      waiting: (c['wait'] ?? 0) + (c['prioritized'] ?? 0),
      active: c['active'] ?? 0,
      delayed: c['delayed'] ?? 0,
      failed: c['failed'] ?? 0,
      completed: c['completed'] ?? 0,
    };
  }
  return out;
}

const badge = async (page: Page, href: string) => {
  const text = await page
    .locator(`a[href="${href}"] [class*="badge"]`)
    .textContent({ timeout: 1000 })
    .catch(() => null);
  return Number(text ?? 0);
};

describe('the dashboard in a browser, after a pipeline run', () => {
  it('shows every stage queue with its real counts, and a failed job in detail', async () => {
    const real = await realCounts();
    // The last two wait ready, or parked (delayed) when the worker's fair dispatcher was still announced.
    expect(real['submit']).toMatchObject({ failed: 1 });
    expect((real['submit']?.['waiting'] ?? 0) + (real['submit']?.['delayed'] ?? 0)).toBe(2);
    const context = await browser.newContext({
      httpCredentials: ADMIN,
      viewport: { width: 1280, height: 860 },
    });
    const page = await context.newPage();

    // The queue-health view: one row per stage, the same numbers as the queues.
    await page.goto(`${dashboard.url}/health`);
    for (const stage of STAGES) {
      const row = page.locator(`#stages tr[data-stage="${stage}"]`);
      for (const col of ['waiting', 'active', 'delayed', 'failed'] as const) {
        expect(Number(await row.locator(`td[data-col="${col}"]`).textContent()), `${stage} ${col}`).toBe(
          real[stage]?.[col],
        );
      }
    }
    expect(await page.locator('td[data-col="inFlight"]').textContent()).toBe('0 / 8');
    await page.screenshot({ path: HEALTH_SCREENSHOT, fullPage: true });

    // bull-board: every stage queue, each status tab with the queue's real count.
    for (const stage of STAGES) {
      await page.goto(`${dashboard.url}/queues/queue/${stage}`);
      await page.locator(`a[href="/queues/queue/${stage}?status=completed"]`).waitFor();
      const base = `/queues/queue/${stage}?status=`;
      const shown = {
        waiting: await badge(page, `${base}waiting`),
        failed: await badge(page, `${base}failed`),
        completed: await badge(page, `${base}completed`),
        delayed: await badge(page, `${base}delayed`),
      };
      const want = real[stage]!;
      expect(shown, stage).toEqual({
        waiting: want.waiting,
        failed: want.failed,
        completed: want.completed,
        delayed: want.delayed,
      });
    }

    // The failed job, opened: its reason is what an operator needs first.
    await page.goto(`${dashboard.url}/queues/queue/submit?status=failed`);
    await page.getByText('quota_exceeded').first().waitFor();
    await page.goto(`${dashboard.url}/queues/queue/submit/${failedIds[0]}`);
    await page.getByText('quota_exceeded').first().waitFor();
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await context.close();
  });

  it('gives the read-only operator the board, but the server answers 405 to a retry', async () => {
    const context = await browser.newContext({ httpCredentials: VIEWER });
    const page = await context.newPage();
    await page.goto(`${dashboard.url}/queues/queue/submit?status=failed`);
    await page.getByText('quota_exceeded').first().waitFor();
    const status = await page.evaluate(
      async (path) => (await fetch(path, { method: 'PUT' })).status,
      `/queues/api/queues/submit/${failedIds[0]}/retry`,
    );
    expect(status).toBe(405);
    expect(await run.queues.submit.getJobState(failedIds[0]!)).toBe('failed');
    await context.close();
  });

  it('refuses a browser without credentials: pages, the API and static assets', async () => {
    const context = await browser.newContext();
    // Chromium, challenged and holding no credentials, fails the navigation itself.
    await expect(context.newPage().then((p) => p.goto(`${dashboard.url}/queues`))).rejects.toThrow(
      /ERR_INVALID_AUTH_CREDENTIALS/,
    );
    for (const path of ['/health', '/queues/api/queues', '/queues/static/favicon-32x32.png']) {
      const res = await context.request.get(`${dashboard.url}${path}`);
      expect(res.status(), path).toBe(401);
    }
    await context.close();
  });
});
