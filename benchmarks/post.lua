-- wrk script: POST one JSON prediction request of 20 features, cycling through 256 rows drawn
-- once (seeded) from a standard normal, so that the drift processor sees a live distribution
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(3)
local bodies = {}
for i = 1, 256 do
  local values = {}
  for j = 1, 20 do
    -- Box-Muller: one standard normal from two uniforms
    local u, v = math.random(), math.random()
    values[j] = string.format("%.4f", math.sqrt(-2 * math.log(1 - u)) * math.cos(2 * math.pi * v))
  end
  bodies[i] = '{"features": [' .. table.concat(values, ", ") .. ']}'
end
local n = 0
request = function()
  n = n % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
