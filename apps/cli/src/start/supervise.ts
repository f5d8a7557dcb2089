/**
 * `node supervise.ts <graceMs> <command> [args…]`: the parent of each child of `reelay start`, so
 * that no child outlives the CLI, whatever happens to it.
 *
 * - The CLI spawns this with an IPC channel. When the CLI dies — even by SIGKILL, when it can clean
 *   nothing up — the channel closes ('disconnect') and this stops the child as if the CLI had asked.
 *   (`prctl(PR_SET_PDEATHSIG)` would do it in the kernel, but is not reachable from Node.)
 * - The child's output goes through here, so the child's stdout never breaks when the CLI goes:
 *   a logger writing to a dead pipe can hang its process at exit (sonic-boom's flushSync retries
 *   EPIPE forever), which would leave exactly the orphan this file exists to prevent.
 * - Stopping is SIGTERM, then SIGKILL after `graceMs`. The CLI spawns this as a process-group
 *   leader, and the child stays in the group, so the CLI's own last resort (SIGKILL to the group)
 *   takes both.
 */
import { spawn } from 'node:child_process';

const [graceArg, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceArg);
if (command === undefined || !Number.isFinite(graceMs)) {
  process.stderr.write('usage: supervise.ts <graceMs> <command> [args…]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
for (const [from, to] of [
  [child.stdout, process.stdout],
  [child.stderr, process.stderr],
] as const) {
  from.pipe(to);
  // The CLI is gone: keep draining, so the child never blocks on (or fails at) a full pipe.
  to.on('error', () => {
    from.unpipe(to);
    from.resume();
  });
}

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  if (stopping) return;
  stopping = true;
  child.kill(signal);
  setTimeout(() => child.kill('SIGKILL'), graceMs).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGTERM'));
process.channel?.unref();
process.on('disconnect', () => stop('SIGTERM'));

child.once('error', (error) => {
  process.stderr.write(`could not start ${command}: ${error.message}\n`);
  process.exit(127);
});
child.once('exit', (code, signal) => {
  process.exitCode = code ?? (signal === 'SIGKILL' ? 137 : 143);
});
