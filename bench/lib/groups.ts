import { access } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './paths.ts';

export type GroupRun = () => Promise<Record<string, number>>;

/** The benchmark groups, in run order: module (relative to the repo root) and its exported function. */
export const GROUPS: Record<string, { module: string; fn: string }> = {
  sim: { module: 'bench/sim.ts', fn: 'benchSim' },
  pipeline: { module: 'bench/pipeline.ts', fn: 'benchPipeline' },
  download: { module: 'bench/download.ts', fn: 'benchDownload' },
  quota: { module: 'bench/quota.ts', fn: 'benchQuota' },
  fairness: { module: 'bench/fairness.ts', fn: 'benchFairness' },
  cost: { module: 'bench/fairness.ts', fn: 'benchExactlyOnce' },
  api: { module: 'bench/api.ts', fn: 'benchApi' },
  enqueue: { module: 'bench/enqueue.ts', fn: 'benchEnqueue' },
};

/** Loads a group's function; throws a plain message when its module or export is missing. */
export async function loadGroup(name: string): Promise<GroupRun> {
  const group = GROUPS[name];
  if (!group) throw new Error(`unknown group "${name}"; known: ${Object.keys(GROUPS).join(', ')}`);
  const path = resolve(ROOT, group.module);
  try {
    await access(path);
  } catch {
    throw new Error(`${group.module} does not exist`);
  }
  const module = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  const fn = module[group.fn];
  if (typeof fn !== 'function') throw new Error(`${group.module} exports no function ${group.fn}()`);
  return fn as GroupRun;
}
