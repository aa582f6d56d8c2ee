-- layouts/roundrobin.lua: round-robin striping over all data servers.
--
-- Contract: docs/pnfs.md, "Lua policies".
-- Placement: every file is striped over all servers in list order, with a
-- 64 KiB stripe unit, starting on a server chosen by the inode number, so
-- that small files do not all begin on server 1.
-- Properties: deterministic; each server holds an equal share of every large
-- file; adding a server moves almost every stripe.

local STRIPE_UNIT = 64 * 1024

function roundrobin_layout(file)
  local servers = {}
  for i = 1, file.servers do servers[i] = i end
  return {
    stripe_unit = STRIPE_UNIT,
    servers = servers,
    first = file.ino % file.servers + 1,
  }
end

pnfs.register(roundrobin_layout)
return "layouts/roundrobin.lua: round-robin registered"
