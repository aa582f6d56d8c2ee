-- The C stack at its deepest (docs/lua-api.md, "Limits"): recurse through
-- pcall until the engine refuses one more level (less than its soft reserve
-- of stack is left), then call, at that depth, each library function that
-- allocates or formats, first with memory to spare, then with the state's
-- memory full (so each allocation fails, runs an emergency collection and
-- raises a memory error, deep down). Every call must end cleanly: a value
-- or a Lua error, never a stack overflow into the guard page. Returns the
-- depth and, per function, how it ended.

local calls = {
  function() return pnfs.stats() end,
  function() return pnfs.dataservers() end,
  function() return pcall(pnfs.set_dataservers, {"not an address"}) end,
  function() return crypto.sha1("abc"):hex() end,
  function() return crypto.random(64) end,
  function() return buffer.new(1000):hex() end,
  function() return string.format("%d %s %q %5.2f", 1, "x", "y\n", 3) end,
  function() return string.rep("ab", 1000, ",") end,
  function() return ("x"):rep(100):gsub("x", "%0%0") end,
  function() return table.concat({1, 2, 3}, ", ") end,
  function() return tostring(setmetatable({}, {__tostring = function() return "t" end})) end,
  function() return load("return 1 + 1")() end,
  function() error({}) end,
}

local function probe(n, f)
  if n == 0 then return f() end
  local ok, r = pcall(probe, n - 1, f)
  if not ok then error(r, 0) end
  return r
end

local depth = 0
while pcall(probe, depth + 1, function() return 1 end) do
  depth = depth + 1
end

local function run_all(tag)
  local out = {}
  for i, f in ipairs(calls) do
    local ok = pcall(probe, depth, f)
    out[#out + 1] = tag .. i .. "=" .. (ok and "ok" or "err")
  end
  return table.concat(out, " ")
end

local spare = run_all("")
local hog = {}
pcall(function()
  while true do hog[#hog + 1] = string.rep("h", 4000) .. #hog end
end)
local full = run_all("full")
hog = nil
collectgarbage()
return depth, spare, full
