import { closeStageQueues, createLogger, runHttpService } from '@reelay/core';
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
  const url = await runHttpService({
    name: 'dashboard',
    logger,
    bind: {
      host: env.REELAY_DASHBOARD_HOST,
      port: env.REELAY_DASHBOARD_PORT,
      hostVariable: 'REELAY_DASHBOARD_HOST',
      portVariable: 'REELAY_DASHBOARD_PORT',
    },
    listen: () => app.listen({ port: env.REELAY_DASHBOARD_PORT, host: env.REELAY_DASHBOARD_HOST }),
    async close() {
      await app.close();
      await closeStageQueues(deps.queues);
      deps.redis.disconnect();
    },
    shutdownTimeoutMs: env.REELAY_SHUTDOWN_TIMEOUT_MS,
  });
  const operators = env.REELAY_DASHBOARD_USERS;
  if (operators) {
    logger.info({ url: url.origin, prefix: env.REELAY_PREFIX, operators: operators.size }, 'dashboard ready');
  } else {
    logger.warn(
      { url: url.origin, prefix: env.REELAY_PREFIX },
      'dashboard ready WITHOUT authentication (insecure dev mode, loopback only)',
    );
  }
}

await main();
