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

/// One case of lua/tests/hostile.lua or lua/tests/cwork.lua: "-- case: NAME
/// | expect: A|B" (a Lua error whose message contains one of the
/// alternatives) or "-- case: NAME | returns: TEXT" (a result), then its
/// code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub name: String,
    pub expect: Vec<String>,
    pub returns: Option<String>,
    pub code: String,
}

/// The cases of a hostile-scripts file.
pub fn parse_cases(src: &str) -> Vec<Case> {
    let mut out: Vec<Case> = Vec::new();
    for line in src.lines() {
        if let Some(rest) = line.strip_prefix("-- case: ") {
            let (name, expect, returns) = if let Some((n, r)) = rest.split_once(" | returns: ") {
                (n, Vec::new(), Some(r.to_string()))
            } else {
                let (n, e) = rest.split_once(" | expect: ").unwrap_or((rest, ""));
                (n, e.split('|').map(str::to_string).collect(), None)
            };
            out.push(Case {
                name: name.to_string(),
                expect,
                returns,
                code: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            last.code.push_str(line);
            last.code.push('\n');
        }
    }
    out
}

impl Case {
    /// Whether a Lua error message is one this case expects.
    pub fn matches(&self, message: &str) -> bool {
        self.returns.is_none() && self.expect.iter().any(|a| message.contains(a.as_str()))
    }

    /// Whether a run's outcome is this case's: its error or its result.
    pub fn accepts(&self, failed: bool, text: &str) -> bool {
        match &self.returns {
            Some(r) => !failed && text == r,
            None => failed && self.matches(text),
        }
    }

    /// What the case expects, for test descriptions.
    pub fn wanted(&self) -> String {
        match &self.returns {
            Some(r) => format!("returns {r}"),
            None => format!("a Lua error ({})", self.expect.join(" or ")),
        }
    }
}
