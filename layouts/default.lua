-- layouts/default.lua: SHA-1 placement, lunatik-ng's default layout policy.
--
-- Contract (docs/pnfs.md, "Lua policies"): the layout function gets a table
-- describing the file and returns {stripe_unit =, servers =, first =}.
--
-- Placement: the SHA-1 of the file's filehandle seeds a small generator that
-- picks WIDTH of the N data servers, in order: each pick is uniform among
-- the servers not picked yet (drawn again on a repeat), so the cost grows
-- with WIDTH, not N. The file is striped over them with a 64 KiB stripe
-- unit.
-- Properties: deterministic (same filehandle and N, same answer); every
-- choice and order equally likely, so files and bytes spread evenly; the
-- answer depends only on the filehandle and N. Adding a server reshuffles
-- most files: use layouts/rendezvous.lua where movement matters.

local STRIPE_UNIT = 64 * 1024
local WIDTH = 4             -- servers per file (all of them when fewer)

-- The placement of a filehandle over n servers: a list of server numbers.
function sha1_placement(fh, n, width)
  local h = crypto.sha1(fh)
  -- 64-bit seed from the hash; an LCG (Knuth's MMIX constants) drives the
  -- picks, its high bits choosing each server.
  local x = h:uint(1, 8) ~ h:uint(9, 8)
  local k = width < n and width or n
  local chosen = {nil, nil, nil, nil}   -- room for WIDTH, made at once
  for i = 1, k do
    local j, again
    repeat
      x = x * 6364136223846793005 + 1442695040888963407
      j = (x >> 33) % n + 1
      again = false
      for m = 1, i - 1 do
        if chosen[m] == j then again = true break end
      end
    until not again
    chosen[i] = j
  end
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
