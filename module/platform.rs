// SPDX-License-Identifier: GPL-2.0

//! The kernel side of the platform the shared engine runs on
//! (`lunatik_kernel.c` does the kernel calls). The userspace twin has the
//! same functions in `lua/src/platform.rs`.

use core::ffi::{c_char, c_int, c_void, CStr};

use kernel::bindings;

use crate::libs::pnfs::Stats;

extern "C" {
    fn lunatik_random_bytes(buf: *mut c_void, len: usize);
    fn lunatik_log(s: *const c_char, len: usize);
    fn lunatik_resched();
    fn lunatik_kvrealloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn lunatik_kvfree(p: *mut c_void);
    fn lunatik_fatal(msg: *const c_char, len: usize) -> !;
    fn lunatik_sha1(data: *const u8, len: usize, out: *mut u8) -> c_int;
    fn lunatik_current() -> *const c_void;
}

/// Grows or shrinks a block (`kvrealloc`, never warning on failure).
///
/// # Safety
/// `p` is null or a block from this function.
pub unsafe fn realloc(p: *mut c_void, _old: usize, new: usize) -> *mut c_void {
    // SAFETY: per the contract, `p` came from kvrealloc.
    unsafe { lunatik_kvrealloc(p, new) }
}

/// Frees a block from [`realloc`].
///
/// # Safety
/// `p` is a block from [`realloc`], not used afterwards.
pub unsafe fn free(p: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { lunatik_kvfree(p) }
}

/// The kernel's SHA-1 of `data`; false if the crypto API failed.
pub fn sha1(data: &[u8], out: &mut [u8; 20]) -> bool {
    // SAFETY: `data` is readable for its length, `out` writable for 20 bytes.
    unsafe { lunatik_sha1(data.as_ptr(), data.len(), out.as_mut_ptr()) == 0 }
}

/// Bytes from the kernel's random generator.
pub fn random_bytes(buf: &mut [u8]) {
    // SAFETY: `buf` is writable for its length.
    unsafe { lunatik_random_bytes(buf.as_mut_ptr().cast::<c_void>(), buf.len()) }
}

/// One message in the kernel log, prefixed "lunatik: ". The text is data:
/// it is printed with "%.*s".
pub fn log(msg: &[u8]) {
    // SAFETY: `msg` is readable for its length.
    unsafe { lunatik_log(msg.as_ptr().cast::<c_char>(), msg.len()) }
}

/// Lets the scheduler run (the testbed kernel may be PREEMPT_NONE).
pub fn resched() {
    // SAFETY: called in process context (syscall, nfsd threads).
    unsafe { lunatik_resched() }
}

/// An internal error that must never happen: a kernel panic.
pub fn fatal(msg: &[u8]) -> ! {
    // SAFETY: `msg` is readable for its length; panic() does not return.
    unsafe { lunatik_fatal(msg.as_ptr().cast::<c_char>(), msg.len()) }
}

/// The running task (`current`) as a number, never 0: who is inside a state.
pub fn current_thread() -> usize {
    // SAFETY: reads `current`, always valid in process context.
    unsafe { lunatik_current() as usize }
}

/// The kernel measures the real stack (`lunatik_stack_left`): nothing to mark.
pub fn stack_enter() {}

/// `pnfs.register` / `pnfs.unregister`: the policy in nfsd.
pub fn pnfs_policy(active: bool) -> Result<(), &'static CStr> {
    crate::pnfs::set_active(active)
}

/// `pnfs.set_dataservers`: nfsd's data-server list.
pub fn pnfs_set_dataservers(list: &[u8]) -> Result<(), &'static CStr> {
    let mut text = [0u8; 64 * 56 + 1];
    if list.len() >= text.len() {
        return Err(c"too many data servers (at most 64)");
    }
    crate::libs::copy_bytes(&mut text[..list.len()], list);
    // SAFETY: `text` is NUL-terminated.
    let ret = unsafe { bindings::nfsd_pnfs_set_dataservers(text.as_ptr().cast()) };
    if ret == 0 {
        Ok(())
    } else {
        Err(c"nfsd refused the data-server list (addresses, 64 at most)")
    }
}

/// `pnfs.dataservers`: nfsd's data-server list as "addr:port,...".
pub fn pnfs_dataservers(out: &mut [u8]) -> usize {
    // SAFETY: `out` is writable for its length.
    let n = unsafe { bindings::nfsd_pnfs_get_dataservers(out.as_mut_ptr().cast(), out.len()) };
    (n.max(0) as usize).min(out.len())
}

/// `pnfs.stats`: the counters of layout decisions.
pub fn pnfs_stats() -> Stats {
    crate::pnfs::stats()
}
