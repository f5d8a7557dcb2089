import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg } from 'node:os';
import { dirname, resolve } from 'node:path';
import { SCALE } from './scale.ts';

/** `bench/results/chaos.json` at the repository root. */
export const CHAOS_JSON = resolve(import.meta.dirname, '../../bench/results/chaos.json');

interface ChaosRun {
  scale: string;
  seed: string;
  at: string;
  seconds: number;
  machine: { cpus: number; cpuModel: string; node: string; loadavg1m: number };
}

interface ChaosResults {
  generatedAt: string;
  /** `chaos.<scenario>.<figure>` → value. */
  figures: Record<string, number>;
  /** How each scenario's figures were last measured. */
  runs: Record<string, ChaosRun>;
}

/**
 * Merges one scenario's figures into bench/results/chaos.json as `chaos.<scenario>.<figure>`; the
 * other scenarios' figures stay. Written to a temp file and renamed, so a reader never sees half.
 */
export async function recordFigures(
  scenario: string,
  figures: Record<string, number>,
  run: { seed: string; seconds: number },
): Promise<void> {
  let old: Partial<ChaosResults> = {};
  try {
    old = JSON.parse(await readFile(CHAOS_JSON, 'utf8')) as Partial<ChaosResults>;
  } catch {
    // First run, or an unreadable file: start afresh.
  }
  const named = Object.fromEntries(
    Object.entries(figures).map(([name, value]) => [`chaos.${scenario}.${name}`, value]),
  );
  const merged: ChaosResults = {
    generatedAt: new Date().toISOString(),
    figures: { ...old.figures, ...named },
    runs: {
      ...old.runs,
      [scenario]: {
        scale: SCALE,
        seed: run.seed,
        at: new Date().toISOString(),
        seconds: Math.round(run.seconds * 10) / 10,
        machine: {
          cpus: availableParallelism(),
          cpuModel: cpus()[0]?.model ?? 'unknown',
          node: process.version,
          loadavg1m: Math.round((loadavg()[0] ?? 0) * 100) / 100,
        },
      },
    },
  };
  await mkdir(dirname(CHAOS_JSON), { recursive: true });
  const temp = `${CHAOS_JSON}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(merged, null, 2)}\n`);
  await rename(temp, CHAOS_JSON);
  process.stderr.write(`[chaos] ${scenario} (${SCALE}): ${JSON.stringify(figures)}\n`);
}
