import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { STAGES, type StageQueues } from '@reelay/core';
import type { FastifyInstance } from 'fastify';

/** Where operators open bull-board; both roles see this path. */
export const BOARD_PATH = '/queues';
/**
 * Where the read-only board is mounted. A read-only operator's requests to BOARD_PATH are rewritten
 * here before routing (see app.ts), so that operator never reaches the admin board's routes.
 */
export const READONLY_MOUNT = '/_readonly/queues';

const STAGE_DESCRIPTIONS: Record<string, string> = {
  submit: 'admission, then videos.create',
  poll: 'videos.retrieve until the provider is done',
  download: 'content streamed into the object store',
  notify: "signed callback to the producer's URL",
};

/**
 * Two bull-board instances over the same queues: an admin board, and a board whose every queue is
 * in bull-board's `readOnlyMode` (its API answers 405 to any change, its UI hides the buttons).
 */
export function registerBoards(app: FastifyInstance, queues: StageQueues): void {
  for (const readOnlyMode of [false, true]) {
    const adapter = new FastifyAdapter();
    // The UI builds its asset and API URLs from the base path: both boards live at BOARD_PATH as
    // far as the browser knows.
    adapter.setBasePath(BOARD_PATH);
    createBullBoard({
      queues: STAGES.map(
        (stage) =>
          new BullMQAdapter(queues[stage], {
            readOnlyMode,
            allowRetries: !readOnlyMode,
            description: STAGE_DESCRIPTIONS[stage] ?? '',
          }),
      ),
      serverAdapter: adapter,
      options: {
        uiConfig: {
          boardTitle: readOnlyMode ? 'Reelay (read-only)' : 'Reelay',
          miscLinks: [{ text: 'Queue health', url: '/health' }],
        },
      },
    });
    void app.register(adapter.registerPlugin(), { prefix: readOnlyMode ? READONLY_MOUNT : BOARD_PATH });
  }
}
