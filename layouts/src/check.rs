//! `layout-sim check`: a policy asked about random files with every
//! data-server count nfsd takes (1 to 64), before a real server asks it
//! (docs/layouts.md, "Checking a policy"). It reports the errors the policy
//! raised, the answers nfsd would reject and why, the worst work and memory
//! against the kernel's defaults, and the placement balance.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use lunatik_lua::libs::pnfs::{FileInfo, Layout, MAX_DS};

use crate::policy::{self, data_servers, Decision, Policy, LIMITS};
use crate::population::{filehandle, Rng};
use crate::report::human;
use crate::sim::{balance, Placement};

/// Decisions that reach a limit before the check stops asking: each spends
/// the whole budget, and more of them would only say the same.
pub const MAX_LIMIT_HITS: u64 = 10;
/// Sizes a policy is shown go up to 16 GiB (and a few edge values past it);
/// the byte balance counts a file as at most this.
pub const MAX_SIZE: u64 = 16 << 30;

/// One random file and request, as nfsd describes them to a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Input {
    pub ino: u64,
    pub fh: Vec<u8>,
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
    pub name: Option<Vec<u8>>,
    pub client: String,
    pub rw: bool,
    pub offset: u64,
    pub length: u64,
}

impl Input {
    pub fn info(&self, servers: u32) -> FileInfo<'_> {
        FileInfo {
            ino: self.ino,
            fh: &self.fh,
            size: self.size,
            uid: self.uid,
            gid: self.gid,
            name: self.name.as_deref(),
            client: self.client.as_bytes(),
            export: b"/srv/pnfs",
            rw: self.rw,
            offset: self.offset,
            length: self.length,
            servers,
        }
    }

    /// The `file` table the policy gets, as Lua source (numbers as the
    /// policy sees them: 64-bit signed), so a failure can be reproduced.
    pub fn lua(&self, servers: u32) -> String {
        let name = match &self.name {
            Some(n) => lua_string(n),
            None => "nil".into(),
        };
        format!(
            "{{ino = {}, size = {}, uid = {}, gid = {}, name = {name}, client = {}, \
             iomode = \"{}\", offset = {}, length = {}, servers = {servers}, \
             fh = buffer.new({})}}",
            self.ino as i64,
            self.size as i64,
            self.uid,
            self.gid,
            lua_string(self.client.as_bytes()),
            if self.rw { "rw" } else { "read" },
            self.offset as i64,
            self.length as i64,
            lua_string(&self.fh),
        )
    }
}

/// A Lua string literal of any bytes.
fn lua_string(b: &[u8]) -> String {
    let mut s = String::from("\"");
    for &c in b {
        match c {
            b'"' | b'\\' => {
                s.push('\\');
                s.push(c as char);
            }
            0x20..=0x7e => s.push(c as char),
            _ => {
                let _ = write!(s, "\\x{c:02x}");
            }
        }
    }
    s.push('"');
    s
}

const SUFFIXES: &[&str] = &[
    ".dat", ".h5", ".log", ".tmp", ".img", ".csv", ".bin", ".lock", ".tar.gz", "",
];
const ODD_NAMES: &[&str] = &[
    ".",
    "..",
    ".hidden",
    "noext",
    "trailing.",
    "a.b.c.log",
    "with space.log",
    "données-été.csv",
    "数据.h5",
    "файл.log",
    "🚀.tmp",
];
const CLIENTS: &[&str] = &[
    "10.99.0.2",
    "192.168.1.200",
    "fd00::2",
    "2001:db8::1",
    "fe80::1",
    "::1",
    "::ffff:10.0.0.7",
    "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe",
];

fn pick<T: Copy>(rng: &mut Rng, from: &[T]) -> T {
    from[rng.below(from.len() as u64) as usize]
}

fn random_name(rng: &mut Rng, i: u64) -> Option<Vec<u8>> {
    Some(match rng.below(16) {
        0 => return None, // nfsd found no name (a filehandle with no dentry name)
        1 => Vec::new(),
        2 => {
            // NAME_MAX bytes
            let mut n: Vec<u8> = (0..251).map(|_| b'a' + rng.below(26) as u8).collect();
            n.extend_from_slice(b".log");
            n
        }
        3 => {
            // any bytes but NUL and '/': not UTF-8
            let len = 1 + rng.below(40) as usize;
            (0..len)
                .map(|_| match rng.below(255) as u8 + 1 {
                    b'/' => 0xff,
                    c => c,
                })
                .collect()
        }
        4 | 5 => pick(rng, ODD_NAMES).as_bytes().to_vec(),
        _ => format!("file{i}{}", pick(rng, SUFFIXES)).into_bytes(),
    })
}

fn random_id(rng: &mut Rng) -> u32 {
    match rng.below(8) {
        0 => 0,
        1 => 65534,        // nobody
        2 => u32::MAX - 1, // the overflow id
        3 => rng.next_u64() as u32,
        _ => 1000 + rng.below(32) as u32,
    }
}

fn random_size(rng: &mut Rng) -> u64 {
    match rng.below(16) {
        // most LAYOUTGETs come with the OPEN that creates the file
        0..=3 => 0,
        4 => pick(
            rng,
            &[
                1,
                4095,
                4096,
                4097,
                65536,
                1 << 30,
                (1 << 32) + 1,
                i64::MAX as u64,
            ],
        ),
        _ => {
            let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            (u * (MAX_SIZE as f64).ln()).exp() as u64
        }
    }
}

fn random_client(rng: &mut Rng) -> String {
    match rng.below(4) {
        0 => format!(
            "{}.{}.{}.{}",
            rng.below(224),
            rng.below(256),
            rng.below(256),
            1 + rng.below(254)
        ),
        1 => format!(
            "2001:db8:{:x}::{:x}",
            rng.below(65536),
            1 + rng.below(65535)
        ),
        _ => pick(rng, CLIENTS).to_string(),
    }
}

/// `count` files and requests from `seed`: sizes from 0 to 16 GiB (a
/// quarter empty, and edge values), names (none, empty, 255 bytes, UTF-8,
/// not UTF-8), owners (root, nobody, the overflow id, any), IPv4 and IPv6
/// clients, both iomodes, whole-file and partial ranges.
pub fn inputs(count: u64, seed: u64) -> Vec<Input> {
    let mut rng = Rng::new(seed);
    (0..count)
        .map(|i| {
            let ino = match rng.below(16) {
                0 => pick(&mut rng, &[0, 1, u32::MAX as u64, 1 << 32, u64::MAX]),
                _ => 2 + rng.below(1 << 32),
            };
            // knfsd's filehandles, or any bytes up to NFS4_FHSIZE
            let fh = if rng.below(2) == 0 {
                filehandle(ino)
            } else {
                let len = 8 + rng.below(121) as usize;
                (0..len).map(|_| rng.next_u64() as u8).collect()
            };
            let size = random_size(&mut rng);
            let uid = random_id(&mut rng);
            let gid = if rng.below(2) == 0 {
                uid
            } else {
                random_id(&mut rng)
            };
            let name = random_name(&mut rng, i);
            let client = random_client(&mut rng);
            let rw = rng.below(2) == 0;
            let (offset, length) = match rng.below(4) {
                0 => (rng.below(size.max(1)) & !4095, 1 + rng.below(1 << 30)),
                _ => (0, u64::MAX),
            };
            Input {
                ino,
                fh,
                size,
                uid,
                gid,
                name,
                client,
                rw,
                offset,
                length,
            }
        })
        .collect()
}

/// Why a check fails when the policy does not load.
const NOT_LOADED: &str = "the policy does not load";

/// What to check with.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub files: u64,
    pub seed: u64,
}

/// `layout-sim check`'s defaults, which `lunatik-ng pnfs load --check` uses
/// too: one check, whichever command runs it.
impl Default for Options {
    fn default() -> Self {
        Options {
            files: 500,
            seed: 1,
        }
    }
}

/// One kind of problem: how many decisions had it and the first of them.
#[derive(Debug, Clone)]
pub struct Finding {
    pub what: String,
    pub count: u64,
    /// Where it first happened: the server count, the file and its table.
    pub first: String,
    /// The answer nfsd would reject, as the policy gave it.
    pub answer: Option<String>,
    /// The fewest and most data servers it happened with.
    pub servers: (u32, u32),
}

#[derive(Debug, Default)]
struct Findings {
    list: Vec<Finding>,
    index: HashMap<String, usize>,
}

impl Findings {
    fn add(&mut self, key: String, n: u32, what: impl FnOnce() -> Finding) {
        match self.index.get(&key) {
            Some(&i) => {
                let f = &mut self.list[i];
                f.count += 1;
                f.servers = (f.servers.0.min(n), f.servers.1.max(n));
            }
            None => {
                self.index.insert(key, self.list.len());
                self.list.push(what());
            }
        }
    }
}

/// The placement balance with `servers` data servers: max/mean of the
/// files (a file counts on every server of its layout) and of the bytes
/// per server, and the servers that got nothing.
#[derive(Debug, Clone, Copy)]
pub struct Balance {
    pub servers: u32,
    pub files: f64,
    pub bytes: f64,
    pub unused: u32,
}

/// What a check found.
#[derive(Debug)]
pub struct Report {
    pub policy: String,
    pub options: Options,
    /// Why the policy did not load (nothing else is checked then).
    pub load_error: Option<String>,
    pub decisions: u64,
    pub errors: Vec<Finding>,
    pub rejected: Vec<Finding>,
    pub limits: Vec<Finding>,
    /// The check stopped after MAX_LIMIT_HITS decisions reached a limit.
    pub stopped: bool,
    /// The most instructions (and units of C work) a decision ran, and
    /// where (server count and file number).
    pub worst_instructions: (i64, String),
    /// Bytes of the policy's state: the peak (loading included) and at the
    /// end.
    pub peak_memory: usize,
    pub held_memory: usize,
    pub balance: Vec<Balance>,
    pub elapsed: Duration,
}

impl Report {
    /// A report on `policy` with nothing found yet.
    fn new(policy: String, options: Options) -> Report {
        Report {
            policy,
            options,
            load_error: None,
            decisions: 0,
            errors: Vec::new(),
            rejected: Vec::new(),
            limits: Vec::new(),
            stopped: false,
            worst_instructions: (0, String::new()),
            peak_memory: 0,
            held_memory: 0,
            balance: Vec::new(),
            elapsed: Duration::ZERO,
        }
    }

    /// Whether nfsd would take every answer within its limits.
    pub fn passed(&self) -> bool {
        self.failure().is_none()
    }

    /// Why the check failed, as its last line says after "FAIL: "
    /// ("352 answers rejected"); None when it passed.
    pub fn failure(&self) -> Option<String> {
        if self.load_error.is_some() {
            return Some(NOT_LOADED.into());
        }
        let count = |l: &[Finding]| l.iter().map(|f| f.count).sum::<u64>();
        let mut why = Vec::new();
        if !self.errors.is_empty() {
            why.push(format!("{} errors", thousands(count(&self.errors))));
        }
        if !self.rejected.is_empty() {
            why.push(format!(
                "{} answers rejected",
                thousands(count(&self.rejected))
            ));
        }
        if !self.limits.is_empty() {
            why.push(format!(
                "{} decisions reached a limit",
                thousands(count(&self.limits))
            ));
        }
        (!why.is_empty()).then(|| why.join(", "))
    }
}

/// The answer as the policy gave it (after the conversion nfsd's module
/// makes: numbers clamped to 32 bits, server numbers below 1 shown as 0).
fn answer_lua(a: &Layout) -> String {
    let servers: Vec<String> = a
        .servers()
        .iter()
        .map(|s| s.wrapping_add(1).to_string())
        .collect();
    let more = if a.count as usize > MAX_DS {
        ", ..."
    } else {
        ""
    };
    format!(
        "{{stripe_unit = {}, servers = {{{}{more}}}, first = {}}}",
        a.stripe_unit,
        servers.join(", "),
        u64::from(a.first_stripe_index) + 1
    )
}

/// Asks the policy at `path` about `opts.files` random files with each of
/// 1 to 64 data servers, counting every decision's instructions.
pub fn run(path: &Path, opts: Options) -> Report {
    let name = path.display().to_string();
    match std::fs::read(path) {
        Ok(code) => run_source(&name, &code, opts),
        Err(e) => {
            let mut report = Report::new(name, opts);
            report.load_error = Some(format!("cannot read {}: {e}", path.display()));
            report
        }
    }
}

/// As `run`, for a policy already read (`name` is how the report calls
/// it): `lunatik-ng pnfs load --check` checks the very bytes it then loads.
pub fn run_source(name: &str, code: &[u8], opts: Options) -> Report {
    let start = Instant::now();
    let mut report = Report::new(name.into(), opts);
    let p = match Policy::from_source_with(code, None) {
        Ok(p) => p,
        Err(e) => {
            report.load_error = Some(format!("{name}: {e}"));
            report.elapsed = start.elapsed();
            return report;
        }
    };
    let inputs = inputs(opts.files, opts.seed);
    let (mut errors, mut rejected, mut limits) = (
        Findings::default(),
        Findings::default(),
        Findings::default(),
    );
    let mut limit_hits = 0;
    'counts: for n in 1..=MAX_DS as u32 {
        let mut files = vec![0u64; n as usize];
        let mut bytes = vec![0u64; n as usize];
        let mut scratch = vec![0u64; n as usize];
        for (i, input) in inputs.iter().enumerate() {
            if limit_hits >= MAX_LIMIT_HITS {
                report.stopped = true;
                break 'counts;
            }
            let info = input.info(n);
            let at = || format!("{}, file #{i}", data_servers(n));
            let whence = || format!("{}: {}", at(), input.lua(n));
            let (res, used) = p.answer_counted(&info);
            report.decisions += 1;
            if used > report.worst_instructions.0 {
                report.worst_instructions = (used, at());
            }
            let placement = match res {
                Err(msg) => {
                    let limit = if used >= LIMITS.instructions {
                        Some(format!(
                            "instruction budget exhausted: {} instructions \
                             (max_policy_instructions)",
                            thousands(LIMITS.instructions as u64)
                        ))
                    } else if msg == "not enough memory" {
                        Some(format!(
                            "not enough memory: the state holds {} at most (max_memory)",
                            human(LIMITS.memory as u64)
                        ))
                    } else {
                        None
                    };
                    let finding = |what: String| {
                        move || Finding {
                            what,
                            count: 1,
                            first: whence(),
                            answer: None,
                            servers: (n, n),
                        }
                    };
                    match limit {
                        Some(what) => {
                            limit_hits += 1;
                            limits.add(what.clone(), n, finding(what));
                        }
                        None => errors.add(msg.clone(), n, finding(msg)),
                    }
                    Placement::builtin(n)
                }
                Ok(a) => match policy::check(&a, n) {
                    Ok(()) => Placement::from_decision(&Decision::of(&a)),
                    Err(why) => {
                        // one finding per rule broken, the first answer shown
                        let key = format!("{:?}", std::mem::discriminant(&why));
                        rejected.add(key, n, || Finding {
                            what: why.to_string(),
                            count: 1,
                            first: whence(),
                            answer: Some(answer_lua(&a)),
                            servers: (n, n),
                        });
                        Placement::builtin(n)
                    }
                },
            };
            // as nfsd does, a failed decision gives the built-in layout
            scratch.iter_mut().for_each(|b| *b = 0);
            placement.add_bytes(input.size.min(MAX_SIZE), &mut scratch);
            for (b, s) in bytes.iter_mut().zip(&scratch) {
                *b += s;
            }
            for &s in &placement.servers {
                files[s as usize] += 1;
            }
        }
        report.balance.push(Balance {
            servers: n,
            files: balance(&files).0,
            bytes: balance(&bytes).0,
            unused: files.iter().filter(|&&f| f == 0).count() as u32,
        });
    }
    let (held, peak) = p.memory();
    (report.held_memory, report.peak_memory) = (held, peak);
    report.errors = errors.list;
    report.rejected = rejected.list;
    report.limits = limits.list;
    report.elapsed = start.elapsed();
    report
}

/// Server counts shown in the balance table.
const SHOWN: &[u32] = &[2, 3, 4, 8, 16, 32, 64];
/// Kinds of errors or rejections shown in full (the rest are counted).
const SHOWN_KINDS: usize = 3;

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn section(out: &mut String, title: &str, list: &[Finding], total: u64, of: &str) {
    let n: u64 = list.iter().map(|f| f.count).sum();
    if list.is_empty() {
        let _ = writeln!(out, "{title:<14}none");
        return;
    }
    let _ = writeln!(
        out,
        "{title:<14}{} of {} {of}",
        thousands(n),
        thousands(total)
    );
    for f in list.iter().take(SHOWN_KINDS) {
        let (lo, hi) = f.servers;
        let range = if lo == hi {
            data_servers(lo)
        } else {
            format!("{lo} to {hi} data servers")
        };
        let _ = writeln!(out, "  {} x with {range}: {}", thousands(f.count), f.what);
        let _ = writeln!(out, "      first at {}", f.first);
        if let Some(a) = &f.answer {
            let _ = writeln!(out, "      answer {a}");
        }
    }
    if list.len() > SHOWN_KINDS {
        let _ = writeln!(out, "  and {} other kinds", list.len() - SHOWN_KINDS);
    }
}

impl Report {
    /// The report printed on standard output.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let o = self.options;
        let _ = writeln!(
            out,
            "layout-sim check {}: {} files (seed {}) x 1-{MAX_DS} data servers",
            self.policy,
            thousands(o.files),
            o.seed
        );
        if let Some(e) = &self.load_error {
            let _ = writeln!(out, "load          failed: {e}");
            let _ = writeln!(out, "FAIL: {NOT_LOADED}");
            return out;
        }
        let d = self.decisions;
        section(
            &mut out,
            "errors",
            &self.errors,
            d,
            "decisions raised an error (nfsd would use its built-in layout)",
        );
        section(
            &mut out,
            "rejected",
            &self.rejected,
            d,
            "answers nfsd would reject (and use its built-in layout)",
        );
        section(
            &mut out,
            "limits",
            &self.limits,
            d,
            "decisions reached a limit",
        );
        if self.stopped {
            let _ = writeln!(
                out,
                "  (stopped after {MAX_LIMIT_HITS} decisions reached a limit: \
                 {} of {} decisions made)",
                thousands(d),
                thousands(o.files * MAX_DS as u64)
            );
        }
        let (worst, at) = &self.worst_instructions;
        let _ = writeln!(
            out,
            "{:<14}worst {} per decision ({at}), {:.2}% of max_policy_instructions {}",
            "instructions",
            thousands(*worst as u64),
            *worst as f64 * 100.0 / LIMITS.instructions as f64,
            thousands(LIMITS.instructions as u64)
        );
        let _ = writeln!(
            out,
            "{:<14}peak {}, {:.2}% of max_memory {} (held at the end: {})",
            "memory",
            human(self.peak_memory as u64),
            self.peak_memory as f64 * 100.0 / LIMITS.memory as f64,
            human(LIMITS.memory as u64),
            human(self.held_memory as u64)
        );
        let rows: Vec<&Balance> = self
            .balance
            .iter()
            .filter(|b| SHOWN.contains(&b.servers))
            .collect();
        if !rows.is_empty() {
            let _ = writeln!(
                out,
                "balance       max/mean per data server (a failed decision counts as nfsd's built-in layout)"
            );
            let mut line = |label: &str, cell: &dyn Fn(&Balance) -> String| {
                let _ = write!(out, "  {label:<14}");
                for b in &rows {
                    let _ = write!(out, "{:>7}", cell(b));
                }
                let _ = writeln!(out);
            };
            line("data servers", &|b| b.servers.to_string());
            line("files", &|b| format!("{:.2}", b.files));
            line("bytes", &|b| format!("{:.2}", b.bytes));
            line("unused", &|b| b.unused.to_string());
        }
        let _ = writeln!(
            out,
            "{} decisions in {:.1} s",
            thousands(d),
            self.elapsed.as_secs_f64()
        );
        match self.failure() {
            None => {
                let _ = writeln!(out, "PASS");
            }
            Some(why) => {
                let _ = writeln!(out, "FAIL: {why}");
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }

    #[test]
    fn lua_strings_escape_what_is_not_printable() {
        assert_eq!(lua_string(b"a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(lua_string("é\n".as_bytes()), r#""\xc3\xa9\x0a""#);
    }
}
