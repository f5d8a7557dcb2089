import type {
  GenerationCreateManyItem,
  GenerationCreateOptions,
  GenerationCreateParams,
  GenerationCreateResponse,
  GenerationsResource,
} from '@reelay/client';
import { deserializeError } from '@reelay/core';

/**
 * Most creates whose requests arrive in one event-loop turn, default 256: a bound on one pipeline's
 * size (and on what one slow write holds up), far above what a turn gathers at a few hundred
 * concurrent connections.
 */
export const DEFAULT_CREATE_BATCH = 256;

interface Pending {
  item: GenerationCreateManyItem;
  resolve(response: GenerationCreateResponse): void;
  reject(error: unknown): void;
}

/**
 * Coalesces the creates of concurrent HTTP requests into one `createMany`: the client writes a batch
 * in one round trip (records, presence check and `addBulk` sent together; two with idempotency keys or
 * a fair dispatcher) whatever its size, where one `create` per request costs those writes — and their
 * CPU — each. A request waits at
 * most for the end of the current turn (`setImmediate`), so a lone request is not delayed. Each item
 * keeps its own options (tenant, idempotency key) and its own outcome: one bad item fails alone.
 *
 * Looked at: dataloader does the same tick batching, but is keyed (it would merge two creates with
 * equal keys, which must stay two generations) and caches by default; a dozen lines serve better.
 */
export class CreateBatcher {
  private readonly generations: Pick<GenerationsResource, 'createMany'>;
  private readonly maxBatch: number;
  private pending: Pending[] = [];
  private scheduled = false;

  constructor(generations: Pick<GenerationsResource, 'createMany'>, maxBatch = DEFAULT_CREATE_BATCH) {
    this.generations = generations;
    this.maxBatch = maxBatch;
  }

  /** As `generations.create`: resolves with the created generation(s), rejects with a ReelayError. */
  create(
    params: GenerationCreateParams,
    options: GenerationCreateOptions,
  ): Promise<GenerationCreateResponse> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item: { params, options }, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    if (batch.length === 0) return;
    this.pending = [];
    this.generations.createMany(batch.map((p) => p.item)).then(
      (response) => {
        for (const result of response.results) {
          const waiter = batch[result.index];
          if (!waiter) continue;
          if (result.ok) waiter.resolve({ data: result.data });
          else waiter.reject(deserializeError(result.error));
        }
      },
      (error: unknown) => {
        for (const waiter of batch) waiter.reject(error);
      },
    );
  }
}
