//! `lunatik-ng status`: is the engine loaded, with which limits, and what
//! its policy states hold (docs/pnfs.md, "lunatik-ng status").

use std::path::Path;

use crate::sys::{self, Answer};

/// The engine's limits, as its module parameters (docs/lua-api.md).
pub const LIMITS: [&str; 6] = [
    "max_memory",
    "max_instructions",
    "max_call_ms",
    "max_policy_instructions",
    "max_policy_ms",
    "policy_lock_ms",
];

/// The policy states, "states memory name" of the policy for every export
/// (else any), or "" when none is loaded.
const POLICY_CODE: &[u8] =
    b"local p = pnfs.stats().policy if p then return p.states, p.memory, p.name end";

/// What `status` found.
pub struct Status {
    pub loaded: bool,
    pub limits: Vec<(&'static str, String)>,
    /// states, memory (bytes), name
    pub policy: Option<(u64, u64, String)>,
}

/// Reads the status; only the policy needs the lua system call.
pub fn read(sys: &Path) -> Status {
    let dir = sys.join("module/lunatik_ng");
    let loaded = dir.exists();
    let limits = LIMITS
        .iter()
        .map(|&k| {
            let v = std::fs::read_to_string(dir.join("parameters").join(k)).unwrap_or_default();
            (k, v.trim().to_string())
        })
        .collect();
    let policy = if loaded {
        match sys::call(POLICY_CODE, 4096) {
            Answer::Ran {
                lua_error: false,
                text,
                ..
            } => parse_policy(&String::from_utf8_lossy(&text)),
            _ => None,
        }
    } else {
        None
    };
    Status {
        loaded,
        limits,
        policy,
    }
}

/// "2\t81920\tdefault.lua" (SYS_lua joins results with tabs).
fn parse_policy(text: &str) -> Option<(u64, u64, String)> {
    let mut f = text.splitn(3, '\t');
    let states = f.next()?.parse().ok()?;
    let memory = f.next()?.parse().ok()?;
    Some((states, memory, f.next()?.to_string()))
}

fn json_str(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

impl Status {
    /// "key value" lines.
    pub fn text(&self) -> String {
        let mut out = vec![format!(
            "engine {}",
            if self.loaded {
                "loaded"
            } else {
                "not loaded (modprobe lunatik_ng)"
            }
        )];
        if self.loaded {
            for (k, v) in &self.limits {
                out.push(format!("{k} {v}"));
            }
        }
        match &self.policy {
            Some((states, memory, name)) => {
                out.push(format!("policy {name}"));
                out.push(format!("policy_states {states}"));
                out.push(format!("policy_memory {memory}"));
            }
            None => out.push("policy none".into()),
        }
        out.join("\n")
    }

    /// One JSON document: {"engine": {"loaded", "limits": {...}}, "policy": {...}|null}.
    pub fn json(&self) -> String {
        let limits: Vec<String> = self
            .limits
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    json_str(k),
                    v.parse::<u64>()
                        .map_or_else(|_| json_str(v), |n| n.to_string())
                )
            })
            .collect();
        let policy = match &self.policy {
            Some((states, memory, name)) => {
                format!(
                    "{{\"name\": {}, \"states\": {states}, \"memory\": {memory}}}",
                    json_str(name)
                )
            }
            None => "null".into(),
        };
        format!(
            "{{\"engine\": {{\"loaded\": {}, \"limits\": {{{}}}}}, \"policy\": {policy}}}",
            self.loaded,
            limits.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_line_and_json() {
        assert_eq!(
            parse_policy("2\t81920\tdefault.lua"),
            Some((2, 81920, "default.lua".into()))
        );
        assert_eq!(parse_policy(""), None);
        let s = Status {
            loaded: true,
            limits: vec![
                ("max_memory", "33554432".into()),
                ("max_call_ms", "".into()),
            ],
            policy: Some((2, 10, "we\"ird\n".into())),
        };
        assert_eq!(
            s.json(),
            r#"{"engine": {"loaded": true, "limits": {"max_memory": 33554432}}, "policy": {"name": "we\"ird\u000a", "states": 2, "memory": 10}}"#
        );
        let t = s.text();
        assert!(t.starts_with("engine loaded\nmax_memory 33554432\n"), "{t}");
        assert!(t.ends_with("policy_states 2\npolicy_memory 10"), "{t}");
    }
}
