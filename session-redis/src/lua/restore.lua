-- Redis Cluster, undoing move_out.lua when the second half of a move failed:
-- puts the old row back unless something took its key meanwhile, or a "log
-- out everywhere" of its user ran meanwhile (the epoch moved on).
-- KEYS: old row, then its owner's index and epoch counter (if it had an
-- owner). ARGV: pttl, dump, epoch (from move_out.lua), old member.
-- Returns 1 (restored), 0 (the key is taken) or 2 (the user was logged out
-- everywhere meanwhile); only 1 writes anything.
local old = KEYS[1]
if redis.call('EXISTS', old) == 1 then return 0 end
if KEYS[3] and (redis.call('GET', KEYS[3]) or '0') ~= ARGV[3] then return 2 end
local pttl = math.max(tonumber(ARGV[1]) or 1, 1)
redis.call('RESTORE', old, pttl, ARGV[2])
if KEYS[2] then index_add(KEYS[2], ARGV[4], math.ceil(pttl / 1000)) end
return 1
