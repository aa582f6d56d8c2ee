//! The manual page and the shell completions are generated from the clap
//! definitions (hidden `man` and `completions` commands), so they cannot
//! drift from the program: check that they describe it.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_lunatik-ng"))
        .args(args)
        .output()
        .expect("lunatik-ng runs");
    assert!(out.status.success(), "lunatik-ng {args:?} failed");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_man_page_is_roff_and_names_every_command() {
    let page = run(&["man"]);
    assert!(
        page.starts_with(".ie") || page.contains(".TH lunatik-ng 1"),
        "{page}"
    );
    for cmd in ["eval", "run", "pnfs", "apply", "status"] {
        assert!(page.contains(cmd), "no {cmd} in the page");
    }
    assert!(!page.contains("completions"), "a hidden command shows");
    // the check before a load, with what it does and its exit status
    let load = run(&["pnfs", "load", "--help"]);
    assert!(
        load.contains("--check")
            && load.contains("layout-sim check")
            && load.contains("exit status 1"),
        "{load}"
    );
}

#[test]
fn completions_for_each_shell_know_the_commands() {
    for shell in ["bash", "zsh", "fish"] {
        let c = run(&["completions", shell]);
        assert!(c.contains("apply") && c.contains("status"), "{shell}: {c}");
    }
}

#[test]
fn man_dir_writes_one_page_per_command_and_none_for_hidden_ones() {
    let dir = std::env::temp_dir().join(format!("lunatik-ng-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(&["man", "--dir", dir.to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    std::fs::remove_dir_all(&dir).unwrap();
    let want = [
        "lunatik-ng-apply.1",
        "lunatik-ng-eval.1",
        "lunatik-ng-pnfs-eval.1",
        "lunatik-ng-pnfs-load.1",
        "lunatik-ng-pnfs-show.1",
        "lunatik-ng-pnfs-unload.1",
        "lunatik-ng-pnfs.1",
        "lunatik-ng-run.1",
        "lunatik-ng-status.1",
        "lunatik-ng.1",
    ];
    assert_eq!(pages, want);
}
