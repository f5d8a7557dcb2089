import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';

export interface BaselineEntry {
  figure: string;
  value: number;
  /** value of the figure ÷ value of its baseline. */
  ratio: number;
}

export interface TargetEntry {
  target: string;
  value: number;
  pass: boolean;
}

export interface GroupEntry {
  ok: boolean;
  at: string;
  seconds: number;
  error?: string;
}

/** `bench/results/latest.json`. Every map is merged per key, so a partial run updates only its own. */
export interface LatestResults {
  generatedAt: string;
  machine: { cpus: number; cpuModel: string; node: string; loadavg1m: number };
  figures: Record<string, number>;
  baselines: Record<string, BaselineEntry>;
  targets: Record<string, TargetEntry>;
  groups: Record<string, GroupEntry>;
}

export function machineInfo(): LatestResults['machine'] {
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? 'unknown',
    node: process.version,
    loadavg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
  };
}

async function readLatest(path: string): Promise<Partial<LatestResults>> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Partial<LatestResults>;
  } catch {
    return {};
  }
}

/** Merges this run into the file (written to a temp file, then renamed: a reader never sees half). */
export async function mergeLatest(path: string, run: Omit<LatestResults, 'generatedAt'>): Promise<void> {
  const old = await readLatest(path);
  const merged: LatestResults = {
    generatedAt: new Date().toISOString(),
    machine: run.machine,
    figures: { ...old.figures, ...run.figures },
    baselines: { ...old.baselines, ...run.baselines },
    targets: { ...old.targets, ...run.targets },
    groups: { ...old.groups, ...run.groups },
  };
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(merged, null, 2)}\n`);
  await rename(temp, path);
}
