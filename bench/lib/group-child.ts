import { loadGroup } from './groups.ts';

/**
 * One benchmark group in its own process (spawned by bench/run.ts with an IPC channel): runs the group
 * named by argv[2] and sends its figures — or its error — to the parent. Each group starts from a fresh
 * heap, JIT and event loop, so a group's figures do not depend on what ran before it in the same
 * process (the enqueue ratio read 0.41 after six groups and 0.58 alone).
 */
const name = process.argv[2] ?? '';
let message: { figures: Record<string, number> } | { error: string };
try {
  const run = await loadGroup(name);
  message = { figures: await run() };
} catch (error) {
  message = { error: error instanceof Error ? error.message : String(error) };
}
process.send?.(message, () => process.exit(0));
