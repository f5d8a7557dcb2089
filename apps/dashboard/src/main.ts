import { closeStageQueues, createLogger } from '@reelay/core';
import { buildDashboard } from './app.ts';
import { buildDashboardDeps } from './context.ts';
import { type DashboardEnv, loadDashboardEnv } from './env.ts';

async function main(): Promise<void> {
  let env: DashboardEnv;
  try {
    env = loadDashboardEnv();
  } catch (error) {
    console.error(`reelay-dashboard: ${(error as Error).message}`);
    process.exit(2);
  }
  const logger = createLogger({ name: 'dashboard' });
  const deps = buildDashboardDeps(env, logger);
  const app = buildDashboard(deps);
  const host = env.REELAY_DASHBOARD_HOST;
  let address: string;
  try {
    address = await app.listen({ port: env.REELAY_DASHBOARD_PORT, host });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'EADDRINUSE' ? 'the port is in use' : (error as Error).message;
    console.error(
      `reelay-dashboard: cannot listen on ${host}:${env.REELAY_DASHBOARD_PORT} (REELAY_DASHBOARD_HOST, REELAY_DASHBOARD_PORT): ${why}`,
    );
    await closeStageQueues(deps.queues);
    deps.redis.disconnect();
    process.exit(1);
  }
  // The one line scripts and tests wait for. A wildcard bind is reached on loopback locally.
  const url = new URL(address);
  if (url.hostname === '0.0.0.0' || url.hostname === '[::]') url.hostname = '127.0.0.1';
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: url.origin })}\n`);
  const operators = env.REELAY_DASHBOARD_USERS;
  if (operators) {
    logger.info({ url: url.origin, prefix: env.REELAY_PREFIX, operators: operators.size }, 'dashboard ready');
  } else {
    logger.warn(
      { url: url.origin, prefix: env.REELAY_PREFIX },
      'dashboard ready WITHOUT authentication (insecure dev mode, loopback only)',
    );
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
    await closeStageQueues(deps.queues);
    deps.redis.disconnect();
    logger.info('dashboard stopped');
    logger.flush();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

await main();
