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
    let mut cases: Vec<(String, Vec<String>, String)> = Vec::new();
    for line in src.lines() {
        if let Some(rest) = line.strip_prefix("-- case: ") {
            let (name, expect) = rest.split_once(" | expect: ").unwrap_or((rest, ""));
            let alts = expect.split('|').map(str::to_string).collect();
            cases.push((name.to_string(), alts, String::new()));
        } else if let Some(last) = cases.last_mut() {
            last.2.push_str(line);
            last.2.push('\n');
        }
    }
    t.ok(cases.len() >= 14, &format!("{file}: {} cases", cases.len()));
    for (name, alts, code) in &cases {
        let got = lua(code);
        let pass = matches!(&got, Ok((true, m)) if alts.iter().any(|a| m.contains(a.as_str())));
        t.check(
            pass,
            &format!("{name}: ends in a Lua error ({})", alts.join(" or ")),
            || format!("got {got:?}"),
        );
        t.ok(
            returns("return 40 + 2", "42"),
            &format!("{name}: the next call works"),
        );
    }
}
