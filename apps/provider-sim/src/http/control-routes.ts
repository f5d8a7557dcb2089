import type { FastifyInstance } from 'fastify';
import { ApiError } from '../api-error.ts';
import { moderate } from '../moderation.ts';
import type { SimState } from '../sim-state.ts';
import { readBody } from './body.ts';

/** Test and benchmark controls (not part of the vendor contract): no auth, never rate limited or faulted. */
export function registerControlRoutes(app: FastifyInstance, state: SimState): void {
  app.get('/__sim/stats', async () => state.snapshot());
  app.get('/__sim/config', async () => state.publicConfig());
  app.post('/__sim/config', async (request) => {
    try {
      state.configure(request.body ?? {});
    } catch (error) {
      throw new ApiError(400, (error as Error).message, { code: 'invalid_config' });
    }
    return state.publicConfig();
  });
  app.post('/__sim/reset', async () => {
    state.reset();
    return { reset: true };
  });
}

export function registerModerationRoute(app: FastifyInstance, state: SimState): void {
  app.post('/v1/moderations', async (request) => {
    const body = await readBody(request);
    state.moderationCount += 1;
    return moderate(body, state.config.moderationBlocklist, state.seed, state.moderationCount);
  });
}
