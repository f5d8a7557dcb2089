import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { type RedisFixture, startRedis } from '@reelay/testing';
import { type Job, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ReelayError,
  type Tracing,
  GenerationStore,
  closeStageQueues,
  createStageQueues,
  enqueuePrepared,
  prepareEnqueue,
  processTelemetry,
  startTracing,
  tracingOptionsFromEnv,
} from '../src/index.ts';

// The tracing setup in one process, with the SDK's in-memory exporter (a real SDK component): queues
// and workers on a real Redis, a job whose processor adds the next stage's job, and a retry.

let fixture: RedisFixture;
let redis: Redis;
let tracing: Tracing | undefined;
beforeAll(async () => {
  fixture = await startRedis();
  redis = new Redis(fixture.url, { maxRetriesPerRequest: null });
});
afterEach(async () => {
  await tracing?.shutdown();
  tracing = undefined;
});
afterAll(async () => {
  redis.disconnect();
  await fixture.stop();
});

const options = (exporter?: InMemorySpanExporter) => ({
  ...tracingOptionsFromEnv('reelay-test', { REELAY_TRACING: 'otlp' }),
  ...(exporter ? { exporter } : {}),
});
const attr = (span: ReadableSpan, name: string) => span.attributes[name];

describe('tracing options', () => {
  it('is off unless REELAY_TRACING says otlp; a bad value names the variable and the allowed values', () => {
    expect(tracingOptionsFromEnv('reelay-api', {})).toEqual({
      mode: 'off',
      serviceName: 'reelay-api',
      scheduleDelayMs: 5000,
    });
    expect(
      tracingOptionsFromEnv('reelay-api', { REELAY_TRACING: 'otlp', OTEL_SERVICE_NAME: 'edge-api' }),
    ).toMatchObject({ mode: 'otlp', serviceName: 'edge-api' });
    expect(() => tracingOptionsFromEnv('x', { REELAY_TRACING: 'jaeger' })).toThrow(
      /REELAY_TRACING: .*"off"\|"otlp"/,
    );
    expect(() => tracingOptionsFromEnv('x', { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(
      /OTEL_EXPORTER_OTLP_ENDPOINT: must be a URL/,
    );
  });
});

describe('startTracing', () => {
  it('off: no telemetry, and the stage queues carry none', async () => {
    tracing = await startTracing(tracingOptionsFromEnv('reelay-test', {}));
    expect(tracing.enabled).toBe(false);
    expect(processTelemetry()).toBeUndefined();
    const queues = createStageQueues(redis, fixture.prefix('trace-off'));
    expect(queues.submit.opts.telemetry).toBeUndefined();
    await closeStageQueues(queues);
  });

  it('on: a job added while another is processed joins its trace, retries included', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing(options(exporter));
    const telemetry = processTelemetry();
    expect(telemetry).toBeDefined();
    const prefix = fixture.prefix('trace-on');
    const queues = createStageQueues(redis, prefix, { retryBaseMs: 1 });
    expect(queues.submit.opts.telemetry).toBe(telemetry);
    const base = { connection: redis, prefix, ...(telemetry ? { telemetry } : {}) };
    let pollRuns = 0;
    const done = new Promise<void>((resolve, reject) => {
      const poll = new Worker(
        'poll',
        async () => {
          // The first run fails (a transient error): BullMQ retries it within the same trace.
          if (++pollRuns === 1) throw new Error('transient');
        },
        base,
      );
      poll.on('completed', () => void poll.close().then(resolve, reject));
    });
    const submit = new Worker(
      'submit',
      async (job: Job) => {
        await queues.poll.add('poll', { generationId: job.data.generationId }, { jobId: job.id ?? '' });
      },
      base,
    );
    await queues.submit.add('submit', { generationId: 'gen_traced' }, { jobId: 'gen_traced' });
    await done;
    await submit.close();
    await closeStageQueues(queues);
    await tracing.flush();

    const spans = exporter.getFinishedSpans();
    const of = (queue: string, op: string) =>
      spans.filter((s) => attr(s, 'bullmq.queue.name') === queue && attr(s, 'bullmq.queue.operation') === op);
    const [addSubmit] = of('submit', 'add');
    const [processSubmit] = of('submit', 'process');
    const [addPoll] = of('poll', 'add');
    const processPoll = of('poll', 'process');
    expect(processPoll).toHaveLength(2);
    const traceId = addSubmit?.spanContext().traceId;
    for (const span of [addSubmit, processSubmit, addPoll, ...processPoll]) {
      expect(span?.spanContext().traceId, span?.name).toBe(traceId);
    }
    expect(addSubmit?.parentSpanContext).toBeUndefined();
    expect(processSubmit?.parentSpanContext?.spanId).toBe(addSubmit?.spanContext().spanId);
    expect(addPoll?.parentSpanContext?.spanId).toBe(processSubmit?.spanContext().spanId);
    expect(addPoll?.resource.attributes['service.name']).toBe('reelay-test');
  });

  it('gives each generation of a bulk enqueue its own trace, on both enqueue paths', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = await startTracing(options(exporter));
    const prefix = fixture.prefix('trace-enqueue');
    const queues = createStageQueues(redis, prefix);
    const store = new GenerationStore(redis, prefix);
    const producer = { store, queues, options: { defaultTenant: 'acme', providerName: 'openai' } };
    for (const sharedConnection of [false, true]) {
      const items = [0, 1].map((i) => prepareEnqueue(producer, { prompt: `clip ${i}` }));
      await enqueuePrepared({ ...producer, sharedConnection }, items);
      await tracing.flush();
      const spans = exporter.getFinishedSpans().filter((s) => s.name === 'enqueue');
      exporter.reset();
      expect(spans.map((s) => attr(s, 'reelay.generation.id')).sort()).toEqual(items.map((i) => i.id).sort());
      for (const span of spans) {
        expect(span.parentSpanContext, 'a root: no producer span was active').toBeUndefined();
        // The submit job carries this span's context: its stage runs join this trace.
        const job = await queues.submit.getJob(String(attr(span, 'reelay.generation.id')));
        expect(job?.opts.telemetry?.metadata).toContain(span.spanContext().traceId);
      }
      expect(new Set(spans.map((s) => s.spanContext().traceId)).size, `shared=${sharedConnection}`).toBe(2);
    }
    await queues.submit.obliterate({ force: true });
    await closeStageQueues(queues);
  });

  it('starts once per process; after shutdown the queues carry no telemetry and it can start again', async () => {
    tracing = await startTracing(options(new InMemorySpanExporter()));
    await expect(startTracing(options(new InMemorySpanExporter()))).rejects.toBeInstanceOf(ReelayError);
    await tracing.shutdown();
    expect(processTelemetry()).toBeUndefined();
    const queues = createStageQueues(redis, fixture.prefix('trace-after'));
    expect(queues.submit.opts.telemetry).toBeUndefined();
    await closeStageQueues(queues);
    tracing = await startTracing(options(new InMemorySpanExporter()));
    expect(processTelemetry()).toBeDefined();
  });
});
