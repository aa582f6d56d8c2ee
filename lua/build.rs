//! Builds the Lua 5.4 core from the pinned `lua-src` crate with lunatik-ng's
//! port (lua/luaconf.h, lua/patches, lua/*.c): the same sources the kernel
//! module compiles (lua/sources.mk), for the userspace twin.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The Lua version directory inside the lua-src crate.
const LUA_DIR: &str = "lua-5.4.9";

fn fail(msg: String) -> ! {
    panic!("lunatik-lua build: {msg}")
}

/// The lua-src crate's folder, from `cargo metadata` (pinned by Cargo.lock).
fn lua_src_dir(workspace: &Path) -> PathBuf {
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--offline",
            "--filter-platform",
        ])
        .arg(env::var("TARGET").unwrap_or_else(|_| "x86_64-unknown-linux-gnu".into()))
        .arg("--manifest-path")
        .arg(workspace.join("Cargo.toml"))
        .output()
        .unwrap_or_else(|e| fail(format!("cannot run cargo metadata: {e}")));
    let json = String::from_utf8_lossy(&out.stdout);
    let key = "\"manifest_path\":\"";
    for part in json.split(key).skip(1) {
        let path = &part[..part.find('"').unwrap_or(0)];
        if path.contains("/lua-src-") {
            return Path::new(path)
                .parent()
                .unwrap_or(Path::new("/"))
                .join(LUA_DIR);
        }
    }
    fail("lua-src not found by cargo metadata".into())
}

/// `NAME := a b c` lines of lua/sources.mk.
fn mk_list(mk: &str, name: &str) -> Vec<String> {
    mk.lines()
        .find_map(|l| l.strip_prefix(name)?.trim_start().strip_prefix(":="))
        .unwrap_or_else(|| fail(format!("{name} missing from lua/sources.mk")))
        .split_whitespace()
        .map(String::from)
        .collect()
}

fn main() {
    let here = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let workspace = here.parent().unwrap_or(&here).to_path_buf();
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default());
    let src = lua_src_dir(&workspace);
    let core = out.join("core");

    // A fresh copy of the core, minus its own luaconf.h, then our patches.
    let _ = fs::remove_dir_all(&core);
    fs::create_dir_all(&core).unwrap_or_else(|e| fail(format!("{}: {e}", core.display())));
    for entry in fs::read_dir(&src).unwrap_or_else(|e| fail(format!("{}: {e}", src.display()))) {
        let path = entry.map(|e| e.path()).unwrap_or_default();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if (name.ends_with(".c") || name.ends_with(".h")) && name != "luaconf.h" {
            fs::copy(&path, core.join(name)).unwrap_or_else(|e| fail(format!("{name}: {e}")));
        }
    }
    let mut patches: Vec<PathBuf> = fs::read_dir(here.join("patches"))
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    patches.sort();
    for p in &patches {
        let ok = Command::new("patch")
            .args(["-p1", "-s", "-N", "-d"])
            .arg(&core)
            .arg("-i")
            .arg(p)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if !ok {
            fail(format!(
                "patch {} does not apply (is `patch` installed?)",
                p.display()
            ));
        }
    }

    let mk = fs::read_to_string(here.join("sources.mk"))
        .unwrap_or_else(|e| fail(format!("sources.mk: {e}")));
    let mut build = cc::Build::new();
    build
        .include(&here) // our luaconf.h and lunatik_port.h first
        .include(&core)
        .flag("-std=gnu99")
        .flag("-fwrapv")
        .warnings(false);
    for f in mk_list(&mk, "LUA_CORE") {
        build.file(core.join(format!("{f}.c")));
    }
    for f in mk_list(&mk, "LUA_PORT") {
        build.file(here.join(format!("{f}.c")));
    }
    build.compile("lunatik_lua_core");

    println!("cargo:rerun-if-changed=build.rs");
    for f in [
        "luaconf.h",
        "lunatik_port.h",
        "sources.mk",
        "patches",
        "kshim",
    ] {
        println!("cargo:rerun-if-changed={}", here.join(f).display());
    }
    for f in mk_list(&mk, "LUA_PORT") {
        println!(
            "cargo:rerun-if-changed={}",
            here.join(format!("{f}.c")).display()
        );
    }
}
