-- POST /api/v1/music/: answered once the command is applied to the read model.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/v1/music/", nil, '{"Artist":"Bench","SongTitle":"Sync ' .. counter .. '"}')
end
