//! `pnfs load --check` and apply's `check = yes`: `layout-sim check`, the
//! layouts crate's one implementation linked in, run on the bytes that are
//! then loaded and before any kernel call, so a policy that would fail in
//! nfsd never reaches it (and the check needs neither the module nor root).

use layout_sim::check::{self, Options};

/// Checks `source` (called `name` in the report) as `layout-sim check`
/// does with its defaults: the report, and why it failed (None: it passed).
pub fn policy(name: &str, source: &[u8]) -> (String, Option<String>) {
    let report = check::run_source(name, source, Options::default());
    (report.text(), report.failure())
}
