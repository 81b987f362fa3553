-- wrk script: POST /api/v1/households with a different body on every request.
-- BODIES (env) names a file of one JSON body per line. Thread k of n keeps lines k, k+n, k+2n, …
-- so no two requests of the run send the same household (if a thread runs out it wraps around,
-- and the repeats are counted as non-201). `done` prints the status counts and a RESULT line.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   bodies = {}
   statuses = {}
   created = 0
   other = 0
   wrapped = 0
   local path = os.getenv("BODIES") or "bodies.jsonl"
   local nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
   local f = assert(io.open(path, "r"))
   local i = 0
   for line in f:lines() do
      if i % nthreads == id then
         bodies[#bodies + 1] = line
      end
      i = i + 1
   end
   f:close()
   next_body = 1
   headers = { ["Content-Type"] = "application/json" }
end

function request()
   local body = bodies[next_body]
   next_body = next_body + 1
   if next_body > #bodies then
      next_body = 1
      wrapped = wrapped + 1
   end
   return wrk.format("POST", "/api/v1/households", headers, body)
end

function response(status, headers, body)
   if status == 201 then
      created = created + 1
   else
      other = other + 1
      statuses[status] = (statuses[status] or 0) + 1
   end
end

function done(summary, latency, requests)
   local c, o, w = 0, 0, 0
   local by_status = {}
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      o = o + t:get("other")
      w = w + t:get("wrapped")
      -- statuses is a table; copy it out as "code=count" text
      local s = t:get("statuses")
      for code, count in pairs(s) do
         by_status[code] = (by_status[code] or 0) + count
      end
   end
   local seconds = summary.duration / 1e6
   local others = {}
   for code, count in pairs(by_status) do
      others[#others + 1] = code .. "=" .. count
   end
   io.write(string.format(
      "RESULT created=%d other=%d [%s] socket_errors=%d seconds=%.2f created_per_s=%.0f " ..
      "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f wrapped=%d\n",
      c, o, table.concat(others, " "),
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      seconds, c / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, w))
end
