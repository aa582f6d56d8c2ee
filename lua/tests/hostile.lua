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

-- A stopped entry unwinds: every pcall, handler, __close and finalizer on
-- its stack meets the stop once more, so each must cost little, and no
-- coroutine may run long before its first checkpoint (lua/patches/14 to 18;
-- docs/lua-api.md, "Once stopped, stopped"). Found by the program fuzzer
-- (seed 1000330) and grown from it; lua/tests/limits.rs also runs these with
-- a short time bound and memory to spare:

-- case: pcall recursion inside a coroutine, stopped deep | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local co = coroutine.create(function()
  local function f() while true do pcall(f) end end
  pcall(f)
end)
local ok, e = coroutine.resume(co)
error(e, 0)

-- case: pcall recursion inside a coroutine, two calls a level | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local function f() pcall(f) pcall(f) end
coroutine.wrap(function() f() end)()

-- case: xpcall recursion inside a coroutine, a handler at every level | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local function h(e) local n = 0 for i = 1, 100 do n = n + i end return e end
local function f() xpcall(f, h) xpcall(f, h) end
coroutine.wrap(function() f() end)()

-- case: to-be-closed variables at every level of a pcall recursion | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local mt = {__close = function() local n = 0 for i = 1, 100 do n = n + i end end}
local function f()
  local x <close> = setmetatable({}, mt)
  pcall(f) pcall(f)
end
coroutine.wrap(function() f() end)()

-- case: __close methods that raise again at every level | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local mt = {__close = function(_, e) error(e, 0) end}
local function f()
  local a <close> = setmetatable({}, mt)
  local b <close> = setmetatable({}, mt)
  pcall(f) pcall(f)
end
coroutine.wrap(function() f() end)()

-- case: error objects with __gc at every level of a pcall recursion | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local mt = {__gc = function() local n = 0 for i = 1, 100 do n = n + i end end}
local function f() pcall(error, setmetatable({}, mt)) pcall(f) pcall(f) end
coroutine.wrap(function() f() end)()

-- case: pcalls inside table.sort comparators, in a coroutine | expect: instruction budget exhausted|CPU time limit exceeded|not enough memory
local function f()
  table.sort({1, 2, 3}, function(a, b) pcall(f) pcall(f) return a < b end)
end
coroutine.wrap(function() f() end)()

-- case: a tree of coroutines, each too short to reach a hook of its own | expect: instruction budget exhausted|CPU time limit exceeded
local function tree(d)
  if d < 12 then for i = 1, 20 do coroutine.wrap(tree)(d + 1) end end
end
tree(1)

-- case: a tree of new coroutines after the stop | expect: instruction budget exhausted|CPU time limit exceeded
pcall(function() while true do end end)
local function tree(d) for i = 1, 20 do pcall(coroutine.wrap(tree), d + 1) end end
tree(1)

-- case: a tree of __close methods run by coroutine.close | expect: instruction budget exhausted|CPU time limit exceeded
local mt = {}
local function closer()
  local co = coroutine.create(function()
    local x <close> = setmetatable({}, mt)
    coroutine.yield()
  end)
  coroutine.resume(co)
  coroutine.close(co)
end
mt.__close = function() for i = 1, 20 do closer() end end
closer()

-- case: allocations failing at the memory cap, each after a full collection | expect: instruction budget exhausted|CPU time limit exceeded
local t = {}
pcall(function() for i = 1, math.maxinteger do t[i] = {} end end)
local function new() return {} end
while true do pcall(new) end

-- case: a coroutine stopped with no pcall, whose __close loops when wrap closes it | expect: instruction budget exhausted|CPU time limit exceeded
coroutine.wrap(function()
  local x <close> = setmetatable({}, {__close = function() while true do end end})
  while true do end
end)()

-- case: a stopped coroutine's __close that loops, run by coroutine.close | expect: instruction budget exhausted|CPU time limit exceeded
local co = coroutine.create(function()
  local x <close> = setmetatable({}, {__close = function() while true do end end})
  while true do end
end)
local _, e = coroutine.resume(co)
coroutine.close(co)
error(e, 0)
