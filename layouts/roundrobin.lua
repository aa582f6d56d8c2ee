-- layouts/roundrobin.lua: round-robin striping over all data servers.
--
-- Contract: docs/pnfs.md, "Lua policies".
-- Placement: every file is striped over all servers in list order, with a
-- 64 KiB stripe unit, starting on a server chosen by the inode number, so
-- that small files do not all begin on server 1.
-- Properties: deterministic; each server holds an equal share of every large
-- file; adding a server moves almost every stripe.

local STRIPE_UNIT = 64 * 1024

-- The answers, made once per server count and first server and kept in
-- this state (a cache: docs/pnfs.md, "Policy states"): nfsd copies what it
-- needs, so an answer can be handed out again. One server order (1..n) for
-- every file: the files differ only in their first stripe, and nfsd keeps
-- a single device for all of them.
local answers = {}

function roundrobin_layout(file)
  local n = file.servers
  local first = file.ino % n + 1
  local byfirst = answers[n]
  if not byfirst then
    local servers = {}
    for i = 1, n do servers[i] = i end
    byfirst = {servers = servers}
    answers[n] = byfirst
  end
  local a = byfirst[first]
  if not a then
    a = {stripe_unit = STRIPE_UNIT, servers = byfirst.servers, first = first}
    byfirst[first] = a
  end
  return a
end

pnfs.register(roundrobin_layout)
