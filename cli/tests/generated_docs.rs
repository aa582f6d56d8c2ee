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
