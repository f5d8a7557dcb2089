import { APP_ENTRIES } from '../paths.ts';
import { ManagedChild } from './child.ts';
import type { ChildOutput } from './output.ts';
import { freePort } from './ports.ts';
import type { Stack } from './stack.ts';
import type { StartOptions } from './start-options.ts';
import { answers200, until } from './wait.ts';

/** A cold Node start with TypeScript stripping, plus a first Redis round trip: seconds, not minutes. */
const READY_TIMEOUT_MS = 30_000;

/** The embedded simulator; resolves with its root URL. */
export async function launchSim(
  options: StartOptions,
  sim: NonNullable<StartOptions['sim']>,
  stack: Stack,
  output: ChildOutput,
): Promise<string> {
  const child = stack.add(
    new ManagedChild(
      {
        name: 'sim',
        command: APP_ENTRIES.sim,
        args: ['--port', String(sim.port), '--time-scale', String(sim.timeScale)],
        env: { ...process.env, LOG_FORMAT: 'json' },
        node: true,
        graceMs: options.stopTimeoutMs,
      },
      output,
    ),
  );
  return child.listeningUrl(READY_TIMEOUT_MS);
}

/**
 * Points the simulator's webhooks at the api, with the shared secret, through its control endpoint
 * (a flag would show the secret to anyone running `ps`).
 */
export async function wireSimWebhooks(simUrl: string, apiUrl: string, secret: string): Promise<void> {
  const response = await fetch(`${simUrl}/__sim/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ webhookUrl: `${apiUrl}/webhooks/provider`, webhookSecret: secret }),
    signal: AbortSignal.timeout(5000),
  });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`simulator refused the webhook configuration (HTTP ${response.status})`);
}

/** Environment every pipeline child shares. */
export function childEnv(
  options: StartOptions,
  redisUrl: string,
  providerBaseUrl: string | undefined,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    REDIS_URL: redisUrl,
    REELAY_PREFIX: options.prefix,
    REELAY_STORAGE_URL: options.storageUrl,
    // JSON lines: the log files keep them whole; the terminal view is formatted by the CLI.
    LOG_FORMAT: 'json',
  };
  if (providerBaseUrl !== undefined) env['OPENAI_BASE_URL'] = providerBaseUrl;
  if (options.sim) env['REELAY_PROVIDER_TIME_SCALE'] = String(options.sim.timeScale);
  if (options.webhookSecret !== undefined) env['OPENAI_WEBHOOK_SECRET'] = options.webhookSecret;
  else delete env['OPENAI_WEBHOOK_SECRET'];
  return env;
}

/** The api (webhook receiver); resolves with its URL once /readyz answers. */
export async function launchApi(
  options: StartOptions,
  env: NodeJS.ProcessEnv,
  stack: Stack,
  output: ChildOutput,
): Promise<string> {
  const child = stack.add(
    new ManagedChild(
      {
        name: 'api',
        command: APP_ENTRIES.api,
        args: [],
        env: { ...env, REELAY_API_PORT: String(options.apiPort) },
        node: true,
        graceMs: options.stopTimeoutMs,
      },
      output,
    ),
  );
  const url = await child.listeningUrl(READY_TIMEOUT_MS);
  await ready(child, `${url}/readyz`);
  return url;
}

/** The worker with every stage; resolves with its health URL once /readyz answers. */
export async function launchWorker(
  options: StartOptions,
  env: NodeJS.ProcessEnv,
  stack: Stack,
  output: ChildOutput,
): Promise<string> {
  const port = options.workerPort === 0 ? await freePort() : options.workerPort;
  const workerEnv: NodeJS.ProcessEnv = { ...env, REELAY_WORKER_PORT: String(port) };
  if (options.webhookSecret !== undefined) workerEnv['REELAY_WEBHOOKS'] = 'true';
  const child = stack.add(
    new ManagedChild(
      {
        name: 'worker',
        command: APP_ENTRIES.worker,
        args: ['--stage', 'all'],
        env: workerEnv,
        node: true,
        graceMs: options.stopTimeoutMs,
      },
      output,
    ),
  );
  const url = `http://127.0.0.1:${port}`;
  await ready(child, `${url}/readyz`);
  return url;
}

async function ready(child: ManagedChild, url: string): Promise<void> {
  const died = child.exited.then(({ code, signal }) => {
    throw child.failure(`exited before it was ready (code ${code}, signal ${signal})`);
  });
  const answered = until(() => answers200(url), READY_TIMEOUT_MS, `${child.name} ready at ${url}`).catch(
    (error: Error) => {
      throw child.failure(error.message);
    },
  );
  await Promise.race([answered, died]);
  // `died` stays pending while the child runs; it must not become an unhandled rejection later.
  died.catch(() => {});
}
