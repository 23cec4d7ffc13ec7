-- KEYS: row, then its owner's index (mode 'user'). ARGV: now, touched_at,
-- expires_at, ttl, member, mode, namespace, user (see owner_retry).
-- Returns 1 (touched), 0 (no live row) or {'owner', namespace, user}.
local row = KEYS[1]
if not live_revision(row, ARGV[1]) then return 0 end
local retry = owner_retry(owner(row), ARGV[6], ARGV[7], ARGV[8])
if retry then return retry end
local ttl = tonumber(ARGV[4])
local version, revision, created = split_meta(redis.call('HGET', row, 'meta'))
redis.call('HSET', row, 'meta',
  table.concat({version, revision, created, ARGV[2], ARGV[3]}, ':'))
redis.call('EXPIRE', row, ttl)
if ARGV[6] == 'user' then index_add(KEYS[2], ARGV[5], ttl) end
return 1
