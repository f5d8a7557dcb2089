import { randomBytes } from 'node:crypto';
import multipart from '@fastify/multipart';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SimState } from '../sim-state.ts';
import { registerContentRoute } from './content-route.ts';
import { registerControlRoutes, registerModerationRoute } from './control-routes.ts';
import { errorHandler, notFoundHandler } from './errors.ts';
import { gate } from './gate.ts';
import { registerVideoRoutes } from './video-routes.ts';

/**
 * Fastify rather than bare node:http: it meets the throughput target (see bench/sim.ts) and brings a
 * maintained multipart parser (@fastify/multipart over busboy) for the SDK's form-encoded creates.
 */
export async function buildApp(state: SimState): Promise<FastifyInstance> {
  // Request ids: a random per-process prefix plus a counter, cheaper than a random id per request.
  const prefix = randomBytes(6).toString('hex');
  let counter = 0;
  const app = Fastify({
    logger: false,
    // An input_reference image can be a few MB; the API caps uploads well above that.
    bodyLimit: 50 * 1024 * 1024,
    // Keep-alive longer than typical client pools (undici: 4 s idle) so the server is not the one to hang up.
    keepAliveTimeout: 75_000,
    // close() must not wait for clients' idle keep-alive sockets or for long downloads.
    forceCloseConnections: true,
    genReqId: () => {
      counter += 1;
      return `req_${prefix}${counter.toString(16).padStart(12, '0')}`;
    },
  });
  await app.register(multipart, { limits: { fileSize: 50 * 1024 * 1024, fields: 50, files: 4 } });
  app.addHook('onRequest', gate(state));
  app.setErrorHandler(errorHandler(state));
  app.setNotFoundHandler(notFoundHandler);
  registerControlRoutes(app, state);
  registerVideoRoutes(app, state);
  registerContentRoute(app, state);
  registerModerationRoute(app, state);
  return app;
}
