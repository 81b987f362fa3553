-- wrk script of province.sh: POST /api/v1/households with every body of BODIES exactly once,
-- then stop. Thread k of n (WRK_THREADS) sends lines k, k+n, k+2n, … as in post.lua, read from
-- the file as it goes (a province's bodies are hundreds of MB: they are not held in memory).
--
-- Stopping: once a thread has sent its last body its connections wait (delay()) instead of
-- sending more; a connection that was already past its delay sends one GET /healthz instead (a
-- "filler", told apart by its 200; fillers are in wrk's latency figures, a few among hundreds of
-- thousands). The thread stops when its last household is answered, or, if answers went missing,
-- when a connection wakes up DONE_GRACE_MS (default 15 s) later (the unanswered count as `lost`).
-- The last thread to stop sends wrk SIGINT, so wrk prints its summary then instead of sleeping to
-- the end of -d, which is only the bound. DONE_DIR (env) is an empty directory for the threads'
-- "done" marks.
--
-- wrk calls thread 0's request() once before the run to check what it returns
-- (script_verify_request): that call does not use up a body.
--
-- Each thread prints `PROGRESS thread=… time=<epoch s> answered=…` at the start and every
-- PROGRESS_EVERY (default 50,000) answers, to see the rate change as the database grows.
-- `done` prints post.lua's RESULT line plus sent=… lost=… healthz_fillers=….

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", counter)
   counter = counter + 1
   table.insert(threads, thread)
end

function init(args)
   statuses = {}
   created = 0
   other = 0
   sent = 0
   answered = 0
   lost = 0
   fillers = 0
   finished = false
   exhausted = false
   exhausted_at = 0
   verifying = (id == 0)
   nthreads = tonumber(os.getenv("WRK_THREADS") or "1")
   done_dir = os.getenv("DONE_DIR") or "."
   grace = tonumber(os.getenv("DONE_GRACE_MS") or "15000")
   file = assert(io.open(os.getenv("BODIES") or "bodies.jsonl", "r"))
   for _ = 1, id do
      file:read("*l") -- the lines of the threads before this one
   end
   local s = assert(io.open("/proc/self/stat", "r"))
   pid = s:read("*n")
   s:close()
   headers = { ["Content-Type"] = "application/json" }
   progress_every = tonumber(os.getenv("PROGRESS_EVERY") or "50000")
   io.write(string.format("PROGRESS thread=%d time=%d answered=0\n", id, os.time()))
end

-- This thread's next body (then skip the other threads' lines), or nil at the end.
local function next_body()
   local line = file:read("*l")
   if line == nil or line == "" then
      return nil
   end
   for _ = 2, nthreads do
      file:read("*l")
   end
   return line
end

local function finish()
   if finished then return end
   finished = true
   lost = sent - answered
   local mark = assert(io.open(done_dir .. "/thread-" .. id, "w"))
   mark:close()
   -- The thread that finds every thread's mark tells wrk to stop waiting (it then joins the
   -- threads and prints its summary). Each thread writes its mark before it looks, so the last
   -- one always sees them all.
   local all = true
   for k = 0, nthreads - 1 do
      local m = io.open(done_dir .. "/thread-" .. k, "r")
      if m then m:close() else all = false end
   end
   if all then
      -- Not os.execute: system() ignores SIGINT in the whole process while it waits.
      local k = io.popen("kill -INT " .. pid)
      k:close()
   end
   wrk.thread:stop()
end

function delay()
   -- Every body sent: this connection waits (see request()).
   if exhausted then
      return grace
   end
   return 0
end

local function household(body)
   return wrk.format("POST", "/api/v1/households", headers, body)
end

local function filler()
   fillers = fillers + 1
   return wrk.format("GET", "/healthz")
end

local pending = nil -- the body read for wrk's check, sent first

function request()
   if verifying then
      verifying = false
      pending = next_body()
      return household(pending or "{}")
   end
   if exhausted then
      -- A connection whose delay() ran before the last body went out, or one that woke up
      -- after the grace period: then answers went missing, give up on them.
      if os.time() - exhausted_at >= grace / 1000 then
         finish()
      end
      return filler()
   end
   local body = pending or next_body()
   pending = nil
   if body == nil then
      exhausted = true
      exhausted_at = os.time()
      file:close()
      if answered >= sent then
         finish()
      end
      return filler()
   end
   sent = sent + 1
   return household(body)
end

function response(status, headers, body)
   if status == 200 then
      return -- a /healthz filler
   end
   answered = answered + 1
   if answered % progress_every == 0 then
      io.write(string.format("PROGRESS thread=%d time=%d answered=%d\n", id, os.time(), answered))
   end
   if status == 201 then
      created = created + 1
   else
      other = other + 1
      statuses[status] = (statuses[status] or 0) + 1
   end
   if exhausted and answered >= sent then
      finish()
   end
end

function done(summary, latency, requests)
   local c, o, s, l, f = 0, 0, 0, 0, 0
   local by_status = {}
   for _, t in ipairs(threads) do
      c = c + t:get("created")
      o = o + t:get("other")
      s = s + t:get("sent")
      l = l + t:get("lost")
      f = f + t:get("fillers")
      local st = t:get("statuses")
      for code, count in pairs(st) do
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
      "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f wrapped=0 sent=%d lost=%d healthz_fillers=%d\n",
      c, o, table.concat(others, " "),
      summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
      seconds, c / seconds,
      latency:percentile(50) / 1000, latency:percentile(90) / 1000,
      latency:percentile(99) / 1000, latency.max / 1000, s, l, f))
end
