import {
  type GenerationStore,
  type PreparedEnqueue,
  type ProducerContext,
  ReelayError,
  type StageQueues,
  cancelGeneration,
  enqueuePrepared,
  serializeError,
  waitForGeneration,
  waitForGenerations,
} from '@reelay/core';
import type { Redis } from 'ioredis';
import type { ResolvedClientOptions } from './client-options.ts';
import { listGenerations } from './list.ts';
import { moderateOrThrow, prepareCreate } from './prepare.ts';
import type {
  CreatedGeneration,
  Generation,
  GenerationCreateManyItem,
  GenerationCreateManyOptions,
  GenerationCreateManyResponse,
  GenerationCreateManyResult,
  GenerationCreateOptions,
  GenerationCreateParams,
  GenerationCreateResponse,
  GenerationListParams,
  GenerationPage,
  GenerationsResource,
  WaitForCompletionOptions,
  WaitForManyOptions,
  WaitForManyResult,
} from './types.ts';

export interface ClientInternals {
  redis: Redis;
  store: GenerationStore;
  queues: StageQueues;
  producer: ProducerContext;
  options: ResolvedClientOptions;
}

/** Default items per pipelined write in createMany: big enough to amortise round trips, small enough for steady progress. */
const DEFAULT_CHUNK = 1000;

export class Generations implements GenerationsResource {
  private readonly c: ClientInternals;

  constructor(internals: ClientInternals) {
    this.c = internals;
  }

  async create(
    params: GenerationCreateParams,
    options: GenerationCreateOptions = {},
  ): Promise<GenerationCreateResponse> {
    const prepared = prepareCreate(this.c.options, params, options);
    await moderateOrThrow(this.c.options, prepared.prompt);
    const results = await enqueuePrepared(this.c.producer, prepared.items);
    const data: CreatedGeneration[] = [];
    for (const r of results) {
      if ('error' in r) throw r.error;
      data.push({ id: r.id, status: r.status, created: r.created, mapping: prepared.mapping });
    }
    return { data };
  }

  /**
   * Bulk add: every item is validated (and moderated) on its own — a bad one is reported in its slot,
   * the rest go ahead — then written in pipelined chunks (records, backlog, `addBulk`), with a
   * progress callback after each chunk.
   */
  async createMany(
    items: readonly GenerationCreateManyItem[],
    options: GenerationCreateManyOptions = {},
  ): Promise<GenerationCreateManyResponse> {
    const chunkSize = options.chunkSize ?? DEFAULT_CHUNK;
    if (!Number.isInteger(chunkSize) || chunkSize < 1) {
      throw new ReelayError('invalid_request', 'chunkSize: must be a positive integer', {
        param: 'chunkSize',
      });
    }
    const results: GenerationCreateManyResult[] = new Array(items.length);
    const progress = { total: items.length, done: 0, failed: 0 };
    // Chunk k is written (records and jobs, usually one round trip: see core's enqueuePrepared) while
    // chunk k+1 is validated: the client's CPU work overlaps Redis's.
    let inflight: Promise<void> = Promise.resolve();
    for (let start = 0; start < items.length; start += chunkSize) {
      const chunk = items.slice(start, start + chunkSize);
      const batch: PreparedEnqueue[] = [];
      const owners: Array<{
        index: number;
        items: PreparedEnqueue[];
        mapping: CreatedGeneration['mapping'];
      }> = [];
      const moderate = this.c.options.moderate !== undefined;
      const pending: Array<Promise<void>> = [];
      chunk.forEach((item, j) => {
        const index = start + j;
        const reject = (error: unknown) => {
          results[index] = { index, ok: false, error: serializeError(error) };
          progress.failed++;
        };
        try {
          const prepared = prepareCreate(this.c.options, item?.params, item?.options);
          const owner = { index, items: prepared.items, mapping: prepared.mapping };
          // Without moderation this stays synchronous: no promise per item on the bulk path.
          if (!moderate) owners[j] = owner;
          else
            pending.push(
              moderateOrThrow(this.c.options, prepared.prompt).then(() => {
                owners[j] = owner;
              }, reject),
            );
        } catch (error) {
          reject(error);
        }
      });
      await Promise.all(pending);
      // Input order in the batch, whatever order the moderation awaits above finished in.
      const order: typeof owners = [];
      for (const owner of owners) {
        if (!owner) continue;
        batch.push(...owner.items);
        order.push(owner);
      }
      await inflight;
      inflight = enqueuePrepared(this.c.producer, batch).then((written) =>
        this.settleChunk(written, order, results, progress, chunk.length, options),
      );
      // Handled: it is awaited (and its error thrown) before the next chunk's jobs or at the end.
      inflight.catch(() => {});
    }
    await inflight;
    return { results, created: results.length - progress.failed, failed: progress.failed };
  }

  private settleChunk(
    written: Awaited<ReturnType<typeof enqueuePrepared>>,
    order: Array<{ index: number; items: PreparedEnqueue[]; mapping: CreatedGeneration['mapping'] }>,
    results: GenerationCreateManyResult[],
    progress: { total: number; done: number; failed: number },
    chunkLength: number,
    options: GenerationCreateManyOptions,
  ): void {
    {
      let k = 0;
      for (const owner of order) {
        const slice = written.slice(k, k + owner.items.length);
        k += owner.items.length;
        const error = slice.find((r) => 'error' in r);
        if (error && 'error' in error) {
          results[owner.index] = { index: owner.index, ok: false, error: serializeError(error.error) };
          progress.failed++;
        } else {
          results[owner.index] = {
            index: owner.index,
            ok: true,
            data: slice.map((r) => ({
              ...(r as Omit<CreatedGeneration, 'mapping'>),
              mapping: owner.mapping,
            })),
          };
        }
      }
      progress.done += chunkLength;
      options.onProgress?.({ ...progress });
    }
  }

  async retrieve(id: string): Promise<Generation> {
    const record = typeof id === 'string' ? await this.c.store.get(id) : null;
    if (!record) throw new ReelayError('not_found', `no generation ${String(id)}`, { param: 'id' });
    return record;
  }

  list(params: GenerationListParams = {}): Promise<GenerationPage> {
    return listGenerations(this.c.redis, this.c.store, params);
  }

  cancel(id: string): Promise<Generation> {
    return cancelGeneration({ store: this.c.store, queues: this.c.queues }, id);
  }

  waitForCompletion(id: string, options: WaitForCompletionOptions = {}): Promise<Generation> {
    return waitForGeneration(this.c.store, this.c.redis, id, {
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onStatus !== undefined ? { onStatus: options.onStatus } : {}),
    });
  }

  waitForMany(ids: readonly string[], options: WaitForManyOptions = {}): Promise<WaitForManyResult> {
    return waitForGenerations(this.c.store, this.c.redis, ids, {
      ...(options.timeout !== undefined ? { timeoutMs: options.timeout } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
      ...(options.onEnded !== undefined ? { onEnded: options.onEnded } : {}),
    });
  }
}
