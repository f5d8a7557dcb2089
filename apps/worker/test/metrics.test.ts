import { afterEach, describe, expect, it } from 'vitest';
// The catalogue dashboards, KEDA and alerts are checked against (infra/test): the exporter must match it.
import { METRICS } from '../../../infra/test/lib/metrics.ts';
import { type Harness, createHarness } from './harness.ts';
import { type Family, samples, scrape, total } from './metrics-scrape.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const QUEUES = ['submit', 'poll', 'download', 'notify'];
const STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed', 'paused'];

describe('/metrics of worker processes after a pipeline run', () => {
  it('serves Prometheus text holding queue, stage, provider, generation, cost and process series', async () => {
    h = await createHarness({}, { REELAY_MAX_IN_FLIGHT: '20' });
    const [submit, poll, download] = await Promise.all([
      h.start('submit'),
      h.start('poll'),
      h.start('download'),
    ]);
    const ok = await h.waitAll(await h.enqueue(4));
    expect(ok.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    // One forced failure: the provider blocks the next video for content policy (never resubmitted).
    await h.sim.configure({ failureRate: 1, failureCode: 'moderation_blocked' });
    const [failed] = await h.waitAll(await h.enqueue(1));
    expect(failed?.status).toBe('failed');

    const scraped = await Promise.all([submit!, poll!, download!].map((w) => scrape(w)));
    for (const { contentType } of scraped) expect(contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    for (const { families } of scraped) {
      expect(families.find((f) => f.name === 'reelay_stage_duration_seconds')?.type).toBe('HISTOGRAM');
      expect(families.find((f) => f.name === 'reelay_provider_requests_total')?.type).toBe('COUNTER');
      expect(families.find((f) => f.name === 'reelay_queue_jobs')?.type).toBe('GAUGE');
    }
    for (const { families } of scraped) {
      const reelay = families.filter((f) => f.name.startsWith('reelay_'));
      expect(reelay.map((f) => f.name).sort()).toEqual(Object.keys(METRICS).sort());
      for (const family of reelay) {
        const spec = METRICS[family.name]!;
        expect(family.type.toLowerCase(), family.name).toBe(spec.type);
        for (const sample of family.metrics) {
          for (const [label, value] of Object.entries(sample.labels ?? {})) {
            if (label === 'le') continue;
            expect(Object.keys(spec.labels), `${family.name}{${label}}`).toContain(label);
            const allowed = spec.labels[label];
            if (allowed) expect(allowed, `${family.name}{${label}="${value}"}`).toContain(value);
          }
        }
      }
    }
    const [s, p, d] = scraped.map((x) => x.series) as [Family[], Family[], Family[]];
    const all = (name: string, labels: Record<string, string> = {}) =>
      total(s, name, labels) + total(p, name, labels) + total(d, name, labels);

    // Queue gauges: every queue × state on every process (read from Redis at scrape time).
    for (const families of [s, p, d]) {
      for (const queue of QUEUES) {
        for (const state of STATES) {
          expect(samples(families, 'reelay_queue_jobs', { queue, state }), `${queue}/${state}`).toHaveLength(
            1,
          );
        }
        expect(samples(families, 'reelay_queue_oldest_waiting_seconds', { queue })).toHaveLength(1);
      }
      expect(families.find((f) => f.name === 'process_cpu_user_seconds_total')?.type).toBe('COUNTER');
      expect(samples(families, 'reelay_in_flight_cap')[0]?.value).toBe('20');
      // Everything finished: no lease left in flight, no job waiting.
      expect(total(families, 'reelay_in_flight')).toBe(0);
      expect(total(families, 'reelay_queue_jobs', { state: 'waiting' })).toBe(0);
      expect(samples(families, 'reelay_spend_usd', { scope: 'global', period: 'day' })).toHaveLength(1);
      expect(samples(families, 'reelay_budget_usd', { scope: 'tenant', period: 'month' })).toHaveLength(1);
    }

    // Provider requests are counted by the process that sent them.
    expect(total(s, 'reelay_provider_requests_total', { endpoint: 'create', status: '200' })).toBe(5);
    expect(
      total(p, 'reelay_provider_requests_total', { endpoint: 'retrieve', status: '200' }),
    ).toBeGreaterThanOrEqual(5);
    expect(
      total(d, 'reelay_provider_requests_total', { endpoint: 'content', status: '200' }),
    ).toBeGreaterThanOrEqual(4);
    expect(all('reelay_provider_rate_limited_total')).toBe(0);

    // Stage histograms: one observation per job run, with buckets.
    const submits = { stage: 'submit', outcome: 'completed' };
    expect(total(s, 'reelay_stage_duration_seconds_count', submits)).toBe(5);
    expect(total(s, 'reelay_stage_duration_seconds_bucket', { ...submits, le: '+Inf' })).toBe(5);
    expect(total(s, 'reelay_stage_duration_seconds_sum', submits)).toBeGreaterThan(0);
    // A poll that looked before the provider finished ends `delayed`, one after ends `completed`:
    // which of the two a video gets depends on timing, so count the stage's runs of both outcomes.
    const polls = { stage: 'poll' };
    expect(total(p, 'reelay_stage_duration_seconds_count', polls)).toBeGreaterThanOrEqual(5);
    const downloads = { stage: 'download', outcome: 'completed' };
    expect(total(d, 'reelay_stage_duration_seconds_count', downloads)).toBe(4);

    // Each generation counted once, by the process whose stage finished it; cost of the completed ones.
    expect(all('reelay_generations_total', { status: 'completed' })).toBe(4);
    expect(all('reelay_generations_total', { status: 'failed' })).toBe(1);
    expect(all('reelay_cost_usd_total', { model: 'sora-2' })).toBeGreaterThan(0);

    // A stage-transition line per job, with the fields an operator greps for.
    const line = download!.lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'stage transition');
    expect(line).toMatchObject({ stage: 'download', outcome: 'completed', status: 'completed', attempt: 1 });
    expect(line).toHaveProperty('generationId');
    expect(line).toHaveProperty('providerVideoId');
    expect(line).toHaveProperty('tenant');
    expect(line.durationMs).toBeGreaterThanOrEqual(0);
  }, 60_000);
});
