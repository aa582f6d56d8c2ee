//! `logscan FILE...`: print every line that fails a testbed run, exit 1 if any.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: logscan FILE...  (kernel console logs, dmesg, kmemleak reports)");
        return ExitCode::from(2);
    }
    let mut known = 0;
    let mut all = Vec::new();
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("logscan: cannot read {file}: {e}");
                return ExitCode::from(2);
            }
        };
        let report = logscan::scan_report(&String::from_utf8_lossy(&bytes));
        known += report.known_client_leaks;
        all.extend(report.findings.into_iter().map(|f| (file.clone(), f)));
    }
    let findings = logscan::reconcile(all, known);
    let found = findings.len();
    for (file, f) in findings {
        println!(
            "{file}:{}: {}: {}",
            f.line,
            f.kind.name(),
            f.text.trim_end()
        );
    }
    if known > 0 {
        println!(
            "logscan: {known} kmemleak report(s) of the stock NFS client's netid leak set aside \
             (fs/nfs/filelayout/filelayoutdev.c; see docs/testbed.md)"
        );
    }
    if found > 0 {
        eprintln!("logscan: {found} line(s) report kernel problems");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
