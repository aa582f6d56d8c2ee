// SPDX-License-Identifier: GPL-2.0

//! The one declaration of what `lunatik_kernel.c` (and its header,
//! `lunatik_kernel.h`) gives the Rust side: the kernel services, the locks
//! and the module parameters. Only the modules of this crate that wrap them
//! safely use these (`platform.rs`, `locked.rs`, `syscall.rs`,
//! `nfsd_host.rs`, `bench.rs`, `lunatik_main.rs`).

use core::ffi::{c_char, c_int, c_uint, c_ulong, c_void};

/// `struct semaphore`, opaque here.
#[repr(C)]
pub(crate) struct Semaphore {
    _private: [u8; 0],
}

extern "C" {
    static lunatik_max_memory: c_ulong;
    static lunatik_max_instructions: c_ulong;
    static lunatik_max_call_ms: c_ulong;
    static lunatik_max_policy_instructions: c_ulong;
    static lunatik_max_policy_ms: c_ulong;
    static lunatik_policy_lock_ms: c_ulong;
    static lunatik_bench: bool;

    pub(crate) fn lunatik_random_bytes(buf: *mut c_void, len: usize);
    pub(crate) fn lunatik_log(s: *const c_char, len: usize);
    pub(crate) fn lunatik_resched();
    pub(crate) fn lunatik_current() -> *const c_void;
    pub(crate) fn lunatik_cpu_ns() -> u64;
    pub(crate) fn lunatik_killed() -> bool;
    pub(crate) fn lunatik_kvrealloc(p: *mut c_void, size: usize) -> *mut c_void;
    pub(crate) fn lunatik_kvfree(p: *mut c_void);
    pub(crate) fn lunatik_fatal(msg: *const c_char, len: usize) -> !;

    pub(crate) fn lunatik_nfsd_set_dataservers(list: *const c_char, err: *mut c_char, errlen: usize) -> c_int;
    pub(crate) fn lunatik_nfsd_get_dataservers(buf: *mut c_char, size: usize) -> c_int;
    pub(crate) fn lunatik_nfsd_stats(stats: *mut kernel::bindings::nfsd_pnfs_policy_stats);
    pub(crate) fn lunatik_nfsd_policy_changed();

    pub(crate) fn lunatik_sha1_init() -> c_int;
    pub(crate) fn lunatik_sha1_exit();
    pub(crate) fn lunatik_sha1(data: *const u8, len: usize, out: *mut u8) -> c_int;

    pub(crate) fn lunatik_sem_new(count: c_uint) -> *mut Semaphore;
    pub(crate) fn lunatik_sem_free(s: *mut Semaphore);
    pub(crate) fn lunatik_sem_down_killable(s: *mut Semaphore) -> c_int;
    pub(crate) fn lunatik_sem_down_within(s: *mut Semaphore, ms: c_uint) -> bool;
    pub(crate) fn lunatik_sem_up(s: *mut Semaphore);

    pub(crate) fn lunatik_ktime_ns() -> u64;
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn lunatik_trace_decision(
        ino: u64,
        fh: *const u8,
        fh_len: u32,
        stripe_unit: u32,
        first: u32,
        count: u32,
        ds: *const u32,
        outcome: c_int,
        ns: u64,
    );
    pub(crate) fn lunatik_bench_threads(
        threads: c_uint,
        per_thread: c_uint,
        f: unsafe extern "C" fn(*mut c_void) -> c_int,
        arg: *mut c_void,
        lat: *mut u64,
    ) -> i64;
    pub(crate) fn lunatik_real_seconds() -> u64;
    pub(crate) fn lunatik_cpu_id() -> c_uint;
    pub(crate) fn lunatik_online_cpus() -> c_uint;
    pub(crate) fn lunatik_rcu_read_lock();
    pub(crate) fn lunatik_rcu_read_unlock();
    pub(crate) fn lunatik_synchronize_rcu();
    pub(crate) fn lunatik_format_addr(ss: *const c_void, buf: *mut c_char, size: usize) -> c_int;
    pub(crate) fn lunatik_user_writable(buf: *mut c_void, size: usize) -> c_int;
}

/// The module parameters (lunatik_kernel.c), as set at load.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params {
    pub(crate) max_memory: u64,
    pub(crate) max_instructions: u64,
    pub(crate) max_call_ms: u64,
    pub(crate) max_policy_instructions: u64,
    pub(crate) max_policy_ms: u64,
    pub(crate) policy_lock_ms: u64,
    pub(crate) bench: bool,
}

/// The parameters: set before `init` runs and read-only (0444) afterwards.
pub(crate) fn params() -> Params {
    // SAFETY: the parameters are written only while the module loads,
    // before any of its code runs.
    unsafe {
        Params {
            max_memory: u64::from(lunatik_max_memory),
            max_instructions: u64::from(lunatik_max_instructions),
            max_call_ms: u64::from(lunatik_max_call_ms),
            max_policy_instructions: u64::from(lunatik_max_policy_instructions),
            max_policy_ms: u64::from(lunatik_max_policy_ms),
            policy_lock_ms: u64::from(lunatik_policy_lock_ms),
            bench: lunatik_bench,
        }
    }
}
