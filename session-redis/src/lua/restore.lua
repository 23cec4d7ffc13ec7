-- Redis Cluster, undoing move_out.lua when the second half of a move failed:
-- puts the old row back unless something took its key meanwhile.
-- KEYS: old row, then its owner's index (if it had one). ARGV: pttl, dump
-- (from move_out.lua), old member.
-- Returns 1 (restored) or 0 (the key is taken; nothing written).
local old = KEYS[1]
if redis.call('EXISTS', old) == 1 then return 0 end
local pttl = math.max(tonumber(ARGV[1]) or 1, 1)
redis.call('RESTORE', old, pttl, ARGV[2])
if KEYS[2] then index_add(KEYS[2], ARGV[3], math.ceil(pttl / 1000)) end
return 1
