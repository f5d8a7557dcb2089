import type { Queue } from 'bullmq';
import type { GenerationStore } from '../records.ts';

/**
 * How long a submit job waits *parked* (delayed far ahead) while the fair dispatcher decides its turn;
 * it promotes the job earlier. If no dispatcher ever runs again, the work still starts (FIFO) after
 * this long instead of never. BullMQ encodes delayed timestamps as ms × 4096 in a double, so it must
 * stay far below ~13 years. The pipeline's fairness options re-state this value; the producer owns it.
 */
export const PARK_DELAY_MS = 7 * 24 * 3600 * 1000;

/** Highest `EnqueueOptions.priority` (BullMQ's range, 2^21 − 1); lower numbers go first. */
export const MAX_PRIORITY = 2_097_151;

/**
 * What the producer path needs from a pipeline context: the store, the submit queue, and the two
 * names written on records. `PipelineContext` satisfies it structurally.
 */
export interface ProducerContext {
  store: GenerationStore;
  queues: { submit: Queue };
  options: {
    /** Tenant for enqueues that name none. */
    defaultTenant: string;
    /** Provider name written on records. */
    providerName: string;
  };
  /**
   * True when `store` and `queues.submit` write through one Redis connection (the client builds them
   * so). Commands on one connection run in the order they were sent, which lets a create send its
   * records and its submit jobs without waiting for the records' reply in between (one round trip).
   */
  sharedConnection?: boolean;
}
