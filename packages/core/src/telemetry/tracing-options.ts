import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { z } from 'zod';
import { envField, parseEnv } from '../env.ts';

/** `off` (the default) loads no OpenTelemetry module at all; `otlp` exports spans over OTLP/HTTP. */
export const TRACING_MODES = ['off', 'otlp'] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

export interface TracingOptions {
  /** Default `off`: nothing traced, no OpenTelemetry package imported (memory and start-up stay as they were). */
  mode: TracingMode;
  /** The `service.name` resource attribute every span carries (OTEL_SERVICE_NAME, else the app's name). */
  serviceName: string;
  /**
   * How long finished spans wait to be exported in one batch, ms (OTEL_BSP_SCHEDULE_DELAY, default
   * 5000, the SDK's). Spans still waiting are flushed by `shutdown()`, so a clean stop loses none.
   */
  scheduleDelayMs: number;
  /**
   * Where spans go instead of OTLP/HTTP (tests: the SDK's InMemorySpanExporter). Unset: the OTLP/HTTP
   * exporter, which reads the standard OTEL_EXPORTER_OTLP_* variables itself (endpoint default
   * http://localhost:4318, path /v1/traces).
   */
  exporter?: SpanExporter;
}

/**
 * The tracing variables: REELAY_TRACING is ours; the OTEL_* ones keep their standard meaning (the
 * OTLP exporter reads the endpoint and header variables itself; they are parsed here only so a bad
 * value fails at start with the variable's name instead of at the first export).
 */
export const tracingEnvSchema = z.object({
  /** `off` (default) or `otlp`. */
  REELAY_TRACING: z.enum(TRACING_MODES).default('off'),
  /** Service name on every span; default the app's own (`reelay-api`, `reelay-worker`). */
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
  /** OTLP/HTTP collector base URL (`/v1/traces` is appended), e.g. http://otel-collector:4318. */
  OTEL_EXPORTER_OTLP_ENDPOINT: envField.url(['http:', 'https:']).optional(),
  /** Full traces URL, used as is; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: envField.url(['http:', 'https:']).optional(),
  /** `key=value,…` headers sent with each export (e.g. a collector's auth); may be a secret, never logged. */
  OTEL_EXPORTER_OTLP_HEADERS: z.string().min(1).optional(),
  /** Batch export delay, ms (default 5000). */
  OTEL_BSP_SCHEDULE_DELAY: envField.int({ min: 0, max: 600_000, default: 5000 }),
});

/** Every variable tracing reads, for deployment checks (infra tests). */
export const TRACING_VARIABLES: ReadonlySet<string> = new Set(Object.keys(tracingEnvSchema.shape));

/** Tracing options from the environment; throws `config_invalid` naming each bad variable. */
export function tracingOptionsFromEnv(
  defaultServiceName: string,
  env: Record<string, string | undefined> = process.env,
): TracingOptions {
  const parsed = parseEnv(tracingEnvSchema, env);
  return {
    mode: parsed.REELAY_TRACING,
    serviceName: parsed.OTEL_SERVICE_NAME ?? defaultServiceName,
    scheduleDelayMs: parsed.OTEL_BSP_SCHEDULE_DELAY,
  };
}
