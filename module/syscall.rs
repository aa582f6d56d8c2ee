// SPDX-License-Identifier: GPL-2.0

//! The engine behind `SYS_lua` (docs/syscall.md): the built-in system call
//! forwards here while the module is registered, holding a reference on the
//! module for the duration of the call.


use kernel::alloc::KVVec;
use kernel::bindings;
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::exec::{self, Outcome};
use crate::states;

const CODE_MAX: usize = bindings::LUNATIK_CODE_MAX as usize;
const RESULT_MAX: usize = bindings::LUNATIK_RESULT_MAX as usize;
const LUA_ERROR: isize = 1 << 62;
/// `ENOSYS` (not among the kernel crate's error codes in 6.12).
const ENOSYS: i32 = bindings::ENOSYS as i32;

/// The registered entry point, shared with the built-in system call.
struct Ops(bindings::lunatik_syscall_ops);

// SAFETY: the structure is written once before registration and only read
// afterwards (by the system call, through its RCU-protected pointer).
unsafe impl Send for Ops {}
// SAFETY: as above.
unsafe impl Sync for Ops {}

/// The registration of the entry point; unregistered when dropped.
pub struct Registration {
    ops: KBox<Ops>,
}

impl Registration {
    pub fn new(module: &'static ThisModule) -> Result<Self> {
        let ops = KBox::new(
            Ops(bindings::lunatik_syscall_ops {
                owner: module.as_ptr(),
                lua: Some(sys_lua),
            }),
            GFP_KERNEL,
        )?;
        // SAFETY: `ops` stays allocated until `drop` unregisters it.
        let ret = unsafe { bindings::lunatik_register_syscall(&ops.0) };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Registration { ops })
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: `ops` was registered in `new`. After this returns, no call
        // can reach `sys_lua` (the kernel waits for an RCU grace period).
        unsafe { bindings::lunatik_unregister_syscall(&self.ops.0) };
    }
}

/// The entry point the built-in system call forwards to (C `char` is
/// unsigned and `long` is `isize` in the kernel).
unsafe extern "C" fn sys_lua(
    code: *const u8,
    code_sz: usize,
    result: *mut u8,
    result_sz: usize,
) -> isize {
    match run(code as usize, code_sz, result as usize, result_sz) {
        Ok(v) => v,
        Err(e) => e.to_errno() as isize,
    }
}

fn run(code: usize, code_sz: usize, result: usize, result_sz: usize) -> Result<isize> {
    if code_sz == 0 || result_sz == 0 {
        return Err(EINVAL);
    }
    if code_sz > CODE_MAX {
        return Err(E2BIG);
    }
    // The result must be writable before any code runs, so that a bad
    // buffer never hides the effects of code that did run.
    UserSlice::new(result, 1).writer().write_slice(&[0])?;

    let mut text = KVVec::from_elem(0u8, code_sz, GFP_KERNEL)?;
    UserSlice::new(code, code_sz).reader().read_slice(&mut text)?;

    let out_len = result_sz.min(RESULT_MAX);
    let mut out = KVVec::from_elem(0u8, out_len, GFP_KERNEL)?;
    let state = states::default_state().ok_or(Error::from_errno(-ENOSYS))?;
    let report = {
        let guard = state.lock();
        // SAFETY: the lock is held: this thread alone uses the state.
        unsafe { exec::exec(guard.ctx(), &text, c"=lua", &mut out) }
    };

    let n = report.len.min(out_len - 1) + 1;
    UserSlice::new(result, n).writer().write_slice(&out[..n])?;
    let len = report.len.min((LUA_ERROR - 1) as usize) as isize;
    Ok(match report.outcome {
        Outcome::Returned => len,
        Outcome::Failed => len | LUA_ERROR,
    })
}
