//! Every example of docs/lua-api.md, on the userspace twin.

use lunatik_lua::examples::{self, Expect};
use lunatik_lua::exec::Outcome;
use lunatik_lua::{Engine, Limits};

pub const LIMITS: Limits = Limits {
    memory: 8 << 20,
    instructions: 10_000_000,
    cpu_ms: 10_000,
};

#[test]
fn every_example_of_the_lua_api_doc_holds() {
    let doc = include_str!("../../docs/lua-api.md");
    let list = examples::parse(doc);
    assert!(list.len() >= 35, "only {} examples found", list.len());
    let mut failures = Vec::new();
    for ex in &list {
        let engine = Engine::new(LIMITS).expect("new state");
        let reply = engine.exec(ex.code.as_bytes());
        let failed = reply.outcome == Outcome::Failed;
        if !examples::check(&ex.expect, failed, &reply.text()) {
            failures.push(format!(
                "docs/lua-api.md:{}: expected {:?}, got {} {:?}\n{}",
                ex.line,
                ex.expect,
                if failed { "error" } else { "result" },
                reply.text(),
                ex.code
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn parser_finds_results_and_errors() {
    let doc = "x\n```lua\nreturn 1\n--> 1\n```\n```lua\nerror('e')\n--! e\n```\n```lua\nno expectation\n```\n";
    let list = examples::parse(doc);
    assert_eq!(list.len(), 2);
    assert_eq!(list[0].expect, Expect::Returns("1".into()));
    assert_eq!(list[0].line, 2);
    assert_eq!(list[1].expect, Expect::Fails("e".into()));
}
