-- layouts/default.lua: SHA-1 placement, lunatik-ng's default layout policy.
--
-- Contract (docs/pnfs.md, "Lua policies"): the layout function gets a table
-- describing the file and returns {stripe_unit =, servers =, first =}.
--
-- Placement: the SHA-1 of the file's filehandle seeds a small generator that
-- shuffles the data servers (Fisher-Yates); the file is striped over the
-- first WIDTH of them, in that order, with a 64 KiB stripe unit.
-- Properties: deterministic (same filehandle, same servers, same answer);
-- every order equally likely, so files and bytes spread evenly; the answer
-- depends on nothing but the filehandle and the number of servers.

local STRIPE_UNIT = 64 * 1024
local WIDTH = nil           -- servers per file; nil means all of them

-- The placement of a filehandle over n servers: a list of server numbers.
function sha1_placement(fh, n, width)
  local h = crypto.sha1(fh)
  -- 64-bit seed from the hash; an LCG (Knuth's MMIX constants) drives the
  -- shuffle, its high bits picking each swap.
  local x = h:uint(1, 8) ~ h:uint(9, 8)
  local order = {}
  for i = 1, n do order[i] = i end
  for i = n, 2, -1 do
    x = x * 6364136223846793005 + 1442695040888963407
    local j = (x >> 33) % i + 1
    order[i], order[j] = order[j], order[i]
  end
  local k = math.min(width or n, n)
  local chosen = {}
  for i = 1, k do chosen[i] = order[i] end
  return chosen
end

function sha1_layout(file)
  return {
    stripe_unit = STRIPE_UNIT,
    servers = sha1_placement(file.fh, file.servers, WIDTH),
    first = 1,
  }
end

pnfs.register(sha1_layout)
return "layouts/default.lua: SHA-1 placement registered"
