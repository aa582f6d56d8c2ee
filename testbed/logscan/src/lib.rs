//! Finds the kernel reports that fail a testbed run in guest logs.
//!
//! A guest console log mixes kernel messages with whatever the test scripts
//! print. Kernel messages carry a `[ seconds.micros]` timestamp
//! (`CONFIG_PRINTK_TIME`), so only text after such a stamp is checked for the
//! kernel's report markers; a test that merely prints "WARNING:" does not
//! fail the run. kmemleak's debugfs report has no timestamps: its
//! `unreferenced object` lines are recognised anywhere.
//!
//! The debug kernel (testbed/kernel-debug.config) adds detectors whose
//! reports start with their own headers, some under a generic "BUG:" or
//! "WARNING:" and one (list corruption) on the line before its WARNING:
//! each header is named for the detector that printed it, so a reader
//! knows at once which check fired.

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
    Kfence,
    /// lockdep: lock order, IRQ safety, recursion, wait context
    Lockdep,
    /// a sleep, or a check for one, where the kernel must not sleep
    AtomicSleep,
    /// PROVE_RCU: an RCU-protected pointer used outside its protection
    RcuUsage,
    /// DEBUG_LIST: a list whose links do not agree
    ListCorruption,
    /// WQ_WATCHDOG: a worker pool that made no progress
    WorkqueueLockup,
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
            Kind::Kfence => "KFENCE report",
            Kind::Lockdep => "lockdep report",
            Kind::AtomicSleep => "sleep in atomic context",
            Kind::RcuUsage => "suspicious RCU usage",
            Kind::ListCorruption => "list corruption",
            Kind::WorkqueueLockup => "workqueue lockup",
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

/// Markers searched in kernel message text, first match wins: the
/// detectors' own headers come before the generic "BUG:" and "WARNING:"
/// that most of them start with.
const KERNEL_MARKERS: &[(&str, Kind)] = &[
    // mm/kasan/report.c, mm/kfence/report.c, lib/ubsan.c
    ("KASAN:", Kind::Kasan),
    ("KFENCE:", Kind::Kfence),
    ("UBSAN:", Kind::Ubsan),
    // kernel/locking/lockdep.c: the header of each report
    (
        "possible circular locking dependency detected",
        Kind::Lockdep,
    ),
    ("possible recursive locking detected", Kind::Lockdep),
    ("inconsistent lock state", Kind::Lockdep),
    (
        "possible irq lock inversion dependency detected",
        Kind::Lockdep,
    ),
    ("-unsafe lock order detected", Kind::Lockdep),
    ("BUG: Invalid wait context", Kind::Lockdep),
    ("bad unlock balance detected", Kind::Lockdep),
    ("bad contention detected", Kind::Lockdep),
    ("held lock freed", Kind::Lockdep),
    ("lock held when returning to user space", Kind::Lockdep),
    ("Nested lock was not taken", Kind::Lockdep),
    ("still has locks held", Kind::Lockdep),
    ("chain_key collision", Kind::Lockdep),
    ("trying to register non-static key", Kind::Lockdep),
    ("suspicious RCU usage", Kind::RcuUsage),
    // kernel/sched/core.c (DEBUG_ATOMIC_SLEEP)
    (
        "sleeping function called from invalid context",
        Kind::AtomicSleep,
    ),
    ("scheduling while atomic", Kind::AtomicSleep),
    ("BUG: assuming atomic context", Kind::AtomicSleep),
    ("BUG: assuming non migratable context", Kind::AtomicSleep),
    // lib/list_debug.c: the message of a WARN (BUG_ON_DATA_CORRUPTION off)
    ("list_add corruption", Kind::ListCorruption),
    ("list_add double add", Kind::ListCorruption),
    ("list_del corruption", Kind::ListCorruption),
    // kernel/workqueue.c
    ("BUG: workqueue lockup", Kind::WorkqueueLockup),
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

    /// The first flagged line of a sample: the header of its report.
    fn header(name: &str) -> Finding {
        let f = scan(&sample(name));
        assert!(!f.is_empty(), "{name}: nothing flagged");
        f[0].clone()
    }

    /// A sample's report is flagged at its header, line `line`, with `kind`;
    /// the header holds `text`; any other line flagged is generic (the
    /// report's Call Trace, the WARNING a message is printed with), never
    /// taken for another detector; and `flagged` is every flagged line of
    /// the sample, as (line, kind).
    fn assert_report(name: &str, kind: Kind, text: &str, flagged: &[(usize, Kind)]) {
        let h = header(name);
        assert_eq!(h.kind, kind, "{name}: {h:?}");
        assert!(h.text.contains(text), "{name}: {h:?}");
        assert_eq!(flagged.first(), Some(&(h.line, kind)), "{name}: {h:?}");
        let generic = [Kind::Bug, Kind::Warning, Kind::CallTrace];
        let found = scan(&sample(name));
        for f in &found {
            assert!(f.kind == kind || generic.contains(&f.kind), "{name}: {f:?}");
        }
        let found: Vec<(usize, Kind)> = found.iter().map(|f| (f.line, f.kind)).collect();
        assert_eq!(found, flagged, "{name}");
    }

    // The samples below, but wq-lockup.log, are cut from the debug kernel's
    // dmesg (6.12, testbed/kernel-debug.config) after loading
    // testbed/kmod/report_samples.ko with each trigger: a few lines before
    // each report (its "=== trigger NAME" and the module's own messages),
    // then the report as printed, timestamps and unstamped continuation
    // lines as captured. clean-debug.log is the boot of such a capture, up
    // to its first trigger.

    #[test]
    fn clean_debug_boot_log_passes() {
        // the detectors' banners: kasan:, kfence:, lockdep's, RCU's self
        // tests, "RCU Tasks Trace: ..." (not a stall), kmemleak's
        let log = sample("clean-debug.log");
        assert!(log.contains("kasan: KernelAddressSanitizer initialized"));
        assert!(log.contains("kfence: initialized"));
        assert!(log.contains("Lock dependency validator"));
        assert!(log.contains("RCU lockdep checking is enabled"));
        assert!(log.contains("RCU Tasks Trace:"));
        assert!(log.contains("kmemleak: Kernel memory leak detector initialized"));
        assert_eq!(scan(&log), vec![]);
    }

    #[test]
    fn kasan_fails() {
        // "page dumped because: kasan: bad access detected" and the
        // "Disabling lock debugging" after it are not reports of their own
        assert_report(
            "kasan.log",
            Kind::Kasan,
            "BUG: KASAN: slab-out-of-bounds in trigger_kasan",
            &[(6, Kind::Kasan), (11, Kind::CallTrace)],
        );
    }

    #[test]
    fn kfence_fails() {
        // KFENCE prints its stacks without a "Call Trace:" line
        assert_report(
            "kfence.log",
            Kind::Kfence,
            "BUG: KFENCE: out-of-bounds read in trigger_kfence",
            &[(5, Kind::Kfence)],
        );
    }

    #[test]
    fn ubsan_fails() {
        // after a "cut here" line, without a WARNING:
        assert_report(
            "ubsan.log",
            Kind::Ubsan,
            "UBSAN: array-index-out-of-bounds in",
            &[(5, Kind::Ubsan), (9, Kind::CallTrace)],
        );
        assert_report(
            "ubsan-shift.log",
            Kind::Ubsan,
            "UBSAN: shift-out-of-bounds in",
            &[(5, Kind::Ubsan), (9, Kind::CallTrace)],
        );
    }

    #[test]
    fn lockdep_fails() {
        // the report's continuation lines ("but task is already holding
        // lock:", "*** DEADLOCK ***") carry no timestamp of their own
        assert_report(
            "lockdep.log",
            Kind::Lockdep,
            "WARNING: possible circular locking dependency detected",
            &[(7, Kind::Lockdep), (62, Kind::CallTrace)],
        );
    }

    #[test]
    fn sleep_in_atomic_context_fails() {
        // captured after KASAN's report had turned lockdep off: "INFO:
        // lockdep is turned off." where the held locks would be
        assert_report(
            "atomic-sleep.log",
            Kind::AtomicSleep,
            "BUG: sleeping function called from invalid context at",
            &[(4, Kind::AtomicSleep), (10, Kind::CallTrace)],
        );
    }

    #[test]
    fn suspicious_rcu_usage_fails() {
        assert_report(
            "rcu-usage.log",
            Kind::RcuUsage,
            "WARNING: suspicious RCU usage",
            &[(7, Kind::RcuUsage), (21, Kind::CallTrace)],
        );
    }

    #[test]
    fn list_corruption_fails() {
        // the message comes before the WARNING it is printed with
        assert_report(
            "list-corruption.log",
            Kind::ListCorruption,
            "list_add corruption. next->prev should be prev",
            &[
                (4, Kind::ListCorruption),
                (5, Kind::Warning),
                (21, Kind::CallTrace),
            ],
        );
    }

    #[test]
    fn workqueue_lockup_fails() {
        // wq-lockup.log is still written by hand, from the 6.12 sources
        // (kernel/workqueue.c, WQ_WATCHDOG): report_samples.ko cannot
        // provoke a workqueue lockup, so there is no real capture of one
        assert_report(
            "wq-lockup.log",
            Kind::WorkqueueLockup,
            "BUG: workqueue lockup - pool",
            &[(1, Kind::WorkqueueLockup), (15, Kind::CallTrace)],
        );
    }

    #[test]
    fn every_debug_report_header_is_named_for_its_detector() {
        // one header of each report the debug kernel's detectors print,
        // as the 6.12 sources format it
        let headers = [
            ("BUG: KASAN: slab-use-after-free in lua_close+0x1c/0x90", Kind::Kasan),
            ("BUG: KASAN: double-free in kfree+0x5d/0x1a0", Kind::Kasan),
            ("KASAN: null-ptr-deref in range [0x0000000000000008-0x000000000000000f]", Kind::Kasan),
            ("BUG: KFENCE: use-after-free read in lua_gc+0x2a/0x80", Kind::Kfence),
            ("BUG: KFENCE: memory corruption in kfree+0x5d/0x1a0", Kind::Kfence),
            ("BUG: KFENCE: invalid free in kfree+0x5d/0x1a0", Kind::Kfence),
            ("UBSAN: invalid-load in lib/lunatik/lua/core/lvm.c:12:3", Kind::Ubsan),
            ("WARNING: possible circular locking dependency detected", Kind::Lockdep),
            ("WARNING: possible recursive locking detected", Kind::Lockdep),
            ("WARNING: inconsistent lock state", Kind::Lockdep),
            ("WARNING: possible irq lock inversion dependency detected", Kind::Lockdep),
            ("WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected", Kind::Lockdep),
            ("WARNING: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected", Kind::Lockdep),
            ("[ BUG: Invalid wait context ]", Kind::Lockdep),
            ("WARNING: bad unlock balance detected!", Kind::Lockdep),
            ("WARNING: bad contention detected!", Kind::Lockdep),
            ("WARNING: held lock freed!", Kind::Lockdep),
            ("WARNING: lock held when returning to user space!", Kind::Lockdep),
            ("WARNING: Nested lock was not taken", Kind::Lockdep),
            ("WARNING: nfsd/115 still has locks held!", Kind::Lockdep),
            ("WARNING: chain_key collision", Kind::Lockdep),
            ("INFO: trying to register non-static key.", Kind::Lockdep),
            ("WARNING: suspicious RCU usage", Kind::RcuUsage),
            ("BUG: sleeping function called from invalid context at mm/slub.c:4136", Kind::AtomicSleep),
            ("BUG: scheduling while atomic: nfsd/115/0x00000002", Kind::AtomicSleep),
            ("BUG: assuming atomic context at kernel/rcu/tree.c:101", Kind::AtomicSleep),
            ("list_add corruption. prev is NULL.", Kind::ListCorruption),
            ("list_add double add: new=ffff888004a1c050, prev=ffff888004a1c050, next=ffff888004a1c060.", Kind::ListCorruption),
            ("list_del corruption, ffff888004a1c050->next is LIST_POISON1 (dead000000000100)", Kind::ListCorruption),
            ("list_del corruption. prev->next should be ffff888004a1c050, but was ffff888004a1c060. (prev=ffff888004a1c070)", Kind::ListCorruption),
            ("BUG: workqueue lockup - pool cpus=0-1 flags=0x4 nice=0 stuck for 31s!", Kind::WorkqueueLockup),
        ];
        for (text, kind) in headers {
            let line = format!("[   61.000000] {text}");
            assert_eq!(classify(&line), Some(kind), "{line}");
            // a test that prints it is not the kernel
            assert_eq!(classify(text), None, "{text}");
        }
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
