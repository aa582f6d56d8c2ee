//! The SYS_lua fuzzer of the testbed guest (issue 16): seeded,
//! reproducible, bounded in time.
//!
//!   lunatik-guest-tests fuzz SECONDS SEED [args|programs|all] [COUNT]
//!
//! Each call is a function of its sub-seed (SEED, SEED + 1, ...):
//! - `args` (args.rs): code and result pointers into pages of known
//!   protection, or at NULL and kernel addresses, sizes at and around each
//!   limit of the ABI, from `CALLERS` threads at once; each answer must be
//!   the one docs/syscall.md gives for those arguments (ENOSYS always
//!   allowed: the guest suite unloads the module meanwhile);
//! - `programs` (programs.rs): the programs of the twin fuzzer's
//!   generator (lua/tests/fuzz/gen.rs, that very file), one at a time in
//!   the default state; each answer well-formed, and `return 1+1` answers 2
//!   after it. Sub-seed S is the program the twin runs for
//!   `LUNATIK_FUZZ_SEED=S`.
//!
//! A call that does not return within the wedge bound (`WEDGE_FACTOR`
//! times the module's `max_call_ms`, plus `WEDGE_SLACK`) stops the run: the
//! main thread watches the callers' slots. SECONDS 0 runs COUNT (default 1)
//! sub-seeds from SEED in one thread and prints each call: the reproduction
//! of a finding.

#[path = "../../../lua/tests/fuzz/gen.rs"]
mod gen;

mod args;
mod programs;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering::SeqCst};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::tap::Tap;

/// Concurrent callers of the args part.
const CALLERS: usize = 4;
/// A call wedged when it has not returned after this many times the
/// module's `max_call_ms`: a stopped entry ends within about twice its
/// bound (docs/lua-api.md, "Limits"), and a caller may first wait for the
/// calls of the other `CALLERS` (each up to twice its bound) to end.
const WEDGE_FACTOR: u64 = 20;
/// Added to the wedge bound: descheduled vCPUs under TCG.
const WEDGE_SLACK: Duration = Duration::from_secs(10);
/// Calls slower than this many times `max_call_ms`, plus 1 s, are listed
/// (not failed).
const SLOW_FACTOR: u64 = 2;
/// In the args part, every second the callers pause this long, so that
/// the suite's rmmod finds the module idle (each call holds a reference).
const QUIET: Duration = Duration::from_millis(50);

/// The module's limits that bound answers and calls (its parameters when
/// loaded, else their defaults).
pub struct Limits {
    pub max_call_ms: u64,
    pub max_memory: usize,
}

impl Limits {
    fn read() -> Limits {
        let param = |name: &str, default: u64| {
            std::fs::read_to_string(format!("/sys/module/lunatik_ng/parameters/{name}"))
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(default)
        };
        Limits {
            max_call_ms: param("max_call_ms", 5000),
            max_memory: param("max_memory", 8 << 20) as usize,
        }
    }

    fn wedge(&self) -> Duration {
        Duration::from_millis(WEDGE_FACTOR * self.max_call_ms) + WEDGE_SLACK
    }
}

static START: OnceLock<Instant> = OnceLock::new();

fn now_ms() -> u64 {
    START.get_or_init(Instant::now).elapsed().as_millis() as u64
}

const IDLE: u64 = u64::MAX;

/// One caller thread's work in flight, for the watchdog and the crash
/// handler (atomics only: the handler reads them).
pub struct Slot {
    /// The sub-seed being worked on, or `IDLE`.
    seed: AtomicU64,
    /// When its system call began (`now_ms() + 1`), 0 outside one.
    since: AtomicU64,
}

impl Slot {
    const fn new() -> Slot {
        Slot {
            seed: AtomicU64::new(IDLE),
            since: AtomicU64::new(0),
        }
    }

    /// Runs the system call `f`, watched; returns how long it took.
    pub fn timed<R>(&self, f: impl FnOnce() -> R) -> (Duration, R) {
        let start = Instant::now();
        self.since.store(now_ms() + 1, SeqCst);
        let r = f();
        self.since.store(0, SeqCst);
        (start.elapsed(), r)
    }
}

static SLOTS: [Slot; CALLERS] = [const { Slot::new() }; CALLERS];
/// The part running, for the crash handler: an index into `PARTS`.
static PART: AtomicU8 = AtomicU8::new(0);
const PARTS: [&str; 2] = ["args", "programs"];

/// How one call went.
pub struct Verdict {
    /// The outcome class (an errno's name, "returned", "Lua error", ...).
    pub class: String,
    /// Answered by the engine (not ENOSYS).
    pub engine: bool,
    /// The longest system call it made.
    pub took: Duration,
    /// Why the answer is malformed, if it is.
    pub bad: Option<String>,
}

/// What the callers of a part found.
#[derive(Default)]
struct Tally {
    execs: u64,
    engine: u64,
    classes: BTreeMap<String, u64>,
    /// The first malformed answer: sub-seed and why.
    failure: Option<(u64, String)>,
    slow: Vec<(u64, Duration)>,
    slowest: Option<(u64, Duration)>,
}

/// How long a part runs: until a deadline, or for a count of sub-seeds.
#[derive(Clone, Copy)]
enum Plan {
    Until(Instant),
    Count(u64),
}

struct Run<'a> {
    part: usize,
    first: u64,
    plan: Plan,
    limits: &'a Limits,
}

/// Counts a caller thread as done when it ends, also by a panic (which the
/// scope then passes on), so that the watchdog's loop ends.
struct Done<'a>(&'a AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A part's callers, each making `call` for sub-seeds in turn, watched by
/// this thread; on a wedged call, the report and the exit of the process.
fn drive<C>(
    t: &mut Tap,
    run: &Run,
    callers: usize,
    caller: impl Fn() -> C + Sync,
    call: impl Fn(&mut C, u64, &Slot, bool) -> Verdict + Sync,
) {
    PART.store(run.part as u8, SeqCst);
    let next = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let done = AtomicUsize::new(0);
    let tally = Mutex::new(Tally::default());
    let slow = Duration::from_millis(SLOW_FACTOR * run.limits.max_call_ms) + Duration::from_secs(1);
    let verbose = matches!(run.plan, Plan::Count(_));
    let quiet = run.part == 0 && !verbose;
    let start = Instant::now();
    std::thread::scope(|s| {
        for slot in &SLOTS[..callers] {
            let (next, stop, done, tally) = (&next, &stop, &done, &tally);
            let (caller, call) = (&caller, &call);
            s.spawn(move || {
                let _done = Done(done);
                let mut c = caller();
                while !stop.load(SeqCst) {
                    let n = next.fetch_add(1, SeqCst);
                    match run.plan {
                        Plan::Count(count) if n >= count => break,
                        Plan::Until(end) if Instant::now() >= end => break,
                        _ => {}
                    }
                    let ms = start.elapsed().as_millis() as u64 % 1000;
                    if quiet && ms < QUIET.as_millis() as u64 {
                        std::thread::sleep(Duration::from_millis(QUIET.as_millis() as u64 - ms));
                    }
                    let seed = run.first.wrapping_add(n);
                    slot.seed.store(seed, SeqCst);
                    let v = call(&mut c, seed, slot, verbose);
                    slot.seed.store(IDLE, SeqCst);
                    let mut t = tally.lock().unwrap_or_else(|p| p.into_inner());
                    t.execs += 1;
                    t.engine += u64::from(v.engine);
                    *t.classes.entry(v.class).or_default() += 1;
                    if v.took > slow {
                        t.slow.push((seed, v.took));
                    }
                    if t.slowest.is_none_or(|(_, d)| v.took > d) {
                        t.slowest = Some((seed, v.took));
                    }
                    if let Some(why) = v.bad {
                        if t.failure.is_none() {
                            t.failure = Some((seed, why));
                        }
                        stop.store(true, SeqCst);
                    }
                }
            });
        }
        // The watchdog.
        let bound = run.limits.wedge().as_millis() as u64;
        while done.load(SeqCst) < callers {
            std::thread::sleep(Duration::from_millis(20));
            let now = now_ms() + 1;
            for slot in &SLOTS[..callers] {
                let since = slot.since.load(SeqCst);
                if since != 0 && now.saturating_sub(since) > bound {
                    let seed = slot.seed.load(SeqCst);
                    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                    report(t, run, &tally, start.elapsed(), callers, Some(seed));
                    t.finish();
                    let _ = std::io::stdout().flush();
                    // The wedged thread cannot be joined: leave without it.
                    std::process::exit(1);
                }
            }
        }
    });
    let tally = tally.into_inner().unwrap_or_else(|p| p.into_inner());
    report(t, run, &tally, start.elapsed(), callers, None);
}

/// How to run sub-seed `seed` again, alone, and (programs) after the
/// programs the state ran before it in this run.
fn reproduce(run: &Run, seed: u64) -> String {
    let part = PARTS[run.part];
    let mut s = format!("reproduce: lunatik-guest-tests fuzz 0 {seed} {part}");
    if run.part == 1 {
        s.push_str(&format!(
            "\non the twin: LUNATIK_FUZZ_SEED={seed} LUNATIK_FUZZ_COUNT=1 \
             cargo test -p lunatik-lua --test fuzz fuzz_fresh -- --nocapture"
        ));
        if seed != run.first {
            s.push_str(&format!(
                "\nthe state had run sub-seeds {}..{seed} first: after reloading the module, \
                 lunatik-guest-tests fuzz 0 {} programs {}",
                run.first,
                run.first,
                seed.wrapping_sub(run.first).wrapping_add(1)
            ));
        }
    }
    s
}

/// The counts as TAP comments, then the TAP lines of the part.
fn report(
    t: &mut Tap,
    run: &Run,
    tally: &Tally,
    took: Duration,
    callers: usize,
    wedged: Option<u64>,
) {
    let part = PARTS[run.part];
    let secs = took.as_secs_f64().max(1e-3);
    t.diag(&format!(
        "fuzz {part}: {} execs in {secs:.1} s, {:.0} execs/s, {callers} caller(s), sub-seeds from {}",
        tally.execs,
        tally.execs as f64 / secs,
        run.first
    ));
    let classes: Vec<String> = tally
        .classes
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    t.diag(&format!("fuzz {part}: outcomes: {}", classes.join(", ")));
    if let Some((seed, d)) = tally.slowest {
        t.diag(&format!(
            "fuzz {part}: slowest call {d:.1?} (sub-seed {seed})"
        ));
    }
    for (seed, d) in tally.slow.iter().take(10) {
        t.diag(&format!(
            "fuzz {part}: slow: sub-seed {seed} took {d:.1?} (over {SLOW_FACTOR} x max_call_ms {} ms + 1 s)",
            run.limits.max_call_ms
        ));
    }
    let bound = run.limits.wedge();
    t.check(
        tally.failure.is_none(),
        &format!(
            "fuzz {part}: every answer well-formed ({} calls)",
            tally.execs
        ),
        || {
            let (seed, why) = tally.failure.as_ref().expect("a failure");
            format!("sub-seed {seed}: {why}\n{}", reproduce(run, *seed))
        },
    );
    t.check(
        wedged.is_none(),
        &format!("fuzz {part}: no call wedged (each returned within {bound:?})"),
        || {
            let seed = wedged.expect("a wedged call");
            format!(
                "sub-seed {seed} has not returned after {bound:?}\n{}",
                reproduce(run, seed)
            )
        },
    );
    if part == "args" && !matches!(run.plan, Plan::Count(_)) {
        t.check(
            tally.engine > 0,
            "fuzz args: the engine answered calls (not only ENOSYS)",
            || "every call got ENOSYS: is the module loaded?".into(),
        );
    }
    if wedged.is_none() {
        t.ok(
            true,
            &format!("fuzz {part}: the process survived every call"),
        );
    }
}

/// On a crash: the sub-seeds in flight, with write(2) only.
extern "C" fn on_crash(sig: libc::c_int) {
    let mut buf = [0u8; 512];
    let mut n = 0;
    let mut put = |b: &[u8]| {
        let k = b.len().min(buf.len() - n);
        buf[n..n + k].copy_from_slice(&b[..k]);
        n += k;
    };
    let num = |mut v: u64, out: &mut [u8; 20]| -> usize {
        let mut i = out.len();
        loop {
            i -= 1;
            out[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                return i;
            }
        }
    };
    let mut d = [0u8; 20];
    put(b"# fuzz: signal ");
    let i = num(sig as u64, &mut d);
    put(&d[i..]);
    put(b" in the ");
    put(PARTS[usize::from(PART.load(SeqCst)).min(1)].as_bytes());
    put(b" part, at sub-seed(s)");
    for slot in &SLOTS {
        let s = slot.seed.load(SeqCst);
        if s != IDLE {
            put(b" ");
            let i = num(s, &mut d);
            put(&d[i..]);
        }
    }
    put(b": reproduce with lunatik-guest-tests fuzz 0 SUB-SEED PART\n");
    // SAFETY: write(2) and signal(2) are async-signal-safe; back to the
    // default action, which the faulting instruction, run again, takes.
    unsafe {
        libc::write(1, buf.as_ptr().cast(), n);
        libc::signal(sig, libc::SIG_DFL);
    }
}

fn install_crash_handler() {
    for sig in [libc::SIGSEGV, libc::SIGBUS, libc::SIGABRT, libc::SIGILL] {
        // SAFETY: the handler only reads atomics and calls write(2).
        unsafe {
            libc::signal(
                sig,
                on_crash as extern "C" fn(libc::c_int) as libc::sighandler_t,
            )
        };
    }
}

fn usage() -> ! {
    eprintln!("usage: lunatik-guest-tests fuzz SECONDS SEED [args|programs|all] [COUNT]");
    std::process::exit(2);
}

/// `lunatik-guest-tests fuzz SECONDS SEED [PART] [COUNT]`.
pub fn run(t: &mut Tap, secs: &str, seed: &str, part: &str, count: &str) {
    let (Ok(secs), Ok(first)) = (secs.parse::<u64>(), seed.parse::<u64>()) else {
        usage()
    };
    let parts: &[usize] = match part {
        "" | "all" => &[0, 1],
        "args" => &[0],
        "programs" => &[1],
        _ => usage(),
    };
    let count = if count.is_empty() {
        1
    } else {
        count.parse().unwrap_or_else(|_| usage())
    };
    install_crash_handler();
    now_ms();
    let limits = Limits::read();
    t.diag(&format!(
        "fuzz: seed {first}, {secs} s, part {}, max_call_ms {} (wedge bound {:?}); again: \
         lunatik-guest-tests fuzz {secs} {first} {}",
        if part.is_empty() { "all" } else { part },
        limits.max_call_ms,
        limits.wedge(),
        if part.is_empty() { "all" } else { part },
    ));
    let per_part = Duration::from_secs(secs) / parts.len() as u32;
    let mut deadline = Instant::now();
    for &p in parts {
        deadline += per_part;
        let plan = if secs == 0 {
            Plan::Count(count)
        } else {
            Plan::Until(deadline)
        };
        let run = Run {
            part: p,
            first,
            plan,
            limits: &limits,
        };
        let callers = if p == 0 && secs > 0 { CALLERS } else { 1 };
        if p == 0 {
            drive(
                t,
                &run,
                callers,
                args::Caller::default,
                |c, seed, slot, verbose| c.call(seed, slot, &limits, verbose),
            );
        } else {
            drive(
                t,
                &run,
                callers,
                || (),
                |_, seed, slot, verbose| programs::call(seed, slot, &limits, verbose),
            );
        }
    }
}
