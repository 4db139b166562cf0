-- POST /api/v2/music with Prefer: respond-async: answered once the broker has the command.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "respond-async"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/v2/music", nil, '{"artist":"Bench","songTitle":"Song ' .. counter .. '"}')
end
