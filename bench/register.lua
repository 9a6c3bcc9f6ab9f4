-- wrk script for the registration benchmark: every request a distinct (session, employee).
--
--   wrk -t 2 -c 64 -d 15s --latency -s bench/register.lua http://127.0.0.1:PORT \
--       -- MODE TOKENS_TSV SESSION_IDS THREADS [LAYOUT]
--
-- MODE: "app"  POST /api/v1/sessions/S/registrations {} with the employee's bearer token
--       "bare" POST /register?session_id=S&employee_id=E (bench/bare_app.py, no auth)
--       "get"  GET  the URL's path as given (the trivial endpoint)
-- TOKENS_TSV: lines "employee_id<TAB>municipality_id<TAB>token" (bench/generate.py)
-- SESSION_IDS: comma-separated session ids; request i of a thread-interleaved sequence
--       uses employee i mod N and session i div N, so no pair repeats until the sessions run out
-- THREADS: the -t value, so each thread takes a disjoint slice (i = k * THREADS + thread)
-- LAYOUT (optional): "hot" (default) as above, all connections on one session at a time;
--       "spread": request i uses session i mod S and employee (i div S) mod N, so
--       consecutive requests go to different sessions (no single hot row)
--
-- At the end, one line "BENCH_JSON {...}" with counts by outcome and latency percentiles.

local threads = {}
local next_id = 0

function setup(thread)
   thread:set("tid", next_id)
   next_id = next_id + 1
   table.insert(threads, thread)
end

-- tid is a global: setup() sets it in each thread before init() runs there
local mode, nthreads, spread, sessions, ids, tokens, n, k
local path0

function init(args)
   mode = args[1] or "get"
   nthreads = tonumber(args[4] or "1")
   spread = args[5] == "spread"
   tid = tid or 0
   k = 0
   sessions, ids, tokens = {}, {}, {}
   n = 0
   n201, n_enrolled, n_waitlisted, n409, n4xx, n5xx, nother, wrapped = 0, 0, 0, 0, 0, 0, 0, 0
   path0 = wrk.path
   if mode == "get" then
      return
   end
   for s in string.gmatch(args[3], "[^,]+") do
      table.insert(sessions, s)
   end
   local fh = assert(io.open(args[2], "r"))
   for line in fh:lines() do
      local id, _, token = string.match(line, "^(%d+)\t(%d+)\t(%S+)$")
      if id then
         n = n + 1
         ids[n] = id
         tokens[n] = token
      end
   end
   fh:close()
end

function request()
   if mode == "get" then
      return wrk.format("GET", path0)
   end
   local i = k * nthreads + tid
   k = k + 1
   local e, s
   if spread then
      s = (i % #sessions) + 1
      e = (math.floor(i / #sessions) % n) + 1
      if i >= n * #sessions then
         wrapped = wrapped + 1
      end
   else
      e = (i % n) + 1
      s = math.floor(i / n) + 1
   end
   if s > #sessions then
      wrapped = wrapped + 1 -- pairs repeat from here on: these will be 409s
      s = ((s - 1) % #sessions) + 1
   end
   if mode == "app" then
      return wrk.format(
         "POST",
         "/api/v1/sessions/" .. sessions[s] .. "/registrations",
         { ["Authorization"] = "Bearer " .. tokens[e], ["Content-Type"] = "application/json" },
         "{}"
      )
   end
   return wrk.format(
      "POST",
      "/register?session_id=" .. sessions[s] .. "&employee_id=" .. ids[e],
      { ["Content-Type"] = "application/json" },
      "{}"
   )
end

function response(status, headers, body)
   if status == 201 then
      n201 = n201 + 1
      if body and string.find(body, '"waitlisted"', 1, true) then
         n_waitlisted = n_waitlisted + 1
      else
         n_enrolled = n_enrolled + 1
      end
   elseif status == 409 then
      n409 = n409 + 1
   elseif status >= 500 then
      n5xx = n5xx + 1
   elseif status >= 400 then
      n4xx = n4xx + 1
   elseif status ~= 200 then
      nother = nother + 1
   end
end

function done(summary, latency, requests)
   local c = { n201 = 0, enrolled = 0, waitlisted = 0, n409 = 0, n4xx = 0, n5xx = 0, other = 0, wrapped = 0 }
   for _, t in ipairs(threads) do
      c.n201 = c.n201 + (t:get("n201") or 0)
      c.enrolled = c.enrolled + (t:get("n_enrolled") or 0)
      c.waitlisted = c.waitlisted + (t:get("n_waitlisted") or 0)
      c.n409 = c.n409 + (t:get("n409") or 0)
      c.n4xx = c.n4xx + (t:get("n4xx") or 0)
      c.n5xx = c.n5xx + (t:get("n5xx") or 0)
      c.other = c.other + (t:get("nother") or 0)
      c.wrapped = c.wrapped + (t:get("wrapped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, '
         .. '"max_us": %d, "mean_us": %.1f, "n201": %d, "enrolled": %d, "waitlisted": %d, '
         .. '"n409": %d, "n4xx": %d, "n5xx": %d, "other": %d, "wrapped": %d, '
         .. '"err_connect": %d, "err_read": %d, "err_write": %d, "err_timeout": %d, "err_status": %d}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
      c.n201, c.enrolled, c.waitlisted, c.n409, c.n4xx, c.n5xx, c.other, c.wrapped,
      e.connect, e.read, e.write, e.timeout, e.status
   ))
end
