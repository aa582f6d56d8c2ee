//! The examples of docs/lua-api.md and the hostile scripts, run through the
//! system call in the kernel's default state: the same lists `cargo test`
//! runs on the userspace twin.

use lunatik_lua::examples;

use crate::sys::{lua, returns};
use crate::tap::Tap;

pub fn examples(t: &mut Tap, doc: &str) {
    let text = std::fs::read_to_string(doc).unwrap_or_default();
    let list = examples::parse(&text);
    t.ok(
        list.len() >= 35,
        &format!("{doc}: {} examples found", list.len()),
    );
    for ex in &list {
        let got = lua(&ex.code);
        let pass = match &got {
            Ok((failed, text)) => examples::check(&ex.expect, *failed, text),
            Err(_) => false,
        };
        t.check(
            pass,
            &format!("{doc}:{} gives {:?}", ex.line, ex.expect),
            || format!("got {got:?} for:\n{}", ex.code),
        );
    }
}

/// CPU time of this thread in ms (the kernel's time in a system call
/// counts: it is what the engine's CPU-time bound limits).
fn thread_cpu_ms() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is writable; the clock exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// The cases of `file` (lua/tests/hostile.lua, lua/tests/cwork.lua): each
/// ends as it expects, within `max_ms` of CPU time when given (and ten
/// times that of elapsed time: a descheduled vCPU under TCG stretches
/// it), and the next call works.
pub fn hostile(t: &mut Tap, file: &str, max_ms: Option<u64>) {
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let cases = examples::parse_cases(&src);
    t.ok(cases.len() >= 14, &format!("{file}: {} cases", cases.len()));
    for case in &cases {
        let start = std::time::Instant::now();
        let cpu0 = thread_cpu_ms();
        let got = lua(&case.code);
        let cpu = thread_cpu_ms() - cpu0;
        let ms = start.elapsed().as_millis() as u64;
        let pass = matches!(&got, Ok((failed, m)) if case.accepts(*failed, m));
        let in_time = max_ms.is_none_or(|max| cpu <= max && ms <= 10 * max);
        let desc = match max_ms {
            Some(max) => format!(
                "{}: {} within {max} ms of CPU time ({cpu} ms; {ms} ms elapsed)",
                case.name,
                case.wanted()
            ),
            None => format!("{}: {}", case.name, case.wanted()),
        };
        t.check(pass && in_time, &desc, || {
            format!("got {got:?} in {cpu} ms of CPU time, {ms} ms elapsed")
        });
        let next = format!("{}: the next call works", case.name);
        t.ok(returns("return 40 + 2", "42"), &next);
    }
}
