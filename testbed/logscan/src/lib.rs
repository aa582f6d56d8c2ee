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

/// A kmemleak record of a known bug of the stock 6.12 NFS client, not of
/// lunatik-ng: fs/nfs/filelayout/filelayoutdev.c frees a device's parsed
/// data-server addresses with `kfree(da->da_remotestr); kfree(da);` and not
/// `da->da_netid` ("tcp", from nfs4_decode_mp_ds_addr) when that data server
/// is already in the client's cache, i.e. for every device after the first
/// that names it. docs/testbed.md says more.
pub fn is_known_client_leak(record: &[&str]) -> bool {
    record.iter().any(|l| l.contains("nfs4_decode_mp_ds_addr"))
        && record
            .iter()
            .any(|l| l.contains("xdr_stream_decode_string_dup"))
        && record
            .first()
            .is_some_and(|l| l.contains("(size 4)") || l.contains("(size 8)"))
}

/// What a scan found: the failing lines, and how many known client leaks
/// it set aside.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub known_client_leaks: usize,
}

/// Every flagged line of a log.
pub fn scan(log: &str) -> Vec<Finding> {
    scan_report(log).findings
}

/// Every flagged line of a log, with known client leaks set aside.
pub fn scan_report(log: &str) -> Report {
    let lines: Vec<&str> = log.lines().collect();
    let mut report = Report::default();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].contains("unreferenced object 0x") {
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].contains("unreferenced object 0x"))
                .unwrap_or(lines.len());
            if is_known_client_leak(&lines[i..end]) {
                report.known_client_leaks += 1;
                i = end;
                continue;
            }
        }
        if let Some(kind) = classify(lines[i]) {
            report.findings.push(Finding {
                line: i + 1,
                kind,
                text: lines[i].to_string(),
            });
        }
        i += 1;
    }
    report
}

/// The number N of a "kmemleak: N new suspected memory leaks" line.
pub fn suspected_count(text: &str) -> Option<usize> {
    let at = text.find(" new suspected memory leak")?;
    text[..at].rsplit(' ').next()?.parse().ok()
}

/// Drops kmemleak's console summaries ("N new suspected memory leaks") that
/// the debugfs report explains entirely with known client leaks: only when
/// a report was read (`known` > 0) and it holds no other record. N may
/// exceed `known`: the summary counts what one scan found, and the report
/// lists only objects still unreferenced after the last scan, so objects in
/// flight at one scan (referenced again, or freed, by the next) are counted
/// in N and are not leaks; a real leak stays unreferenced and is listed.
pub fn reconcile(findings: Vec<(String, Finding)>, known: usize) -> Vec<(String, Finding)> {
    let unknown_records = findings
        .iter()
        .any(|(_, f)| f.kind == Kind::Kmemleak && f.text.contains("unreferenced object"));
    findings
        .into_iter()
        .filter(|(_, f)| {
            unknown_records
                || known == 0
                || f.kind != Kind::Kmemleak
                || suspected_count(&f.text).is_none()
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
    fn known_client_netid_leak_is_set_aside_and_others_are_not() {
        let r = scan_report(&sample("kmemleak-client-netid.txt"));
        assert_eq!(r.known_client_leaks, 2, "{r:?}");
        assert_eq!(r.findings.len(), 1, "{r:?}");
        assert!(r.findings[0].text.contains("(size 64)"));
    }

    #[test]
    fn console_summary_of_known_leaks_only_is_dropped() {
        let line = "[  318.053124] kmemleak: 3 new suspected memory leaks (see /sys/kernel/debug/kmemleak)";
        let f = |text: &str| Finding {
            line: 1,
            kind: Kind::Kmemleak,
            text: text.to_string(),
        };
        assert_eq!(suspected_count(line), Some(3));
        assert!(reconcile(vec![("c".into(), f(line))], 3).is_empty());
        // more in the summary than in the report: objects in flight at one
        // scan, not listed after the last (57,404 against 57,382 seen)
        assert!(reconcile(vec![("c".into(), f(line))], 2).is_empty());
        // no report read: the summary stands
        assert_eq!(reconcile(vec![("c".into(), f(line))], 0).len(), 1);
        let other = f("unreferenced object 0xff (size 64):");
        assert_eq!(
            reconcile(vec![("c".into(), f(line)), ("k".into(), other)], 3).len(),
            2
        );
    }

    #[test]
    fn line_numbers_are_one_based() {
        let f = scan("a\n[    1.000000] WARNING: CPU: 0 PID: 1 at x\n");
        assert_eq!(f[0].line, 2);
    }
}
