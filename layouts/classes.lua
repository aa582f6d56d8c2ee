-- layouts/classes.lua: class-based placement.
--
-- Contract: docs/pnfs.md, "Lua policies".
-- Placement by what the file is:
--   * names ending in .log, .tmp or .lock: one server (the SHA-1 pick),
--     small stripes, so that small churning files do not touch every server;
--   * files owned by uid 0: the first server only (system data in one place);
--   * everything else: striped wide, over all servers (at most 8), 1 MiB
--     stripes, starting at a server chosen from the SHA-1.
-- nfsd asks at LAYOUTGET, usually when a file is new and empty, so the
-- class cannot depend on the final size; it depends on name and owner.
-- Properties: deterministic; class rules first, hashing inside a class.

local SMALL = { [".log"] = true, [".tmp"] = true, [".lock"] = true }

local function suffix(name)
  return name and name:match("(%.[^.]+)$")
end

local function pick(fh, n)
  return crypto.sha1(fh):uint(1, 4) % n + 1
end

function classes_layout(file)
  local n = file.servers
  if SMALL[suffix(file.name) or ""] then
    return { stripe_unit = 64 * 1024, servers = { pick(file.fh, n) } }
  end
  if file.uid == 0 then
    return { stripe_unit = 64 * 1024, servers = { 1 } }
  end
  local servers = {}
  for i = 1, math.min(n, 8) do servers[i] = i end
  return {
    stripe_unit = 1024 * 1024,
    servers = servers,
    first = pick(file.fh, #servers),
  }
end

pnfs.register(classes_layout)
