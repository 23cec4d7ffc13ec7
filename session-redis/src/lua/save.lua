-- KEYS: row, then the user index of the row being written (if it has a user).
-- ARGV: expected revision ('' for none: only if no live row), now, ttl,
-- member (the key's hex), then the row (see write_row) from ARGV[5].
-- Returns 1 (saved) or 0 (conflict).
--
-- The previous occupant of the key, if it had another user (a user change,
-- or an expired row), keeps a stale entry in that user's index: its name is
-- not declared here. list_user.lua and delete_user.lua prune such entries.
local row, member = KEYS[1], ARGV[4]
local current = live_revision(row, ARGV[2])
if ARGV[1] == '' then
  if current then return 0 end
elseif current ~= ARGV[1] then
  return 0
end
local ttl = tonumber(ARGV[3])
write_row(row, 5, ttl)
if ARGV[7] == '1' then index_add(KEYS[2], member, ttl) end
return 1
