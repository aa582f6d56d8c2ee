// SPDX-License-Identifier: GPL-2.0

//! Base-library changes: `print` and `printk` write to the platform log (the
//! kernel log, rate-limited), `gc_count` reports the state's memory, and the
//! functions that touch files are removed.

use core::ffi::c_int;

use crate::lua::{Lua, Result};
use crate::platform;

pub fn open(lua: &mut Lua<'_>) {
    lua.push_fn(print);
    lua.set_global(c"print");
    lua.push_fn(printk);
    lua.set_global(c"printk");
    lua.push_fn(gc_count);
    lua.set_global(c"gc_count");
    for name in [c"dofile", c"loadfile"] {
        lua.push_nil();
        lua.set_global(name);
    }
}

/// Concatenates `tostring` of every argument, separated by `sep`, and logs
/// the result as one message. The text is data, never a format.
fn log_args(lua: &mut Lua<'_>, sep: &[u8]) -> Result<c_int> {
    let n = lua.top();
    for i in 1..=n {
        if i > 1 && !sep.is_empty() {
            lua.push_bytes(sep);
        }
        lua.to_display(i);
    }
    let parts = lua.top() - n;
    lua.concat(parts);
    let msg = lua.to_bytes(-1).unwrap_or(b"");
    let msg = msg.strip_suffix(b"\n").unwrap_or(msg);
    platform::log(msg);
    Ok(0)
}

/// `print(...)`: like Lua's, into the kernel log (one message per call).
fn print(lua: &mut Lua<'_>) -> Result<c_int> {
    log_args(lua, b"\t")
}

/// `printk(...)`: the arguments, concatenated, into the kernel log.
fn printk(lua: &mut Lua<'_>) -> Result<c_int> {
    log_args(lua, b"")
}

/// `gc_count()`: the state's memory in use, in KiB.
fn gc_count(lua: &mut Lua<'_>) -> Result<c_int> {
    let kib = lua.memory_used() / 1024;
    lua.push_integer(kib as i64);
    Ok(1)
}
