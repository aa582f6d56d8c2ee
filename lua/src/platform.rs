//! The userspace side of the platform: what differs from the kernel module
//! (module/platform.rs). Names and meanings match one for one.

use std::cell::{Cell, RefCell};
use std::ffi::{c_char, c_void, CStr};

use sha1::{Digest, Sha1};

/// The stack the twin lets Lua use below its entry point. The kernel has
/// 16 KiB in all; userspace frames (debug builds) are larger, so the twin
/// counts more, with the same soft and hard reserves (lua/lunatik_port.h).
pub const STACK_BUDGET: usize = 1 << 20;

extern "C" {
    #[link_name = "realloc"]
    fn libc_realloc(p: *mut c_void, n: usize) -> *mut c_void;
    #[link_name = "free"]
    fn libc_free(p: *mut c_void);
}

thread_local! {
    static THREAD_ID: u8 = const { 0 };
    static STACK_BASE: Cell<usize> = const { Cell::new(0) };
    static LOG: RefCell<Option<Vec<Vec<u8>>>> = const { RefCell::new(None) };
}

/// Grows or shrinks a block (`old` is its current size, 0 when `p` is null).
///
/// # Safety
/// `p` is null or a block from this function.
pub unsafe fn realloc(p: *mut c_void, _old: usize, new: usize) -> *mut c_void {
    // SAFETY: per the contract, `p` came from libc's allocator.
    unsafe { libc_realloc(p, new) }
}

/// Frees a block from [`realloc`].
///
/// # Safety
/// `p` is a block from [`realloc`], not used afterwards.
pub unsafe fn free(p: *mut c_void) {
    // SAFETY: per the contract.
    unsafe { libc_free(p) }
}

/// SHA-1 of `data` (never fails here; the kernel's crypto API can).
pub fn sha1(data: &[u8], out: &mut [u8; 20]) -> bool {
    out.copy_from_slice(&Sha1::digest(data));
    true
}

pub fn random_bytes(buf: &mut [u8]) {
    if getrandom::getrandom(buf).is_err() {
        fatal(b"lunatik: getrandom failed\n");
    }
}

/// One message for the log: captured when [`capture_log`] is on for this
/// thread, else written to standard error.
pub fn log(msg: &[u8]) {
    let captured = LOG.with(|l| match l.borrow_mut().as_mut() {
        Some(v) => {
            v.push(msg.to_vec());
            true
        }
        None => false,
    });
    if !captured {
        eprintln!("lunatik: {}", String::from_utf8_lossy(msg));
    }
}

/// Starts capturing this thread's log messages (tests read them back).
pub fn capture_log() {
    LOG.with(|l| *l.borrow_mut() = Some(Vec::new()));
}

/// The messages captured since [`capture_log`].
pub fn take_log() -> Vec<Vec<u8>> {
    LOG.with(|l| {
        l.borrow_mut()
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    })
}

thread_local! {
    static RESCHEDS: Cell<u64> = const { Cell::new(0) };
}

/// The kernel calls cond_resched() here; userspace threads are preemptible,
/// so the twin only counts the calls (tests read them with [`rescheds`]).
pub fn resched() {
    RESCHEDS.with(|r| r.set(r.get() + 1));
}

/// This thread's calls of [`resched`] so far.
pub fn rescheds() -> u64 {
    RESCHEDS.with(Cell::get)
}

/// Time for the entries' time bound, in nanoseconds. The kernel reads the
/// task's CPU time; here a monotonic clock stands in for it (the thread's
/// CPU-time clock is a system call, a few hundred ns, per entry), so a
/// twin's entry is bounded by elapsed time, never less than its CPU time.
pub fn cpu_ns() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_nanos() as u64
}

/// The CPU time this thread has used, for tests that compare an entry with
/// its bound: the bound is kept by the clock of [`cpu_ns`], and on a busy
/// machine an entry's wall time also holds the time it waited for a CPU.
pub fn thread_cpu_time() -> std::time::Duration {
    #[repr(C)]
    struct Timespec {
        tv_sec: std::ffi::c_long,
        tv_nsec: std::ffi::c_long,
    }
    extern "C" {
        fn clock_gettime(clock: std::ffi::c_int, ts: *mut Timespec) -> std::ffi::c_int;
    }
    const CLOCK_THREAD_CPUTIME_ID: std::ffi::c_int = 3;
    let mut ts = Timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    if unsafe { clock_gettime(CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The kernel stops a call whose caller got a fatal signal; a userspace
/// process that gets one is gone anyway.
pub fn killed() -> bool {
    false
}

/// This thread as a number, never 0 (the address of a thread-local).
pub fn current_thread() -> usize {
    THREAD_ID.with(|t| t as *const u8 as usize)
}

/// An unrecoverable internal error.
pub fn fatal(msg: &[u8]) -> ! {
    eprintln!("{}", String::from_utf8_lossy(msg));
    std::process::abort()
}

fn stack_pointer() -> usize {
    let marker = 0u8;
    std::hint::black_box(&marker) as *const u8 as usize
}

/// Marks the stack depth where Lua is entered.
pub fn stack_enter() {
    STACK_BASE.with(|b| b.set(stack_pointer()));
}

#[no_mangle]
pub extern "C" fn lunatik_stack_left() -> usize {
    let base = STACK_BASE.with(|b| b.get());
    let used = base.saturating_sub(stack_pointer());
    STACK_BUDGET.saturating_sub(used)
}

#[no_mangle]
pub extern "C" fn lunatik_random_u32() -> u32 {
    let mut b = [0u8; 4];
    random_bytes(&mut b);
    u32::from_le_bytes(b)
}

/// # Safety
/// `s` points to `len` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn lunatik_writestring(s: *const c_char, len: usize) {
    // SAFETY: the core passes `len` valid bytes.
    let bytes = unsafe { std::slice::from_raw_parts(s.cast::<u8>(), len) };
    if bytes != b"\n" {
        log(bytes);
    }
}

/// The core's warnings and panic messages: `fmt` has one `%s`.
///
/// # Safety
/// Both are NUL-terminated strings.
#[no_mangle]
pub unsafe extern "C" fn lunatik_writestringerror(fmt: *const c_char, p: *const c_char) {
    // SAFETY: the core passes two NUL-terminated strings.
    let (fmt, p) = unsafe { (CStr::from_ptr(fmt), CStr::from_ptr(p)) };
    let fmt = fmt.to_string_lossy();
    let msg = fmt.replacen("%s", &p.to_string_lossy(), 1);
    log(msg.trim_end().as_bytes());
}
