import { fileURLToPath } from 'node:url';

/**
 * The other apps are started as child processes by path, never imported (no app imports an app).
 * Paths are resolved from this file, so `reelay` works from any working directory.
 */
export const APP_ENTRIES = {
  worker: fileURLToPath(new URL('../../worker/bin/reelay-worker.js', import.meta.url)),
  api: fileURLToPath(new URL('../../api/src/main.ts', import.meta.url)),
  sim: fileURLToPath(new URL('../../provider-sim/src/main.ts', import.meta.url)),
} as const;

/** The repository root: `<repo>/data` is the embedded default for state. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The parent of every child of `reelay start`: no child outlives the CLI (see the file). */
export const SUPERVISE = fileURLToPath(new URL('./start/supervise.ts', import.meta.url));
