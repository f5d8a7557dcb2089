import { resolve } from 'node:path';

/** The repository root (`bench/lib/..`/..). */
export const ROOT = resolve(import.meta.dirname, '../..');
export const WORKER_MAIN = resolve(ROOT, 'apps/worker/bin/reelay-worker.js');
export const API_MAIN = resolve(ROOT, 'apps/api/src/main.ts');
export const RAW_STAGE_MAIN = resolve(ROOT, 'bench/lib/raw-stage.ts');
export const RESULTS_DIR = resolve(ROOT, 'bench/results');
export const LATEST_JSON = resolve(RESULTS_DIR, 'latest.json');
/** `../shared/targets.json` beside the repository; `REELAY_TARGETS` names another file. */
export function targetsPath(): string {
  return process.env['REELAY_TARGETS'] ?? resolve(ROOT, '../shared/targets.json');
}
