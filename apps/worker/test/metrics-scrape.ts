import { type PromFamily, type PromSample, parsePrometheus, promSamples, promTotal } from '@reelay/testing';
import type { WorkerProcess } from './processes.ts';

export type Sample = PromSample;
export type Family = PromFamily;

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
    families: parsePrometheus(text),
    series: parsePrometheus(text.replace(/^(# TYPE \S+) histogram$/gm, '$1 untyped')),
  };
}

export { promSamples as samples, promTotal as total };
