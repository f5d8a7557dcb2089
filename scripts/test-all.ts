// The README's test command (`./run test`, also `pnpm test`): every check CI runs, in order, then one
// closing line `N passed, N failed` counted from each package's vitest JSON report.
//
// Steps: typecheck → lint → dependency rules → tests. A failing step does not stop the later ones
// (a type error should not hide a failing test), but the exit code is non-zero if any step failed.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const workspaces = [
  ...['apps', 'packages'].flatMap((dir) => readdirSync(join(root, dir)).map((name) => join(root, dir, name))),
  join(root, 'chaos'),
];

for (const ws of workspaces) rmSync(join(ws, '.reports'), { recursive: true, force: true });

const extra = process.argv.slice(2);
const steps: Array<[string, string[]]> = [
  ['typecheck', ['turbo', 'run', 'typecheck', '--output-logs=errors-only']],
  ['lint', ['turbo', 'run', 'lint', '--output-logs=errors-only']],
  ['dependency rules', ['run', 'deps:check']],
  // Test packages one at a time: the suites start real Redis servers, simulators and worker
  // processes, and two cores are better spent inside one suite than split across two.
  ['tests', ['turbo', 'run', 'test', '--concurrency=1', '--continue', ...extra]],
];

const failedSteps: string[] = [];
for (const [name, args] of steps) {
  console.log(`\n=== ${name}: pnpm ${args.join(' ')}`);
  const r = spawnSync('pnpm', args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) failedSteps.push(name);
}

let passed = 0;
let failed = 0;
let suitesFailed = 0;
for (const ws of workspaces) {
  const file = join(ws, '.reports', 'vitest.json');
  if (!existsSync(file)) continue;
  const report = JSON.parse(readFileSync(file, 'utf8')) as {
    numPassedTests: number;
    numFailedTests: number;
    numFailedTestSuites: number;
  };
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  suitesFailed += report.numFailedTestSuites;
}

if (failedSteps.length > 0) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
if (suitesFailed > 0) console.log(`test files that failed to run: ${suitesFailed}`);
// A step that failed outside any test (typecheck, a suite that crashed on import) counts as a failure.
if (failed === 0 && failedSteps.length > 0) failed = failedSteps.length;
if (passed === 0 && failed === 0) {
  console.log('no test ran: that is a failure, not a pass');
  failed = 1;
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || failedSteps.length > 0 ? 1 : 0);
