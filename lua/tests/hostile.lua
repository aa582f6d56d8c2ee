-- Scripts that try to crash, hang or exhaust the engine. Each must end in a
-- Lua error whose message contains the text after "expect:", leave no oops,
-- and the state must answer the next call. Run by lua/tests/limits.rs on the
-- twin and by testbed/guest/suites/engine-limits.sh in the kernel.
-- A case starts with "-- case: NAME | expect: TEXT".

-- case: endless loop | expect: instruction budget exhausted|CPU time limit exceeded
while true do end

-- case: string.rep 1<<40 | expect: resulting string too large
return string.rep("x", 1 << 40)

-- case: string.rep past the memory cap | expect: not enough memory
return string.rep("x", 1 << 30)

-- case: table grows until the cap | expect: not enough memory
local t = {}
for i = 1, math.maxinteger do t[i] = i end

-- case: Lua recursion a million deep | expect: stack overflow|not enough memory
local function f(n) return n == 0 and 0 or 1 + f(n - 1) end
return f(1000000)

-- case: C recursion through __index | expect: C stack overflow|error in error handling
local t = setmetatable({}, {__index = function(t, k) return t[k] end})
return t.x

-- case: nested pcall | expect: C stack overflow|error in error handling
local function f() local ok, e = pcall(f) error(e, 0) end
f()

-- case: load inside load | expect: C stack overflow|error in error handling
local function r() local f, e = load(r) if not f then error(e, 0) end end
local f, e = load(r)
error(e, 0)

-- case: gsub with a recursive Lua callback | expect: C stack overflow|error in error handling|pattern too complex
local function g(s) return (s:gsub(".", g)) end
return g("x")

-- case: nested coroutines | expect: C stack overflow|error in error handling
local function f() return coroutine.wrap(f)() end
return f()

-- case: 100000 nested parentheses | expect: C stack overflow|error in error handling|chunk has too many
local src = "return " .. string.rep("(", 100000) .. "1" .. string.rep(")", 100000)
local f, e = load(src)
error(e, 0)

-- case: 100000 nested table constructors | expect: C stack overflow|error in error handling|chunk has too many
local src = "return " .. string.rep("{", 100000) .. string.rep("}", 100000)
local f, e = load(src)
error(e, 0)

-- case: exponential pattern backtracking | expect: instruction budget exhausted|CPU time limit exceeded
return string.find(string.rep("a", 64), string.rep("a*", 32) .. "b")

-- case: yield across a C-call boundary | expect: attempt to yield across a C-call boundary
local co = coroutine.wrap(function()
  table.sort({3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
end)
co()

-- case: a coroutine yields across pcall (allowed in Lua 5.4), then errors | expect: after the yield
local co = coroutine.create(function()
  local ok, v = pcall(coroutine.yield, "inside pcall")
  error("after the yield: " .. tostring(v), 0)
end)
local _, first = coroutine.resume(co)
local ok, e = coroutine.resume(co, first)
error(e, 0)

-- Found by the program fuzzer (lua/tests/fuzz.rs), minimized:

-- case: a finalizer that loops forever | expect: instruction budget exhausted|CPU time limit exceeded
setmetatable({}, {__gc = function() while true do end end})
collectgarbage()
for i = 1, math.maxinteger do end

-- case: a loop whose work is inside pcall, stopped again and again | expect: instruction budget exhausted|CPU time limit exceeded
for i = 1, math.maxinteger do pcall(function() return pnfs.load(1, {name = 'x'}) end) end

-- case: an xpcall handler that loops forever | expect: instruction budget exhausted|CPU time limit exceeded
local ok, e = xpcall(function() while true do end end, function() while true do end end)
error(e, 0)

-- case: a value whose __call is itself | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory|stack overflow
local mt = {}
local o = setmetatable({}, mt)
mt.__call = o
return o()
