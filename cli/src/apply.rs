//! `lunatik-ng apply [CONFIG]`: makes the server match its configuration
//! file (docs/deploy.md): the engine module loaded, nfsd's data-server list
//! set, the layout policies loaded. What a reboot or a module reload loses,
//! this restores; the systemd unit runs it after nfs-server.service.

use std::path::Path;
use std::process::Command;

use crate::pnfs;
use crate::report::{EXIT_LUA_ERROR, EXIT_SYSTEM};
use crate::sys::{self, Answer};

/// Where the packages put the configuration.
pub const DEFAULT_CONFIG: &str = "/etc/lunatik-ng/pnfs.conf";

/// A parsed configuration file.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `module = NAME|PATH.ko` (default `lunatik_ng`, by modprobe).
    pub module: String,
    /// `module_params = k=v ...`: given when the module is loaded.
    pub module_params: Vec<String>,
    /// `dataservers = a, b, ...`: `None` leaves nfsd's list as it is.
    pub dataservers: Option<Vec<String>>,
    /// `policy = FILE` (for every export) and `policy EXPORT = FILE`.
    pub policies: Vec<(Option<String>, String)>,
    /// `check = yes`: every policy passes `layout-sim check` before
    /// anything changes (default no).
    pub check: bool,
}

/// Parses `text` (`key = value` lines, `#` comments); an error names the
/// line.
pub fn parse(text: &str) -> Result<Config, String> {
    let mut c = Config {
        module: "lunatik_ng".into(),
        ..Config::default()
    };
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: not 'key = value': {line}", n + 1));
        };
        let (key, value) = (key.trim(), value.trim());
        let mut words = key.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some("module"), None, _) => c.module = value.into(),
            (Some("module_params"), None, _) => {
                c.module_params = value.split_whitespace().map(String::from).collect()
            }
            (Some("dataservers"), None, _) => {
                c.dataservers = Some(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                )
            }
            (Some("check"), None, _) => {
                c.check = match value {
                    "yes" => true,
                    "no" => false,
                    _ => return Err(format!("line {}: check is yes or no", n + 1)),
                }
            }
            (Some("policy"), export, None) => {
                if value.is_empty() {
                    return Err(format!("line {}: policy needs a file", n + 1));
                }
                c.policies.push((export.map(String::from), value.into()))
            }
            _ => {
                return Err(format!(
                    "line {}: unknown key '{key}' (module, module_params, dataservers, policy [EXPORT], check)",
                    n + 1
                ))
            }
        }
    }
    Ok(c)
}

/// Why `apply` stopped, with its exit status.
pub struct Failure {
    pub status: i32,
    pub message: String,
}

fn fail(status: i32, message: String) -> Failure {
    Failure { status, message }
}

/// Runs Lua in the kernel; its text, or a failure.
fn lua(code: &[u8]) -> Result<String, Failure> {
    match sys::call(code, 1 << 16) {
        Answer::Ran {
            lua_error: false,
            text,
            ..
        } => Ok(String::from_utf8_lossy(&text).into_owned()),
        Answer::Ran { text, .. } => Err(fail(
            crate::report::EXIT_LUA_ERROR,
            String::from_utf8_lossy(&text).into_owned(),
        )),
        Answer::Refused(errno) => Err(fail(
            crate::report::EXIT_SYSTEM,
            crate::report::refused_message(errno),
        )),
    }
}

/// Loads the engine module unless it is loaded.
fn load_module(c: &Config, sys: &Path) -> Result<String, Failure> {
    if crate::report::probe_engine(sys, "") == crate::report::Engine::Loaded {
        return Ok("engine: lunatik_ng already loaded".into());
    }
    let (tool, how) = if c.module.ends_with(".ko") {
        ("insmod", c.module.as_str())
    } else {
        ("modprobe", c.module.as_str())
    };
    let out = Command::new(tool)
        .arg(how)
        .args(&c.module_params)
        .output()
        .map_err(|e| {
            fail(
                crate::report::EXIT_SYSTEM,
                format!("cannot run {tool}: {e}"),
            )
        })?;
    if !out.status.success() {
        return Err(fail(
            crate::report::EXIT_SYSTEM,
            format!(
                "{tool} {how} failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(format!("engine: lunatik_ng loaded ({tool} {how})"))
}

/// With `check = yes`, reads and checks every policy before anything
/// changes: the sources to load (the bytes checked), or why not. A policy
/// that fails leaves the server as it was; its report is said line by line.
fn check_policies(c: &Config, say: &mut impl FnMut(&str)) -> Result<Vec<Option<Vec<u8>>>, Failure> {
    if !c.check {
        return Ok(vec![None; c.policies.len()]);
    }
    let mut sources = Vec::new();
    for (_, file) in &c.policies {
        let source = std::fs::read(file).map_err(|e| {
            fail(
                EXIT_SYSTEM,
                format!("cannot read the policy {file}: {e}; nothing was changed"),
            )
        })?;
        let (report, failure) = crate::check::policy(file, &source);
        if let Some(why) = failure {
            report.lines().for_each(|l| say(&format!("check: {l}")));
            return Err(fail(
                EXIT_LUA_ERROR,
                format!("the policy {file} failed its check ({why}); nothing was changed"),
            ));
        }
        say(&format!("check: {file}: PASS"));
        sources.push(Some(source));
    }
    Ok(sources)
}

/// Applies `c`; one line per step done, or why it stopped. When a policy
/// does not load, every policy is unloaded: nfsd is left on its built-in
/// layout, not on a mix of old and new.
pub fn apply(c: &Config, sys: &Path, mut say: impl FnMut(&str)) -> Result<(), Failure> {
    let checked = check_policies(c, &mut say)?;
    say(&load_module(c, sys)?);
    if let Some(list) = &c.dataservers {
        let mut code = b"pnfs.set_dataservers({".to_vec();
        for a in list {
            code.extend_from_slice(&pnfs::long_string(a.as_bytes()));
            code.push(b',');
        }
        code.extend_from_slice(b"}) return table.concat(pnfs.dataservers(), ',')");
        let now = lua(&code).map_err(|f| {
            fail(
                f.status,
                format!("data servers not set (nfsd keeps its list): {}", f.message),
            )
        })?;
        say(&format!("data servers: {now}"));
    }
    lua(&pnfs::unload_code(None))?;
    for ((export, file), checked) in c.policies.iter().zip(checked) {
        let source = match checked {
            Some(source) => source,
            None => std::fs::read(file).map_err(|e| {
                fail(
                    EXIT_SYSTEM,
                    format!("cannot read the policy {file}: {e}; nfsd uses its built-in layout"),
                )
            })?,
        };
        let name = Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| file.clone());
        match lua(&pnfs::load_code(&source, &name, export.as_deref())) {
            Ok(text) => say(&format!("policy: {text}")),
            Err(f) => {
                let _ = lua(&pnfs::unload_code(None));
                return Err(fail(
                    f.status,
                    format!(
                        "the policy {file} did not load: {}; every policy is unloaded, nfsd uses its built-in layout",
                        f.message
                    ),
                ));
            }
        }
    }
    if c.policies.is_empty() {
        say("policy: none (nfsd uses its built-in layout)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_config_parses() {
        let c = parse(
            "# the example\nmodule = /lib/modules/x/lunatik_ng.ko\nmodule_params = max_memory=1048576 policy_lock_ms=50\n\
             dataservers = 10.0.0.1, [fd00::1]:2050 ,10.0.0.3:2049\npolicy = /usr/share/lunatik-ng/layouts/default.lua\n\
             policy /srv/scratch = /etc/lunatik-ng/scratch.lua  # per export\n",
        )
        .unwrap();
        assert_eq!(c.module, "/lib/modules/x/lunatik_ng.ko");
        assert_eq!(c.module_params, ["max_memory=1048576", "policy_lock_ms=50"]);
        assert_eq!(
            c.dataservers.as_deref().unwrap(),
            ["10.0.0.1", "[fd00::1]:2050", "10.0.0.3:2049"]
        );
        assert_eq!(
            c.policies,
            [
                (
                    None,
                    "/usr/share/lunatik-ng/layouts/default.lua".to_string()
                ),
                (
                    Some("/srv/scratch".to_string()),
                    "/etc/lunatik-ng/scratch.lua".to_string()
                )
            ]
        );
    }

    #[test]
    fn the_packaged_example_parses() {
        let c = parse(include_str!("../../packaging/pnfs.conf")).unwrap();
        assert_eq!(c.module, "lunatik_ng");
        assert!(c.dataservers.is_none() && c.policies.is_empty());
        // and with its examples uncommented
        let all: String = include_str!("../../packaging/pnfs.conf")
            .lines()
            .map(|l| {
                l.strip_prefix('#')
                    .filter(|r| !r.starts_with(' '))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = parse(&all).unwrap();
        assert_eq!(c.dataservers.unwrap().len(), 3);
        assert_eq!(c.policies.len(), 2);
        assert_eq!(c.module_params.len(), 3);
        assert!(c.check);
    }

    #[test]
    fn defaults_and_errors_name_the_line() {
        let c = parse("").unwrap();
        assert_eq!(c.module, "lunatik_ng");
        assert!(c.dataservers.is_none() && c.policies.is_empty() && !c.check);
        assert!(parse("check = no").is_ok_and(|c| !c.check));
        assert_eq!(
            parse("check = maybe").unwrap_err(),
            "line 1: check is yes or no"
        );
        assert_eq!(
            parse("\n\npolicy\n").unwrap_err(),
            "line 3: not 'key = value': policy"
        );
        assert!(parse("colour = blue")
            .unwrap_err()
            .starts_with("line 1: unknown key 'colour'"));
        assert_eq!(
            parse("policy =").unwrap_err(),
            "line 1: policy needs a file"
        );
        assert!(parse("policy a b = x").is_err());
    }

    #[test]
    fn a_policy_that_fails_its_check_changes_nothing() {
        // Were the check skipped, the next step would fail on the module
        // (no such .ko): nothing here reaches the kernel either way.
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../layouts/tests/fixtures/index_out_of_range.lua"
        );
        let c = parse(&format!(
            "check = yes\nmodule = /nonexistent/lunatik_ng.ko\npolicy = {fixture}\n"
        ))
        .unwrap();
        let mut said = Vec::new();
        let Err(f) = apply(&c, Path::new("/nonexistent"), |l| said.push(l.to_string())) else {
            panic!("applied: {said:?}");
        };
        assert_eq!(f.status, EXIT_LUA_ERROR, "{}", f.message);
        assert!(
            f.message
                .ends_with("failed its check (352 answers rejected); nothing was changed"),
            "{}",
            f.message
        );
        assert!(
            said.iter().any(|l| l.contains("server 5 > 1 data server")),
            "{said:?}"
        );
        assert!(said.iter().all(|l| l.starts_with("check: ")), "{said:?}");
    }
}
