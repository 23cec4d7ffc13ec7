-- wrk script of benches/load.sh: each thread is one client with its own
-- store-mode session (cookie from $COOKIES, one line per thread), sending
-- 80 % reads, 15 % updates and 5 % renewals; a renewal's new cookie is kept.
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("id", counter)
  table.insert(threads, thread)
end

function init(args)
  local file = assert(io.open(os.getenv("COOKIES"), "r"))
  local n = 0
  for line in file:lines() do
    n = n + 1
    if n == id then cookie = line end
  end
  file:close()
  math.randomseed(id)
end

function request()
  local roll = math.random(100)
  local path = "/"
  if roll > 95 then path = "/renew" elseif roll > 80 then path = "/update" end
  return wrk.format("GET", path, { ["Cookie"] = cookie })
end

function response(status, headers, body)
  local set = headers["Set-Cookie"] or headers["set-cookie"]
  if set then
    local pair = string.match(set, "^([^;]+)")
    if pair and string.match(pair, "=(.+)") then cookie = pair end
  end
end
