-- KEYS: row. Returns nil (no key), 'wrongtype' (the key is not a hash: a
-- corrupt row), or the hash's fields and values (HGETALL).
-- One command: `redis.pcall` turns WRONGTYPE into a reply instead of an error.
local fields = redis.pcall('HGETALL', KEYS[1])
if fields.err then return 'wrongtype' end
if #fields == 0 then return false end
return fields
