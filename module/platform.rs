// SPDX-License-Identifier: GPL-2.0

//! The kernel side of the platform the shared engine runs on: OS services
//! only (allocation, log, randomness, SHA-1, rescheduling, the stack, the
//! current task, its CPU time and signals). `lunatik_kernel.c` makes the
//! kernel calls; the userspace twin has the same functions in
//! `lua/src/platform.rs`.

use core::ffi::{c_char, c_void};

use crate::kernel_c as c;

/// Grows or shrinks a block (`kvrealloc`, never warning on failure).
///
/// # Safety
/// `p` is null or a block from this function.
pub(crate) unsafe fn realloc(p: *mut c_void, _old: usize, new: usize) -> *mut c_void {
    // SAFETY: per the contract, `p` came from kvrealloc.
    unsafe { c::lunatik_kvrealloc(p, new) }
}

/// Frees a block from [`realloc`].
///
/// # Safety
/// `p` is a block from [`realloc`], not used afterwards.
pub(crate) unsafe fn free(p: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { c::lunatik_kvfree(p) }
}

/// The kernel's SHA-1 of `data`; false if the crypto API failed.
pub(crate) fn sha1(data: &[u8], out: &mut [u8; 20]) -> bool {
    // SAFETY: `data` is readable for its length, `out` writable for 20 bytes.
    unsafe { c::lunatik_sha1(data.as_ptr(), data.len(), out.as_mut_ptr()) == 0 }
}

/// Bytes from the kernel's random generator.
pub(crate) fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for its length.
    unsafe { c::lunatik_random_bytes(buf.as_mut_ptr().cast::<c_void>(), buf.len()) }
}

/// One message in the kernel log, prefixed "lunatik_ng: " (at most 100
/// per 5 s). The text is data: it is printed with "%.*s".
pub(crate) fn log(msg: &[u8]) {
    // SAFETY: `msg` is readable for its length.
    unsafe { c::lunatik_log(msg.as_ptr().cast::<c_char>(), msg.len()) }
}

/// Lets the scheduler run (the testbed kernel may be PREEMPT_NONE).
pub(crate) fn resched() {
    // SAFETY: called in process context (syscall, nfsd threads).
    unsafe { c::lunatik_resched() }
}

/// An internal error that must never happen: a kernel panic.
pub(crate) fn fatal(msg: &[u8]) -> ! {
    // SAFETY: `msg` is readable for its length; panic() does not return.
    unsafe { c::lunatik_fatal(msg.as_ptr().cast::<c_char>(), msg.len()) }
}

/// The kernel measures the real stack (`lunatik_stack_left`): nothing to mark.
pub(crate) fn stack_enter() {}

/// The running task (`current`) as a number, never 0: who is inside a state.
pub(crate) fn current_thread() -> usize {
    // SAFETY: reads `current`, always valid in process context.
    unsafe { c::lunatik_current() as usize }
}

/// CPU time of the running task, in ns.
pub(crate) fn cpu_ns() -> u64 {
    // SAFETY: reads the current task's runtime.
    unsafe { c::lunatik_cpu_ns() }
}

/// Whether the running task has a fatal signal pending.
pub(crate) fn killed() -> bool {
    // SAFETY: reads the current task's signals.
    unsafe { c::lunatik_killed() }
}

/// The monotonic clock, in ns (for figures, not limits).
pub(crate) fn now_ns() -> u64 {
    // SAFETY: reads the clock.
    unsafe { c::lunatik_ktime_ns() }
}
