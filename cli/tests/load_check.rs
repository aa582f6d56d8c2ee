//! `pnfs load --check` runs layout-sim's check before any kernel call: a
//! broken policy is refused with the check's report and exit status 1, on a
//! host without the lua system call too, since the kernel is never asked;
//! a good one goes on to the loading step, which such a host then refuses.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn fixture(name: &str) -> String {
    format!("{}/../layouts/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn load_check(policy: &str, stdin: Option<&[u8]>) -> (Option<i32>, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_lunatik-ng"))
        .args(["pnfs", "load", "--check", policy])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lunatik-ng runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.unwrap_or_default()).expect("write");
    drop(input);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("lunatik-ng ran");
    (
        status.code(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

/// A broken policy: exit status 1, the check's report with `reason` on
/// standard output, and no sign of the lua system call (on a host without
/// it, a call would have said "no lua system call" with status 3).
fn refused(policy: &str, stdin: Option<&[u8]>, reason: &str, verdict: &str) {
    let (code, out, err) = load_check(policy, stdin);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(out.contains(reason), "no '{reason}' in\n{out}");
    assert!(out.ends_with(&format!("FAIL: {verdict}\n")), "{out}");
    assert!(
        err.contains(&format!(
            "failed its check ({verdict}): not loaded, the running policy stays"
        )),
        "{err}"
    );
    assert!(!err.contains("system call"), "the kernel was asked: {err}");
}

#[test]
fn a_policy_that_errors_for_some_files_is_not_loaded() {
    refused(
        &fixture("tests/fixtures/errors_on_some.lua"),
        None,
        "policy:11: attempt to index a nil value (field 'name')",
        "1,664 errors",
    );
}

#[test]
fn a_policy_that_names_a_missing_server_is_not_loaded() {
    refused(
        &fixture("tests/fixtures/index_out_of_range.lua"),
        None,
        "with 1 to 4 data servers: server 5 > 1 data server",
        "352 answers rejected",
    );
}

#[test]
fn a_policy_that_runs_past_the_budget_is_not_loaded() {
    refused(
        &fixture("tests/fixtures/over_budget.lua"),
        None,
        "instruction budget exhausted: 1,000,000 instructions (max_policy_instructions)",
        "10 decisions reached a limit",
    );
}

#[test]
fn a_policy_that_does_not_load_on_the_twin_is_not_loaded() {
    refused(
        "-",
        Some(b"local x = 1\n"),
        "(standard input): ",
        "the policy does not load",
    );
}

#[test]
fn the_bytes_read_from_standard_input_are_the_ones_checked() {
    let source = std::fs::read(fixture("tests/fixtures/index_out_of_range.lua")).unwrap();
    refused(
        "-",
        Some(&source),
        "layout-sim check (standard input): 500 files (seed 1)",
        "352 answers rejected",
    );
}

/// Whether this machine has the lua system call: then the test would load
/// a policy into a real server, so it does not run.
fn kernel_has_sys_lua() -> bool {
    let syms = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    Path::new("/sys/module/lunatik_ng").exists()
        || syms
            .lines()
            .any(|l| l.ends_with(" __x64_sys_lua") || l.ends_with(" sys_lua"))
}

#[test]
fn a_policy_that_passes_goes_on_to_the_loading_step() {
    if kernel_has_sys_lua() {
        eprintln!("skipped: this kernel has the lua system call (it would load the policy)");
        return;
    }
    let (code, out, err) = load_check(&fixture("default.lua"), None);
    assert!(out.contains("errors        none"), "{out}");
    assert!(out.ends_with("PASS\n"), "{out}");
    // the loading step: the kernel is asked, and this one has no SYS_lua
    assert_eq!(code, Some(3), "{out}{err}");
    assert!(err.contains("no lua system call"), "{err}");
}

#[test]
fn the_refusal_in_docs_is_what_load_check_prints() {
    let doc = include_str!("../../docs/pnfs.md");
    let start = doc
        .find("$ lunatik-ng pnfs load --check ")
        .expect("the example is in docs/pnfs.md");
    let block = &doc[start..start + doc[start..].find("```").expect("its end")];
    let policy = block.lines().next().unwrap().rsplit(' ').next().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lunatik-ng"))
        .args(["pnfs", "load", "--check", policy])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("lunatik-ng runs");
    assert_eq!(out.status.code(), Some(1));
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    for line in block.lines().skip(1).filter(|l| *l != "...") {
        assert!(
            printed.lines().any(|p| p == line),
            "not printed: {line}\n{printed}"
        );
    }
}
