-- Scripts whose work is inside C functions, where the instruction hook
-- never fires (issue 12): each must come back within the entry's CPU time
-- as a Lua error (its budget or its time ran out) or a value, and the state
-- must answer the next call. Run by lua/tests/limits.rs on the twin and by
-- testbed/guest/suites/contention.sh in the kernel, while nfsd decides.
-- A case starts with "-- case: NAME | expect: TEXT|TEXT" or
-- "-- case: NAME | returns: TEXT".

-- case: string.rep of nothing 2^63 times | returns: 0
return #string.rep('', math.maxinteger)

-- case: string.rep of nothing with an empty separator | returns: 0
return #string.rep('', math.maxinteger, '')

-- case: table.move of 2^63 nils | expect: instruction budget exhausted|CPU time limit exceeded
table.move({}, 1, math.maxinteger, 1)

-- case: table.insert trusting a huge __len | expect: instruction budget exhausted|CPU time limit exceeded
local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})
table.insert(t, 1, 'x')

-- case: table.remove trusting a huge __len | expect: instruction budget exhausted|CPU time limit exceeded
local t = setmetatable({}, {__len = function() return math.maxinteger - 1 end})
table.remove(t, 1)

-- case: plain string.find, 2 MiB subject and 512 KiB needle | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('a', 2 << 20)
local p = string.rep('a', 512 << 10) .. 'b'
return s:find(p, 1, true)

-- case: %b over a megabyte of open parentheses | expect: instruction budget exhausted|CPU time limit exceeded
return string.rep('(', 1 << 20):find('%b()')

-- case: greedy repetition backtracking over a megabyte | expect: instruction budget exhausted|CPU time limit exceeded
return string.rep('a', 1 << 20):find('a*b')

-- case: gsub of every byte, again and again | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('a', 2 << 20)
for i = 1, math.maxinteger do s:gsub('a', '') end

-- case: string.format of a megabyte in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local big = string.rep('x', 1 << 20)
for i = 1, math.maxinteger do string.format('%s', big) end

-- case: table.concat of 200,000 empty strings in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local t = {}
for i = 1, 200000 do t[i] = '' end
for i = 1, math.maxinteger do table.concat(t) end

-- case: table.unpack of 100,000 values in a loop | expect: instruction budget exhausted|CPU time limit exceeded
for i = 1, math.maxinteger do select('#', table.unpack({}, 1, 100000)) end

-- case: table.sort of 100,000 strings in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local t = {}
for i = 1, 100000 do t[i] = tostring((i * 7919) % 100000) end
for i = 1, math.maxinteger do table.sort(t) end

-- case: utf8.len of 2 MiB in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('\xc3\xa9', 1 << 20)
for i = 1, math.maxinteger do utf8.len(s) end

-- case: crypto.sha1 of 3 MiB in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('x', 3 << 20)
for i = 1, math.maxinteger do crypto.sha1(s) end

-- case: == of two distinct equal 2 MiB strings in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local a, b = string.rep('x', 2 << 20), string.rep('x', 2 << 20)
local n = 0
while true do if a == b then n = n + 1 end end

-- case: < of two 2 MiB strings in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local a, b = string.rep('x', 2 << 20), string.rep('x', 2 << 20) .. 'y'
local n = 0
while true do if a < b then n = n + 1 end end

-- case: concatenation of a megabyte in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('x', 1 << 20)
while true do local t = s .. s end

-- case: string.byte of 100,000 bytes in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('x', 100000)
while true do select('#', s:byte(1, -1)) end

-- case: load of a 1 MiB chunk in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local code = string.rep('x=1 ', 1 << 18)
while true do load(code) end

-- case: coroutines made in a loop | expect: instruction budget exhausted|CPU time limit exceeded
while true do coroutine.wrap(function() end) end

-- case: buffer:hex of 1 MiB in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local b = buffer.new(1 << 20)
while true do b:hex() end

-- case: string.reverse and upper of 1 MiB in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('ab', 1 << 19)
while true do s:reverse():upper() end

-- case: full collections of a big heap in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local t = {}
for i = 1, 50000 do t[i] = {i} end
while true do collectgarbage() end

-- case: string.format %q of 600 KB in a loop | expect: instruction budget exhausted|CPU time limit exceeded
local s = string.rep('\0\n"', 200000)
while true do string.format('%q', s) end
