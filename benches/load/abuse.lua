-- wrk script for benches/load/abuse.sh. MODE (env) picks the traffic:
--   huge     POST /api/v1/households with a 262 KB body of 87,374 `{}` members (one attacker)
--   guess    POST /api/v1/registrations/{VICTIM}/status with wrong birth dates (one attacker)
--   register POST /api/v1/households with a fresh valid household per request, each from its
--            own client address (many patients), bodies from BODIES as post.lua reads them
--   health   GET /healthz
-- Attackers send X-Forwarded-For of one address; the server runs with --trust-forwarded-for.
local mode = os.getenv("MODE") or "health"
local counter = 0
local threads = {}

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   n = 0
   statuses = {}
   if mode == "huge" then
      huge = '{"members":[' .. string.rep("{},", 87373) .. '{}]}'
   elseif mode == "register" then
      bodies = {}
      local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
      local f = assert(io.open(os.getenv("BODIES"), "r"))
      local i = 0
      for line in f:lines() do
         if i % nthreads == id then bodies[#bodies + 1] = line end
         i = i + 1
      end
      f:close()
   end
end

function request()
   n = n + 1
   if mode == "huge" then
      return wrk.format("POST", "/api/v1/households",
         { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = "10.66.0.1" }, huge)
   elseif mode == "guess" then
      local body = string.format('{"phn":"9698658215","birth_date":"19%02d-%02d-%02d"}', n % 100, 1 + n % 12, 1 + n % 28)
      return wrk.format("POST", "/api/v1/registrations/" .. os.getenv("VICTIM") .. "/status",
         { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = "10.66.0.2" }, body)
   elseif mode == "register" then
      local body = bodies[1 + (n - 1) % #bodies]
      local ip = string.format("10.%d.%d.%d", id + 1, math.floor(n / 250) % 250, n % 250 + 1)
      return wrk.format("POST", "/api/v1/households",
         { ["Content-Type"] = "application/json", ["X-Forwarded-For"] = ip }, body)
   end
   return wrk.format("GET", "/healthz")
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local by_status = {}
   for _, t in ipairs(threads) do
      for code, count in pairs(t:get("statuses")) do
         by_status[code] = (by_status[code] or 0) + count
      end
   end
   local parts = {}
   for code, count in pairs(by_status) do parts[#parts + 1] = code .. "=" .. count end
   table.sort(parts)
   io.write(string.format("RESULT mode=%s requests=%d [%s] errors=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
      mode, summary.requests, table.concat(parts, " "),
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
