import { API_MAIN, WORKER_MAIN } from './paths.ts';
import { type NodeProcess, logMessageIs, parseJson, spawnNode } from './process.ts';

/** A Reelay worker process (`apps/worker/bin/reelay-worker.js --stage …`, as deployed); resolves once it logged `worker ready`. */
export function startWorkerProcess(stage: string, env: Record<string, string>): Promise<NodeProcess<true>> {
  return spawnNode(
    `worker(${stage})`,
    [WORKER_MAIN, '--stage', stage],
    { LOG_FORMAT: 'json', LOG_LEVEL: 'info', REELAY_WORKER_PORT: '0', ...env },
    (line) => (logMessageIs(line, 'worker ready') ? true : undefined),
  );
}

/** The api process (`apps/api/src/main.ts`); resolves with the URL of its `listening` line. */
export function startApiProcess(env: Record<string, string>): Promise<NodeProcess<string>> {
  return spawnNode(
    'api',
    [API_MAIN],
    { LOG_FORMAT: 'json', LOG_LEVEL: 'info', REELAY_API_PORT: '0', REELAY_API_HOST: '127.0.0.1', ...env },
    (line) => {
      const event = parseJson(line);
      return event?.['event'] === 'listening' && typeof event['url'] === 'string' ? event['url'] : undefined;
    },
  );
}
