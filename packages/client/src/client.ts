import { GenerationStore, type StageQueues, closeStageQueues, createStageQueues } from '@reelay/core';
import { Redis } from 'ioredis';
import { Campaigns } from './campaigns.ts';
import { type ResolvedClientOptions, resolveClientOptions } from './client-options.ts';
import { type ClientInternals, Generations } from './generations.ts';
import type { ReelayClient, ReelayOptions } from './types.ts';

/**
 * The producer SDK. `new Reelay({ redis, prefix })`, then `client.generations.*` and
 * `client.campaigns.*`; `close()` when done (it closes the Redis connection only if it opened it).
 */
export class Reelay implements ReelayClient {
  readonly generations: Generations;
  readonly campaigns: Campaigns;
  readonly options: ResolvedClientOptions;
  private readonly redis: Redis;
  private readonly ownsRedis: boolean;
  private readonly queues: StageQueues;

  constructor(options: ReelayOptions = {}) {
    this.options = resolveClientOptions(options);
    this.ownsRedis = typeof options.redis !== 'object';
    // BullMQ's QueueEvents (waitForCompletion) copy this connection's options: it must retry forever.
    this.redis =
      typeof options.redis === 'object'
        ? options.redis
        : new Redis(this.options.redisUrl, { maxRetriesPerRequest: null });
    const store = new GenerationStore(this.redis, this.options.prefix);
    this.queues = createStageQueues(this.redis, this.options.prefix);
    const internals: ClientInternals = {
      redis: this.redis,
      store,
      queues: this.queues,
      producer: {
        store,
        queues: this.queues,
        options: { defaultTenant: this.options.defaultTenant, providerName: this.options.provider },
        sharedConnection: true,
      },
      options: this.options,
    };
    this.generations = new Generations(internals);
    this.campaigns = new Campaigns(internals);
  }

  async close(): Promise<void> {
    await closeStageQueues(this.queues);
    if (this.ownsRedis) await this.redis.quit();
  }
}
