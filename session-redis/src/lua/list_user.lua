-- KEYS, and ARGV from ARGV[3]: see members.lua. ARGV[1], ARGV[2]: namespace, user.
-- Returns 'retry' (see members.lua) or, for each member whose row is this
-- user's hash, {member, namespace, user, meta, client, data present (1/0)};
-- removes members whose row is gone, not a hash, or belongs to someone else.
local declared, members = declared_members(3)
if not declared then return 'retry' end
local out = {}
for _, member in ipairs(members) do
  local row = declared[member]
  local keep = false
  if row and is_hash(row) then
    local f = redis.call('HMGET', row, 'namespace', 'user', 'meta', 'client')
    if f[1] == ARGV[1] and f[2] == ARGV[2] then
      keep = true
      -- A missing meta or client is returned as '' (a nil would end the
      -- Lua table); a row without client has no metadata.
      table.insert(out, {member, f[1], f[2], f[3] or '', f[4] or '',
        redis.call('HEXISTS', row, 'data')})
    end
  end
  if not keep then redis.call('SREM', KEYS[1], member) end
end
return out
