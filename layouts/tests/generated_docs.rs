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

#[test]
fn man_dir_writes_one_page_per_command_and_none_for_hidden_ones() {
    let dir = std::env::temp_dir().join(format!("layout-sim-man-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(&["man", "--dir", dir.to_str().unwrap()]);
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    std::fs::remove_dir_all(&dir).unwrap();
    for cmd in ["run", "decide", "check", "bench"] {
        assert!(pages.contains(&format!("layout-sim-{cmd}.1")), "{pages:?}");
    }
    assert!(pages.contains(&"layout-sim.1".to_string()), "{pages:?}");
    assert!(
        !pages
            .iter()
            .any(|p| p.contains("man") || p.contains("completions")),
        "a hidden command has a page: {pages:?}"
    );
}
