import { LUA_NOW_MS } from './keys.ts';

/**
 * acquire — one slot of a sliding log, possibly a reserved slot a little in the future.
 * KEYS[1] the log (zset: member unique id, score slot time ms), KEYS[2] the block key (string: ms)
 * ARGV[1] limit per window (> 0), ARGV[2] effective window ms (provider window + safety margin),
 * ARGV[3] horizon ms: how far ahead a slot may be reserved, ARGV[4] unique member id
 * Returns {1, wait ms, slot ms}: admitted; the request must be sent `wait` ms from now (0 = at once).
 *         {0, retry ms, 1}: refused, the next slot is beyond the horizon; try again in `retry` ms.
 *         {0, retry ms, 2}: refused, the provider told us to hold off (block) for `retry` ms.
 * Slots are handed out in order (each at or after the newest), at the earliest time t where the log
 * holds fewer than `limit` slots in (t - window, t]: so no window of that length ever holds more.
 * Events: none.
 */
export const ACQUIRE_SCRIPT = `
${LUA_NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {0, blocked - now, 2} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local slot = now
if n > 0 then
  local newest = tonumber(redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2])
  if newest > slot then slot = newest end
end
if n >= limit then
  local edge = tonumber(redis.call('ZRANGE', KEYS[1], n - limit, n - limit, 'WITHSCORES')[2]) + window
  if edge > slot then slot = edge end
end
if slot - now > horizon then return {0, slot - now - horizon, 1} end
redis.call('ZADD', KEYS[1], slot, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window + horizon + 1000)
return {1, slot - now, slot}
`;

/**
 * take now — up to `count` slots of a sliding log at once, none ahead of now (for callers that admit or
 * refuse at once, like the api's per-key limit, whose concurrent requests share one call).
 * KEYS[1] the log, KEYS[2] the block key. ARGV[1] limit (> 0), ARGV[2] window ms, ARGV[3] count,
 * ARGV[4] member prefix, unique per call (members are prefix..1 … prefix..k), ARGV[5] ms ahead of now
 * the entries are dated (0 = now; a caller that holds slots to use a little later dates them at the
 * end of that hold, so each counts in every window its request can fall into).
 * Returns {k, retry ms, blocked}: the first k requests are admitted (dated now); when k < count the
 * rest are refused, and a slot frees in `retry` ms (the oldest counted entry leaves the window), or the
 * provider's block ends then (blocked = 1). Events: none.
 */
export const TAKE_NOW_SCRIPT = `
${LUA_NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local count = tonumber(ARGV[3])
local ahead = tonumber(ARGV[5]) or 0
local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then return {0, blocked - now, 1} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local k = math.max(0, math.min(count, limit - n))
if k > 0 then
  local at = now + ahead
  -- In chunks: unpack() of more than ~8000 values overflows Lua's C stack.
  for first = 1, k, 1000 do
    local args = {}
    for i = first, math.min(k, first + 999) do
      args[#args + 1] = at
      args[#args + 1] = ARGV[4] .. i
    end
    redis.call('ZADD', KEYS[1], unpack(args))
  end
  redis.call('PEXPIRE', KEYS[1], window + ahead + 1000)
end
if k == count then return {k, 0, 0} end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], n + k - limit, n + k - limit, 'WITHSCORES')[2])
return {k, math.max(1, oldest + window - now), 0}
`;

/**
 * block — hold off every request of a class until the given time; only ever extends.
 * KEYS[1] the block key. ARGV[1] ms from now. Returns the block's end (ms, Redis clock). Events: none.
 */
export const BLOCK_SCRIPT = `
${LUA_NOW_MS}
local untilMs = now + tonumber(ARGV[1])
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur >= untilMs then return cur end
redis.call('SET', KEYS[1], untilMs, 'PX', tonumber(ARGV[1]) + 1000)
return untilMs
`;

/**
 * acquire (dated on send) — one slot of a sliding log whose entries are dated by when the request was
 * answered, not when it was admitted, so a request sent late (a stalled event loop, slow Redis round
 * trips before the send) can never land in the same provider window as one admitted a window later.
 * KEYS[1] sent log (zset: member, score = a time by which the request surely reached the provider:
 *         the Redis time its caller reported the answer, + 1 ms for rounding),
 * KEYS[2] pending (zset: member, score = slot time; admitted, not yet reported), KEYS[3] block key
 * ARGV[1] limit per window (> 0), ARGV[2] window ms (the provider's), ARGV[3] horizon ms,
 * ARGV[4] unique member id, ARGV[5] send bound ms: longest from a slot's time to its request reaching
 *         the provider (the client's timeout + slack); a pending slot whose holder died without
 *         reporting is counted until its slot time + this, then as sent at that time.
 * Returns {1, wait ms, slot ms}: admitted; send no sooner than `wait` ms from now, then report.
 *         {0, retry ms, 1}: refused; a slot cannot come within the horizon sooner than `retry` ms.
 *         {0, retry ms, 2}: refused, the provider told us to hold off (block) for `retry` ms.
 * Rule: a pending request may reach the provider at any time, so it counts in every window; a sent one
 * counts in windows ending before its score + window. A new slot t needs pending + #(sent scores
 * > t − window) < limit. For any provider window with more than `limit` arrivals, its last-admitted
 * request would have been refused: every other one was pending, or sent with score ≥ its arrival
 * > (that request's arrival − window) ≥ its slot − window. Reporting a pending one never moves t
 * earlier or later (it becomes the newest sent entry), so the refusal's wait is exact.
 * Events: none.
 */
export const ACQUIRE_SENT_SCRIPT = `
${LUA_NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local horizon = tonumber(ARGV[3])
local bound = tonumber(ARGV[5])
local blocked = tonumber(redis.call('GET', KEYS[3]) or '0')
if blocked > now then return {0, blocked - now, 2} end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - bound)) do
  local s = tonumber(redis.call('ZSCORE', KEYS[2], m))
  redis.call('ZREM', KEYS[2], m)
  redis.call('ZADD', KEYS[1], s + bound, m)
  redis.call('PEXPIRE', KEYS[1], bound + window + 1000)
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local p = redis.call('ZCARD', KEYS[2])
if p >= limit then
  -- Only a report can free a slot, and the reported entry then counts for one more window.
  return {0, math.max(1, window - horizon), 1}
end
local d = redis.call('ZCARD', KEYS[1])
local need = limit - p
local slot = now
if d >= need then
  local edge = tonumber(redis.call('ZRANGE', KEYS[1], d - need, d - need, 'WITHSCORES')[2]) + window
  if edge > slot then slot = edge end
end
if slot - now > horizon then return {0, slot - now - horizon, 1} end
redis.call('ZADD', KEYS[2], slot, ARGV[4])
redis.call('PEXPIRE', KEYS[2], horizon + bound + window + 1000)
return {1, slot - now, slot}
`;

/**
 * sent — the request of a pending slot was answered (or failed after it may have been sent): it
 * reached the provider by now, so it counts until now + 1 + extra ms + window.
 * KEYS[1] sent log, KEYS[2] pending. ARGV[1] member, ARGV[2] extra ms (time it may still be in transit:
 * 0 after an answer), ARGV[3] window ms, ARGV[4] send bound ms (key expiry). Returns the score.
 * Events: none.
 */
export const SENT_SCRIPT = `
${LUA_NOW_MS}
redis.call('ZREM', KEYS[2], ARGV[1])
local at = now + 1 + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], 'GT', at, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[2]) + tonumber(ARGV[4]) + 1000)
return at
`;
