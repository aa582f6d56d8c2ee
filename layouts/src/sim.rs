//! The simulation: every file's placement, the load per server, balance,
//! data movement when a server is added or removed, and decision costs.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::policy::{Decision, Policy};
use crate::population::File;

/// nfsd's built-in layout (fs/nfsd/filelayout.c): all servers, list order.
pub const BUILTIN_STRIPE_UNIT: u64 = 64 * 1024;

/// Where a file's stripes go: stripe i on `servers[(first + i) % len]`
/// (0-based server numbers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    pub stripe_unit: u64,
    pub first: usize,
    pub servers: Vec<u32>,
}

impl Placement {
    pub fn builtin(n: u32) -> Placement {
        Placement {
            stripe_unit: BUILTIN_STRIPE_UNIT,
            first: 0,
            servers: (0..n).collect(),
        }
    }

    pub fn from_decision(d: &Decision) -> Placement {
        Placement {
            stripe_unit: u64::from(d.stripe_unit),
            first: d.first as usize - 1,
            servers: d.servers.iter().map(|s| s - 1).collect(),
        }
    }

    /// The server of stripe `i`.
    pub fn server_of(&self, i: u64) -> u32 {
        let k = self.servers.len() as u64;
        self.servers[((self.first as u64 + i) % k) as usize]
    }

    /// Adds the bytes of a file of `size` to `load` (closed form: O(k)).
    pub fn add_bytes(&self, size: u64, load: &mut [u64]) {
        let k = self.servers.len() as u64;
        let full = size / self.stripe_unit;
        let rest = size % self.stripe_unit;
        for (pos, &s) in self.servers.iter().enumerate() {
            // stripes i with (first + i) % k == pos
            let off = (pos as u64 + k - self.first as u64 % k) % k;
            let count = if full > off {
                (full - off).div_ceil(k)
            } else {
                0
            };
            load[s as usize] += count * self.stripe_unit;
        }
        if rest > 0 {
            load[self.server_of(full) as usize] += rest;
        }
    }
}

/// Counts of how decisions went.
#[derive(Debug, Default, Clone, Copy)]
pub struct Outcomes {
    pub decided: u64,
    pub errors: u64,
    pub rejected: u64,
}

/// Asks the policy about a file with `n` servers, as nfsd would: an error or
/// an invalid answer gives the built-in layout.
pub fn place(policy: &Policy, file: &File, n: u32, out: &mut Outcomes) -> Placement {
    match policy.decide(&file.info(n)) {
        Ok(Some(d)) => {
            out.decided += 1;
            Placement::from_decision(&d)
        }
        Ok(None) => {
            out.rejected += 1;
            Placement::builtin(n)
        }
        Err(_) => {
            out.errors += 1;
            Placement::builtin(n)
        }
    }
}

/// Bytes of a file of `size` that are on a different server under `b` than
/// under `a`; `same(x, y)` says whether server x of `a` is server y of `b`.
pub fn moved_bytes(
    size: u64,
    a: &Placement,
    b: &Placement,
    same: impl Fn(u32, u32) -> bool,
) -> u64 {
    if size == 0 {
        return 0;
    }
    if a.stripe_unit == b.stripe_unit {
        // The pattern repeats every lcm(ka, kb) stripes.
        let su = a.stripe_unit;
        let (ka, kb) = (a.servers.len() as u64, b.servers.len() as u64);
        let period = ka / gcd(ka, kb) * kb;
        let stripes = size.div_ceil(su);
        let mut moved = 0;
        for i in 0..period.min(stripes) {
            if !same(a.server_of(i), b.server_of(i)) {
                let count = (stripes - 1 - i) / period + 1;
                moved += count * su;
                // the last stripe may be partial
                if (stripes - 1) % period == i && !size.is_multiple_of(su) {
                    moved -= su - size % su;
                }
            }
        }
        return moved;
    }
    // Different stripe units: walk the merged boundaries.
    let (mut pos, mut moved) = (0u64, 0u64);
    while pos < size {
        let (ia, ib) = (pos / a.stripe_unit, pos / b.stripe_unit);
        let end = ((ia + 1) * a.stripe_unit)
            .min((ib + 1) * b.stripe_unit)
            .min(size);
        if !same(a.server_of(ia), b.server_of(ib)) {
            moved += end - pos;
        }
        pos = end;
    }
    moved
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// max/mean and the coefficient of variation of a load.
pub fn balance(values: &[u64]) -> (f64, f64) {
    let n = values.len().max(1) as f64;
    let mean = values.iter().sum::<u64>() as f64 / n;
    if mean == 0.0 {
        return (0.0, 0.0);
    }
    let max = *values.iter().max().unwrap_or(&0) as f64;
    let var = values
        .iter()
        .map(|&v| (v as f64 - mean).powi(2))
        .sum::<f64>()
        / n;
    (max / mean, var.sqrt() / mean)
}

/// A progress bar on standard error for long runs (one line per 10% when
/// standard error is not a terminal).
pub struct Progress {
    total: u64,
    last: Instant,
    last_decile: u64,
    tty: bool,
    label: &'static str,
    quiet: bool,
}

impl Progress {
    pub fn new(label: &'static str, total: u64, quiet: bool) -> Progress {
        use std::io::IsTerminal;
        Progress {
            total,
            last: Instant::now(),
            last_decile: 0,
            tty: std::io::stderr().is_terminal(),
            label,
            quiet: quiet || total < 50_000,
        }
    }

    pub fn tick(&mut self, done: u64) {
        if self.quiet {
            return;
        }
        let pct = done * 100 / self.total.max(1);
        if self.tty {
            if self.last.elapsed() >= Duration::from_millis(200) || done == self.total {
                self.last = Instant::now();
                let filled = (pct / 5) as usize;
                eprint!(
                    "\r{} [{}{}] {pct:3}% {done}/{}",
                    self.label,
                    "=".repeat(filled),
                    " ".repeat(20 - filled),
                    self.total
                );
                if done == self.total {
                    eprintln!();
                }
                let _ = std::io::stderr().flush();
            }
        } else if pct / 10 > self.last_decile || done == self.total {
            self.last_decile = pct / 10;
            eprintln!("{}: {pct}% ({done}/{} files)", self.label, self.total);
        }
    }
}

/// The result of one run.
#[derive(Debug, Default, Clone)]
pub struct RunStats {
    pub bytes: Vec<u64>,
    pub files: Vec<u64>,
    pub outcomes: Outcomes,
    pub decision_ns: Vec<u64>,
    pub moved: u64,
    pub total_bytes: u64,
    pub elapsed: Duration,
}

/// A change of the server list to measure movement against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    None,
    /// A server appended to the list.
    Add,
    /// The last server of the list removed.
    Remove,
}

/// Places every file on `n` servers (and, for `change`, on the changed
/// list too, counting the bytes that move).
pub fn run(policy: &Policy, files: &[File], n: u32, change: Change, quiet: bool) -> RunStats {
    let mut st = RunStats {
        bytes: vec![0; n as usize],
        files: vec![0; n as usize],
        decision_ns: Vec::with_capacity(files.len()),
        ..RunStats::default()
    };
    let mut after = Outcomes::default();
    let start = Instant::now();
    let mut progress = Progress::new("layout-sim", files.len() as u64, quiet);
    let mut scratch = vec![0u64; n as usize];
    for (i, f) in files.iter().enumerate() {
        let t0 = Instant::now();
        let p = place(policy, f, n, &mut st.outcomes);
        st.decision_ns.push(t0.elapsed().as_nanos() as u64);
        scratch.iter_mut().for_each(|b| *b = 0);
        p.add_bytes(f.size, &mut scratch);
        for (s, &b) in scratch.iter().enumerate() {
            st.bytes[s] += b;
            if b > 0 {
                st.files[s] += 1;
            }
        }
        if f.size == 0 {
            st.files[p.server_of(0) as usize] += 1;
        }
        st.total_bytes += f.size;
        match change {
            Change::None => {}
            Change::Add => {
                let q = place(policy, f, n + 1, &mut after);
                st.moved += moved_bytes(f.size, &p, &q, |a, b| a == b);
            }
            Change::Remove if n > 1 => {
                let q = place(policy, f, n - 1, &mut after);
                // the last server (n - 1) is gone; the others keep their numbers
                st.moved += moved_bytes(f.size, &p, &q, |a, b| a == b && a != n - 1);
            }
            Change::Remove => {}
        }
        progress.tick(i as u64 + 1);
    }
    st.elapsed = start.elapsed();
    st
}

/// The median of some values (0 for none).
pub fn median(values: &mut [u64]) -> u64 {
    if values.is_empty() {
        return 0;
    }
    values.sort_unstable();
    values[values.len() / 2]
}
