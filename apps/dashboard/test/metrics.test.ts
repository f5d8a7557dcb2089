import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type PromFamily, parsePrometheus, promSamples, promTotal } from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The catalogue dashboards and alerts are checked against (infra/test): the exporter must match it.
import { METRICS } from '../../../infra/test/lib/metrics.ts';
import { type PipelineRun, startPipeline } from './pipeline-run.ts';
import { type AppProcess, startDashboard } from './processes.ts';

function value(
  families: PromFamily[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return promSamples(families, name, labels).length === 0 ? undefined : promTotal(families, name, labels);
}

const HASH_PASSWORD = fileURLToPath(new URL('../src/hash-password.ts', import.meta.url));

let run: PipelineRun;
let dash: AppProcess & { url: string };
beforeAll(async () => {
  run = await startPipeline();
  const made = spawnSync(process.execPath, [HASH_PASSWORD], { input: 'metrics-operator-passphrase\n' });
  expect(made.status, made.stderr.toString()).toBe(0);
  dash = await startDashboard({
    REDIS_URL: run.redis.url,
    REELAY_PREFIX: run.prefix,
    REELAY_DASHBOARD_HOST: '127.0.0.1',
    REELAY_DASHBOARD_USERS: `op:readonly:${made.stdout.toString().trim()}`,
  });
});
afterAll(async () => {
  await dash?.stop();
  await run?.close();
});

async function scrape(): Promise<PromFamily[]> {
  // Open like /healthz (Prometheus scrapes without credentials), while the pages are not.
  expect((await fetch(`${dash.url}/health`)).status).toBe(401);
  const res = await fetch(`${dash.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parsePrometheus(await res.text());
}

const STAGES = ['submit', 'poll', 'download', 'notify'];
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed', 'paused'];

describe('/metrics of the dashboard process after a pipeline run', () => {
  it('parses as Prometheus text holding every queue and state, the backlog age, and process series', async () => {
    // Three generations through the whole pipeline, then two left waiting with no worker running.
    await run.startWorker();
    const done = await run.waitAll(await run.enqueue(3));
    expect(done.map((r) => r.status)).toEqual(['completed', 'completed', 'completed']);
    await run.stopWorker();
    await run.enqueue(2);

    const families = await scrape();
    expect(families.find((f) => f.name === 'reelay_queue_jobs')?.type).toBe('GAUGE');
    // Every stage queue in every state is a series (a 0 is an answer; a missing series is not).
    for (const queue of STAGES) {
      for (const state of STATES) {
        expect(value(families, 'reelay_queue_jobs', { queue, state }), `${queue} ${state}`).toBeDefined();
      }
    }
    for (const queue of ['submit', 'poll', 'download']) {
      expect(value(families, 'reelay_queue_jobs', { queue, state: 'completed' }), queue).toBe(3);
    }
    // Left for a submit worker: ready, or parked for the fair dispatcher (delayed) when the stopped
    // worker's dispatcher presence has not expired yet.
    const submit = (state: string) => value(families, 'reelay_queue_jobs', { queue: 'submit', state }) ?? 0;
    expect(submit('waiting') + submit('prioritized') + submit('delayed')).toBe(2);
    expect(value(families, 'reelay_queue_jobs', { state: 'active' })).toBe(0);
    expect(value(families, 'reelay_queue_jobs', { queue: 'notify' })).toBe(0);
    // Backlog age per queue; an empty queue reports 0.
    for (const queue of STAGES) {
      expect(value(families, 'reelay_queue_oldest_waiting_seconds', { queue }), queue).toBeGreaterThanOrEqual(
        0,
      );
    }
    expect(value(families, 'reelay_queue_oldest_waiting_seconds', { queue: 'poll' })).toBe(0);
    for (const name of [
      'process_cpu_seconds_total',
      'process_resident_memory_bytes',
      'nodejs_eventloop_lag_seconds',
      'nodejs_heap_size_used_bytes',
    ]) {
      expect(value(families, name), name).toBeGreaterThanOrEqual(0);
    }
    // Only catalogue series (dashboards and alerts query by it). The dashboard runs no stage and calls
    // no provider: the stage, provider and generation families are declared but hold no sample.
    const reelay = families.filter((f) => f.name.startsWith('reelay_'));
    for (const { name } of reelay) expect(Object.keys(METRICS), name).toContain(name);
    const sampled = reelay.filter((f) => f.metrics.length > 0).map((f) => f.name);
    expect(sampled.sort()).toEqual(['reelay_queue_jobs', 'reelay_queue_oldest_waiting_seconds']);
  });
});
