import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type PipelineServices,
  type WorkerProcess,
  startApi,
  startPipelineServices,
  waitFor,
} from '@reelay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from './tracing/otlp-receiver.ts';

// Tracing across real processes: the api (producer) and one worker process per stage, each exporting
// over OTLP/HTTP to a small receiver, as they would to a collector. One trace must hold the whole
// generation: the api's add of the submit job, and each stage's processing and its add of the next.

const RECORD_MODULES = fileURLToPath(new URL('./tracing/record-modules.ts', import.meta.url));
const STAGES = ['submit', 'poll', 'download'] as const;

let services: PipelineServices;
let receiver: OtlpReceiver;
let logDir: string;
beforeAll(async () => {
  services = await startPipelineServices({ name: 'tracing' });
  receiver = await startOtlpReceiver();
  logDir = await mkdtemp(join(tmpdir(), 'reelay-tracing-'));
});
afterAll(async () => {
  await services?.close();
  await receiver?.close();
  if (logDir) await rm(logDir, { recursive: true, force: true });
});

/** The api, the three stage workers, with `env` over the pipeline's; returns a create and a stop. */
async function startSystem(env: Record<string, string>, name: (app: string) => Record<string, string>) {
  const workers: WorkerProcess[] = [];
  for (const stage of STAGES) workers.push(await services.start(stage, { ...env, ...name(stage) }));
  const key = `rk_${randomBytes(16).toString('hex')}`;
  const api = await startApi({
    REDIS_URL: services.redis.url,
    REELAY_PREFIX: services.prefix,
    REELAY_API_KEYS: `acme:${createHash('sha256').update(key).digest('hex')}`,
    ...env,
    ...name('api'),
  });
  const call = async (path: string, init: RequestInit = {}) =>
    fetch(`${api.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    });
  return {
    /** One POST /v1/generations for `n` generations; waits for them to complete; returns their ids. */
    async generate(prompt: string, n = 1): Promise<string[]> {
      const created = await call('/v1/generations', {
        method: 'POST',
        body: JSON.stringify({ prompt, n }),
      });
      expect(created.status).toBe(201);
      const ids = ((await created.json()) as { data: Array<{ id: string }> }).data.map((g) => g.id);
      expect(ids).toHaveLength(n);
      for (const id of ids) {
        await waitFor(
          async () => {
            const record = (await (await call(`/v1/generations/${id}`)).json()) as { status: string };
            if (record.status === 'failed') throw new Error(`generation failed: ${JSON.stringify(record)}`);
            return record.status === 'completed';
          },
          { timeoutMs: 60_000, intervalMs: 100, message: `generation ${id} completed` },
        );
      }
      return ids;
    },
    /** SIGTERM to every process; each flushes its batched spans on the way out. */
    async stop() {
      const codes = await Promise.all([api.stop(), ...workers.map((w) => w.stop())]);
      expect(codes).toEqual([0, 0, 0, 0]);
    },
  };
}

/** Preloads the module recorder into each process (its log: REELAY_TEST_MODULE_LOG). */
const recordModules = {
  NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --import=${RECORD_MODULES}`.trim(),
};
const moduleLog = (name: string) => join(logDir, `${name}.modules`);

/** Tracing packages a process loaded: the SDK, exporters, bullmq-otel; not the API (see below). */
async function tracingModules(name: string): Promise<string[]> {
  const modules = (await readFile(moduleLog(name), 'utf8')).split('\n');
  // The recording works: BullMQ and prom-client show up in every process.
  expect(
    modules.some((url) => url.includes('/node_modules/bullmq/')),
    name,
  ).toBe(true);
  expect(
    modules.some((url) => url.includes('/node_modules/prom-client/')),
    name,
  ).toBe(true);
  return modules.filter((url) => /\/node_modules\/(bullmq-otel|@opentelemetry\/(?!api\/))/.test(url));
}

const op = (span: ReceivedSpan) => span.attributes['bullmq.queue.operation'];
const queue = (span: ReceivedSpan) => span.attributes['bullmq.queue.name'];

/**
 * The trace of one generation, checked from end to end; returns its id. Every stage run of the
 * generation (job id = generation id, first round) must be in it.
 */
function checkGenerationTrace(id: string): string {
  const runs = receiver.spans.filter((s) => op(s) === 'process' && s.attributes['bullmq.job.id'] === id);
  expect(new Set(runs.map(queue))).toEqual(new Set(STAGES));
  const traceIds = new Set(runs.map((s) => s.traceId));
  expect(traceIds.size, 'every stage run is in one trace').toBe(1);
  const trace = receiver.spans.filter((s) => traceIds.has(s.traceId));
  const byId = new Map(trace.map((s) => [s.spanId, s]));

  // Each stage ran in its own process, and the trace holds each one's part.
  for (const stage of STAGES) {
    expect(runs.filter((s) => queue(s) === stage).map((s) => s.service)).toContain(`reelay-${stage}`);
  }
  // The producer started it: the api's `enqueue` span of this generation is the root, and the
  // submit job runs under it.
  const roots = trace.filter((s) => s.parentSpanId === undefined);
  expect(roots).toHaveLength(1);
  expect(roots[0]).toMatchObject({ service: 'reelay-api', name: 'enqueue' });
  expect(roots[0]?.attributes['reelay.generation.id']).toBe(id);
  const submitRun = runs.find((s) => queue(s) === 'submit');
  expect(submitRun?.parentSpanId).toBe(roots[0]?.spanId);
  // Each stage's hand-off is an add inside its processing span: submit → poll → download.
  for (const [from, to] of [
    ['submit', 'poll'],
    ['poll', 'download'],
  ] as const) {
    const add = trace.find((s) => op(s) === 'add' && queue(s) === to);
    expect(add, `add to ${to}`).toBeDefined();
    expect(add?.service).toBe(`reelay-${from}`);
    const parent = byId.get(add?.parentSpanId ?? '');
    expect(parent && op(parent), `add to ${to} runs inside a ${from} job`).toBe('process');
    expect(parent && queue(parent)).toBe(from);
  }
  // Each provider call is a client span inside the stage job that made it.
  for (const [stage, endpoint] of [
    ['submit', 'create'],
    ['poll', 'retrieve'],
    ['download', 'content'],
  ] as const) {
    const calls = trace.filter((s) => s.attributes['reelay.provider.endpoint'] === endpoint);
    expect(calls.length, `provider ${endpoint} spans`).toBeGreaterThan(0);
    for (const call of calls) {
      expect(call.name).toBe(`provider ${endpoint}`);
      expect(call.attributes['http.response.status_code']).toBe(200);
      const parent = byId.get(call.parentSpanId ?? '');
      expect(parent && [op(parent), queue(parent)], `provider ${endpoint} inside`).toEqual([
        'process',
        stage,
      ]);
    }
  }
  // Every span of the trace links to a parent inside it (nothing orphaned between processes), and
  // no other generation's work is in it.
  for (const span of trace) {
    if (span.parentSpanId !== undefined) expect(byId.has(span.parentSpanId), span.name).toBe(true);
    const job = span.attributes['bullmq.job.id'];
    if (job !== undefined) expect(job, span.name).toBe(id);
  }
  return [...traceIds][0] ?? '';
}

describe('tracing (REELAY_TRACING=otlp)', () => {
  it('follows each generation in its own trace from the producer through every stage, across processes', async () => {
    const system = await startSystem(
      { REELAY_TRACING: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...recordModules },
      (app) => ({ OTEL_SERVICE_NAME: `reelay-${app}`, REELAY_TEST_MODULE_LOG: moduleLog(`traced-${app}`) }),
    );
    // Two generations from one request (one bulk add): still one trace each.
    const ids = await system.generate('a traced clip', 2);
    await system.stop();
    // The module check of the test below bites: here, with tracing on, it finds the tracing packages.
    expect(await tracingModules('traced-submit')).toContainEqual(expect.stringMatching(/bullmq-otel/));

    const traces = ids.map((id) => checkGenerationTrace(id));
    expect(new Set(traces).size).toBe(ids.length);
  });
});

describe('tracing off (the default)', () => {
  it('exports nothing and loads no OpenTelemetry module, in the api and every worker', async () => {
    const before = receiver.requests;
    const system = await startSystem(
      { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...recordModules },
      (app) => ({ REELAY_TEST_MODULE_LOG: moduleLog(app) }),
    );
    await system.generate('an untraced clip');
    await system.stop();
    expect(receiver.requests).toBe(before);
    // No OpenTelemetry SDK, exporter or bullmq-otel was loaded. The API package is (prom-client
    // requires it for exemplars); with no SDK registered it is the API's no-op.
    for (const app of ['api', ...STAGES]) expect(await tracingModules(app), app).toEqual([]);
  });
});
