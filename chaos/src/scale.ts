/**
 * How big a chaos run is. `ci` (the default, what `./run test` runs): tens of generations per
 * scenario, each scenario within about a minute on a 2-core box. `full` (`pnpm test:chaos`): the sizes
 * of GUARANTEES.md, minutes per scenario.
 */
export type ChaosScale = 'ci' | 'full';

function readScale(): ChaosScale {
  const raw = process.env['REELAY_CHAOS_SCALE'];
  if (raw === undefined || raw === '' || raw === 'ci') return 'ci';
  if (raw === 'full') return 'full';
  throw new Error(`REELAY_CHAOS_SCALE: unknown value "${raw}"; allowed: ci, full`);
}

export const SCALE: ChaosScale = readScale();

/** The CI value or the full one, by the run's scale. */
export function sized<T>(ci: T, full: T): T {
  return SCALE === 'full' ? full : ci;
}

/**
 * A seeded pseudo-random source (mulberry32 over a string hash), so a run's fault schedule can be
 * replayed: the seed is `REELAY_CHAOS_SEED` when set, else drawn, and is printed and recorded.
 */
export interface Rng {
  readonly seed: string;
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

export function seededRng(scenario: string): Rng {
  const seed = process.env['REELAY_CHAOS_SEED'] || Math.random().toString(36).slice(2, 10);
  let state = 2166136261;
  for (const ch of `${seed}:${scenario}`) state = Math.imul(state ^ ch.charCodeAt(0), 16777619) >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  process.stderr.write(`[chaos] ${scenario}: seed ${seed} (replay with REELAY_CHAOS_SEED=${seed})\n`);
  return {
    seed,
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[Math.floor(next() * items.length)] as (typeof items)[number];
    },
  };
}
