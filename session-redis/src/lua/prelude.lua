-- Shared by every script (a read is a plain HMGET, no script).
--
-- Every key a script touches arrives in KEYS, and all of them carry the same
-- hash tag (`{route}`), so each script runs on one Redis Cluster slot.
-- Numbers are compared as canonical decimal strings, never as Lua numbers
-- (doubles), so revisions and times beyond 2^53 compare exactly.

-- Redis before 5 replicates scripts verbatim and refuses writes after
-- SMEMBERS or TTL; replicating the effects instead works on every version.
if redis.replicate_commands then redis.replicate_commands() end

local U64_MAX = '18446744073709551615'
-- How long a user's epoch counter outlives its last raise (a day): far
-- longer than the seconds between the two halves of a cross-slot move.
local EPOCH_TTL = 86400
local U32_MAX = '4294967295'

-- `s` without leading zeros if it is decimal digits that fit `max`, else nil:
-- exactly what the Rust decoder accepts, so "live" means the same on both sides.
local function canon(s, max)
  if type(s) ~= 'string' or not string.match(s, '^%d+$') then return nil end
  s = string.gsub(s, '^0+', '')
  if s == '' then s = '0' end
  if #s > #max or (#s == #max and s > max) then return nil end
  return s
end

local function greater(a, b)
  if #a ~= #b then return #a > #b end
  return a > b
end

-- Whether `s` is valid UTF-8 (as Rust's `String::from_utf8` decides:
-- no overlong forms, surrogates or code points above U+10FFFF).
local function is_utf8(s)
  local i, n = 1, #s
  while i <= n do
    local c = string.byte(s, i)
    local len
    if c < 0x80 then len = 1
    elseif c >= 0xC2 and c <= 0xDF then len = 2
    elseif c >= 0xE0 and c <= 0xEF then len = 3
    elseif c >= 0xF0 and c <= 0xF4 then len = 4
    else return false end
    if i + len - 1 > n then return false end
    for j = i + 1, i + len - 1 do
      local d = string.byte(s, j)
      if d < 0x80 or d > 0xBF then return false end
    end
    local d = string.byte(s, i + 1)
    if (c == 0xE0 and d < 0xA0) or (c == 0xED and d > 0x9F)
      or (c == 0xF0 and d < 0x90) or (c == 0xF4 and d > 0x8F) then
      return false
    end
    i = i + len
  end
  return true
end

local function is_hash(key)
  return redis.call('TYPE', key).ok == 'hash'
end

-- A row's `meta` field: version, revision, created_at, touched_at and
-- expires_at, in decimal, joined by ':'. Returns the five strings, or nil
-- if it is not five runs of digits.
local function split_meta(meta)
  if type(meta) ~= 'string' then return nil end
  return string.match(meta, '^(%d+):(%d+):(%d+):(%d+):(%d+)$')
end

-- The revision of the well-formed row at `key` if it expires after `now`;
-- nil for a missing, expired or undecodable row.
local function live_revision(key, now)
  if not is_hash(key) then return nil end
  local f = redis.call('HMGET', key, 'namespace', 'user', 'data', 'meta')
  if not f[1] or #f[1] > 64 or not string.match(f[1], '^[a-z0-9_.-]+$') then return nil end
  if (f[2] and not is_utf8(f[2])) or not f[3] then return nil end
  local version, revision, created, touched, expires = split_meta(f[4])
  if not version or not canon(version, U32_MAX) or not canon(created, U64_MAX)
    or not canon(touched, U64_MAX) then
    return nil
  end
  revision = canon(revision, U64_MAX)
  expires = canon(expires, U64_MAX)
  if not revision or not expires or not greater(expires, now) then return nil end
  return revision
end

-- {namespace, user} of the hash at `key`, or nil for no row, a key of
-- another type, or a row without a user (anonymous) or namespace.
local function owner(key)
  if not is_hash(key) then return nil end
  local o = redis.call('HMGET', key, 'namespace', 'user')
  if o[1] and o[2] then return o end
  return nil
end

-- Scripts that may have to unindex a row they do not know the owner of take
-- the owner the caller expects: `mode` 'user' (its index is KEYS[2]),
-- 'none' (an anonymous row) or 'skip' (leave every index alone). This is
-- the reply asking the caller to run again with the owner `o` declared, or
-- nil when the caller's guess holds.
local function owner_retry(o, mode, namespace, user)
  if not o or mode == 'skip' then return nil end
  if mode == 'user' and o[1] == namespace and o[2] == user then return nil end
  return {'owner', o[1], o[2]}
end

-- Writes the row in ARGV[i .. i+5] (namespace, user, has user '1'/'0',
-- data, meta, client or '' for none) to `key`, replacing whatever was
-- there, and keeps it `ttl` seconds.
local function write_row(key, i, ttl)
  redis.call('DEL', key)
  redis.call('HSET', key, 'namespace', ARGV[i], 'data', ARGV[i + 3], 'meta', ARGV[i + 4])
  if ARGV[i + 2] == '1' then redis.call('HSET', key, 'user', ARGV[i + 1]) end
  if ARGV[i + 5] ~= '' then redis.call('HSET', key, 'client', ARGV[i + 5]) end
  redis.call('EXPIRE', key, ttl)
end

-- An index must outlive every row in it: only ever lengthen its TTL.
local function extend(key, ttl)
  if redis.call('TTL', key) < ttl then redis.call('EXPIRE', key, ttl) end
end

-- Adds `member` to the user index `index` and keeps the index `ttl` seconds
-- or longer.
local function index_add(index, member, ttl)
  redis.call('SADD', index, member)
  extend(index, ttl)
end
