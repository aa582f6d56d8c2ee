//! The lua system call under bad input, without privilege, and under
//! concurrent use (docs/syscall.md, ERRORS).

use std::ptr;

use crate::sys::{abi, lua, raw, returns};
use crate::tap::Tap;

const CODE_MAX: usize = abi::CODE_MAX;
const LUA_ERROR: i64 = abi::LUA_ERROR;

/// An anonymous mapping with `prot`, or one that was unmapped again.
fn mapping(prot: libc::c_int, unmap: bool) -> *mut u8 {
    // SAFETY: a fresh anonymous mapping of one page.
    unsafe {
        let p = libc::mmap(
            ptr::null_mut(),
            4096,
            prot,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        );
        assert!(p != libc::MAP_FAILED, "mmap failed");
        if unmap {
            libc::munmap(p, 4096);
        }
        p.cast::<u8>()
    }
}

fn expect_errno(t: &mut Tap, desc: &str, got: (i64, i32), errno: i32) {
    t.check(got.0 == -1 && got.1 == errno, desc, || {
        format!("got return {} errno {}, want errno {errno}", got.0, got.1)
    });
    t.ok(
        returns("return 1 + 1", "2"),
        &format!("after {desc}: a normal call works"),
    );
}

pub fn bad_inputs(t: &mut Tap) {
    let code = b"return 1";
    let mut out = vec![0u8; 256];
    let o = out.as_mut_ptr();
    // The read-only page first: the unmapped address must not be reused.
    let readonly = mapping(libc::PROT_READ, false);
    let unmapped = mapping(libc::PROT_READ, true);

    t.ok(
        returns("return type({123})", "table"),
        "return type({123}) gives table",
    );
    expect_errno(
        t,
        "NULL code: EFAULT",
        raw(ptr::null(), 8, o, 256),
        libc::EFAULT,
    );
    expect_errno(
        t,
        "unmapped code: EFAULT",
        raw(unmapped, 8, o, 256),
        libc::EFAULT,
    );
    expect_errno(
        t,
        "NULL result: EFAULT",
        raw(code.as_ptr(), 8, ptr::null_mut(), 256),
        libc::EFAULT,
    );
    expect_errno(
        t,
        "unmapped result: EFAULT",
        raw(code.as_ptr(), 8, unmapped, 256),
        libc::EFAULT,
    );
    expect_errno(
        t,
        "code_sz 0: EINVAL",
        raw(code.as_ptr(), 0, o, 256),
        libc::EINVAL,
    );
    expect_errno(
        t,
        "code_sz 1<<40: E2BIG",
        raw(code.as_ptr(), 1 << 40, o, 256),
        libc::E2BIG,
    );
    expect_errno(
        t,
        "code_sz CODE_MAX+1: E2BIG",
        raw(code.as_ptr(), CODE_MAX + 1, o, 256),
        libc::E2BIG,
    );
    expect_errno(
        t,
        "result_sz 0: EINVAL",
        raw(code.as_ptr(), 8, o, 0),
        libc::EINVAL,
    );

    let set = b"ran_with_readonly_result = true";
    expect_errno(
        t,
        "read-only result: EFAULT",
        raw(set.as_ptr(), set.len(), readonly, 256),
        libc::EFAULT,
    );
    t.ok(
        returns("return ran_with_readonly_result", "nil"),
        "read-only result: the code did not run",
    );

    // A result buffer of one byte: the NUL only, and the full length back.
    let mut one = [0xffu8; 1];
    let r = raw(b"return 'abc'".as_ptr(), 12, one.as_mut_ptr(), 1);
    t.check(
        r.0 == 3 && one[0] == 0,
        "result_sz 1: NUL only, length 3 returned (truncated)",
        || format!("got {r:?}, byte {}", one[0]),
    );

    let r = raw(c"return 7".as_ptr().cast(), 9, o, 256);
    t.ok(
        r.0 == 1 && out[0] == b'7' && out[1] == 0,
        "a trailing NUL in code is accepted",
    );

    let garbage: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let r = raw(garbage.as_ptr(), garbage.len(), o, 256);
    t.check(
        r.0 >= 0 && r.0 & LUA_ERROR != 0,
        "binary garbage: a Lua error",
        || format!("{r:?}"),
    );
    t.ok(
        returns("return 1 + 1", "2"),
        "after binary garbage: a normal call works",
    );

    let mut bytecode = b"\x1bLua\x54\x00\x19\x93\r\n\x1a\n".to_vec();
    bytecode.extend_from_slice(&[0x41; 64]);
    let r = raw(bytecode.as_ptr(), bytecode.len(), o, 256);
    let msg =
        String::from_utf8_lossy(&out[..out.iter().position(|&b| b == 0).unwrap_or(0)]).into_owned();
    t.check(
        r.0 >= 0 && r.0 & LUA_ERROR != 0 && msg.contains("binary chunk"),
        "a bytecode chunk is refused with a Lua error",
        || format!("{r:?} {msg:?}"),
    );
    t.ok(
        returns("return 1 + 1", "2"),
        "after bytecode: a normal call works",
    );

    t.ok(
        returns(
            "saved_buffer = buffer buffer = nil return type(buffer)",
            "nil",
        ),
        "buffer = nil",
    );
    let r = lua("return buffer.new(1)");
    t.check(
        matches!(r, Ok((true, ref m)) if m.contains("buffer")),
        "then using buffer is a Lua error",
        || format!("{r:?}"),
    );
    t.ok(
        returns("buffer = saved_buffer return #buffer.new(3)", "3"),
        "restoring buffer works",
    );
    t.ok(
        returns(
            "local s = string string = nil local r = ('x'):rep(3) string = s return r",
            "xxx",
        ),
        "string = nil: string methods still work through the metatable",
    );

    // Without CAP_SYS_ADMIN: EPERM.
    let status = eperm_in_child(|| {
        // SAFETY: dropping privileges in the (single-threaded) child.
        unsafe { libc::setresuid(65534, 65534, 65534) == 0 }
    });
    t.ok(status == Some(0), "without CAP_SYS_ADMIN: EPERM");
}

/// Forks a child that runs `drop_rights` (false: it failed) and then calls
/// SYS_lua; its exit status: 0 when the call failed with EPERM, 1 when it
/// did not, 2 when `drop_rights` failed.
fn eperm_in_child(drop_rights: fn() -> bool) -> Option<i32> {
    // SAFETY: fork, then only raw system calls in the child.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        if !drop_rights() {
            // SAFETY: leaving the child.
            unsafe { libc::_exit(2) };
        }
        let mut buf = [0u8; 16];
        // SAFETY: valid buffers for the lengths given.
        let r = unsafe {
            libc::syscall(
                abi::SYS_LUA,
                b"return 1".as_ptr(),
                8usize,
                buf.as_mut_ptr(),
                16usize,
            )
        };
        // SAFETY: reading errno, then leaving the child.
        unsafe {
            let e = *libc::__errno_location();
            libc::_exit(if r == -1 && e == libc::EPERM { 0 } else { 1 });
        }
    }
    let mut status = 0;
    // SAFETY: waiting for our child.
    unsafe { libc::waitpid(pid, &mut status, 0) };
    libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status))
}

/// `procs` processes each make `calls` calls that increment one counter.
pub fn concurrency(t: &mut Tap, procs: usize, calls: usize) {
    let before = match lua("lunatik_counter = lunatik_counter or 0 return lunatik_counter") {
        Ok((false, s)) => s.parse::<usize>().unwrap_or(0),
        _ => 0,
    };
    let mut pids = Vec::new();
    for _ in 0..procs {
        // SAFETY: the child only makes system calls and exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            let mut failed = 0;
            for _ in 0..calls {
                if lua("lunatik_counter = lunatik_counter + 1")
                    .map(|r| r.0)
                    .unwrap_or(true)
                {
                    failed += 1;
                }
            }
            // SAFETY: leaving the child.
            unsafe { libc::_exit(if failed == 0 { 0 } else { 1 }) };
        }
        pids.push(pid);
    }
    let mut all_ok = true;
    for pid in pids {
        let mut status = 0;
        // SAFETY: waiting for our children.
        unsafe { libc::waitpid(pid, &mut status, 0) };
        all_ok &= libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0;
    }
    t.ok(
        all_ok,
        &format!("{procs} processes x {calls} calls: no call failed"),
    );
    let want = (before + procs * calls).to_string();
    let got = lua("return lunatik_counter");
    t.check(
        matches!(got, Ok((false, ref s)) if *s == want),
        &format!("the counter is exactly {want}"),
        || format!("got {got:?}"),
    );
}

/// Two processes call as fast as they can for `secs` seconds (while the
/// suite unloads the module); prints how the calls ended.
pub fn hammer(secs: u64) {
    // SAFETY: the child only makes system calls and exits.
    let child = unsafe { libc::fork() };
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let (mut ok, mut enosys, mut other) = (0u64, 0u64, 0u64);
    while std::time::Instant::now() < end {
        match lua("hammered = (hammered or 0) + 1") {
            Ok((false, _)) => ok += 1,
            Err(libc::ENOSYS) => enosys += 1,
            _ => other += 1,
        }
        // Short gaps between calls, so that rmmod finds the module idle.
        std::thread::sleep(std::time::Duration::from_micros(300));
    }
    if child == 0 {
        // SAFETY: leaving the child with its verdict.
        unsafe { libc::_exit(if other == 0 { 0 } else { 1 }) };
    }
    let mut status = 0;
    // SAFETY: waiting for our child.
    unsafe { libc::waitpid(child, &mut status, 0) };
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        other += 1;
    }
    println!("ok={ok} enosys={enosys} other={other}");
}

/// What one kind of storm call must answer.
struct StormCall {
    what: &'static str,
    code: &'static str,
    /// A Lua error whose message holds this, or (None) a plain "1".
    error: Option<&'static str>,
    /// Only when named, not in "all": it needs a loaded policy.
    named_only: bool,
}

/// The calls of `storm`: long ones that hold the default state until their
/// budget or memory cap stops them, errors, and normal returns; and
/// `pnfs.eval` of a loop, which holds each policy state in turn for a
/// whole budget.
const STORM: [StormCall; 5] = [
    StormCall {
        what: "budget",
        code: "local n = 0 while true do n = n + 1 end",
        error: Some("exhausted|exceeded"),
        named_only: false,
    },
    StormCall {
        what: "error",
        code: "error('storm error')",
        error: Some("storm error"),
        named_only: false,
    },
    StormCall {
        what: "memory",
        code: "local t = {} for i = 1, math.maxinteger do t[i] = string.rep('m', 65536) .. i end",
        error: Some("not enough memory"),
        named_only: false,
    },
    StormCall {
        what: "return",
        code: "return 1",
        error: None,
        named_only: false,
    },
    StormCall {
        what: "eval",
        code: "error(pnfs.eval('local n = 0 while true do n = n + 1 end'))",
        error: Some("exhausted|exceeded"),
        named_only: true,
    },
];

/// `callers` threads call SYS_lua for `secs` seconds, each cycling through
/// [`STORM`] (issue 11: the default state held by a SYS_lua call while nfsd
/// asks the policy). One TAP line: every answer was the expected one.
pub fn storm(t: &mut Tap, secs: u64, callers: usize, kinds: &str) {
    let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    // "all" cycles through every kind but the named-only ones; a kind's
    // name keeps only that one.
    let chosen = |c: &StormCall| (kinds == "all" && !c.named_only) || c.what == kinds;
    let pick: Vec<usize> = (0..STORM.len()).filter(|&k| chosen(&STORM[k])).collect();
    let threads: Vec<_> = (0..callers)
        .map(|k| {
            let pick = pick.clone();
            std::thread::spawn(move || {
                let mut counts = [0u64; STORM.len()];
                let mut bad = Vec::new();
                let mut i = k;
                while std::time::Instant::now() < end {
                    let kind = pick[i % pick.len()];
                    let call = &STORM[kind];
                    let got = lua(call.code);
                    let good = match (&got, call.error) {
                        (Ok((true, text)), Some(want)) => want.split('|').any(|w| text.contains(w)),
                        (Ok((false, text)), None) => text == "1",
                        _ => false,
                    };
                    if good {
                        counts[kind] += 1;
                    } else if bad.len() < 5 {
                        bad.push(format!("{}: {got:?}", call.what));
                    }
                    i += 1;
                }
                (counts, bad)
            })
        })
        .collect();
    let mut counts = [0u64; STORM.len()];
    let mut bad = Vec::new();
    for th in threads {
        match th.join() {
            Ok((c, b)) => {
                for (sum, n) in counts.iter_mut().zip(c) {
                    *sum += n;
                }
                bad.extend(b);
            }
            Err(_) => bad.push("a caller thread panicked".into()),
        }
    }
    let summary: Vec<String> = STORM
        .iter()
        .zip(counts)
        .filter(|(c, _)| chosen(c))
        .map(|(c, n)| format!("{n} {}", c.what))
        .collect();
    t.check(
        !pick.is_empty() && bad.is_empty() && pick.iter().all(|&k| counts[k] > 0),
        &format!(
            "{callers} SYS_lua caller(s) for {secs} s, each answer as expected: {}",
            summary.join(", ")
        ),
        || bad.join("\n"),
    );
}

/// `n` pages of anonymous memory, read-write.
fn pages(n: usize) -> *mut u8 {
    // SAFETY: a fresh anonymous mapping.
    let p = unsafe {
        libc::mmap(
            ptr::null_mut(),
            n * 4096,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    assert!(p != libc::MAP_FAILED, "mmap failed");
    p.cast::<u8>()
}

/// The contract of docs/syscall.md at its edges: the capacity of the
/// result buffer, EFAULT only before the code runs, odd code, a root that
/// is root only in its user namespace.
pub fn contract(t: &mut Tap) {
    let max = abi::RESULT_MAX;
    // A result_sz above the maximum: at most RESULT_MAX bytes are written,
    // and a text that reaches the capacity is reported as truncated.
    let mut big = vec![0xffu8; max + 4096];
    let code = format!("return string.rep('x', {})", max + 10);
    let r = raw(code.as_ptr(), code.len(), big.as_mut_ptr(), max + 1000);
    t.check(
        r.0 >= 0
            && abi::length(r.0) == max + 10
            && abi::truncated(r.0, max + 1000)
            && big[max - 2] == b'x'
            && big[max - 1] == 0
            && big[max] == 0xff,
        "result_sz above RESULT_MAX: RESULT_MAX bytes written (NUL last), truncated, length in full",
        || format!("got {r:?}, bytes {:?}", &big[max - 2..max + 1]),
    );
    let code = format!("return string.rep('y', {})", max - 1);
    let r = raw(code.as_ptr(), code.len(), big.as_mut_ptr(), max + 1000);
    t.check(
        r.0 >= 0
            && abi::length(r.0) == max - 1
            && !abi::truncated(r.0, max + 1000)
            && big[max - 1] == 0,
        "a text of RESULT_MAX - 1 bytes fits: not truncated",
        || format!("got {r:?}"),
    );

    // The code must not run when the result buffer is not writable in
    // full: a counter in the state proves it.
    let count = "efault_ran = (efault_ran or 0) + 1";
    let two = pages(2);
    // SAFETY: the second page of our own mapping.
    unsafe { libc::mprotect(two.add(4096).cast(), 4096, libc::PROT_READ) };
    let r = raw(count.as_ptr(), count.len(), two, 8192);
    t.check(
        r == (-1, libc::EFAULT),
        "result buffer with a read-only tail: EFAULT",
        || format!("got {r:?}"),
    );
    let gap = pages(2);
    // SAFETY: the second page of our own mapping.
    unsafe { libc::munmap(gap.add(4096).cast(), 4096) };
    let r = raw(count.as_ptr(), count.len(), gap, 8192);
    t.check(
        r == (-1, libc::EFAULT),
        "result buffer with an unmapped tail: EFAULT",
        || format!("got {r:?}"),
    );
    let r = raw(count.as_ptr(), count.len(), gap, 1usize << 63);
    t.check(
        r == (-1, libc::EFAULT),
        "result_sz 2^63 over one page: EFAULT (RESULT_MAX bytes must be writable)",
        || format!("got {r:?}"),
    );
    t.ok(
        returns("return efault_ran", "nil"),
        "after each EFAULT: the code did not run (its counter is nil)",
    );
    let r = raw(b"return 1".as_ptr(), 8, big.as_mut_ptr(), 1usize << 63);
    t.check(
        r.0 == 1 && big[0] == b'1' && big[1] == 0,
        "result_sz 2^63 over a buffer of RESULT_MAX bytes: runs, capacity RESULT_MAX",
        || format!("got {r:?}"),
    );

    let mut out = [0xffu8; 64];
    let r = raw(c"".as_ptr().cast(), 1, out.as_mut_ptr(), 64);
    t.check(
        r.0 == 0 && out[0] == 0,
        "code of one NUL byte: an empty chunk, empty result",
        || format!("got {r:?}"),
    );
    let nul = b"return 1\0return 2";
    let r = raw(nul.as_ptr(), nul.len(), out.as_mut_ptr(), 64);
    let msg =
        String::from_utf8_lossy(&out[..out.iter().position(|&b| b == 0).unwrap_or(0)]).into_owned();
    t.check(
        r.0 >= 0 && abi::is_lua_error(r.0) && msg.starts_with("lua:1:"),
        "code with a NUL inside: a Lua syntax error",
        || format!("got {r:?} {msg:?}"),
    );

    // Root in a user namespace of its own is not root: EPERM.
    let status = eperm_in_child(|| {
        // SAFETY: a new user namespace for the (single-threaded) child.
        unsafe { libc::unshare(libc::CLONE_NEWUSER) == 0 }
    });
    t.check(
        status == Some(0),
        "root only in a user namespace (unshare CLONE_NEWUSER): EPERM",
        || format!("child exit status {status:?} (2: unshare failed)"),
    );
}

/// Forks a child that makes one call of `code` and exits.
fn caller(code: &'static str) -> libc::pid_t {
    // SAFETY: the child makes one system call and exits.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let _ = lua(code);
        // SAFETY: leaving the child.
        unsafe { libc::_exit(0) };
    }
    pid
}

/// SIGKILL to `pid`; how long until it is gone.
fn kill_and_time(pid: libc::pid_t) -> std::time::Duration {
    let start = std::time::Instant::now();
    // SAFETY: signalling and reaping our own child.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
    }
    start.elapsed()
}

/// A SYS_lua caller waiting for the state, and one running in it, are
/// both gone within 1 s of a SIGKILL.
pub fn kill(t: &mut Tap) {
    let long = "local n = 0 while true do n = n + 1 end";
    let runner = caller(long);
    std::thread::sleep(std::time::Duration::from_millis(300));
    let waiter = caller("return 1");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let waited = kill_and_time(waiter);
    t.check(
        waited < std::time::Duration::from_secs(1),
        &format!("a caller waiting for the state exits {waited:?} after SIGKILL (< 1 s)"),
        || "too slow".into(),
    );
    let ran = kill_and_time(runner);
    t.check(
        ran < std::time::Duration::from_secs(1),
        &format!("a caller running a loop exits {ran:?} after SIGKILL (< 1 s)"),
        || "too slow".into(),
    );
    t.ok(
        returns("return 40 + 2", "42"),
        "after the kills: a normal call works",
    );
}
