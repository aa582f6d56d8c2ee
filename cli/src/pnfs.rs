//! `lunatik-ng pnfs ...`: the layout policy of nfsd, through the `pnfs`
//! library of the default state (docs/pnfs.md). Each command is one
//! SYS_lua call whose code this module writes.

/// `s` as a Lua long string literal that holds it exactly, whatever it
/// contains (a level of `=` that does not occur in it).
pub fn long_string(s: &[u8]) -> Vec<u8> {
    // The closing bracket must neither occur in `s` nor be completed by
    // its tail (`s` ending in "]=" and the bracket "]=]" after it).
    let mut level = 0;
    loop {
        let eq = "=".repeat(level);
        let close = format!("]{eq}]");
        let inside = s.windows(close.len()).any(|w| w == close.as_bytes());
        if !inside && !s.ends_with(format!("]{eq}").as_bytes()) {
            break;
        }
        level += 1;
    }
    let eq = "=".repeat(level);
    // Lua skips a newline right after the opening bracket: give it one.
    let mut out = format!("[{eq}[\n").into_bytes();
    out.extend_from_slice(s);
    out.extend_from_slice(format!("]{eq}]").as_bytes());
    out
}

/// The code of `pnfs load`: load `source` as `name` (for the files of
/// `export` only, if given), then say what is loaded.
pub fn load_code(source: &[u8], name: &str, export: Option<&str>) -> Vec<u8> {
    let mut code = b"pnfs.load(".to_vec();
    code.extend_from_slice(&long_string(source));
    code.extend_from_slice(b", {name = ");
    code.extend_from_slice(&long_string(name.as_bytes()));
    match export {
        Some(e) => {
            code.extend_from_slice(b", export = ");
            code.extend_from_slice(&long_string(e.as_bytes()));
            code.extend_from_slice(b"})\nreturn ");
            code.extend_from_slice(&long_string(format!("loaded {name} for the files of export {e}").as_bytes()));
        }
        None => code.extend_from_slice(
            b"})\nlocal p = pnfs.stats().policy\nreturn ('loaded %s (sha1 %s) into %d policy states'):format(p.name, p.sha1, p.states)",
        ),
    }
    code
}

/// The code of `pnfs unload`: every policy, or the one of `export`.
pub fn unload_code(export: Option<&str>) -> Vec<u8> {
    match export {
        Some(e) => {
            let mut code = b"pnfs.unload(".to_vec();
            code.extend_from_slice(&long_string(e.as_bytes()));
            code.push(b')');
            code
        }
        None => b"pnfs.unload()".to_vec(),
    }
}

/// The code of `pnfs eval`: `code` in every policy state.
pub fn eval_code(code: &str) -> Vec<u8> {
    let mut out = b"return (pnfs.eval(".to_vec();
    out.extend_from_slice(&long_string(code.as_bytes()));
    out.extend_from_slice(b"):gsub('\\n$', ''))");
    out
}

/// The code of `pnfs show`: the policy and the counters, "key value" lines.
pub const SHOW_CODE: &str = r#"
local s = pnfs.stats()
local out = {}
local p = s.policy
if p then
  out[#out + 1] = "policy " .. p.name
  out[#out + 1] = "sha1 " .. p.sha1
  out[#out + 1] = "states " .. p.states
  out[#out + 1] = "memory " .. p.memory
  out[#out + 1] = "loaded " .. p.loaded
else
  out[#out + 1] = "policy none (nfsd uses its built-in layout)"
end
out[#out + 1] = "dataservers " .. table.concat(pnfs.dataservers(), ",")
for _, k in ipairs({"decisions", "errors", "fallbacks", "median_ns", "max_ns", "max_wait_ns"}) do
  out[#out + 1] = k .. " " .. s[k]
end
for _, k in ipairs({"policy", "builtin", "failed", "rejected", "device_fallback", "recalls", "devices"}) do
  out[#out + 1] = "nfsd_" .. k .. " " .. s.nfsd[k]
end
return table.concat(out, "\n")
"#;

/// The code of `pnfs show --json`: the same as one JSON document (field
/// names in docs/pnfs.md, "pnfs show --json").
pub const SHOW_JSON_CODE: &str = r#"
local function str(v)
  return '"' .. tostring(v):gsub('[%c"\\\128-\255]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end
local function obj(t, keys)
  local f = {}
  for _, k in ipairs(keys) do
    local v = t[k]
    f[#f + 1] = str(k) .. ": " .. (math.type(v) == "integer" and tostring(v) or str(v))
  end
  return "{" .. table.concat(f, ", ") .. "}"
end
local s = pnfs.stats()
local ds = {}
for i, a in ipairs(pnfs.dataservers()) do ds[i] = str(a) end
local p = s.policy and obj(s.policy, {"name", "sha1", "states", "memory", "loaded"}) or "null"
return "{" .. table.concat({
  '"policy": ' .. p,
  '"dataservers": [' .. table.concat(ds, ", ") .. "]",
  '"engine": ' .. obj(s, {"decisions", "errors", "fallbacks", "median_ns", "max_ns", "max_wait_ns"}),
  '"nfsd": ' .. obj(s.nfsd, {"policy", "builtin", "failed", "rejected", "device_fallback", "recalls", "devices"}),
}, ", ") .. "}"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn strip(lit: &[u8]) -> Vec<u8> {
        let open = lit.iter().position(|&b| b == b'\n').unwrap() + 1;
        let level = open - 3;
        lit[open..lit.len() - level - 2].to_vec()
    }

    #[test]
    fn long_strings_hold_anything() {
        for s in [
            &b"plain"[..],
            b"a]]b",
            b"a]=]b]]",
            b"ends with ]",
            b"ends with ]=",
            b"\nstarts with a newline",
            b"",
        ] {
            let lit = long_string(s);
            assert_eq!(strip(&lit), s, "{}", String::from_utf8_lossy(&lit));
            let level = lit.iter().skip(1).take_while(|&&b| b == b'=').count();
            let close = format!("]{}]", "=".repeat(level));
            let inner = &lit[level + 3..];
            let first = inner
                .windows(close.len())
                .position(|w| w == close.as_bytes())
                .unwrap();
            assert_eq!(first + close.len(), inner.len(), "closes early: {s:?}");
        }
    }
}
