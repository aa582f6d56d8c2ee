//! Finds the kernel reports that fail a testbed run in guest logs.
//!
//! A guest console log mixes kernel messages with whatever the test scripts
//! print. Kernel messages carry a `[ seconds.micros]` timestamp
//! (`CONFIG_PRINTK_TIME`), so only text after such a stamp is checked for the
//! kernel's report markers; a test that merely prints "WARNING:" does not
//! fail the run. kmemleak's debugfs report has no timestamps: its
//! `unreferenced object` lines are recognised anywhere.

/// What a flagged line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Oops,
    Bug,
    Warning,
    CallTrace,
    RcuStall,
    Kasan,
    Kmemleak,
    HungTask,
    Panic,
    Ubsan,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Oops => "oops",
            Kind::Bug => "BUG",
            Kind::Warning => "WARNING",
            Kind::CallTrace => "call trace",
            Kind::RcuStall => "RCU stall",
            Kind::Kasan => "KASAN report",
            Kind::Kmemleak => "kmemleak report",
            Kind::HungTask => "hung task",
            Kind::Panic => "kernel panic",
            Kind::Ubsan => "UBSAN report",
        }
    }
}

/// A flagged line: its 1-based number, what it is and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub line: usize,
    pub kind: Kind,
    pub text: String,
}

/// Markers searched in kernel message text, first match wins.
const KERNEL_MARKERS: &[(&str, Kind)] = &[
    ("KASAN:", Kind::Kasan),
    ("UBSAN:", Kind::Ubsan),
    ("Oops", Kind::Oops),
    ("BUG:", Kind::Bug),
    ("WARNING:", Kind::Warning),
    ("Call Trace", Kind::CallTrace),
    ("rcu_sched detected stall", Kind::RcuStall),
    ("rcu_preempt detected stall", Kind::RcuStall),
    ("self-detected stall", Kind::RcuStall),
    ("detected stalls on CPUs", Kind::RcuStall),
    ("RCU Tasks", Kind::RcuStall),
    ("suspected memory leak", Kind::Kmemleak),
    ("blocked for more than", Kind::HungTask),
    ("Kernel panic", Kind::Panic),
];

/// The text after a `[ 12.345678]` printk timestamp, if the line has one.
fn kernel_text(line: &str) -> Option<&str> {
    let mut rest = line;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        if let Some(close) = after.find(']') {
            let stamp = after[..close].trim_start();
            let mut parts = stamp.splitn(2, '.');
            let secs = parts.next().unwrap_or("");
            let frac = parts.next().unwrap_or("");
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
            if digits(secs) && digits(frac) {
                return Some(&after[close + 1..]);
            }
        }
        rest = after;
    }
    None
}

/// What, if anything, makes one line fail the run.
pub fn classify(line: &str) -> Option<Kind> {
    if line.contains("unreferenced object 0x") {
        return Some(Kind::Kmemleak);
    }
    let text = kernel_text(line)?;
    if text.contains("RCU Tasks") && !text.contains("stall") {
        return None;
    }
    KERNEL_MARKERS
        .iter()
        .find(|(marker, _)| text.contains(marker))
        .map(|&(_, kind)| kind)
}

/// Every flagged line of a log.
pub fn scan(log: &str) -> Vec<Finding> {
    log.lines()
        .enumerate()
        .filter_map(|(i, text)| {
            classify(text).map(|kind| Finding {
                line: i + 1,
                kind,
                text: text.to_string(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(log: &str) -> Vec<Kind> {
        scan(log).into_iter().map(|f| f.kind).collect()
    }

    fn sample(name: &str) -> String {
        let path = format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn clean_boot_log_passes() {
        assert_eq!(scan(&sample("clean.log")), vec![]);
    }

    #[test]
    fn oops_fails() {
        let k = kinds(&sample("oops.log"));
        assert!(k.contains(&Kind::Oops), "{k:?}");
        assert!(k.contains(&Kind::Bug), "{k:?}");
        assert!(k.contains(&Kind::CallTrace), "{k:?}");
    }

    #[test]
    fn warn_fails() {
        let k = kinds(&sample("warn.log"));
        assert!(k.contains(&Kind::Warning), "{k:?}");
        assert!(k.contains(&Kind::CallTrace), "{k:?}");
    }

    #[test]
    fn soft_lockup_fails() {
        let f = scan(&sample("softlockup.log"));
        assert!(
            f.iter()
                .any(|f| f.kind == Kind::Bug && f.text.contains("soft lockup")),
            "{f:?}"
        );
    }

    #[test]
    fn stack_guard_page_fails() {
        let f = scan(&sample("stackguard.log"));
        assert!(
            f.iter()
                .any(|f| f.kind == Kind::Bug && f.text.contains("stack guard page")),
            "{f:?}"
        );
    }

    #[test]
    fn rcu_stall_fails() {
        assert!(kinds(&sample("rcustall.log")).contains(&Kind::RcuStall));
    }

    #[test]
    fn kasan_fails() {
        assert_eq!(kinds(&sample("kasan.log"))[0], Kind::Kasan);
    }

    #[test]
    fn kmemleak_console_and_debugfs_reports_fail() {
        assert!(kinds(&sample("kmemleak-console.log")).contains(&Kind::Kmemleak));
        let f = scan(&sample("kmemleak-debugfs.txt"));
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(f.iter().all(|f| f.kind == Kind::Kmemleak));
    }

    #[test]
    fn user_output_without_timestamp_is_ignored() {
        assert_eq!(
            classify("ok 3 - WARNING: printed by a test, BUG: too"),
            None
        );
        assert_eq!(classify("[not a stamp] Oops"), None);
    }

    #[test]
    fn kernel_line_after_user_text_is_found() {
        assert_eq!(
            classify("ok 1 - x[   12.500000] BUG: kernel NULL pointer dereference"),
            Some(Kind::Bug)
        );
    }

    #[test]
    fn line_numbers_are_one_based() {
        let f = scan("a\n[    1.000000] WARNING: CPU: 0 PID: 1 at x\n");
        assert_eq!(f[0].line, 2);
    }
}
