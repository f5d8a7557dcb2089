import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse as parseYaml } from 'yaml';

/** The repository root (infra/test/lib → ../../..). */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function repoPath(...parts: string[]): string {
  return join(REPO_ROOT, ...parts);
}

export function readRepoFile(...parts: string[]): string {
  return readFileSync(repoPath(...parts), 'utf8');
}

/**
 * One YAML document. `merge: true` resolves `<<:` keys as Docker Compose does (YAML 1.1 merge keys);
 * `uniqueKeys` makes a duplicated key an error instead of a silent override.
 */
export function readYaml(...parts: string[]): unknown {
  return parseYaml(readRepoFile(...parts), { merge: true, uniqueKeys: true, prettyErrors: true });
}

/** Every non-empty document of a multi-document YAML file (a leading `---` yields an empty one). */
export function readYamlDocuments(...parts: string[]): unknown[] {
  const docs = parseAllDocuments(readRepoFile(...parts), { merge: true, uniqueKeys: true });
  if (!Array.isArray(docs)) throw new Error(`${parts.join('/')}: not a YAML stream`);
  return docs
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${parts.join('/')}: ${doc.errors[0]?.message}`);
      return doc.toJS() as unknown;
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Narrows or fails the test with the path of what was expected. */
export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what}: expected a mapping, got ${JSON.stringify(value)}`);
  return value;
}

export function asArray(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
}
