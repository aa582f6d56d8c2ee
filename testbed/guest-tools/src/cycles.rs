//! Loading and unloading the engine many times, with work in between, in one
//! process: finit_module and delete_module directly, as insmod and rmmod do,
//! so that each cycle costs the kernel's work and not three program starts.

use crate::sys;
use crate::tap::Tap;
use std::ffi::CString;
use std::fs::File;
use std::os::fd::AsRawFd;

/// finit_module(2) of the module file at `path`, with no parameters.
fn load(path: &str) -> std::io::Result<()> {
    let file = File::open(path)?;
    let params = c"";
    // SAFETY: the descriptor is open for the call's duration and `params` is
    // a NUL-terminated string that outlives it.
    let ret =
        unsafe { libc::syscall(libc::SYS_finit_module, file.as_raw_fd(), params.as_ptr(), 0) };
    if ret == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// delete_module(2) with O_NONBLOCK, as rmmod does: EBUSY while in use.
fn unload(name: &str) -> std::io::Result<()> {
    let name = CString::new(name).map_err(|_| std::io::ErrorKind::InvalidInput)?;
    // SAFETY: `name` is a NUL-terminated string that outlives the call.
    let ret = unsafe { libc::syscall(libc::SYS_delete_module, name.as_ptr(), libc::O_NONBLOCK) };
    if ret == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// `count` cycles of: load `ko`, one call that creates a state and hashes 50
/// strings, unload. One TAP line for all of them.
pub fn run(t: &mut Tap, ko: &str, count: usize) {
    let mut failures = Vec::new();
    for i in 1..=count {
        if let Err(e) = load(ko) {
            failures.push(format!("cycle {i}: load {ko}: {e}"));
            break;
        }
        let code = format!(
            "local t = {{}} for i = 1, 50 do t[i] = crypto.sha1(tostring(i)):hex() end return #t, {i}"
        );
        match sys::lua(&code) {
            Ok((false, out)) if out == format!("50\t{i}") => {}
            other => failures.push(format!("cycle {i}: {other:?}")),
        }
        if let Err(e) = unload("lunatik_ng") {
            failures.push(format!("cycle {i}: unload: {e}"));
            break;
        }
    }
    t.check(
        failures.is_empty(),
        &format!("{count} load / work / unload cycles"),
        || failures.join("\n"),
    );
}
