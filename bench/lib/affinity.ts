import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Lets this process (and the children it spawns next) run on every CPU again. A group may pin the
 * harness away from a core it reserves for a server (bench/sim.ts does); children inherit the mask,
 * so without this the next group's worker processes would all share what was left.
 */
export function unpinSelf(): void {
  const cpus = availableParallelism();
  try {
    execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus - 1}`, String(process.pid)], { stdio: 'ignore' });
  } catch {
    // No taskset, or not allowed here: nothing was pinned by it either.
  }
}
