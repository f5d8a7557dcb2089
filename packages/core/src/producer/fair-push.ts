import type { Redis } from 'ioredis';

// The producer's half of the fair backlog (the pipeline's dispatcher owns pop/ack; see
// packages/pipeline/src/fairness/README.md). Key layout: `<prefix>:fair:<name>`, shared with it.

/**
 * PUSH — add a generation to its tenant's backlog, if a dispatcher is alive.
 *   KEYS[1] presence key   KEYS[2] tenants zset (tenant → virtual finish time of its next create)
 *   KEYS[3] this tenant's queue zset   KEYS[4] virtual clock   KEYS[5] weights hash   KEYS[6] sequence
 *   ARGV[1] generation id   ARGV[2] tenant   ARGV[3] priority (0 … 2^21 − 1)
 *   Returns 0 = no dispatcher alive (nothing written: the caller adds the submit job directly),
 *           1 = queued, 2 = already queued. Events: none.
 * Scores: priority × 2^32 + (sequence mod 2^32), ≤ 2^53 − 1 so exact in a double; `%.0f` keeps Lua
 * from rounding it to 14 digits on the way to ZADD; virtual times use `%.17g` for the same reason.
 */
export const FAIR_PUSH_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('ZSCORE', KEYS[3], ARGV[1]) then return 2 end
local seq = redis.call('INCR', KEYS[6]) % 4294967296
redis.call('ZADD', KEYS[3], string.format('%.0f', tonumber(ARGV[3]) * 4294967296 + seq), ARGV[1])
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then
  local v = tonumber(redis.call('GET', KEYS[4]) or '0')
  local w = tonumber(redis.call('HGET', KEYS[5], ARGV[2]) or '1')
  redis.call('ZADD', KEYS[2], string.format('%.17g', v + 1 / w), ARGV[2])
end
return 1
`;

type PushRedis = Redis & { reelayFairPush(...args: Array<string | number>): Promise<number> };

export interface FairPushItem {
  generationId: string;
  tenant: string;
  priority: number;
}

/** Pushes generations onto their tenants' fair backlogs (and takes a cancelled one off again). */
export class FairPush {
  readonly prefix: string;
  private readonly redis: PushRedis;

  constructor(redis: Redis, prefix: string) {
    this.prefix = prefix;
    if (!('reelayFairPush' in redis)) {
      redis.defineCommand('reelayFairPush', { numberOfKeys: 6, lua: FAIR_PUSH_SCRIPT });
    }
    this.redis = redis as PushRedis;
  }

  key(name: string): string {
    return `${this.prefix}:fair:${name}`;
  }
  tenantQueue(tenant: string): string {
    return this.key(`q:${tenant}`);
  }
  get presenceKey(): string {
    return this.key('alive');
  }

  private args(item: FairPushItem): Array<string | number> {
    return [
      this.presenceKey,
      this.key('tenants'),
      this.tenantQueue(item.tenant),
      this.key('vclock'),
      this.key('weights'),
      this.key('seq'),
      item.generationId,
      item.tenant,
      item.priority,
    ];
  }

  /** 0 = no dispatcher alive (nothing written), 1 = queued, 2 = already queued. */
  async push(generationId: string, tenant: string, priority: number): Promise<0 | 1 | 2> {
    return (await this.redis.reelayFairPush(...this.args({ generationId, tenant, priority }))) as 0 | 1 | 2;
  }

  /**
   * Many pushes in one pipelined round trip; codes in input order. Without a dispatcher (the common
   * case for plain FIFO deployments) one EXISTS answers for the whole batch (`alive`: the caller has
   * just checked, and the check is skipped); a dispatcher that comes
   * alive meanwhile finds these jobs ready (FIFO), as with any enqueue made before it started.
   */
  async pushMany(items: readonly FairPushItem[], alive?: boolean): Promise<Array<0 | 1 | 2>> {
    if (items.length === 0) return [];
    if (alive === false) return items.map(() => 0);
    if (alive === undefined && (await this.redis.exists(this.presenceKey)) === 0) return items.map(() => 0);
    const pipeline = this.redis.pipeline() as unknown as {
      reelayFairPush(...args: Array<string | number>): void;
      exec(): Promise<Array<[Error | null, unknown]> | null>;
    };
    for (const item of items) pipeline.reelayFairPush(...this.args(item));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([err, code]) => {
      if (err) throw err;
      return code as 0 | 1 | 2;
    });
  }

  /**
   * Takes a cancelled generation out of its tenant's backlog. An emptied tenant stays in the tenants
   * zset; the dispatcher's pop drops it when it finds the queue empty.
   */
  async remove(generationId: string, tenant: string): Promise<boolean> {
    return (await this.redis.zrem(this.tenantQueue(tenant), generationId)) === 1;
  }
}
