//! layout-sim's manual page and completions come from its clap definitions.

use std::process::Command;

fn run(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_layout-sim"))
        .args(args)
        .output()
        .expect("layout-sim runs");
    assert!(out.status.success(), "layout-sim {args:?} failed");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn the_man_page_and_completions_name_every_command() {
    let page = run(&["man"]);
    assert!(page.contains(".TH layout-sim 1"), "{page}");
    for cmd in ["run", "decide", "check", "bench"] {
        assert!(page.contains(cmd), "no {cmd} in the page");
        assert!(run(&["completions", "bash"]).contains(cmd));
    }
}
