/**
 * Lua for the generation record store. Every key carries the prefix's hash tag, so keys built from
 * ARGV inside a script still share one Cluster slot (the same approach BullMQ's scripts take).
 */

/**
 * create
 * KEYS[1] record hash, KEYS[2] index of all records (zset), KEYS[3] index of status `queued` (zset),
 * KEYS[4] tenant index (zset)
 * ARGV[1] createdAt ms, ARGV[2] request fingerprint, ARGV[3] generation id, ARGV[4..] field, value pairs
 * Returns {1} when created; {0, existing fingerprint, existing status} when the id already exists
 * (an idempotent re-enqueue). Events: none.
 */
export const CREATE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then
  local cur = redis.call('HMGET', KEYS[1], 'fingerprint', 'status')
  return {0, cur[1] or '', cur[2] or ''}
end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[4], ARGV[1], ARGV[3])
return {1}
`;

/**
 * update
 * KEYS[1] record hash
 * ARGV[1] status-index key prefix (e.g. "{reelay}:gen:status:"), ARGV[2] new status or "",
 * ARGV[3] comma-separated statuses the record must be in for the update to apply, or "" for any
 * non-terminal status, or "*" for any status at all; ARGV[4] updatedAt ms;
 * ARGV[5] number of fields to delete N, ARGV[6..5+N] those fields; ARGV[6+N..] field, value pairs.
 * Returns {1, previous status} when applied, {0, current status} when the guard refused,
 * {-1} when the record does not exist. Events: none.
 */
export const UPDATE_SCRIPT = `
local cur = redis.call('HMGET', KEYS[1], 'status', 'createdAt', 'id')
if not cur[1] then return {-1} end
local status = cur[1]
local guard = ARGV[3]
if guard == '' then
  if status == 'completed' or status == 'failed' or status == 'cancelled' then return {0, status} end
elseif guard ~= '*' then
  local ok = false
  for s in string.gmatch(guard, '([^,]+)') do if s == status then ok = true end end
  if not ok then return {0, status} end
end
local ndel = tonumber(ARGV[5])
if ndel > 0 then redis.call('HDEL', KEYS[1], unpack(ARGV, 6, 5 + ndel)) end
-- One HSET for updatedAt, the status and every field (unpack of an empty range adds nothing).
local new = ARGV[2]
if new ~= '' and new ~= status then
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4], 'status', new, unpack(ARGV, 6 + ndel))
  redis.call('ZREM', ARGV[1] .. status, cur[3])
  redis.call('ZADD', ARGV[1] .. new, cur[2], cur[3])
else
  redis.call('HSET', KEYS[1], 'updatedAt', ARGV[4], unpack(ARGV, 6 + ndel))
end
return {1, status}
`;

/**
 * createMany — the create script for a batch, in one call: one script run per chunk instead of one
 * per record (a bulk producer spent most of its time in per-call overhead).
 * KEYS[1] index of all records (zset), KEYS[2] index of status `queued` (zset)
 * ARGV[1] record key prefix (e.g. "{reelay}:gen:"), ARGV[2] tenant index key prefix
 * ("{reelay}:gen:tenant:"), then per record: id, createdAt ms, tenant, and its fields as one JSON
 * array of strings [field, value, field, value, …] (one argument instead of ~20: encoding hundreds
 * of thousands of small arguments dominated a bulk write).
 * Returns a flat array, three entries per record in order: 1, '', '' when created; 0, existing
 * fingerprint, existing status when the id already exists. Events: none.
 */
export const CREATE_MANY_SCRIPT = `
local out = {}
local all = {}
local tenants = {}
local i = 3
while i <= #ARGV do
  local id, createdAt, tenant = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local key = ARGV[1] .. id
  if redis.call('EXISTS', key) == 1 then
    local cur = redis.call('HMGET', key, 'fingerprint', 'status')
    out[#out + 1] = 0
    out[#out + 1] = cur[1] or ''
    out[#out + 1] = cur[2] or ''
  else
    redis.call('HSET', key, unpack(cjson.decode(ARGV[i + 3])))
    all[#all + 1] = createdAt
    all[#all + 1] = id
    local t = tenants[tenant]
    if not t then
      t = {}
      tenants[tenant] = t
    end
    t[#t + 1] = createdAt
    t[#t + 1] = id
    out[#out + 1] = 1
    out[#out + 1] = ''
    out[#out + 1] = ''
  end
  i = i + 4
end
-- One ZADD per index for the whole batch, in slices well inside Lua's unpack limit.
local function zaddAll(key, pairs)
  for s = 1, #pairs, 2000 do
    redis.call('ZADD', key, unpack(pairs, s, math.min(s + 1999, #pairs)))
  end
end
if #all > 0 then
  zaddAll(KEYS[1], all)
  zaddAll(KEYS[2], all)
end
for tenant, pairs in pairs(tenants) do zaddAll(ARGV[2] .. tenant, pairs) end
return out
`;
