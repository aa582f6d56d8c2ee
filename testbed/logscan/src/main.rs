//! `logscan FILE...`: print every line that fails a testbed run, exit 1 if any.

use std::process::ExitCode;

fn main() -> ExitCode {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: logscan FILE...  (kernel console logs, dmesg, kmemleak reports)");
        return ExitCode::from(2);
    }
    let mut found = 0;
    for file in &files {
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("logscan: cannot read {file}: {e}");
                return ExitCode::from(2);
            }
        };
        for f in logscan::scan(&String::from_utf8_lossy(&bytes)) {
            println!(
                "{file}:{}: {}: {}",
                f.line,
                f.kind.name(),
                f.text.trim_end()
            );
            found += 1;
        }
    }
    if found > 0 {
        eprintln!("logscan: {found} line(s) report kernel problems");
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
