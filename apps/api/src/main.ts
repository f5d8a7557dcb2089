import {
  closeStageQueues,
  createLogger,
  createMetrics,
  startTracing,
  tracingOptionsFromEnv,
} from '@reelay/core';
import { buildApi } from './app.ts';
import { buildApiContext } from './context.ts';
import { type ApiEnv, loadApiEnv } from './env.ts';
import { registerHttpMetrics } from './metrics-http.ts';
import { registerMetricsRoute } from './routes/metrics.ts';

async function main(): Promise<void> {
  let env: ApiEnv;
  let tracingOptions: ReturnType<typeof tracingOptionsFromEnv>;
  try {
    env = loadApiEnv();
    tracingOptions = tracingOptionsFromEnv('reelay-api');
  } catch (error) {
    console.error(`reelay-api: ${(error as Error).message}`);
    process.exit(2);
  }
  // Before the queues are made (they pick the process's telemetry up): a create starts the trace
  // its generation's stages continue.
  const tracing = await startTracing(tracingOptions);
  const logger = createLogger({ name: 'api' });
  let context: ReturnType<typeof buildApiContext>;
  try {
    context = buildApiContext(env, logger);
  } catch (error) {
    // The adapter's message names the variable and never echoes the secret.
    console.error(`reelay-api: ${(error as Error).message}`);
    process.exit(2);
  }
  const { deps, redis, queues, closeProducer } = context;
  const app = buildApi(deps);
  const metrics = createMetrics({ queues });
  registerHttpMetrics(app, metrics);
  registerMetricsRoute(app, metrics);
  let address: string;
  try {
    address = await app.listen({ port: env.REELAY_API_PORT, host: env.REELAY_API_HOST });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
    console.error(
      `reelay-api: cannot listen on ${env.REELAY_API_HOST}:${env.REELAY_API_PORT} (REELAY_API_HOST, REELAY_API_PORT): ${why}`,
    );
    await closeProducer();
    await closeStageQueues(queues);
    redis.disconnect();
    process.exit(1);
  }
  // The one line scripts and the CLI wait for. A wildcard bind is reached on loopback locally.
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: url.origin })}\n`);
  logger.info(
    {
      url: url.origin,
      prefix: env.REELAY_PREFIX,
      webhooks: deps.webhook !== undefined,
      apiKeys: env.REELAY_API_KEYS.length,
      keyRpm: env.REELAY_API_KEY_RPM,
    },
    deps.webhook ? 'api ready' : 'api ready; provider webhooks answer 503 until OPENAI_WEBHOOK_SECRET is set',
  );

  if (env.REELAY_API_KEYS.length === 0) {
    logger.warn('no REELAY_API_KEYS configured: every /v1 request answers 401');
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(
      { signal, timeoutMs: env.REELAY_SHUTDOWN_TIMEOUT_MS },
      'shutting down: finishing in-flight requests',
    );
    const timer = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time; exiting anyway');
      logger.flush();
      process.exit(1);
    }, env.REELAY_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    await app.close();
    await closeProducer();
    await closeStageQueues(queues);
    redis.disconnect();
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
    logger.info('api stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
