-- layouts/weighted.lua: capacity-weighted placement.
--
-- Contract: docs/pnfs.md, "Lua policies".
-- Placement: set the global `weights` to one positive integer per server
-- (e.g. capacities in TiB) in the policy states, after loading
-- (`lunatik-ng pnfs eval 'weights = {4, 4, 1}'`) or at the top of a copy of
-- this file; without it every server weighs 1. Each file goes to WIDTH servers drawn by weighted rendezvous
-- hashing: server s scores -w_s / ln(u), u uniform from the file's hash;
-- in integers, the score compares u^(1/w) through w * log2 estimates.
-- Properties: deterministic; a server's share of files is proportional to
-- its weight; changing one weight moves only files to or from that server.

local STRIPE_UNIT = 64 * 1024
local WIDTH = 1

local function mix(z)
  z = (z ~ (z >> 30)) * -4658895280553007687
  z = (z ~ (z >> 27)) * -7723592293110705685
  return z ~ (z >> 31)
end

-- -log2(u) for u = x / 2^32 in (0, 1], in 1/65536 units (integer only).
local function neglog2(x)
  x = x & 0xffffffff
  if x == 0 then x = 1 end
  local e = 0
  while x < 0x80000000 do x = x << 1; e = e + 1 end
  -- x in [2^31, 2^32): log2(x / 2^31) ~ (x - 2^31) / 2^31, a linear estimate
  local frac = ((x - 0x80000000) * 65536) // 0x80000000
  return e * 65536 - frac + 65536
end

function weighted_placement(fh, n, width)
  local h = crypto.sha1(fh)
  local seed = h:uint(1, 8)
  local best, bestkey = {}, {}
  local k = math.min(width, n)
  for s = 1, n do
    local w = (weights and weights[s]) or 1
    if w > 0 then
      -- smaller -log2(u)/w is better: compare as a fraction
      local key = (neglog2(mix(seed ~ (s * -7046029254386353131))) << 16) // w
      local pos = #best + 1
      while pos > 1 and bestkey[pos - 1] > key do pos = pos - 1 end
      if pos <= k then
        table.insert(best, pos, s)
        table.insert(bestkey, pos, key)
        best[k + 1], bestkey[k + 1] = nil, nil
      end
    end
  end
  return best
end

function weighted_layout(file)
  return {
    stripe_unit = STRIPE_UNIT,
    servers = weighted_placement(file.fh, file.servers, WIDTH),
    first = 1,
  }
end

pnfs.register(weighted_layout)
