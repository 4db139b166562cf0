-- POST /api/v2/users with Prefer: respond-async: the user's fields sealed under a new data key.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Prefer"] = "respond-async"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, "/api/v2/users", nil,
    '{"fname":"Bench","lname":"User ' .. counter .. '","email":"user' .. counter .. '@example.org"}')
end
