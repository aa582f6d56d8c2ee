//! Exit statuses and the messages a user sees.

use std::path::Path;

/// The code ran and returned.
pub const EXIT_OK: i32 = 0;
/// The code raised a Lua error (the message is printed on stderr); also a
/// policy refused before the kernel saw it (`pnfs load --check`), as the
/// kernel refuses one that does not load.
pub const EXIT_LUA_ERROR: i32 = 1;
/// Bad command line (clap's own status).
pub const EXIT_USAGE: i32 = 2;
/// The kernel refused the call, or a file could not be read.
pub const EXIT_SYSTEM: i32 = 3;
/// The code ran, but its result did not fit: what fit was printed.
pub const EXIT_TRUNCATED: i32 = 4;

/// What the machine says about the engine, to explain ENOSYS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// /sys/module/lunatik_ng exists.
    Loaded,
    /// The kernel has the system call, but the module is not loaded.
    NotLoaded,
    /// The kernel has no lua system call at all.
    NoSyscall,
}

pub fn probe_engine(sys: &Path, kallsyms: &str) -> Engine {
    if sys.join("module/lunatik_ng").exists() {
        Engine::Loaded
    } else if kallsyms
        .lines()
        .any(|l| l.ends_with(" __x64_sys_lua") || l.ends_with(" sys_lua"))
    {
        Engine::NotLoaded
    } else {
        Engine::NoSyscall
    }
}

/// The message for an errno of the lua system call on this machine (its
/// /sys and /proc/kallsyms tell why ENOSYS).
pub fn refused_message(errno: i32) -> String {
    let kallsyms = std::fs::read_to_string("/proc/kallsyms").unwrap_or_default();
    errno_message(errno, probe_engine(Path::new("/sys"), &kallsyms))
}

/// A plain message for an errno of the lua system call.
pub fn errno_message(errno: i32, engine: Engine) -> String {
    match errno {
        libc::ENOSYS => match engine {
            Engine::NotLoaded => "the lunatik-ng engine is not loaded: load it with \
                 `modprobe lunatik_ng` (or `insmod lunatik_ng.ko`) and try again"
                .into(),
            Engine::NoSyscall => "this kernel has no lua system call (SYS_lua, 350): \
                 boot a kernel built with lunatik-ng's patches (testbed/run build)"
                .into(),
            Engine::Loaded => "the lua system call is not available (ENOSYS) although \
                 the lunatik_ng module is loaded: is it being unloaded?"
                .into(),
        },
        libc::EPERM => "running Lua in the kernel needs CAP_SYS_ADMIN: run as root".into(),
        libc::E2BIG => format!(
            "the code is too large: the kernel accepts at most {} bytes",
            lunatik_abi::CODE_MAX
        ),
        libc::EINVAL => "the kernel rejected the call: empty code or result buffer".into(),
        libc::EFAULT => {
            "the kernel could not read the code or write the result (bad address)".into()
        }
        libc::ENOMEM => "the kernel is out of memory for this call".into(),
        libc::EINTR => "interrupted while waiting for the Lua state (the code did not run)".into(),
        e => format!(
            "the lua system call failed: {}",
            std::io::Error::from_raw_os_error(e)
        ),
    }
}

/// The message for a truncated result.
pub fn truncation_message(shown: usize, full: usize) -> String {
    format!(
        "the result was truncated to {shown} of {full} bytes: run again with --result-size {}",
        full + 1
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::{decode, Answer};
    use lunatik_abi::LUA_ERROR;

    #[test]
    fn enosys_says_what_to_do() {
        assert!(errno_message(libc::ENOSYS, Engine::NotLoaded).contains("insmod lunatik_ng.ko"));
        assert!(errno_message(libc::ENOSYS, Engine::NoSyscall).contains("no lua system call"));
        assert!(errno_message(libc::EPERM, Engine::Loaded).contains("CAP_SYS_ADMIN"));
        assert!(errno_message(libc::E2BIG, Engine::Loaded).contains("1048576"));
        assert!(errno_message(libc::EFAULT, Engine::Loaded).contains("bad address"));
    }

    #[test]
    fn probe_reads_sysfs_and_kallsyms() {
        let dir = std::env::temp_dir().join(format!("lunatik-probe-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("module")).unwrap();
        let syms = "ffffffff81000000 T __x64_sys_lua\n";
        assert_eq!(probe_engine(&dir, syms), Engine::NotLoaded);
        assert_eq!(
            probe_engine(&dir, "ffffffff81000000 T x\n"),
            Engine::NoSyscall
        );
        // Modern Lunatik's module is not this engine.
        std::fs::create_dir_all(dir.join("module/lunatik")).unwrap();
        assert_eq!(probe_engine(&dir, syms), Engine::NotLoaded);
        std::fs::create_dir_all(dir.join("module/lunatik_ng")).unwrap();
        assert_eq!(probe_engine(&dir, ""), Engine::Loaded);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn return_values_decode() {
        let buf = b"table\0";
        assert_eq!(
            decode(5, 0, buf),
            Answer::Ran {
                lua_error: false,
                text: b"table".to_vec(),
                full_len: 5
            }
        );
        let a = decode(LUA_ERROR | 9, 0, b"lua:1: x\0\0");
        assert!(matches!(
            a,
            Answer::Ran {
                lua_error: true,
                ..
            }
        ));
        let t = decode(100, 0, b"abc\0");
        assert!(t.truncated());
        assert_eq!(decode(-1, libc::EPERM, b"\0"), Answer::Refused(libc::EPERM));
    }

    #[test]
    fn exit_statuses_are_distinct() {
        let all = [
            EXIT_OK,
            EXIT_LUA_ERROR,
            EXIT_USAGE,
            EXIT_SYSTEM,
            EXIT_TRUNCATED,
        ];
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| a != b));
        }
    }

    #[test]
    fn truncation_suggests_a_size() {
        assert!(truncation_message(3, 100).contains("--result-size 101"));
    }
}
