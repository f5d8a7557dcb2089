import { createRequire } from 'node:module';

/** One sample as parse-prometheus-text-format returns it. */
export interface PromSample {
  labels?: Record<string, string>;
  value?: string;
}
export interface PromFamily {
  name: string;
  type: string;
  metrics: PromSample[];
}

// A real exposition-format parser (CommonJS, no types: its whole API is this one function).
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (
  text: string,
) => PromFamily[];

/** `/metrics` text as families with their declared types. */
export function parsePrometheus(text: string): PromFamily[] {
  return parse(text);
}

/** Samples of `name` whose labels include `labels`. */
export function promSamples(
  families: PromFamily[],
  name: string,
  labels: Record<string, string> = {},
): PromSample[] {
  // One name can head several families: with histograms read as plain series, a `…_count` line stands
  // apart for each label set (after its buckets and sum), and the parser starts a new family at each.
  return families
    .filter((f) => f.name === name)
    .flatMap((f) => f.metrics)
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/** Sum of the values of matching samples. */
export function promTotal(families: PromFamily[], name: string, labels: Record<string, string> = {}): number {
  return promSamples(families, name, labels).reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}
