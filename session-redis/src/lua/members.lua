-- Shared by list_user.lua and delete_user.lua, after the prelude.
-- KEYS: user index, then one row per member the caller read from it.
-- ARGV from `first`: the count n of those members, the n members (in KEYS
-- order), then the members that name no row of this user's slot (junk).
-- Returns a table member -> row key (false for junk), or nil if the index
-- now holds a member the caller did not declare (the caller reads the
-- index again and retries).
local function declared_members(first)
  local declared = {}
  local n = tonumber(ARGV[first])
  for i = 1, n do declared[ARGV[first + i]] = KEYS[1 + i] end
  for i = first + n + 1, #ARGV do declared[ARGV[i]] = false end
  local members = redis.call('SMEMBERS', KEYS[1])
  for _, member in ipairs(members) do
    if declared[member] == nil then return nil, members end
  end
  return declared, members
end
