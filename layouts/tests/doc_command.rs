//! The simulator command of docs/layouts.md runs as written and produces the
//! table and the plot (into a temporary folder instead of docs/img).

use std::process::Command;

#[test]
fn the_documented_command_runs_and_writes_table_and_plot() {
    let doc = include_str!("../../docs/layouts.md");
    let line = doc
        .lines()
        .find(|l| l.starts_with("cargo run --release -p layout-sim -- run "))
        .expect("the command is in docs/layouts.md");
    let args: Vec<&str> = line
        .split_whitespace()
        .skip_while(|a| *a != "--")
        .skip(1)
        .collect();
    let out_dir = std::env::temp_dir().join(format!("layout-sim-doc-{}", std::process::id()));
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_layout-sim"));
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if *a == "--out" {
            it.next();
            cmd.arg("--out").arg(&out_dir);
        } else {
            cmd.arg(a);
        }
    }
    cmd.arg("--quiet");
    // Paths in the doc are relative to the repository.
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let out = cmd.output().expect("layout-sim runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("balance of files: max/mean"), "{text}");
    assert!(text.contains("data moved when a server is added"), "{text}");
    let table = std::fs::read_to_string(out_dir.join("table.txt")).expect("table.txt");
    assert_eq!(
        table
            .lines()
            .filter(|l| l.trim_start().starts_with(char::is_numeric))
            .count(),
        64
    );
    let svg = std::fs::read_to_string(out_dir.join("load.svg")).expect("load.svg");
    assert!(svg.starts_with("<svg") && svg.matches("<rect").count() > 64);
    std::fs::remove_dir_all(&out_dir).ok();
}
