import { parseArgs } from 'node:util';
import { closeStageQueues, createLogger } from '@reelay/core';
import { startStageWorkers } from '@reelay/pipeline';
import { buildContext } from './context.ts';
import { loadWorkerEnv, parseStages } from './env.ts';
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
  try {
    env = loadWorkerEnv();
    stages = parseStages(values.stage ?? env.REELAY_STAGES);
  } catch (error) {
    console.error(`reelay-worker: ${(error as Error).message}`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'worker' });
  const { ctx, redis } = buildContext(env, logger);
  const limiter = {
    ...(env.REELAY_CREATE_RPM > 0 ? { submit: { max: env.REELAY_CREATE_RPM, duration: 60_000 } } : {}),
    ...(env.REELAY_READ_RPM > 0
      ? {
          poll: { max: env.REELAY_READ_RPM, duration: 60_000 },
          download: { max: env.REELAY_READ_RPM, duration: 60_000 },
        }
      : {}),
  };
  const workers = startStageWorkers(ctx, redis, stages, {
    concurrency: {
      submit: env.REELAY_SUBMIT_CONCURRENCY,
      poll: env.REELAY_POLL_CONCURRENCY,
      download: env.REELAY_DOWNLOAD_CONCURRENCY,
    },
    limiter,
    worker: { lockDuration: env.REELAY_LOCK_DURATION_MS },
  });
  let running = true;
  const health = await startHealthServer(env.REELAY_WORKER_PORT, redis, () => running);
  logger.info({ stages, port: health.port, prefix: env.REELAY_PREFIX }, 'worker ready');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    running = false;
    logger.info(
      { signal, timeoutMs: env.REELAY_SHUTDOWN_TIMEOUT_MS },
      'shutting down: finishing running jobs',
    );
    await workers.close(env.REELAY_SHUTDOWN_TIMEOUT_MS);
    await closeStageQueues(ctx.queues);
    health.server.close();
    redis.disconnect();
    logger.info('worker stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
