import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StartEnv } from '../env.ts';
import { CliError, EXIT } from '../exit.ts';
import { REPO_ROOT } from '../paths.ts';
import type { TerminalLogs } from './output.ts';

/** The flags of `reelay start`, as commander hands them over (strings until checked here). */
export interface StartFlags {
  demo?: boolean;
  demoCount?: string;
  exitAfterDemo?: boolean;
  timeScale?: string;
  quiet?: boolean;
  verbose?: boolean;
  webhooks?: boolean;
}

/** Everything `start` does, resolved once from flags and environment. */
export interface StartOptions {
  redisUrl: string;
  prefix: string;
  /** `<repo>/data` unless REELAY_DATA_DIR: a started Redis's data, the logs, the videos. */
  dataDir: string;
  logDir: string;
  storageUrl: string;
  /**
   * The embedded simulator, unless OPENAI_BASE_URL names a real provider. `timeScale`: provider
   * seconds per wall second. Default 20 for `start`: the demo's ~70 s generations take a few seconds,
   * long enough to watch the stages, short enough to wait for.
   */
  sim: { port: number; timeScale: number } | undefined;
  apiPort: number;
  /** 0 in the environment becomes a concrete free port at launch (the worker prints no URL line). */
  workerPort: number;
  /**
   * Provider webhooks wired simulator → api, signed with `webhookSecret`: the worker's polls become a
   * safety net. Default on with the simulator (a fresh secret per run unless OPENAI_WEBHOOK_SECRET);
   * with a real provider, on when OPENAI_WEBHOOK_SECRET is set (the provider must be told the URL).
   */
  webhookSecret: string | undefined;
  demo: { count: number; exitAfter: boolean } | undefined;
  /** Default `all`; `warn` with --demo so the demo's own lines stay readable; files get everything. */
  terminalLogs: TerminalLogs;
  stopTimeoutMs: number;
}

export const DEFAULT_TIME_SCALE = 20;
export const DEFAULT_DEMO_COUNT = 3;
const MAX_DEMO_COUNT = 50;

export function resolveStartOptions(flags: StartFlags, env: StartEnv): StartOptions {
  const timeScale = flags.timeScale === undefined ? DEFAULT_TIME_SCALE : Number(flags.timeScale);
  if (!Number.isFinite(timeScale) || timeScale <= 0 || timeScale > 100_000) {
    throw new CliError(
      `--time-scale: expected a number above 0 and at most 100000, got '${flags.timeScale}'`,
      EXIT.badInput,
    );
  }
  const count = flags.demoCount === undefined ? DEFAULT_DEMO_COUNT : Number(flags.demoCount);
  if (!Number.isInteger(count) || count < 1 || count > MAX_DEMO_COUNT) {
    throw new CliError(
      `--demo-count: expected an integer from 1 to ${MAX_DEMO_COUNT}, got '${flags.demoCount}'`,
      EXIT.badInput,
    );
  }
  if ((flags.exitAfterDemo || flags.demoCount !== undefined) && !flags.demo) {
    throw new CliError('--exit-after-demo and --demo-count need --demo', EXIT.badInput);
  }
  if (flags.quiet && flags.verbose)
    throw new CliError('--quiet and --verbose exclude each other', EXIT.badInput);
  const dataDir = resolve(env.REELAY_DATA_DIR ?? join(REPO_ROOT, 'data'));
  const embedded = env.OPENAI_BASE_URL === undefined;
  const webhooksWanted = flags.webhooks !== false;
  const webhookSecret = !webhooksWanted
    ? undefined
    : (env.OPENAI_WEBHOOK_SECRET ?? (embedded ? `whsec_${randomBytes(24).toString('base64')}` : undefined));
  return {
    redisUrl: env.REDIS_URL,
    prefix: env.REELAY_PREFIX,
    dataDir,
    logDir: join(dataDir, 'logs'),
    storageUrl: env.REELAY_STORAGE_URL ?? pathToFileURL(join(dataDir, 'videos')).href,
    sim: embedded ? { port: env.REELAY_SIM_PORT, timeScale } : undefined,
    apiPort: env.REELAY_API_PORT,
    workerPort: env.REELAY_WORKER_PORT,
    webhookSecret,
    demo: flags.demo ? { count, exitAfter: flags.exitAfterDemo === true } : undefined,
    terminalLogs: flags.quiet ? 'none' : flags.verbose ? 'all' : flags.demo ? 'warn' : 'all',
    stopTimeoutMs: env.REELAY_STOP_TIMEOUT_MS,
  };
}
