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
