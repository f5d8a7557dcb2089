import { SpanKind, type Telemetry } from 'bullmq';

/** One producer span per generation of a bulk enqueue, each carried into its submit job. */
export interface GenerationSpans {
  /** The trace context for the submit job of the `i`-th generation (BullMQ's job `telemetry.metadata`). */
  metadata(i: number): string | undefined;
  /** Ends every span (after the jobs are added). */
  end(): void;
}

/**
 * Gives each generation of a bulk enqueue its own `enqueue` producer span, and so its own trace when
 * the producer has none active (a caller's active span stays the parent: its request's trace then holds
 * its generations). Without this, BullMQ's `addBulk` puts every job of the call under one span — one
 * trace for a whole batch (up to hundreds of generations of unrelated api requests), which makes a
 * single generation's trace hard to read. Written against BullMQ's telemetry interface, so it loads
 * nothing of OpenTelemetry; undefined when the queue has no telemetry (tracing off).
 */
export function startGenerationSpans(
  telemetry: Telemetry | undefined,
  items: ReadonlyArray<{ id: string; tenant: string }>,
): GenerationSpans | undefined {
  if (!telemetry) return undefined;
  const { tracer, contextManager } = telemetry;
  const parent = contextManager.active();
  const spans = items.map((item) => {
    const span = tracer.startSpan('enqueue', { kind: SpanKind.PRODUCER }, parent);
    span.setAttributes({ 'reelay.generation.id': item.id, 'reelay.tenant': item.tenant });
    return { span, metadata: contextManager.getMetadata(span.setSpanOnContext(parent)) };
  });
  return {
    metadata: (i) => spans[i]?.metadata,
    end: () => {
      for (const { span } of spans) span.end();
    },
  };
}
