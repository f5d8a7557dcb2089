import type { StageQueues } from '@reelay/core';
import type { Redis } from 'ioredis';

export interface ProbeResult {
  status: number;
  body: Record<string, unknown>;
}

/** GET /healthz: the process answers. Deliberately checks nothing else (a liveness probe). */
export async function healthz(): Promise<ProbeResult> {
  return { status: 200, body: { ok: true } };
}

/**
 * GET /readyz: Redis answers PING and every stage queue's connection is ready, within `timeoutMs`.
 * Default 1000 ms: a local PING takes well under a millisecond, and a probe must not hang.
 */
export async function readyz(redis: Redis, queues: StageQueues, timeoutMs = 1000): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${timeoutMs} ms`), timeoutMs);
  });
  const check = async () => {
    const pong = await redis.ping();
    if (pong !== 'PONG') return `unexpected PING answer ${pong}`;
    await Promise.all(Object.values(queues).map((q) => q.waitUntilReady()));
    return 'ok';
  };
  const outcome = await Promise.race([check().catch((error: Error) => error.message), timeout]);
  clearTimeout(timer);
  const ready = outcome === 'ok';
  return { status: ready ? 200 : 503, body: { ok: ready, redis: outcome } };
}
