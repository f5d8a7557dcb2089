import { FairPush } from '@reelay/core';
import type { Redis } from 'ioredis';
import { POP_SCRIPT } from './scripts.ts';

type ScriptRedis = Redis & {
  reelayFairPop(...args: Array<string | number>): Promise<string[]>;
};

export interface PoppedItem {
  generationId: string;
  tenant: string;
}

/**
 * The per-tenant backlogs in Redis (see README.md): one zset per tenant ordered by priority then
 * arrival, a zset of tenants with backlog ordered by virtual finish time, the virtual clock, the
 * weights, and a `pending` zset of items popped but not yet released to the submit queue. The push
 * side (what a producer needs) lives in core as `FairPush`; this class adds the dispatcher's side.
 */
export class FairBacklog {
  readonly prefix: string;
  private readonly redis: ScriptRedis;
  private readonly pusher: FairPush;

  constructor(redis: Redis, prefix: string) {
    this.prefix = prefix;
    this.pusher = new FairPush(redis, prefix);
    if (!('reelayFairPop' in redis)) {
      redis.defineCommand('reelayFairPop', { numberOfKeys: 4, lua: POP_SCRIPT });
    }
    this.redis = redis as ScriptRedis;
  }

  private key(name: string): string {
    return `${this.prefix}:fair:${name}`;
  }
  tenantQueue(tenant: string): string {
    return this.key(`q:${tenant}`);
  }
  get presenceKey(): string {
    return this.key('alive');
  }

  /** 0 = no dispatcher alive (nothing written), 1 = queued, 2 = already queued. */
  async push(generationId: string, tenant: string, priority: number): Promise<0 | 1 | 2> {
    return this.pusher.push(generationId, tenant, priority);
  }

  async pop(max: number, now = Date.now()): Promise<PoppedItem[]> {
    const flat = await this.redis.reelayFairPop(
      this.key('tenants'),
      this.key('vclock'),
      this.key('weights'),
      this.key('pending'),
      max,
      now,
      this.key('q:'),
    );
    const items: PoppedItem[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) items.push({ generationId: flat[i]!, tenant: flat[i + 1]! });
    return items;
  }

  /** The items are in the submit queue now: forget them. */
  async ack(generationIds: readonly string[]): Promise<void> {
    if (generationIds.length > 0) await this.redis.zrem(this.key('pending'), ...generationIds);
  }

  /** Popped before `before` (ms) and never acknowledged: their dispatcher died mid-dispatch. */
  async stale(before: number, limit = 100): Promise<string[]> {
    return this.redis.zrangebyscore(this.key('pending'), '-inf', before, 'LIMIT', 0, limit);
  }

  async setWeights(weights: Record<string, number>): Promise<void> {
    if (Object.keys(weights).length > 0) await this.redis.hset(this.key('weights'), weights);
  }

  async markAlive(ttlMs: number): Promise<void> {
    await this.redis.set(this.presenceKey, String(Date.now()), 'PX', ttlMs);
  }

  /** Generations waiting in a tenant's backlog. */
  async depth(tenant: string): Promise<number> {
    return this.redis.zcard(this.tenantQueue(tenant));
  }

  /** Whether a generation still waits in its tenant's backlog (for sweepers: it is not orphaned). */
  async isQueued(generationId: string, tenant: string): Promise<boolean> {
    return (await this.redis.zscore(this.tenantQueue(tenant), generationId)) !== null;
  }
}
