/**
 * Where the limits live in Redis: under the pipeline's prefix, so every key shares its Cluster hash
 * tag with the queues and the generation records (the lease script reads records by key).
 */
export interface LimitKeys {
  /** Sliding log (zset) of admitted requests of one class. */
  rateLog(kind: RateClass): string;
  /** Sliding log dated on send (zset: member, score = time the request surely reached the provider). */
  sentLog(kind: RateClass): string;
  /** Slots admitted on a send-dated log and not yet reported sent (zset: member, score slot time ms). */
  pendingLog(kind: RateClass): string;
  /** "Do not send before" (ms, Redis clock) learnt from the provider, per class. */
  block(kind: RateClass): string;
  /** In-flight leases (zset: member generation id, score lease expiry ms). */
  leases: string;
  /** Spend and reservations of one scope in one period (hash, micro-USD). */
  spend(scope: string, period: string): string;
  /** One generation round's reservation (hash). */
  reservation(generationId: string, round: number): string;
  /** Tenants that ever reserved, for the metrics snapshot (set). */
  tenants: string;
  /** Prefix of generation record hashes (`<prefix>:gen:`), as GenerationStore writes them. */
  recordPrefix: string;
}

export type RateClass = 'create' | 'read';

export function limitKeys(prefix: string): LimitKeys {
  const base = `${prefix}:limits`;
  return {
    rateLog: (kind) => `${base}:rate:${kind}`,
    sentLog: (kind) => `${base}:rate:${kind}:sent`,
    pendingLog: (kind) => `${base}:rate:${kind}:pending`,
    block: (kind) => `${base}:block:${kind}`,
    leases: `${base}:inflight`,
    spend: (scope, period) => `${base}:spend:${scope}:${period}`,
    reservation: (id, round) => `${base}:cost:${id}:${round}`,
    tenants: `${base}:tenants`,
    recordPrefix: `${prefix}:gen:`,
  };
}

/** Lua: the Redis server's clock in ms, so replicas with skewed clocks agree on one timeline. */
export const LUA_NOW_MS = `local __t = redis.call('TIME')
local now = tonumber(__t[1]) * 1000 + math.floor(tonumber(__t[2]) / 1000)`;
