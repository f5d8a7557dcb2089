import { createRequire } from 'node:module';
import type { WorkerProcess } from './processes.ts';

/** One sample as parse-prometheus-text-format returns it. */
export interface Sample {
  labels?: Record<string, string>;
  value?: string;
}
export interface Family {
  name: string;
  type: string;
  metrics: Sample[];
}

// The package ships CommonJS without types: its whole API is this one function.
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

/** The worker's health port, from its `worker ready` log line. */
export function portOf(worker: WorkerProcess): number {
  const line = worker.lines.find((l) => l.includes('"worker ready"'));
  return (JSON.parse(line ?? '{}') as { port: number }).port;
}

export interface Scrape {
  contentType: string;
  /** The exposition as parsed (families with their declared types). */
  families: Family[];
  /**
   * The same text with histograms read as plain series (`…_bucket`, `…_sum`, `…_count`): the parser
   * folds every label set of a histogram family into one sample, so per-stage counts need this view.
   */
  series: Family[];
}

export async function scrape(worker: WorkerProcess): Promise<Scrape> {
  const res = await fetch(`http://127.0.0.1:${portOf(worker)}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  const text = await res.text();
  return {
    contentType: res.headers.get('content-type') ?? '',
    families: parse(text),
    series: parse(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped')),
  };
}

/** Samples of `name` whose labels include `labels`. */
export function samples(families: Family[], name: string, labels: Record<string, string> = {}): Sample[] {
  // In the `series` view one name can head several families: a histogram's `…_count` lines stand apart
  // (one per label set, after its buckets and sum), and the parser starts a new family at each run.
  return families
    .filter((f) => f.name === name)
    .flatMap((f) => f.metrics)
    .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
}

/** Sum of the values of matching samples. */
export function total(families: Family[], name: string, labels: Record<string, string> = {}): number {
  return samples(families, name, labels).reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}
