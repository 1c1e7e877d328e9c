-- wrk script: POST a /v1/messages body shaped like production traffic: every request
-- has a phone and a client address (an IPv6 /48 of the documentation prefix 3fff::/20,
-- so both IP quotas, /64 and /48, see one send; it is only data in the body) no other
-- request in the run uses, and the
-- requests go round <locations> locations (`bench-0` ...), so every quota stays at its
-- default except the per-location one (see tests/load/src/gwconfig.rs).
-- Usage: wrk -s post.lua URL -- <bearer token or "-"> <locations>
-- Each wrk thread numbers its own requests: thread t sends to +79(t+1)xxxxxxxx.
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local base = 0
local locations = 1
function init(args)
  locations = tonumber(args[2] or "1")
  base = (tid + 1) * 100000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] and args[1] ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
end

function request()
  counter = counter + 1
  local n = base + counter
  local body = string.format(
    '{"location_id":"bench-%d","phone":"+79%09d","code":"4821","purpose":"login","client_ip":"3fff:%x:%x::1"}',
    n % locations, n, math.floor(n / 65536) % 4096, n % 65536)
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
