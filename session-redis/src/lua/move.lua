-- The whole id move in one step (one server, or both keys on one slot).
-- KEYS: old row, new row, then the user index of the row being written (if
-- it has a user). ARGV: expected revision of the old row ('' for any), now,
-- ttl, old member, new member, then the row (see write_row) from ARGV[6].
-- Returns 1 (moved), 0 (conflict) or 2 (the old row is gone).
local old, new = KEYS[1], KEYS[2]
if live_revision(new, ARGV[2]) then return 0 end
if ARGV[1] ~= '' then
  local current = live_revision(old, ARGV[2])
  if not current then return 2 end
  if current ~= ARGV[1] then return 0 end
end
local ttl = tonumber(ARGV[3])
local has_user = ARGV[8] == '1'
-- The old row leaves its index when that index is the declared one (a
-- renewal); an old row of another user leaves a stale entry, pruned later.
local o = owner(old)
if has_user and o and o[1] == ARGV[6] and o[2] == ARGV[7] then
  redis.call('SREM', KEYS[3], ARGV[4])
end
redis.call('DEL', old)
write_row(new, 6, ttl)
if has_user then index_add(KEYS[3], ARGV[5], ttl) end
return 1
