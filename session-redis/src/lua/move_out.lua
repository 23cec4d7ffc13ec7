-- Redis Cluster, first half of a move between slots: on the old row's slot,
-- check it and take it out.
-- KEYS: old row, then its owner's index and epoch counter (mode 'user').
-- ARGV: expected
-- revision ('' for any), now, old member, mode, namespace, user (see
-- owner_retry).
-- Returns 0 (conflict), 2 (gone), {'owner', namespace, user} (run again
-- with that index), 1 (nothing live was there; whatever was is removed) or
-- {'row', pttl, dump, epoch}: the live row was removed, and DUMP/PTTL let
-- restore.lua put it back if the second half fails, unless the owner's
-- epoch (a "log out everywhere") moved on meanwhile.
local old = KEYS[1]
local current = live_revision(old, ARGV[2])
if ARGV[1] ~= '' then
  if not current then return 2 end
  if current ~= ARGV[1] then return 0 end
end
local retry = owner_retry(owner(old), ARGV[4], ARGV[5], ARGV[6])
if retry then return retry end
local saved = nil
if current then
  local epoch = '0'
  if ARGV[4] == 'user' then epoch = redis.call('GET', KEYS[3]) or '0' end
  saved = {'row', redis.call('PTTL', old), redis.call('DUMP', old), epoch}
end
if ARGV[4] == 'user' then redis.call('SREM', KEYS[2], ARGV[3]) end
redis.call('DEL', old)
return saved or 1
