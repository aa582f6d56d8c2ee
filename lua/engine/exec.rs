// SPDX-License-Identifier: GPL-2.0

//! Running a chunk of Lua text and turning its results into a string: what
//! `SYS_LUA` does (docs/syscall.md).

use core::ffi::{c_int, CStr};

use crate::lua::{Integer, Lua, RegistryKey, Result, Type};
use crate::vm::{Budget, Vm};

/// How a chunk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It returned; the text is its results, joined by tabs.
    Returned,
    /// It raised an error; the text is the message.
    Failed,
}

/// Where the text goes: a caller's buffer of `capacity()` bytes (the
/// kernel's is in user memory, written as the text is made).
pub trait Out {
    fn capacity(&self) -> usize;
    /// Writes `bytes` at offset `at` (within the capacity); false when the
    /// memory could not be written.
    fn write(&mut self, at: usize, bytes: &[u8]) -> bool;
}

impl Out for &mut [u8] {
    fn capacity(&self) -> usize {
        self.len()
    }

    fn write(&mut self, at: usize, bytes: &[u8]) -> bool {
        if let Some(dst) = self.get_mut(at..) {
            crate::libs::copy_bytes(dst, bytes);
        }
        true
    }
}

/// What `exec` wrote: the outcome, the full length of the text (more than
/// the capacity minus one when it was truncated), and whether writing the
/// output failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    pub len: usize,
    pub fault: bool,
}

impl Report {
    #[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
    /// Whether the text did not fit (with its NUL) in `capacity` bytes.
    pub fn truncated(&self, capacity: usize) -> bool {
        self.len >= capacity
    }
}

/// The text as it is written: always NUL-terminated when there is room for
/// anything.
struct Sink<'a> {
    out: &'a mut dyn Out,
    len: usize,
    fault: bool,
}

impl Sink<'_> {
    fn push(&mut self, bytes: &[u8]) {
        let room = self.out.capacity().saturating_sub(1);
        if self.len < room {
            let n = bytes.len().min(room - self.len);
            if !self.out.write(self.len, &bytes[..n]) {
                self.fault = true;
            }
        }
        self.len = self.len.saturating_add(bytes.len());
    }

    fn terminate(&mut self) {
        if let Some(last) = self.out.capacity().checked_sub(1) {
            if !self.out.write(self.len.min(last), &[0]) {
                self.fault = true;
            }
        }
    }
}

struct Args<'a, 'b> {
    code: &'a [u8],
    name: &'a CStr,
    sink: &'a mut Sink<'b>,
}

/// The chunks compiled lately, by their text (code up to `CACHE_CODE`
/// bytes): the same code again runs without being parsed again.
static CHUNKS: RegistryKey = RegistryKey::new();
/// Code longer than this is not cached (it is parsed once, and rarely sent
/// twice); the cache is emptied when it holds `CACHE_ENTRIES` chunks.
const CACHE_CODE: usize = 4096;
const CACHE_ENTRIES: Integer = 64;

/// Pushes `code` compiled: from the cache, or parsed (and cached). A cached
/// chunk's `_ENV` is reset to the globals, so it runs as a fresh load would.
fn load_cached(lua: &mut Lua<'_>, code: &[u8], name: &CStr) {
    if code.len() > CACHE_CODE {
        lua.load_text(code, name);
        return;
    }
    if lua.get_registry_key(&CHUNKS) != Type::Table {
        lua.pop(1);
        lua.new_table(0, CACHE_ENTRIES as i32);
        lua.push_value(-1);
        lua.set_registry_key(&CHUNKS);
    }
    lua.push_bytes(code);
    if lua.raw_get(-2) == Type::Function {
        lua.reset_env();
        lua.remove(-2);
        return;
    }
    lua.pop(1);
    // The entry count is kept at key 0 of the table.
    let n = match lua.raw_get_index(-1, 0) {
        Type::Number => lua.to_integer(-1).unwrap_or(0),
        _ => 0,
    };
    lua.pop(1);
    if n >= CACHE_ENTRIES {
        lua.pop(1);
        lua.new_table(0, CACHE_ENTRIES as i32);
        lua.push_value(-1);
        lua.set_registry_key(&CHUNKS);
    }
    lua.load_text(code, name);
    lua.push_bytes(code);
    lua.push_value(-2);
    lua.raw_set(-4);
    lua.push_integer(if n >= CACHE_ENTRIES { 1 } else { n + 1 });
    lua.raw_set_index(-3, 0);
    lua.remove(-2);
}

/// The protected part: load, call, and write each result's `tostring`.
fn run(lua: &mut Lua<'_>, args: &mut Args<'_, '_>) -> Result<c_int> {
    load_cached(lua, args.code, args.name);
    lua.call(0, crate::ffi::LUA_MULTRET);
    let n = lua.top();
    for i in 1..=n {
        if i > 1 {
            args.sink.push(b"\t");
        }
        let s = lua.to_display(i);
        args.sink.push(s);
        lua.pop(1);
    }
    Ok(0)
}

/// Runs `code` (a trailing NUL is accepted) as one entry into `vm` with
/// `budget`; its results or error message go into `out`.
pub fn exec(vm: &mut Vm, budget: Budget, code: &[u8], name: &CStr, out: &mut dyn Out) -> Report {
    let code = code.strip_suffix(b"\0").unwrap_or(code);
    let mut sink = Sink {
        out,
        len: 0,
        fault: false,
    };
    let mut args = Args {
        code,
        name,
        sink: &mut sink,
    };
    let outcome = match vm.run(budget, run, &mut args) {
        Ok(()) => Outcome::Returned,
        Err(failure) => {
            sink.len = 0;
            sink.push(failure.message);
            Outcome::Failed
        }
    };
    sink.terminate();
    Report {
        outcome,
        len: sink.len,
        fault: sink.fault,
    }
}
