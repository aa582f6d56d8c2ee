// SPDX-License-Identifier: GPL-2.0

//! The engine behind `SYS_lua` (docs/syscall.md): the built-in system call
//! forwards here while the module is registered, holding a reference on the
//! module for the duration of the call.
//!
//! The contract: `EFAULT` (and every other error) means the code did not
//! run, because the whole result buffer is made writable before it runs;
//! the text is written straight into that buffer as it is made (no kernel
//! copy of the caller's size); its capacity is `min(result_sz,
//! RESULT_MAX)`, and the returned length reaches it when the text was cut.

use kernel::alloc::KVVec;
use kernel::bindings;
use kernel::prelude::*;
use kernel::uaccess::UserSlice;

use crate::abi;
use crate::exec::{self, Out, Outcome};
use crate::kernel_c::{self as c, params};
use crate::locked;
use crate::vm::Budget;

/// `ENOSYS` (not among the kernel crate's error codes in 6.12).
const ENOSYS: i32 = bindings::ENOSYS as i32;

// The ABI constants are defined once (lua/abi) and must match the uapi
// header the kernel was built with.
const _: () = assert!(abi::CODE_MAX == bindings::LUNATIK_CODE_MAX as usize);
const _: () = assert!(abi::RESULT_MAX == bindings::LUNATIK_RESULT_MAX as usize);
const _: () = assert!(abi::SYS_LUA == bindings::LUNATIK_SYS_LUA as i64);

/// The registered entry point, shared with the built-in system call.
struct Ops(bindings::lunatik_syscall_ops);

// SAFETY: the structure is written once before registration and only read
// afterwards (by the system call, through its RCU-protected pointer).
unsafe impl Send for Ops {}
// SAFETY: as above.
unsafe impl Sync for Ops {}

/// The registration of the entry point; unregistered when dropped.
pub(crate) struct Registration {
    ops: KBox<Ops>,
}

impl Registration {
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
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

/// The caller's result buffer, written as the text is made.
struct UserOut {
    ptr: usize,
    cap: usize,
}

impl Out for UserOut {
    fn capacity(&self) -> usize {
        self.cap
    }

    fn write(&mut self, at: usize, bytes: &[u8]) -> bool {
        if at >= self.cap || bytes.len() > self.cap - at {
            return false;
        }
        UserSlice::new(self.ptr + at, bytes.len())
            .writer()
            .write_slice(bytes)
            .is_ok()
    }
}

fn run(code: usize, code_sz: usize, result: usize, result_sz: usize) -> Result<isize> {
    if code_sz == 0 || result_sz == 0 {
        return Err(EINVAL);
    }
    if code_sz > abi::CODE_MAX {
        return Err(E2BIG);
    }
    let cap = abi::capacity(result_sz);
    // The whole result buffer must be writable before any code runs, so
    // that an error never hides the effects of code that did run.
    // SAFETY: a user address and size; the kernel checks both.
    if unsafe { c::lunatik_user_writable(result as *mut core::ffi::c_void, cap) } != 0 {
        return Err(EFAULT);
    }
    let mut text = KVVec::from_elem(0u8, code_sz, GFP_KERNEL)?;
    UserSlice::new(code, code_sz).reader().read_slice(&mut text)?;

    let state = locked::default_state().ok_or(Error::from_errno(-ENOSYS))?;
    let p = params();
    let budget = Budget {
        instructions: p.max_instructions.min(i64::MAX as u64) as i64,
        cpu_ms: p.max_call_ms,
    };
    let mut out = UserOut { ptr: result, cap };
    let report = {
        let mut vm = state.lock_killable()?;
        exec::exec(&mut vm, budget, &text, c"=lua", &mut out)
    };
    if report.fault {
        // Only when the caller's mapping changed during the call (another
        // of its threads unmapped or protected the buffer).
        return Err(EFAULT);
    }
    let len = report.len.min((abi::LUA_ERROR - 1) as usize) as isize;
    Ok(match report.outcome {
        Outcome::Returned => len,
        Outcome::Failed => len | abi::LUA_ERROR as isize,
    })
}
