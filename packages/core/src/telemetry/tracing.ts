import type { Telemetry } from 'bullmq';
import { ReelayError } from '../errors.ts';
import type { TracingOptions } from './tracing-options.ts';

/** A process's tracing, started once at boot. */
export interface Tracing {
  readonly enabled: boolean;
  /** BullMQ's telemetry (bullmq-otel) for every Queue and Worker; undefined when tracing is off. */
  readonly telemetry: Telemetry | undefined;
  /**
   * Records an operation that has just ended, `durationMs` long, as a client span in the active
   * context (inside a job: a child of its `process` span). For calls reported after the fact, such as
   * the provider adapter's `onResponse`. `failed` marks the span's status as an error. No-op when off.
   */
  recordSpan(name: string, durationMs: number, attributes: SpanAttributes, failed?: boolean): void;
  /** Exports every finished span now. */
  flush(): Promise<void>;
  /** Flushes, then stops tracing and unregisters the global OpenTelemetry providers. */
  shutdown(): Promise<void>;
}

export type SpanAttributes = Record<string, string | number | boolean>;

const OFF: Tracing = {
  enabled: false,
  telemetry: undefined,
  recordSpan: () => {},
  flush: async () => {},
  shutdown: async () => {},
};

let current: Tracing | undefined;

/**
 * The telemetry of the tracing this process started, if any. `createStageQueues` defaults to it, so
 * every queue of the process — the api's, the client SDK's inside it, the workers' — carries the trace
 * context without each caller threading it through (OpenTelemetry's own providers are process-global
 * for the same reason).
 */
export function processTelemetry(): Telemetry | undefined {
  return current?.telemetry;
}

/**
 * Starts tracing: an OpenTelemetry tracer provider with a batch span processor, the AsyncLocalStorage
 * context manager (a job added while a job is processed joins its trace) and the W3C trace-context
 * propagator (how BullMQ carries the context inside a job to the process that runs it). Off: returns
 * at once and imports nothing. The packages are imported only here, so an untraced process never
 * loads them.
 */
export async function startTracing(options: TracingOptions): Promise<Tracing> {
  if (options.mode === 'off') return OFF;
  if (current) throw new ReelayError('config_invalid', 'tracing is already started in this process');
  const [api, sdk, asyncHooks, otelCore, resources, bullmqOtel] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/context-async-hooks'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('bullmq-otel'),
  ]);
  const exporter =
    options.exporter ?? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter();
  const provider = new sdk.TracerProvider({
    resource: resources.resourceFromAttributes({ 'service.name': options.serviceName }),
    spanProcessors: [new sdk.BatchSpanProcessor({ exporter, scheduledDelayMillis: options.scheduleDelayMs })],
  });
  api.context.setGlobalContextManager(new asyncHooks.AsyncLocalStorageContextManager().enable());
  api.propagation.setGlobalPropagator(new otelCore.W3CTraceContextPropagator());
  api.trace.setGlobalTracerProvider(provider);
  const tracer = api.trace.getTracer('reelay');
  const tracing: Tracing = {
    enabled: true,
    telemetry: new bullmqOtel.BullMQOtel({ tracerName: 'reelay' }),
    recordSpan(name, durationMs, attributes, failed = false) {
      const end = Date.now();
      const span = tracer.startSpan(name, {
        kind: api.SpanKind.CLIENT,
        startTime: end - Math.max(0, durationMs),
        attributes,
      });
      if (failed) span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.end(end);
    },
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (current !== tracing) return;
      current = undefined;
      await provider.shutdown();
      api.trace.disable();
      api.propagation.disable();
      api.context.disable();
    },
  };
  current = tracing;
  return tracing;
}
