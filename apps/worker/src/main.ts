// First: V8 settings that must be in place before the rest allocates (see lean-heap.ts).
import { leanHeap, settleHeap } from './lean-heap.ts';
import { parseArgs } from 'node:util';
import { closeStageQueues, createLogger, startTracing, tracingOptionsFromEnv } from '@reelay/core';
import {
  createNotifyProcessor,
  parseTenantWeights,
  startFairDispatcher,
  startStageWorkers,
  tenantSecrets,
} from '@reelay/pipeline';
import { buildContext } from './context.ts';
import { SHUTDOWN_SLACK_MS, loadWorkerEnv, parseStages } from './env.ts';
import { startHealthServer } from './health.ts';

const USAGE = `usage: reelay-worker [--stage all|submit|poll|download[,…]]

Runs the given pipeline stages in this process (default: REELAY_STAGES, else all).
Configuration is the environment; see apps/worker/README.md.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { stage: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  let env: ReturnType<typeof loadWorkerEnv>;
  let stages: ReturnType<typeof parseStages>;
  let tracingOptions: ReturnType<typeof tracingOptionsFromEnv>;
  try {
    env = loadWorkerEnv();
    stages = parseStages(values.stage ?? env.REELAY_STAGES);
    tracingOptions = tracingOptionsFromEnv('reelay-worker');
  } catch (error) {
    console.error(`reelay-worker: ${(error as Error).message}`);
    process.exit(2);
  }
  // Before any queue exists: the stage queues pick the process's telemetry up when they are made.
  const tracing = await startTracing(tracingOptions);
  const logger = createLogger({ name: 'worker' });
  const { ctx, redis, metrics } = buildContext(env, logger, tracing);
  const secrets = env.REELAY_CALLBACK_TENANT_SECRETS ?? {};
  const notify =
    env.REELAY_CALLBACK_SECRET || Object.keys(secrets).length > 0
      ? createNotifyProcessor({
          secretFor: tenantSecrets(secrets, env.REELAY_CALLBACK_SECRET),
          policy: { allow: env.REELAY_CALLBACK_ALLOW, allowHttp: env.REELAY_CALLBACK_ALLOW_HTTP },
          timeoutMs: env.REELAY_CALLBACK_TIMEOUT_MS,
          maxAgeMs: env.REELAY_CALLBACK_MAX_AGE_MS,
        })
      : undefined;
  // A process that can sign callbacks also delivers them: without a notify worker, a generation with
  // a callback URL would wait in `notifying` forever (found by the chaos suite, chaos/test/security.test.ts).
  const workers = startStageWorkers(ctx, redis, notify ? [...stages, 'notify'] : stages, {
    sweepIntervalMs: env.REELAY_SWEEP_INTERVAL_MS,
    ...(notify ? { notify } : {}),
    onStageEnd: (report) => {
      metrics.observeStage(report.stage, report.outcome, report.seconds);
      if (report.finished && report.record) metrics.countFinished(report.record);
    },
    concurrency: {
      submit: env.REELAY_SUBMIT_CONCURRENCY,
      poll: env.REELAY_POLL_CONCURRENCY,
      download: env.REELAY_DOWNLOAD_CONCURRENCY,
    },
    ...(env.REELAY_MAX_STARTED_ATTEMPTS ? { maxStartedAttempts: env.REELAY_MAX_STARTED_ATTEMPTS } : {}),
    worker: {
      ...(tracing.telemetry ? { telemetry: tracing.telemetry } : {}),
      lockDuration: env.REELAY_LOCK_DURATION_MS,
      stalledInterval: env.REELAY_STALLED_INTERVAL_MS,
      maxStalledCount: env.REELAY_MAX_STALLED_COUNT,
    },
  });
  // Processes that submit also release work from the tenants' backlogs in weighted-fair order;
  // several dispatchers (one per submit replica) share the same Redis state safely.
  const dispatcher = stages.includes('submit')
    ? startFairDispatcher(ctx, redis, {
        weights: parseTenantWeights(env.REELAY_TENANT_WEIGHTS),
        readyWindow: env.REELAY_FAIR_WINDOW ?? env.REELAY_SUBMIT_CONCURRENCY,
      })
    : undefined;
  let running = true;
  const health = await startHealthServer(
    env.REELAY_WORKER_PORT,
    redis,
    () => running,
    () => metrics.render(),
  );
  // Startup's garbage collected before the first download streams on top of it (see lean-heap.ts).
  if (leanHeap) settleHeap();
  logger.info(
    { stages, port: health.port, prefix: env.REELAY_PREFIX, tracing: tracingOptions.mode },
    'worker ready',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running = false;
    logger.info(
      { signal, timeoutMs: env.REELAY_SHUTDOWN_TIMEOUT_MS },
      'shutting down: finishing running jobs',
    );
    // The bound holds whatever the steps below wait on (the dispatcher's or the queues' Redis calls
    // never return while Redis is away): jobs still running are then left locked, and another worker
    // takes them over once their locks lapse, as after a crash.
    setTimeout(() => {
      logger.error(
        { boundMs: env.REELAY_SHUTDOWN_TIMEOUT_MS + SHUTDOWN_SLACK_MS },
        'shutdown overran: exiting',
      );
      logger.flush();
      process.exit(1);
    }, env.REELAY_SHUTDOWN_TIMEOUT_MS + SHUTDOWN_SLACK_MS).unref();
    await dispatcher?.close();
    await workers.close(env.REELAY_SHUTDOWN_TIMEOUT_MS);
    await closeStageQueues(ctx.queues);
    health.server.close();
    redis.disconnect();
    // Spans of the jobs that just finished are still batched: export them before exiting.
    await tracing.shutdown().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
    logger.info('worker stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

try {
  await main();
} catch (error) {
  // Configuration found wrong only while starting (e.g. the notify stage without secrets).
  console.error(`reelay-worker: ${(error as Error).message}`);
  process.exit(2);
}
