// SPDX-License-Identifier: GPL-2.0

//! Running a chunk of Lua text and turning its results into a string: what
//! `SYS_LUA` does (docs/syscall.md).

use core::ffi::{c_int, c_void, CStr};

use crate::lua::{Error, Lua, Result, Status};
use crate::state::Ctx;

/// How a chunk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It returned; `out` holds its results, joined by tabs.
    Returned,
    /// It raised an error; `out` holds the message.
    Failed,
}

/// What `exec` wrote: the outcome and the full length of the text, which is
/// more than `out.len() - 1` when the text was truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub outcome: Outcome,
    pub len: usize,
}

impl Report {
    /// Whether the text did not fit (with its NUL) in the output.
    pub fn truncated(&self, out_len: usize) -> bool {
        self.len >= out_len
    }
}

/// Where results are copied: a caller's buffer, always NUL-terminated when it
/// has room for anything.
struct Sink<'a> {
    out: &'a mut [u8],
    len: usize,
}

impl Sink<'_> {
    fn push(&mut self, bytes: &[u8]) {
        let room = self.out.len().saturating_sub(1);
        if let Some(free) = self.out.get_mut(self.len..room) {
            crate::libs::copy_bytes(free, bytes);
        }
        self.len = self.len.saturating_add(bytes.len());
    }

    fn terminate(&mut self) {
        if let Some(last) = self.out.len().checked_sub(1) {
            self.out[self.len.min(last)] = 0;
        }
    }
}

struct Args<'a, 'b> {
    code: &'a [u8],
    name: &'a CStr,
    sink: &'a mut Sink<'b>,
}

/// The protected part: load, call, and copy each result's `tostring`.
fn run(lua: Lua) -> Result<c_int> {
    // SAFETY-free access: the light userdata at index 1 is the `Args` that
    // `exec` passed, alive for the whole call.
    let args = lua_args(lua);
    lua.set_top(0);
    lua.load_text(args.code, args.name)?;
    lua.call(0, crate::ffi::LUA_MULTRET);
    let n = lua.top();
    if !lua.check_stack(2) {
        return Err(Error::Msg(c"too many results"));
    }
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

fn lua_args<'x>(lua: Lua) -> &'x mut Args<'x, 'x> {
    let p = lua.to_light_userdata(1).cast::<Args<'x, 'x>>();
    // SAFETY: `exec` passes a pointer to its live `Args` as the only
    // argument of `run`, and nothing else aliases it during the call.
    unsafe { &mut *p }
}

/// Runs `code` (a trailing NUL is accepted) as one entry into the state of
/// `ctx`; its results or error message go into `out`.
///
/// # Safety
/// As for [`Ctx::enter`].
pub unsafe fn exec(ctx: *mut Ctx, code: &[u8], name: &CStr, out: &mut [u8]) -> Report {
    let code = code.strip_suffix(b"\0").unwrap_or(code);
    let mut sink = Sink { out, len: 0 };
    // SAFETY: per this function's contract.
    let status = unsafe {
        Ctx::enter(ctx, |lua| {
            let mut args = Args {
                code,
                name,
                sink: &mut sink,
            };
            // SAFETY: `args` outlives the call, which is all `run` needs.
            let st = lua.protected(run, (&mut args as *mut Args<'_, '_>).cast::<c_void>());
            if st != Status::Ok {
                let msg = lua
                    .to_bytes(-1)
                    .unwrap_or(b"(error object is not a string)");
                args.sink.len = 0;
                args.sink.push(msg);
            }
            lua.set_top(0);
            st
        })
    };
    sink.terminate();
    Report {
        outcome: if status == Status::Ok {
            Outcome::Returned
        } else {
            Outcome::Failed
        },
        len: sink.len,
    }
}
