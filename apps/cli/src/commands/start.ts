import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadEnv, startEnvSchema } from '../env.ts';
import { CliError, EXIT } from '../exit.ts';
import { allCompleted, demoTable, runDemo } from '../start/demo.ts';
import { childEnv, launchApi, launchSim, launchWorker, wireSimWebhooks } from '../start/launch.ts';
import { ChildOutput } from '../start/output.ts';
import { type ResolvedRedis, ensureRedis } from '../start/redis-server.ts';
import { Stack } from '../start/stack.ts';
import { type StartFlags, type StartOptions, resolveStartOptions } from '../start/start-options.ts';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('run everything locally: Redis (if none answers), the simulator, the api and a worker')
    .option('--demo', 'enqueue a few demo prompts and print where their videos went')
    .option('--demo-count <n>', 'demo generations (default 3)')
    .option('--exit-after-demo', 'stop everything after the demo; exit 0 if all completed, else 1')
    .option('--time-scale <x>', 'simulator speed: provider seconds per wall second (default 20)')
    .option('--no-webhooks', 'do not wire simulator webhooks to the api (polling only)')
    .option('--quiet', 'children log to data/logs only, not to the terminal')
    .option('--verbose', 'show all child log lines (default with --demo: warnings and errors only)')
    .action(async (flags: StartFlags) => {
      const options = resolveStartOptions(flags, loadEnv(startEnvSchema));
      process.exitCode = await runStart(options);
    });
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function runStart(options: StartOptions): Promise<number> {
  const stack = new Stack();
  const output = new ChildOutput(options.logDir, options.terminalLogs);
  // Resolves (with undefined) once a signal asked to stop: every long wait races against it.
  const stopRequested = Promise.withResolvers<undefined>();
  let stopping: Promise<number> | undefined;
  const stop = (code: number, reason?: string): Promise<number> => {
    stopRequested.resolve(undefined);
    stopping ??= (async () => {
      if (reason) say(reason);
      const killed = await stack.stopAll((m) => say(m));
      if (killed.length > 0)
        say(`had to kill ${killed.join(', ')} (not stopped ${options.stopTimeoutMs} ms after SIGTERM)`);
      await output.close();
      stack.dispose();
      return code;
    })();
    return stopping;
  };
  let received = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    received++;
    if (received > 1) {
      // A second Ctrl-C: the user does not want to wait for graceful shutdowns.
      stack.killAll();
      process.exit(130);
    }
    void stop(EXIT.ok, `\n${signal}: stopping (again to kill at once)…`);
  };
  // SIGHUP: the terminal went away; its default would end this process without stopping anything.
  const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);

  try {
    // A signal during start-up wins the race; `stop` then stops the children started so far.
    const running = await Promise.race([launchAll(options, stack, output), stopRequested.promise]);
    if (running === undefined) return await stop(EXIT.ok);
    say(summary(options, running));
    if (options.demo) {
      say(`\n[demo] ${options.demo.count} generation(s) through the whole pipeline…`);
      const timeScale = options.sim?.timeScale ?? 1;
      const outcomes = await Promise.race([
        runDemo(running.redis.url, options.prefix, options.demo.count, timeScale, say),
        stopRequested.promise,
      ]);
      if (outcomes === undefined) return await stop(EXIT.ok);
      say(`\n${demoTable(outcomes)}`);
      const ok = allCompleted(outcomes);
      say(
        ok
          ? `\nall ${outcomes.length} completed.`
          : `\nnot every demo generation completed; see ${options.logDir}.`,
      );
      if (options.demo.exitAfter) return await stop(ok ? EXIT.ok : EXIT.failed);
    }
    say('\nrunning; Ctrl-C stops everything.');
    const exit = await Promise.race([stack.firstExit(), stopRequested.promise]);
    if (exit === undefined) return await stop(EXIT.ok);
    return await stop(
      EXIT.failed,
      `${exit.name} exited unexpectedly (code ${exit.code}, signal ${exit.signal}); stopping the rest`,
    );
  } catch (error) {
    const message = error instanceof CliError ? error.message : `start failed: ${(error as Error).message}`;
    process.stderr.write(`reelay: ${message}\n`);
    return await stop(error instanceof CliError ? error.exitCode : EXIT.failed);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

interface Running {
  redis: ResolvedRedis;
  simUrl: string | undefined;
  providerBaseUrl: string | undefined;
  apiUrl: string;
  workerUrl: string;
}

async function launchAll(options: StartOptions, stack: Stack, output: ChildOutput): Promise<Running> {
  const redis = await ensureRedis(options.redisUrl, options.dataDir, options.stopTimeoutMs, stack, output);
  const simUrl = options.sim ? await launchSim(options, options.sim, stack, output) : undefined;
  const providerBaseUrl = simUrl ? `${simUrl}/v1` : undefined;
  const env = childEnv(options, redis.url, providerBaseUrl);
  const apiUrl = await launchApi(options, env, stack, output);
  if (simUrl && options.webhookSecret) await wireSimWebhooks(simUrl, apiUrl, options.webhookSecret);
  const workerUrl = await launchWorker(options, env, stack, output);
  return { redis, simUrl, providerBaseUrl, apiUrl, workerUrl };
}

function summary(options: StartOptions, running: Running): string {
  const short = (path: string) => {
    const rel = relative(process.cwd(), path);
    return rel && !rel.startsWith('..') ? `./${rel}` : path;
  };
  const videos = options.storageUrl.startsWith('file://')
    ? short(fileURLToPath(options.storageUrl))
    : options.storageUrl;
  const redis =
    running.redis.source === 'started'
      ? `${running.redis.url} (started by reelay; data in ${short(running.redis.dataDir ?? '')}, AOF on)`
      : `${running.redis.url} (already running)`;
  const provider = options.sim
    ? `simulator ${running.providerBaseUrl} at ${options.sim.timeScale}x real time` +
      ` (a ~70 s generation takes ~${Math.max(1, Math.round(72 / options.sim.timeScale))} s; --time-scale to change)`
    : `${process.env['OPENAI_BASE_URL']} (OPENAI_BASE_URL)`;
  const webhooks = options.webhookSecret
    ? options.sim
      ? 'signed webhooks from the simulator; polls are the safety net'
      : 'webhooks verified with OPENAI_WEBHOOK_SECRET'
    : 'no webhook secret: polling only';
  const rows: Array<[string, string]> = [
    ['redis', redis],
    ['provider', provider],
    ['api', `${running.apiUrl} (POST /webhooks/provider: ${webhooks})`],
    ['worker', `stages submit, poll, download; health ${running.workerUrl}/readyz`],
    ['prefix', options.prefix],
    ['videos', videos],
    ['logs', `${short(options.logDir)}/<app>.log`],
  ];
  return ['reelay is up', ...rows.map(([k, v]) => `  ${k.padEnd(9)} ${v}`)].join('\n');
}
