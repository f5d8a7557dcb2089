import { readFile } from 'node:fs/promises';

export interface Target {
  op: '>=' | '<=';
  bound: number;
  text: string;
}

/** Targets by figure name from a `{ "<name>": ">= 0.4" }` file; keys starting with `_` are comments. */
export async function loadTargets(path: string): Promise<{ targets: Map<string, Target>; warning?: string }> {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    return { targets: new Map(), warning: `no targets read from ${path}: ${(error as Error).message}` };
  }
  const targets = new Map<string, Target>();
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith('_') || typeof value !== 'string') continue;
    const match = /^\s*(>=|<=)\s*(-?[\d.]+(?:e-?\d+)?)\s*$/i.exec(value);
    if (match)
      targets.set(name, { op: match[1] as Target['op'], bound: Number(match[2]), text: value.trim() });
  }
  return { targets };
}

export function meets(value: number, target: Target): boolean {
  return target.op === '>=' ? value >= target.bound : value <= target.bound;
}
