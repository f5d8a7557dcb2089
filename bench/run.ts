import { fork } from 'node:child_process';
import { GROUPS } from './lib/groups.ts';
import { unpinSelf } from './lib/affinity.ts';
import { LATEST_JSON, targetsPath } from './lib/paths.ts';
import { evaluate } from './lib/report.ts';
import { type LatestResults, machineInfo, mergeLatest } from './lib/results.ts';
import { loadTargets } from './lib/targets.ts';

/**
 * `pnpm bench [group…]`: runs the chosen benchmark groups one after another (default: all), each in a
 * process of its own (bench/lib/group-child.ts) so no group measures on a heap the previous ones left, prints each
 * figure beside its baseline and its target, and merges the figures into bench/results/latest.json.
 * A group that is missing or throws is reported and makes the exit code 1; the others still run.
 * A MISS does not fail the run: targets are goals to report, not timed tests.
 */

/** Longest a group may run before it is reported as an error, ms (`REELAY_BENCH_GROUP_TIMEOUT_MS`). */
const GROUP_TIMEOUT_MS = Number(process.env['REELAY_BENCH_GROUP_TIMEOUT_MS'] ?? 300_000);

const requested = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = requested.length > 0 ? requested : Object.keys(GROUPS);
const { targets, warning } = await loadTargets(targetsPath());
if (warning) console.warn(`bench: ${warning}; figures are shown without PASS/MISS`);

const machine = machineInfo();
console.log(
  `bench: ${names.join(', ')} on ${machine.cpus} CPUs, Node ${machine.node}, load ${machine.loadavg1m}`,
);
if (machine.loadavg1m > machine.cpus) {
  console.warn(
    `bench: the machine is busy (load ${machine.loadavg1m} on ${machine.cpus} CPUs); latency and throughput figures will be pessimistic`,
  );
}
const run: Omit<LatestResults, 'generatedAt'> = {
  machine,
  figures: {},
  baselines: {},
  targets: {},
  groups: {},
};
let failures = 0;

for (const name of names) {
  const startedAt = Date.now();
  console.log(`\n[${name}]`);
  unpinSelf();
  try {
    if (!(name in GROUPS)) {
      throw new Error(`unknown group "${name}"; known: ${Object.keys(GROUPS).join(', ')}`);
    }
    const figures = await runGroupProcess(name);
    const evaluated = evaluate(figures, targets);
    for (const line of evaluated.lines) console.log(line);
    Object.assign(run.figures, figures);
    Object.assign(run.baselines, evaluated.baselines);
    Object.assign(run.targets, evaluated.targets);
    run.groups[name] = { ok: true, at: new Date().toISOString(), seconds: (Date.now() - startedAt) / 1000 };
  } catch (error) {
    failures++;
    const message = error instanceof Error ? error.message : String(error);
    console.log(`  ERROR ${message}`);
    // A mistyped name is not a group: nothing to record for it.
    if (!(name in GROUPS)) continue;
    run.groups[name] = {
      ok: false,
      at: new Date().toISOString(),
      seconds: (Date.now() - startedAt) / 1000,
      error: message.split('\n')[0] ?? message,
    };
  }
  console.log(`  (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
}

await mergeLatest(LATEST_JSON, run);
const missed = Object.entries(run.targets)
  .filter(([, t]) => !t.pass)
  .map(([n]) => n);
console.log(
  `\nbench: wrote ${LATEST_JSON}; ${Object.keys(run.targets).length - missed.length} PASS, ${missed.length} MISS` +
    (missed.length ? ` (${missed.join(', ')})` : '') +
    (failures ? `; ${failures} group(s) failed` : ''),
);
process.exit(failures > 0 ? 1 : 0);

/**
 * Runs one group in a child process that leads its own process group, and resolves with the figures it
 * sends. A group that overruns GROUP_TIMEOUT_MS is killed with everything it started (servers, worker
 * processes) by signalling the whole process group.
 */
function runGroupProcess(name: string): Promise<Record<string, number>> {
  const child = fork(new URL('./lib/group-child.ts', import.meta.url), [name], {
    stdio: 'inherit',
    detached: true,
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  // The child leads its own process group, so a Ctrl-C at the terminal reaches only this process.
  const interrupted = (signal: NodeJS.Signals) => {
    killGroup();
    process.kill(process.pid, signal);
  };
  process.once('exit', killGroup);
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  return new Promise<Record<string, number>>((resolve, reject) => {
    let answer: { figures?: Record<string, number>; error?: string } | undefined;
    const timer = setTimeout(() => {
      killGroup();
      reject(new Error(`did not finish within ${GROUP_TIMEOUT_MS} ms`));
    }, GROUP_TIMEOUT_MS);
    child.on('message', (message) => {
      answer = message as typeof answer;
    });
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('exit', killGroup);
      process.removeListener('SIGINT', interrupted);
      process.removeListener('SIGTERM', interrupted);
      killGroup(); // anything the group left running
      if (answer?.figures) resolve(answer.figures);
      else
        reject(
          new Error(answer?.error ?? `group process exited (${signal ?? `code ${code}`}) without figures`),
        );
    });
  });
}
