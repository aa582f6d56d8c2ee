//! `pnfs show --json` runs Lua in the kernel's default state; here the same
//! code runs on the engine's userspace twin, with a server that says awkward
//! things (quotes, backslashes, control and non-ASCII bytes in the policy's
//! name, IPv6 data servers), and the output must be one valid JSON document
//! with the documented fields (checked by Python's json module).

use std::ffi::CStr;
use std::io::Write;
use std::process::{Command, Stdio};

use lunatik_lua::host::{Host, PolicyInfo, Stats};
use lunatik_lua::{Engine, Limits};

struct Server;

const NAME: &[u8] = b"we\"ird\\na\tme\x01\xc3\xa9";

impl Host for Server {
    fn set_policy(&self, _active: bool) -> Result<(), &'static CStr> {
        Ok(())
    }
    fn set_dataservers(&self, _list: &CStr, _err: &mut [u8]) -> Result<(), usize> {
        Ok(())
    }
    fn dataservers(&self, out: &mut [u8]) -> usize {
        let list = b"10.99.1.1:2049,[fd00::2]:2050";
        out[..list.len()].copy_from_slice(list);
        list.len()
    }
    fn stats(&self) -> Stats {
        Stats {
            decisions: 7,
            errors: 1,
            fallbacks: 2,
            median_ns: 40_000,
            max_ns: 90_000,
            max_wait_ns: 5,
            nfsd_policy: 7,
            nfsd_builtin: 3,
            nfsd_failed: 3,
            nfsd_rejected: 0,
            nfsd_device_fallback: 0,
            nfsd_recalls: 4,
            nfsd_devices: 2,
        }
    }
    fn policy_info(&self) -> Option<PolicyInfo> {
        let mut name = [0u8; 64];
        name[..NAME.len()].copy_from_slice(NAME);
        Some(PolicyInfo {
            name,
            name_len: NAME.len(),
            sha1: [0xab; 20],
            states: 2,
            memory: 123_456,
            loaded: 1_700_000_000,
        })
    }
}

static SERVER: Server = Server;

fn show_json() -> String {
    let limits = Limits {
        memory: 8 << 20,
        instructions: 10_000_000,
        cpu_ms: 10_000,
    };
    let engine = Engine::with_host(limits, &SERVER).expect("a state");
    let code = include_str!("../src/pnfs.rs");
    let start = code
        .find("pub const SHOW_JSON_CODE: &str = r#\"")
        .expect("the JSON code")
        + 36;
    let end = start + code[start..].find("\"#;").expect("its end");
    engine.exec(&code.as_bytes()[start..end]).text()
}

#[test]
fn show_json_is_one_valid_document_with_the_documented_fields() {
    let out = show_json();
    let check = r#"
import json, sys
d = json.load(sys.stdin)
assert set(d) == {"policy", "dataservers", "engine", "nfsd"}, d
p = d["policy"]
assert set(p) == {"name", "sha1", "states", "memory", "loaded"}, p
assert p["states"] == 2 and p["memory"] == 123456 and p["sha1"] == "ab" * 20, p
assert p["name"].startswith('we"ird\\na\tme\x01'), p["name"]
assert d["dataservers"] == ["10.99.1.1:2049", "[fd00::2]:2050"], d
assert d["engine"] == {"decisions": 7, "errors": 1, "fallbacks": 2, "median_ns": 40000, "max_ns": 90000, "max_wait_ns": 5}, d
assert d["nfsd"] == {"policy": 7, "builtin": 3, "failed": 3, "rejected": 0, "device_fallback": 0, "recalls": 4, "devices": 2}, d
"#;
    let mut py = Command::new("python3")
        .args(["-c", check])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3 (the test command installs it)");
    py.stdin
        .take()
        .expect("stdin")
        .write_all(out.as_bytes())
        .expect("write");
    let status = py.wait().expect("python3 ran");
    assert!(status.success(), "not the documented JSON: {out}");
}
