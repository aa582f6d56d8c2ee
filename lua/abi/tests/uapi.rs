//! The ABI constants of this crate are the uapi header's
//! (`include/uapi/linux/lunatik.h`, added by nfsd-patches/0001): read from
//! the patch, every `#define` with a number must equal its constant here.

use std::path::Path;

/// The value of `#define NAME VALUE` in the patch's added lines, evaluated
/// for the forms the header uses: `350`, `(1L << 62)`, `(1UL << 20)`.
fn define(patch: &str, name: &str) -> Option<i128> {
    let line = patch
        .lines()
        .filter_map(|l| l.strip_prefix('+'))
        .find(|l| l.starts_with("#define") && l.split_whitespace().nth(1) == Some(name))?;
    let value: String = line
        .split_whitespace()
        .skip(2)
        .collect::<String>()
        .replace(['(', ')', 'U', 'L'], "");
    match value.split_once("<<") {
        Some((a, b)) => Some(a.parse::<i128>().ok()? << b.parse::<u32>().ok()?),
        None => value.parse().ok(),
    }
}

#[test]
fn constants_match_the_uapi_header_of_the_patch() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../nfsd-patches");
    let patch = std::fs::read_dir(&dir)
        .expect("nfsd-patches")
        .filter_map(|e| e.ok())
        .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
        .find(|p| p.contains("+++ b/include/uapi/linux/lunatik.h"))
        .expect("a patch adds include/uapi/linux/lunatik.h");
    let want = [
        ("LUNATIK_SYS_LUA", i128::from(lunatik_abi::SYS_LUA)),
        ("LUNATIK_LUA_ERROR", i128::from(lunatik_abi::LUA_ERROR)),
        ("LUNATIK_CODE_MAX", lunatik_abi::CODE_MAX as i128),
        ("LUNATIK_RESULT_MAX", lunatik_abi::RESULT_MAX as i128),
    ];
    for (name, value) in want {
        assert_eq!(define(&patch, name), Some(value), "{name}");
    }
    assert!(lunatik_abi::truncated(4, 4) && !lunatik_abi::truncated(3, 4));
    assert_eq!(lunatik_abi::capacity(1 << 63), lunatik_abi::RESULT_MAX);
}
