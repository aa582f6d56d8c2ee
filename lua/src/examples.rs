//! The examples of docs/lua-api.md: each `lua` block with a `-->` line (the
//! expected results, tab-separated) or a `--!` line (part of the expected
//! error message). `cargo test` runs them on the twin; the guest suite runs
//! the same list through the syscall (`lunatik-examples` prints it).

/// What an example expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    Returns(String),
    Fails(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// 1-based line of the block in the document.
    pub line: usize,
    pub code: String,
    pub expect: Expect,
}

/// The examples of a markdown document.
pub fn parse(doc: &str) -> Vec<Example> {
    let mut out = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        if line.trim_end() != "```lua" {
            continue;
        }
        let mut code = String::new();
        let mut expect = None;
        for (_, l) in lines.by_ref() {
            if l.trim_end() == "```" {
                break;
            }
            if let Some(r) = l.strip_prefix("--> ") {
                expect = Some(Expect::Returns(r.to_string()));
            } else if let Some(e) = l.strip_prefix("--! ") {
                expect = Some(Expect::Fails(e.to_string()));
            } else {
                code.push_str(l);
                code.push('\n');
            }
        }
        if let Some(expect) = expect {
            out.push(Example {
                line: n + 1,
                code,
                expect,
            });
        }
    }
    out
}

/// Whether a run's outcome matches: `failed` and the text it produced.
pub fn check(expect: &Expect, failed: bool, text: &str) -> bool {
    match expect {
        Expect::Returns(r) => !failed && text == r,
        Expect::Fails(e) => failed && text.contains(e.as_str()),
    }
}
