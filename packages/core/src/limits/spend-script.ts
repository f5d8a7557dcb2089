/**
 * reserve — holds a generation round's estimated cost against every budget scope, or none of them.
 * KEYS[1] the round's reservation (hash), KEYS[2] tenants seen (set), KEYS[3..2+N] spend hashes
 * (fields `reserved`, `spent`, micro-USD), one per scope and period
 * ARGV[1] amount (micro-USD), ARGV[2] tenant, ARGV[3] ttl s of the spend and reservation keys,
 * ARGV[4..3+N] each scope's limit (micro-USD; 0 = no limit),
 * ARGV[4+N..3+2N] each spend key's ttl s when it is set only once (its period's end + ARGV[3], from
 * now), or 0 = ARGV[3], pushed out by every reservation (as before periods were passed in).
 * A once-set ttl is set only when the key's `reserved` was 0 before this reservation — always so when
 * the key is new, so every spend key that exists carries a ttl reaching past its period's end; under
 * load that skips an EXPIRE per scope per reservation.
 * Returns {1, 1}: reserved; {1, 0}: this round is reserved (in these very periods) or settled already,
 *         nothing added; {1, 2}: this round was reserved in other periods (an earlier run admitted it
 *         before a rollover and sent nothing): moved to these, checked against their limits;
 *         {0, i}: scope i (1-based) would go over its limit; nothing reserved or moved.
 * A released reservation is taken again.
 * Events: none.
 */
export const RESERVE_SCRIPT = `
local r = redis.call('HMGET', KEYS[1], 'state', 'usd', 'keys')
local state = r[1]
if state == 'settled' then return {1, 0} end
local amount = tonumber(ARGV[1])
local n = #KEYS - 2
local old = {}
local oldAmount = 0
if state == 'reserved' then
  oldAmount = tonumber(r[2]) or 0
  for name in string.gmatch(r[3] or '', '%S+') do old[name] = true end
end
local names = {}
local same = state == 'reserved'
for i = 1, n do
  names[i] = KEYS[2 + i]
  if not old[KEYS[2 + i]] then same = false end
end
if same then return {1, 0} end
for i = 1, n do
  local limit = tonumber(ARGV[3 + i])
  if limit > 0 and not old[KEYS[2 + i]] then
    local v = redis.call('HMGET', KEYS[2 + i], 'reserved', 'spent')
    if (tonumber(v[1]) or 0) + (tonumber(v[2]) or 0) + amount > limit then return {0, i} end
  end
end
local kept = {}
for i = 1, n do
  local key = KEYS[2 + i]
  local added = amount
  if old[key] then
    kept[key] = true
    added = amount - oldAmount
  end
  local at = tonumber(ARGV[3 + n + i]) or 0
  local total = nil
  if added ~= 0 or not old[key] then total = redis.call('HINCRBY', key, 'reserved', added) end
  if at == 0 then
    redis.call('EXPIRE', key, ARGV[3])
  elseif total == nil or total == added then
    redis.call('EXPIRE', key, at)
  end
end
for name in pairs(old) do
  if not kept[name] then redis.call('HINCRBY', name, 'reserved', -oldAmount) end
end
redis.call('HSET', KEYS[1], 'usd', amount, 'state', 'reserved', 'keys', table.concat(names, ' '))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('SADD', KEYS[2], ARGV[2])
if state == 'reserved' then return {1, 2} end
return {1, 1}
`;

/**
 * close — turns a reservation into spend (`settled`) or gives it back (`released`). Idempotent: a
 * reservation already closed is left alone. The spend keys are the ones it reserved against (named in
 * the reservation; same hash tag), so a round settles in the period it was admitted in.
 * KEYS[1] the reservation. ARGV[1] actual cost (micro-USD; ignored for `released`), ARGV[2] new state
 * Returns {1, reserved amount}: closed now; {0, state}: missing or already closed. Events: none.
 */
export const CLOSE_SCRIPT = `
local r = redis.call('HMGET', KEYS[1], 'state', 'usd', 'keys')
if r[1] ~= 'reserved' then return {0, r[1] or ''} end
local amount = tonumber(r[2])
local actual = ARGV[2] == 'settled' and tonumber(ARGV[1]) or 0
for name in string.gmatch(r[3], '%S+') do
  redis.call('HINCRBY', name, 'reserved', -amount)
  if actual > 0 then redis.call('HINCRBY', name, 'spent', actual) end
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'actual', actual)
return {1, amount}
`;
