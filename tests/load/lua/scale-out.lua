-- wrk script for tests/load/scale-out.sh: POST /v1/messages or /v1/verifications, every
-- request for a phone and client /48 (3fff::/20) no other request of the run uses (on either
-- instance: <thread offset> keeps the two wrk processes apart), so no quota refuses;
-- round <locations> locations.
-- Usage: wrk -s scale-out.lua URL -- <bearer token> <locations> <thread offset> <messages|verifications>
local next_tid = 0
function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
end

local counter = 0
local base = 0
local locations = 1
local path = "/v1/messages"
function init(args)
  if args[4] == "verifications" then path = "/v1/verifications" end
  locations = tonumber(args[2] or "1")
  base = (tid + 1 + tonumber(args[3] or "0")) * 100000000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[1]
end

function request()
  counter = counter + 1
  local n = base + counter
  local code = ""
  if path == "/v1/messages" then code = '"code":"4821",' end
  local body = string.format(
    '{"location_id":"bench-%d","phone":"+79%09d",%s"purpose":"login","client_ip":"3fff:%x:%x::1"}',
    n % locations, n, code, math.floor(n / 65536) % 4096, n % 65536)
  return wrk.format(nil, path, nil, body)
end
