-- wrk script for the Kannel peer: GET /cgi-bin/sendsms on smsbox, every request to a
-- number no other request in the run uses (as tests/load/lua/post.lua does for the
-- gateway), with a confirmation-code text of the gateway's length class.
-- Usage: wrk -s kannel.lua http://127.0.0.1:<sendsms port>/
-- Each wrk thread numbers its own requests: thread t sends to 79(t+1)xxxxxxxx.
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local base = 0
function init(args)
  base = (tid + 1) * 100000000
end

function request()
  counter = counter + 1
  local path = string.format(
    "/cgi-bin/sendsms?username=tester&password=foobar&from=12345&to=79%09d" ..
    "&text=Your+confirmation+code+is+4821", base + counter)
  return wrk.format("GET", path)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
