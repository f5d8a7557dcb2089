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
 *
 * Items are taken in runs: the head tenant gives as many items in a row as it would stay the head
 * (re-entered 1/weight later each time, it still sorts before the next tenant: a smaller tag, or the
 * same tag and a smaller name, as the zset orders them), all with one ZPOPMIN, one ZADD to pending and
 * one re-entry. The order, the clock and every tag are exactly those of taking one item at a time
 * (the tags are added up item by item, as that would); one tenant alone costs a handful of commands
 * per batch instead of per item.
 */
export const POP_SCRIPT = `
local out = {}
local max = tonumber(ARGV[1])
local popped = 0
while popped < max do
  local head = redis.call('ZRANGE', KEYS[1], 0, 1, 'WITHSCORES')
  if #head == 0 then break end
  local tenant = head[1]
  local tag = tonumber(head[2])
  local queue = ARGV[3] .. tenant
  local w = tonumber(redis.call('HGET', KEYS[3], tenant) or '1')
  -- tags[k]: the virtual time at which the run's k-th item is served.
  local tags = {tag}
  while popped + #tags < max do
    local after = tags[#tags] + 1 / w
    if #head == 4 then
      local nextTag = tonumber(head[4])
      if not (after < nextTag or (after == nextTag and tenant < head[3])) then break end
    end
    tags[#tags + 1] = after
  end
  local items = redis.call('ZPOPMIN', queue, #tags)
  local served = #items / 2
  redis.call('SET', KEYS[2], string.format('%.17g', tags[math.max(served, 1)]))
  if served > 0 then
    local pending = {}
    for k = 1, served do
      local id = items[2 * k - 1]
      out[#out + 1] = id
      out[#out + 1] = tenant
      pending[#pending + 1] = ARGV[2]
      pending[#pending + 1] = id
    end
    popped = popped + served
    -- In slices well inside Lua's unpack limit (a batch may be configured large).
    for s = 1, #pending, 2000 do
      redis.call('ZADD', KEYS[4], unpack(pending, s, math.min(s + 1999, #pending)))
    end
  end
  if served == #tags and redis.call('EXISTS', queue) == 1 then
    redis.call('ZADD', KEYS[1], string.format('%.17g', tags[served] + 1 / w), tenant)
  else
    redis.call('ZREM', KEYS[1], tenant)
  end
end
return out
`;
