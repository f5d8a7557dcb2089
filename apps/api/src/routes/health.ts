import type { Redis } from 'ioredis';
import type { Handler } from './handler.ts';

/** GET /healthz: the process answers (event loop alive). Deliberately checks nothing else. */
export function healthzHandler(): Handler {
  return async () => ({ status: 200, body: { ok: true } });
}

/**
 * GET /readyz: Redis answers PING within `timeoutMs`. What a load balancer should gate on: without
 * Redis no webhook can be deduplicated or acted on. Default 1000 ms: a local PING takes well under
 * a millisecond, so a second means Redis is away, and a probe must not hang.
 */
export function readyzHandler(redis: Redis, timeoutMs = 1000): Handler {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no PING answer within ${timeoutMs} ms`), timeoutMs);
    });
    const pong = await Promise.race([redis.ping().catch((error: Error) => error.message), timeout]);
    clearTimeout(timer);
    const ready = pong === 'PONG';
    return { status: ready ? 200 : 503, body: { ok: ready, redis: ready ? 'ok' : pong } };
  };
}
