import {
  closeStageQueues,
  createLogger,
  createMetrics,
  runHttpService,
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
  const url = await runHttpService({
    name: 'api',
    logger,
    bind: {
      host: env.REELAY_API_HOST,
      port: env.REELAY_API_PORT,
      hostVariable: 'REELAY_API_HOST',
      portVariable: 'REELAY_API_PORT',
    },
    listen: () => app.listen({ port: env.REELAY_API_PORT, host: env.REELAY_API_HOST }),
    async close() {
      await app.close();
      await closeProducer();
      await closeStageQueues(queues);
      redis.disconnect();
      // Spans of the last requests are still batched: export them before exiting.
      await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
    },
    shutdownTimeoutMs: env.REELAY_SHUTDOWN_TIMEOUT_MS,
  });
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
}

await main();
