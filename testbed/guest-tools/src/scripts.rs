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

pub fn hostile(t: &mut Tap, file: &str) {
    let src = std::fs::read_to_string(file).unwrap_or_default();
    let cases = examples::parse_cases(&src);
    t.ok(cases.len() >= 14, &format!("{file}: {} cases", cases.len()));
    for case in &cases {
        let got = lua(&case.code);
        let pass = matches!(&got, Ok((true, m)) if case.matches(m));
        let desc = format!(
            "{}: ends in a Lua error ({})",
            case.name,
            case.expect.join(" or ")
        );
        t.check(pass, &desc, || format!("got {got:?}"));
        let next = format!("{}: the next call works", case.name);
        t.ok(returns("return 40 + 2", "42"), &next);
    }
}
