-- KEYS, and ARGV from ARGV[4]: see members.lua, then the user's epoch
-- counter last. ARGV[1], ARGV[2]: namespace, user; ARGV[3]: the member to
-- keep ('' for none).
-- Deletes every indexed row of this user but the kept one and returns how
-- many, or 'retry' (see members.lua). Raises the epoch either way, so a
-- cross-slot move that took a row out of this index before this ran does
-- not put it back (restore.lua).
local declared, members = declared_members(4)
if not declared then return 'retry' end
local epoch = KEYS[#KEYS]
redis.call('INCR', epoch)
extend(epoch, EPOCH_TTL)
local removed = 0
for _, member in ipairs(members) do
  if member ~= ARGV[3] then
    local row = declared[member]
    if row then
      local o = owner(row)
      if o and o[1] == ARGV[1] and o[2] == ARGV[2] then
        removed = removed + redis.call('DEL', row)
      end
    end
    redis.call('SREM', KEYS[1], member)
  end
end
return removed
