import { LUA_NOW_MS } from './keys.ts';

/**
 * verdict(m) for the lease of generation m, from its record (prefix in rec; now and deadline
 * in scope): 0 = finished, reclaim; -1 = not created yet, keep until its own expiry; else the time
 * until which the generation may still run at the provider.
 */
const VERDICT = `local function verdict(m)
  local r = redis.call('HMGET', rec .. m, 'status', 't.submittedAt', 't.submitIntentAt')
  local st = r[1]
  if not st or st == 'completed' or st == 'failed' or st == 'cancelled' or st == 'downloading' or st == 'notifying' then return 0 end
  if st == 'generating' then return (tonumber(r[2]) or now) + deadline end
  if st == 'submitting' then return (tonumber(r[3]) or now) + deadline end
  return -1
end
`;

/**
 * take — an in-flight lease for one generation, if fewer than `cap` are held.
 * KEYS[1] leases (zset: member generation id, score expiry ms on the Redis clock)
 * ARGV[1] generation id, ARGV[2] cap, ARGV[3] hold ms (lease of a generation not yet created),
 * ARGV[4] deadline ms (longest a created generation can run), ARGV[5] record key prefix (`…:gen:`)
 * Returns {1, 1}: taken; {1, 0}: already held by this generation (refreshed, not counted twice);
 *         {0, ms}: the cap is full; `ms` until the earliest lease expires (a hint, not a promise).
 * A lease does not depend on a live holder: the generation record says whether it is still in flight.
 * Expired leases are looked at, and the whole set when it is full:
 *   record gone, terminal, downloading or notifying → the provider is done: reclaimed;
 *   generating → extended to submittedAt + deadline (the poll stage times it out there);
 *   submitting → a create may have landed: extended to submitIntentAt + deadline (the job's rerun
 *     reconciles and reuses this lease, or fails the record, which reclaims it);
 *   queued → no create was sent under this lease (submit marks `submitting` before sending): an
 *     expired one is reclaimed (its holder died between admission and the create).
 * Events: none.
 */
export const TAKE_SCRIPT = `
${LUA_NOW_MS}
local id, cap, hold, deadline, rec = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5]
${VERDICT}
if redis.call('ZSCORE', KEYS[1], id) then
  redis.call('ZADD', KEYS[1], 'GT', now + hold, id)
  return {1, 0}
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now)
for _, m in ipairs(expired) do
  local v = verdict(m)
  if v > now then redis.call('ZADD', KEYS[1], v, m) else redis.call('ZREM', KEYS[1], m) end
end
if redis.call('ZCARD', KEYS[1]) >= cap then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    if verdict(m) == 0 then redis.call('ZREM', KEYS[1], m) end
  end
end
if redis.call('ZCARD', KEYS[1]) < cap then
  redis.call('ZADD', KEYS[1], now + hold, id)
  return {1, 1}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, math.max(1, tonumber(first[2]) - now)}
`;

/**
 * sweep — drops the leases of finished generations (and expired ones, as take does); for metrics and
 * operators, so a count read between admissions is not inflated by leases nobody released.
 * KEYS[1] leases. ARGV[1] deadline ms, ARGV[2] record key prefix. Returns the leases left. Events: none.
 */
export const SWEEP_SCRIPT = `
${LUA_NOW_MS}
local deadline, rec = tonumber(ARGV[1]), ARGV[2]
${VERDICT}
local all = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #all, 2 do
  local m, score = all[i], tonumber(all[i + 1])
  local v = verdict(m)
  if v == 0 or (score <= now and v < now) then redis.call('ZREM', KEYS[1], m)
  elseif score <= now then redis.call('ZADD', KEYS[1], v, m) end
end
return redis.call('ZCARD', KEYS[1])
`;
