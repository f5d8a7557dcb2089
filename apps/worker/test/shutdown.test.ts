import { type PipelineServices, startPipelineServices } from '@reelay/testing';
import { afterEach, describe, expect, it } from 'vitest';

let services: PipelineServices | undefined;
afterEach(async () => {
  await services?.close();
  services = undefined;
});

const SHUTDOWN_TIMEOUT_MS = 1000;
/** apps/worker/src/main.ts: SHUTDOWN_SLACK_MS, the time allowed after the timeout for closing. */
const SLACK_MS = 5000;

describe('worker shutdown', () => {
  it('exits within its bound on SIGTERM even when Redis is gone and nothing it waits on returns', async () => {
    // A private Redis, so it can be killed; every stage in one process, so the fair dispatcher, the
    // stage workers and the queues all have Redis calls to wait on while shutting down.
    services = await startPipelineServices({
      redis: { private: true },
      workerEnv: { REELAY_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) },
      name: 'shutdown',
    });
    const worker = await services.start('all');
    await services.redis.kill();
    const sent = Date.now();
    const code = await worker.stop();
    const tookMs = Date.now() - sent;
    // It exits on its own (the process is not killed for it), and reports the overrun.
    expect(code).not.toBeNull();
    expect(tookMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS + SLACK_MS + 2000);
    if (code !== 0) expect(worker.lines.some((l) => l.includes('shutdown overran'))).toBe(true);
  });
});
