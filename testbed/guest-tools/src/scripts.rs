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

/// The cases of `file` (lua/tests/hostile.lua, lua/tests/cwork.lua): each
/// ends as it expects, within `max_ms` of wall time when given, and the
/// next call works.
pub fn hostile(t: &mut Tap, file: &str, max_ms: Option<u64>) {
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let cases = examples::parse_cases(&src);
    t.ok(cases.len() >= 14, &format!("{file}: {} cases", cases.len()));
    for case in &cases {
        let start = std::time::Instant::now();
        let got = lua(&case.code);
        let ms = start.elapsed().as_millis() as u64;
        let pass = matches!(&got, Ok((failed, m)) if case.accepts(*failed, m));
        let in_time = max_ms.is_none_or(|max| ms <= max);
        let desc = match max_ms {
            Some(max) => format!("{}: {} within {max} ms ({ms} ms)", case.name, case.wanted()),
            None => format!("{}: {}", case.name, case.wanted()),
        };
        t.check(pass && in_time, &desc, || format!("got {got:?} in {ms} ms"));
        let next = format!("{}: the next call works", case.name);
        t.ok(returns("return 40 + 2", "42"), &next);
    }
}
