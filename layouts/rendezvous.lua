-- layouts/rendezvous.lua: rendezvous (highest-random-weight) hashing.
--
-- Contract: docs/pnfs.md, "Lua policies".
-- Placement: every server gets a score from the file's SHA-1 and the
-- server's number; the file is striped over the WIDTH best-scoring servers,
-- best first, with a 64 KiB stripe unit.
-- Properties: deterministic; balanced; when a server is added, a file moves
-- only where the new server enters its top WIDTH, about WIDTH/(N+1) of the
-- stripes: the least movement any placement can have. Cost grows with N.

local STRIPE_UNIT = 64 * 1024
local WIDTH = 1

-- A 64-bit mixer (the finalizer of SplitMix64): a score per (file, server).
local function mix(z)
  z = (z ~ (z >> 30)) * -4658895280553007687
  z = (z ~ (z >> 27)) * -7723592293110705685
  return z ~ (z >> 31)
end

function rendezvous_placement(fh, n, width)
  local h = crypto.sha1(fh)
  local seed = h:uint(1, 8)
  local best = {}           -- the top `width` servers, best first
  local score = {}
  local k = math.min(width, n)
  for s = 1, n do
    local v = mix(seed ~ (s * -7046029254386353131))
    -- insert s if it beats the worst of the best (unsigned comparison)
    local pos = #best + 1
    while pos > 1 and math.ult(score[pos - 1], v) do pos = pos - 1 end
    if pos <= k then
      table.insert(best, pos, s)
      table.insert(score, pos, v)
      best[k + 1], score[k + 1] = nil, nil
    end
  end
  return best
end

function rendezvous_layout(file)
  return {
    stripe_unit = STRIPE_UNIT,
    servers = rendezvous_placement(file.fh, file.servers, WIDTH),
    first = 1,
  }
end

pnfs.register(rendezvous_layout)
