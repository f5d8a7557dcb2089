/** Where a generation is. The union is closed: producers, the API and the dashboard rely on it. */
export const GENERATION_STATUSES = [
  'queued', // accepted, waiting for a submit worker (and a rate token, a slot, a budget)
  'submitting', // a submit worker is creating it at the provider
  'generating', // the provider has it; polls (or a webhook) watch it
  'downloading', // finished at the provider; being copied into the object store
  'notifying', // stored; the producer's callback is being delivered
  'completed', // stored (and notified, where asked)
  'failed', // ended with an error code; see `error`
  'cancelled', // cancelled by the producer
] as const;
export type GenerationStatus = (typeof GENERATION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<GenerationStatus> = new Set(['completed', 'failed', 'cancelled']);

export function isTerminal(status: GenerationStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}
