-- GET /api/v1/music/{id} over ids seeded by bench/http (one id per line in bench/.ids).
local ids = {}
for line in io.lines(os.getenv("ENCORE_BENCH_IDS") or "bench/.ids") do ids[#ids + 1] = line end
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", "/api/v1/music/" .. ids[(counter % #ids) + 1])
end
