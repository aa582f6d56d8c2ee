//! `layout-sim check`: it passes every policy of layouts/ and fails each
//! broken policy of tests/fixtures/ for its own reason.

use std::path::{Path, PathBuf};
use std::process::Command;

use layout_sim::check::{self, Options};
use layout_sim::policy::{self, Rejection};
use lunatik_lua::libs::pnfs::Layout;

fn dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `layout-sim check` on `policy`: exit status and standard output.
fn check_cmd(policy: &Path, args: &[&str]) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-sim"))
        .arg("check")
        .arg(policy)
        .args(args)
        .output()
        .expect("layout-sim runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn policies() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    v.sort();
    v
}

#[test]
fn every_policy_of_layouts_passes() {
    let all = policies();
    assert!(all.len() >= 5, "{all:?}");
    for p in all {
        let (code, text) = check_cmd(&p, &["--files", "200"]);
        assert_eq!(code, Some(0), "{}:\n{text}", p.display());
        assert!(text.ends_with("PASS\n"), "{text}");
        for line in [
            "errors        none",
            "rejected      none",
            "limits        none",
        ] {
            assert!(
                text.contains(line),
                "{}: no '{line}' in\n{text}",
                p.display()
            );
        }
        assert!(text.contains("12,800 decisions"), "{text}");
    }
}

#[test]
fn a_policy_that_errors_for_some_files_fails() {
    let (code, text) = check_cmd(&dir().join("tests/fixtures/errors_on_some.lua"), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "with 1 to 64 data servers: policy:11: attempt to index a nil value (field 'name')"
        ),
        "{text}"
    );
    // the first failing input, to reproduce it: a file with no name
    let first = text.lines().find(|l| l.contains("first at")).unwrap();
    assert!(first.contains("name = nil"), "{first}");
    assert!(text.contains("rejected      none"), "{text}");
    assert!(
        text.contains("\nFAIL: ") && text.contains(" errors"),
        "{text}"
    );
}

#[test]
fn a_policy_that_names_a_missing_server_at_small_counts_fails() {
    let (code, text) = check_cmd(&dir().join("tests/fixtures/index_out_of_range.lua"), &[]);
    assert_eq!(code, Some(1), "{text}");
    // rejected with 1 to 4 data servers only: from 5 on, server 5 exists
    assert!(
        text.contains("with 1 to 4 data servers: server 5 > 1 data server"),
        "{text}"
    );
    assert!(
        text.contains("answer {stripe_unit = 65536, servers = {5}, first = 1}"),
        "{text}"
    );
    assert!(text.contains("errors        none"), "{text}");
    assert!(text.contains("answers rejected"), "{text}");
}

#[test]
fn a_policy_that_runs_past_the_budget_fails_and_stops_early() {
    let (code, text) = check_cmd(&dir().join("tests/fixtures/over_budget.lua"), &[]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(
            "instruction budget exhausted: 1,000,000 instructions (max_policy_instructions)"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "(stopped after {} decisions reached a limit",
            check::MAX_LIMIT_HITS
        )),
        "{text}"
    );
    assert!(
        text.contains("FAIL: 10 decisions reached a limit"),
        "{text}"
    );
}

#[test]
fn a_policy_that_does_not_load_fails() {
    let tmp = std::env::temp_dir().join(format!("layout-sim-check-{}.lua", std::process::id()));
    std::fs::write(&tmp, "local x = 1\n").unwrap();
    let (code, text) = check_cmd(&tmp, &[]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("registered no layout function"), "{text}");
    assert!(text.ends_with("FAIL: the policy does not load\n"), "{text}");
}

#[test]
fn the_same_seed_gives_the_same_files_and_report() {
    assert_eq!(check::inputs(300, 9), check::inputs(300, 9));
    assert_ne!(check::inputs(300, 9), check::inputs(300, 10));
    let opts = Options { files: 50, seed: 3 };
    let p = dir().join("tests/fixtures/errors_on_some.lua");
    let strip = |t: String| -> String {
        t.lines()
            .filter(|l| !l.contains(" decisions in "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = strip(check::run(&p, opts).text());
    let b = strip(check::run(&p, opts).text());
    assert_eq!(a, b);
}

#[test]
fn the_random_files_cover_the_edge_cases() {
    let v = check::inputs(500, 1);
    let has = |f: &dyn Fn(&check::Input) -> bool| v.iter().any(f);
    assert!(has(&|i| i.name.is_none()), "a file with no name");
    assert!(has(&|i| i.name.as_deref() == Some(b"")), "an empty name");
    assert!(has(&|i| i.name.as_ref().is_some_and(|n| n.len() == 255)));
    assert!(has(&|i| i
        .name
        .as_ref()
        .is_some_and(|n| std::str::from_utf8(n).is_err())));
    assert!(has(&|i| i.name.as_ref().is_some_and(|n| n.len()
        > String::from_utf8_lossy(n).chars().count()
        && std::str::from_utf8(n).is_ok())));
    assert!(has(&|i| i.client.contains(':')) && has(&|i| i.client.contains('.')));
    assert!(has(&|i| i.size == 0) && has(&|i| i.size > 4 << 30));
    assert!(has(&|i| i.rw) && has(&|i| !i.rw));
    assert!(has(&|i| i.uid == 0) && has(&|i| i.uid > 1 << 31));
    assert!(has(&|i| i.length != u64::MAX));
    assert!(v.iter().all(|i| i.fh.len() <= 128 && i.fh.len() >= 8));
    let decisions = check::run(&dir().join("default.lua"), Options { files: 3, seed: 1 }).decisions;
    assert_eq!(decisions, 3 * 64, "every file with 1 to 64 data servers");
}

fn layout(su: u32, first: u32, servers: &[u32]) -> Layout {
    let mut a = Layout::new();
    a.stripe_unit = su;
    a.first_stripe_index = first;
    a.count = servers.len() as u32;
    a.ds[..servers.len()].copy_from_slice(servers);
    a
}

#[test]
fn rejections_name_nfsd_s_rule() {
    let cases: &[(Layout, u32, Option<Rejection>, &str)] = &[
        (layout(65536, 0, &[2, 0]), 4, None, ""),
        (
            layout(0, 0, &[0]),
            4,
            Some(Rejection::StripeUnit(0)),
            "stripe_unit 0",
        ),
        (
            layout(6000, 0, &[0]),
            4,
            Some(Rejection::StripeUnit(6000)),
            "stripe_unit 6000 is not a multiple of 4096",
        ),
        (
            layout(2 << 30, 0, &[0]),
            4,
            Some(Rejection::StripeUnit(2 << 30)),
            "stripe_unit 2147483648 > 1 GiB",
        ),
        (
            layout(4096, 0, &[]),
            4,
            Some(Rejection::NoServers),
            "no servers",
        ),
        (
            layout(4096, 0, &[0, 1, 2]),
            2,
            Some(Rejection::TooMany {
                count: 3,
                ds_count: 2,
            }),
            "3 servers named, > 2 data servers",
        ),
        (
            layout(4096, 2, &[0, 1]),
            4,
            Some(Rejection::First { first: 3, count: 2 }),
            "first 3 > 2 servers named",
        ),
        (
            layout(4096, 0, &[4]),
            4,
            Some(Rejection::Server {
                server: Some(5),
                ds_count: 4,
            }),
            "server 5 > 4 data servers",
        ),
        (
            layout(4096, 0, &[u32::MAX]),
            4,
            Some(Rejection::Server {
                server: None,
                ds_count: 4,
            }),
            "a server number below 1 (or above 2^32)",
        ),
        (
            layout(4096, 0, &[1, 3, 1]),
            4,
            Some(Rejection::Repeated(2)),
            "server 2 named twice",
        ),
    ];
    for (a, n, want, text) in cases {
        let got = policy::check(a, *n).err();
        assert_eq!(got, *want, "{a:?}");
        assert_eq!(policy::valid(a, *n), want.is_none());
        if let Some(r) = got {
            assert_eq!(r.to_string(), *text);
        }
    }
}

#[test]
fn the_failing_check_in_docs_is_what_check_prints() {
    let doc = include_str!("../../docs/layouts.md");
    assert!(doc.contains("cargo run --release -p layout-sim -- check layouts/default.lua"));
    let p = "layouts/tests/fixtures/index_out_of_range.lua";
    let out = Command::new(env!("CARGO_BIN_EXE_layout-sim"))
        .args(["check", p])
        .current_dir(dir().join(".."))
        .output()
        .expect("layout-sim runs");
    let text = String::from_utf8_lossy(&out.stdout);
    // all but the input (shortened in the doc) and the time
    for line in text
        .lines()
        .filter(|l| !l.contains("first at") && !l.contains(" decisions in "))
    {
        assert!(doc.contains(line), "docs/layouts.md lacks: {line}");
    }
}

#[test]
fn a_policy_that_fills_its_memory_reaches_the_limit() {
    // keeps 64 KiB per decision: the 8 MiB cap is reached within a few
    // hundred decisions
    let tmp = std::env::temp_dir().join(format!("layout-sim-mem-{}.lua", std::process::id()));
    std::fs::write(
        &tmp,
        "keep = {}\n\
         pnfs.register(function(file)\n\
           keep[#keep + 1] = string.rep('x', 64 * 1024) .. file.ino\n\
           return {stripe_unit = 65536, servers = {1}}\n\
         end)\n",
    )
    .unwrap();
    let (code, text) = check_cmd(&tmp, &["--files", "50"]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("not enough memory: the state holds 8.00 MiB at most (max_memory)"),
        "{text}"
    );
    assert!(
        text.contains("FAIL: 10 decisions reached a limit"),
        "{text}"
    );
}

#[test]
fn zero_files_is_a_usage_error() {
    let (code, _) = check_cmd(&dir().join("default.lua"), &["--files", "0"]);
    assert_eq!(code, Some(2));
}
