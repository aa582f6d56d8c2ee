//! Figures, printed (never asserted): calls per second of `return 1` from
//! one and two processes, and the latency as a ratio to getppid().

use std::time::{Duration, Instant};

use crate::sys::raw;
use crate::tap::Tap;

fn lua_calls_for(d: Duration) -> (u64, Duration) {
    let code = b"return 1";
    let mut out = [0u8; 64];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < d {
        for _ in 0..100 {
            raw(code.as_ptr(), code.len(), out.as_mut_ptr(), out.len());
        }
        n += 100;
    }
    (n, start.elapsed())
}

fn getppid_ns(n: u64) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        // SAFETY: getppid has no preconditions.
        unsafe { libc::syscall(libc::SYS_getppid) };
    }
    start.elapsed().as_nanos() as f64 / n as f64
}

pub fn run(t: &mut Tap) {
    let d = Duration::from_secs(2);
    let (n1, e1) = lua_calls_for(d);
    let per_call = e1.as_nanos() as f64 / n1 as f64;
    let null = getppid_ns(200_000);
    // Two processes at once.
    let mut fds = [0; 2];
    // SAFETY: a pipe for the child's count.
    unsafe { libc::pipe(fds.as_mut_ptr()) };
    let (rd, wr) = (fds[0], fds[1]);
    // SAFETY: the child only calls and writes its count.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let (n, _) = lua_calls_for(d);
        let b = n.to_le_bytes();
        // SAFETY: writing 8 bytes to our pipe, then leaving.
        unsafe {
            libc::write(wr, b.as_ptr().cast(), 8);
            libc::_exit(0);
        }
    }
    let (n_parent, e2) = lua_calls_for(d);
    let mut b = [0u8; 8];
    // SAFETY: reading the child's 8 bytes, then reaping it.
    unsafe {
        libc::read(rd, b.as_mut_ptr().cast(), 8);
        libc::waitpid(pid, std::ptr::null_mut(), 0);
    }
    let n2 = n_parent + u64::from_le_bytes(b);
    let rate1 = n1 as f64 / e1.as_secs_f64();
    let rate2 = n2 as f64 / e2.as_secs_f64();
    t.diag(&format!(
        "bench: return 1 from 1 process: {rate1:.0} calls/s ({per_call:.0} ns/call)"
    ));
    t.diag(&format!(
        "bench: return 1 from 2 processes: {rate2:.0} calls/s in all"
    ));
    t.diag(&format!(
        "bench: getppid(): {null:.0} ns/call; return 1 / getppid = {:.1}x",
        per_call / null
    ));
    t.ok(n1 > 0 && n2 > 0, "benchmark ran (figures above)");
}

/// MB/s of `crypto.sha1` over `len` bytes, `times` times in one call (the
/// call's own cost, measured with an empty loop, taken out).
fn lua_sha1_rate(len: usize, times: u32) -> Option<f64> {
    let setup = format!("bench_s = string.rep('a', {len})");
    crate::sys::lua(&setup).ok()?;
    let time = |code: &str| {
        let t = Instant::now();
        let r = crate::sys::lua(code);
        (t.elapsed(), r)
    };
    let (empty, _) = time(&format!("for i = 1, {times} do end"));
    let (full, r) = time(&format!("for i = 1, {times} do crypto.sha1(bench_s) end"));
    if !matches!(r, Ok((false, _))) {
        return None;
    }
    let ns = full.saturating_sub(empty).as_nanos().max(1) as f64;
    Some(len as f64 * f64::from(times) * 1000.0 / ns)
}

pub fn sha1(t: &mut Tap) {
    let small = lua_sha1_rate(4096, 512);
    let big = lua_sha1_rate(1 << 20, 16);
    if let (Some(a), Some(b)) = (small, big) {
        t.diag(&format!(
            "bench: crypto.sha1 through Lua: 4 KiB {a:.0} MB/s, 1 MiB {b:.0} MB/s"
        ));
    }
    crate::sys::lua("bench_s = nil").ok();
    t.ok(
        small.is_some() && big.is_some(),
        "crypto.sha1 throughput measured (figures above)",
    );
}
