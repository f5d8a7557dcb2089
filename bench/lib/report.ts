import { BASELINE_NAMES, FIGURES } from './figures.ts';
import type { BaselineEntry, TargetEntry } from './results.ts';
import { type Target, meets } from './targets.ts';

export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString('en-US');
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  return value.toFixed(3);
}

export interface Evaluated {
  lines: string[];
  baselines: Record<string, BaselineEntry>;
  targets: Record<string, TargetEntry>;
}

/**
 * One line per figure: value and unit, the baseline measured beside it and the ratio, the target and
 * PASS/MISS. Baseline figures are shown on their partner's line, not on their own.
 */
export function evaluate(figures: Record<string, number>, targets: Map<string, Target>): Evaluated {
  const lines: string[] = [];
  const baselines: Record<string, BaselineEntry> = {};
  const verdicts: Record<string, TargetEntry> = {};
  for (const [name, value] of Object.entries(figures)) {
    const spec = FIGURES[name];
    const partnerShown = Object.entries(FIGURES).some(
      ([other, s]) => s.baseline === name && figures[other] !== undefined,
    );
    let line = `  ${name.padEnd(36)} ${formatNumber(value).padStart(10)} ${(spec?.unit ?? '').padEnd(6)}`;
    const baseValue = spec?.baseline !== undefined ? figures[spec.baseline] : undefined;
    if (spec?.baseline !== undefined && baseValue !== undefined) {
      const ratio = value / baseValue;
      baselines[name] = { figure: spec.baseline, value: baseValue, ratio };
      line += ` vs ${spec.baseline} ${formatNumber(baseValue)} (×${formatNumber(ratio)})`;
    }
    const target = targets.get(name);
    if (target) {
      const pass = meets(value, target);
      verdicts[name] = { target: target.text, value, pass };
      line += `  target ${target.text} ${pass ? 'PASS' : 'MISS'}`;
    }
    if (BASELINE_NAMES.has(name) && partnerShown && !target) continue;
    lines.push(line);
  }
  return { lines, baselines, targets: verdicts };
}
