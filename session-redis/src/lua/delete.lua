-- KEYS: row, then its owner's index (mode 'user'). ARGV: member, mode,
-- namespace, user (see owner_retry).
-- Returns how many rows were deleted (0 or 1) or {'owner', namespace, user}.
local row = KEYS[1]
local retry = owner_retry(owner(row), ARGV[2], ARGV[3], ARGV[4])
if retry then return retry end
if ARGV[2] == 'user' then redis.call('SREM', KEYS[2], ARGV[1]) end
return redis.call('DEL', row)
