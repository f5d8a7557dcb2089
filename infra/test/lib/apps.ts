// What each deployable process needs, taken from the apps' own code rather than restated here.
//
// Import, not regex: the env schemas are imported from apps/*/src/env.ts (test-only; nothing shipped
// depends on this). A regex over the source would break on a reformatted or multi-line field and could
// only compare names; importing gives the exact variable set (the zod object's keys), and lets a test
// run the app's own loader (`loadWorkerEnv`, ...) on the environment Compose or Kubernetes gives the
// container, so values are checked too (a bad port, a missing key, an unparseable users list).
import { apiEnvSchema, loadApiEnv } from '../../../apps/api/src/env.ts';
import { dashboardEnvSchema, loadDashboardEnv } from '../../../apps/dashboard/src/env.ts';
import { parseFlags } from '../../../apps/provider-sim/src/cli-flags.ts';
import {
  SHUTDOWN_SLACK_MS,
  loadWorkerEnv,
  parseStages,
  workerEnvSchema,
} from '../../../apps/worker/src/env.ts';
import {
  TRACING_VARIABLES,
  tracingOptionsFromEnv,
} from '../../../packages/core/src/telemetry/tracing-options.ts';

export type Env = Record<string, string | undefined>;

/** What a started process would listen on and how long it takes to stop, from its real config. */
export interface Resolved {
  port: number;
  /** Paths answering liveness / readiness probes. */
  health: { live: string; ready: string };
  /** How long the process may take after SIGTERM, ms (worker: its hard bound, and its BullMQ lock). */
  stopMs: number;
}

export interface AppSpec {
  name: 'worker' | 'api' | 'dashboard' | 'provider-sim';
  entry: string;
  /** Variables the app's env schema reads; undefined for the simulator (flags only). */
  variables: ReadonlySet<string> | undefined;
  /** Whether it starts tracing (REELAY_TRACING and the OTEL_* variables, core's tracing options). */
  traces: boolean;
  /** Parses the argv after the entry point and the environment exactly as the app does; throws if it would refuse to start. */
  resolve(args: readonly string[], env: Env): Resolved;
}

/**
 * Read outside the apps' zod schemas, with their standard meaning: the logger's (packages/core
 * logger.ts), the AWS SDK's (the S3 driver leaves them to the SDK), Node's.
 */
export const STANDARD_VARIABLES: ReadonlySet<string> = new Set([
  'LOG_LEVEL',
  'LOG_FORMAT',
  'NODE_ENV',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_S3',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
]);

const HEALTH = { live: '/healthz', ready: '/readyz' };

function stageFlag(args: readonly string[]): string | undefined {
  const i = args.indexOf('--stage');
  if (i >= 0) return args[i + 1];
  return args.find((a) => a.startsWith('--stage='))?.slice('--stage='.length);
}

export const APPS: readonly AppSpec[] = [
  {
    name: 'worker',
    entry: 'apps/worker/bin/reelay-worker.js',
    variables: new Set([...Object.keys(workerEnvSchema.shape), ...TRACING_VARIABLES]),
    traces: true,
    resolve(args, env) {
      const parsed = loadWorkerEnv(env);
      tracingOptionsFromEnv('reelay-worker', env);
      parseStages(stageFlag(args) ?? parsed.REELAY_STAGES);
      return {
        port: parsed.REELAY_WORKER_PORT,
        health: HEALTH,
        stopMs: Math.max(
          parsed.REELAY_SHUTDOWN_TIMEOUT_MS + SHUTDOWN_SLACK_MS,
          parsed.REELAY_LOCK_DURATION_MS,
        ),
      };
    },
  },
  {
    name: 'api',
    entry: 'apps/api/src/main.ts',
    variables: new Set([...Object.keys(apiEnvSchema.shape), ...TRACING_VARIABLES]),
    traces: true,
    resolve(_args, env) {
      const parsed = loadApiEnv(env);
      tracingOptionsFromEnv('reelay-api', env);
      return { port: parsed.REELAY_API_PORT, health: HEALTH, stopMs: parsed.REELAY_SHUTDOWN_TIMEOUT_MS };
    },
  },
  {
    name: 'dashboard',
    entry: 'apps/dashboard/src/main.ts',
    variables: new Set(Object.keys(dashboardEnvSchema.shape)),
    traces: false,
    resolve(_args, env) {
      const parsed = loadDashboardEnv(env);
      return {
        port: parsed.REELAY_DASHBOARD_PORT,
        health: HEALTH,
        stopMs: parsed.REELAY_SHUTDOWN_TIMEOUT_MS,
      };
    },
  },
  {
    name: 'provider-sim',
    entry: 'apps/provider-sim/src/main.ts',
    variables: undefined,
    traces: false,
    resolve(args, env) {
      const { options } = parseFlags([...args], env);
      if (options.host === '127.0.0.1' || options.host === '::1') {
        throw new Error('provider-sim: bound to loopback (--host), unreachable from other containers');
      }
      // No /healthz: the control endpoint answers without auth, limits or faults.
      return {
        port: options.port ?? 4010,
        health: { live: '/__sim/config', ready: '/__sim/config' },
        stopMs: 0,
      };
    },
  },
];

/** The app a `node <entry> …` command runs, and the arguments after the entry. */
export function appOfCommand(command: readonly string[]): { app: AppSpec; args: string[] } {
  const [node, entry, ...args] = command;
  if (node !== 'node') throw new Error(`command must start with node: ${command.join(' ')}`);
  const app = APPS.find((a) => a.entry === entry);
  if (!app) throw new Error(`no Reelay app has the entry point ${entry}`);
  return { app, args };
}

/** Variables a container sets that its app would silently ignore (a typo, or meant for another app). */
export function unknownVariables(app: AppSpec, env: Env): string[] {
  return Object.keys(env).filter(
    (name) => !STANDARD_VARIABLES.has(name) && !(app.variables?.has(name) ?? name === 'REELAY_SIM_PORT'),
  );
}

/** Stages a worker process runs, as it would resolve them. */
export function workerStages(args: readonly string[], env: Env): string[] {
  return parseStages(stageFlag(args) ?? loadWorkerEnv(env).REELAY_STAGES);
}
