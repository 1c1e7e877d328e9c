-- wrk script: POST a /v1/messages body with a phone no other request in the run uses,
-- so per-phone limits (cooldown, hourly, daily) never refuse one.
-- Usage: wrk -s post.lua URL -- <bearer token or "-">
-- Each wrk thread numbers its own phones: thread t sends +79(t+1)xxxxxxxx.
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local base = 0
function init(args)
  base = (tid + 1) * 100000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  if args[1] and args[1] ~= "-" then
    wrk.headers["Authorization"] = "Bearer " .. args[1]
  end
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"location_id":"bench","phone":"+79%09d","code":"4821","purpose":"login","client_ip":"203.0.113.7"}',
    base + counter)
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
