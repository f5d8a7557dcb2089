// Lua of the fair backlog. Every key lives under the pipeline prefix, whose hash tag puts them in one
// Cluster slot; per-tenant queue keys are built inside the scripts from a declared prefix, as BullMQ's
// own scripts do (Dragonfly needs `allow-undeclared-keys` for both).
//
// Scores: a tenant queue orders by priority, then arrival: priority × 2^32 + (sequence mod 2^32). With
// priority ≤ 2^21 − 1 that stays ≤ 2^53 − 1, exact in a double; `%.0f` keeps Lua from rounding it to
// 14 digits on the way to ZADD. Virtual times are written with `%.17g` for the same reason.

// PUSH lives in core (`FAIR_PUSH_SCRIPT`, packages/core/src/producer/fair-push.ts): producers run it.

/**
 * POP — take up to ARGV[1] generations in weighted fair order (start-time fair queueing over tenants):
 * the tenant with the smallest virtual finish time gives its best item, the clock moves to that time,
 * and the tenant, if it has more, is re-entered 1/weight later. A tenant that arrives later starts at
 * the clock, so idle time earns no credit and a 10,000-deep backlog cannot push a newcomer back.
 *   KEYS[1] tenants zset   KEYS[2] virtual clock   KEYS[3] weights hash   KEYS[4] pending zset
 *   ARGV[1] max items   ARGV[2] now (ms)   ARGV[3] tenant queue key prefix
 *   Returns a flat array {id, tenant, id, tenant, …}; each id is also in pending (score = now) until
 *   the caller has released it to the submit queue and acknowledged it.
 */
export const POP_SCRIPT = `
local out = {}
local max = tonumber(ARGV[1])
local popped = 0
while popped < max do
  local head = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if #head == 0 then break end
  local tenant = head[1]
  local tag = tonumber(head[2])
  local queue = ARGV[3] .. tenant
  local item = redis.call('ZPOPMIN', queue)
  redis.call('SET', KEYS[2], string.format('%.17g', tag))
  if #item > 0 then
    popped = popped + 1
    out[#out + 1] = item[1]
    out[#out + 1] = tenant
    redis.call('ZADD', KEYS[4], ARGV[2], item[1])
  end
  if redis.call('EXISTS', queue) == 1 then
    local w = tonumber(redis.call('HGET', KEYS[3], tenant) or '1')
    redis.call('ZADD', KEYS[1], string.format('%.17g', tag + 1 / w), tenant)
  else
    redis.call('ZREM', KEYS[1], tenant)
  end
end
return out
`;
