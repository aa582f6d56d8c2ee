// SPDX-License-Identifier: GPL-2.0

//! A Lua state with lunatik-ng's limits (docs/lua-api.md, "Limits"): a
//! memory cap enforced in the allocator, and per entry into Lua an
//! instruction budget and a CPU-time bound. Lua instructions are charged by
//! a count hook; work inside C functions (string, table, utf8, our
//! libraries, the VM's string operations) is charged through one helper,
//! [`lunatik_charge`], in proportion to the bytes or elements it touches
//! (lua/patches/*.patch). Each checkpoint of the budget also yields the CPU
//! and sees a fatal signal.
//!
//! The platform keeps a [`Vm`] behind its own lock and enters it only
//! through [`Vm::run`], which takes `&mut self`: one thread at a time.

use core::cell::Cell;
use core::ffi::{c_int, c_void, CStr};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::ffi;
use crate::host::Host;
use crate::libs;
use crate::lua::{self, Call, Lua, RegistryKey, Result};
use crate::platform;

/// Instructions between two calls of the count hook.
pub const HOOK_PERIOD: c_int = 1000;
/// Units of C-level work between two checkpoints of the budget.
const CHARGE_PERIOD: usize = 1024;
/// Allocator calls between two reschedules. A full collection (the
/// emergency one inside an allocation at the memory cap, or a state's
/// close) frees a whole heap with no hook in between: on the debug kernel
/// each free saves a stack trace for KASAN, and one collection of an 8 MiB
/// heap of small objects held a CPU for over 20 s (a soft lockup).
const RESCHED_ALLOCS: u32 = 256;

/// The limits of one state (docs/lua-api.md, "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes the state may hold.
    pub memory: usize,
    /// Instructions (and units of C-level work) per entry into Lua.
    pub instructions: i64,
    /// Milliseconds of CPU time per entry into Lua.
    pub cpu_ms: u64,
}

/// What one entry into Lua may spend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    pub instructions: i64,
    pub cpu_ms: u64,
}

impl Limits {
    /// The budget of an entry with these limits.
    pub fn budget(&self) -> Budget {
        Budget {
            instructions: self.instructions,
            cpu_ms: self.cpu_ms,
        }
    }
}

/// A failed entry: its error message (memory errors and errors in the
/// message handler included), valid until the next entry.
#[derive(Debug)]
pub struct Failure<'a> {
    pub message: &'a [u8],
}

/// Why a state could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    Memory,
    Libraries,
}

/// A Lua state with its limits and accounting.
///
/// The fields the allocator and the hook touch are `Cell`s: during an entry
/// the C core reaches them through a shared reference made from the pointer
/// [`Vm::run`] stores in the state (its allocator's `ud` and the extra
/// space). That pointer is refreshed at every entry, so a `Vm` may move
/// between entries.
pub struct Vm {
    l: NonNull<ffi::lua_State>,
    limits: Limits,
    host: &'static dyn Host,
    used: Cell<usize>,
    peak: Cell<usize>,
    /// Allocator calls, counted for `RESCHED_ALLOCS`.
    allocs: Cell<u32>,
    steps_left: Cell<i64>,
    pending: Cell<usize>,
    deadline_ns: Cell<u64>,
    hook_period: Cell<c_int>,
    /// Whether C-level work is charged (off only to measure its cost).
    charging: Cell<bool>,
    stop: Cell<Option<&'static Reason>>,
    /// The entry was stopped again after a pcall caught its stop: it is
    /// only unwinding now (`lunatik_unwinding`).
    unwinding: Cell<bool>,
    /// The hook was set to fire at the next instruction (`lunatik_account`).
    early: Cell<bool>,
    /// The field names of decisions, interned by `open` (lua/lunatik_fast.c).
    keys: Cell<[*const c_void; ffi::LUNATIK_NKEYS]>,
    /// The buffer metatable (`Lua::buffer_bytes`), set by `open`.
    buffer_mt: Cell<*const c_void>,
    /// The name and client of the decision running, for the file table's
    /// `__index` (`libs::pnfs`): set just around the call of the policy.
    lazy: Cell<[(*const u8, usize); LAZY_FIELDS]>,
    /// The thread inside the state (`platform::current_thread`), 0 when
    /// none: the assertion that catches two threads in one state.
    owner: AtomicUsize,
}

// SAFETY: a Lua state is not tied to the thread that made it; `Vm::run`
// takes `&mut self`, so one thread at a time uses it.
unsafe impl Send for Vm {}

const TWO_THREADS_MSG: &[u8] =
    b"lunatik: two threads inside one Lua state (its lock was bypassed); stopping before it corrupts memory\n";

/// Why an entry stops: its message, and the registry slot where
/// `open_libs` keeps it as a Lua string (see `stop`).
struct Reason {
    msg: &'static CStr,
    key: RegistryKey,
}

static BUDGET: Reason = Reason {
    msg: c"instruction budget exhausted (see lunatik_ng's max_instructions)",
    key: RegistryKey::new(),
};
static TIME: Reason = Reason {
    msg: c"CPU time limit exceeded (see lunatik_ng's max_call_ms)",
    key: RegistryKey::new(),
};
static KILLED: Reason = Reason {
    msg: c"interrupted by a fatal signal",
    key: RegistryKey::new(),
};
/// Anchors the core's "error in error handling" (`open_libs`).
static ERRERR_KEY: RegistryKey = RegistryKey::new();

/// The `Vm` of a running state, from the extra space of its main thread.
/// Not from `l`'s own: each coroutine has a copy, made when it was created
/// and stale once the `Vm` has moved (a policy state is loaded, then moved
/// into its lock), and a coroutine kept from then read a dead `Vm`.
fn vm_of<'a>(l: *mut ffi::lua_State) -> &'a Vm {
    // SAFETY: `l` is a thread of a live state, whose main thread
    // `lunatik_mainthread` returns; `Vm::attach` stores a pointer to the
    // `Vm` in that thread's extra space before any Lua code runs, at every
    // entry and before closing, and the `Vm` outlives the entry.
    unsafe {
        let main = ffi::lunatik_mainthread(l);
        &**main
            .cast::<u8>()
            .sub(ffi::LUA_EXTRASPACE)
            .cast::<*const Vm>()
    }
}

/// The interned field names of a running state (`Lua::fill_file`).
pub(crate) fn keys_of(l: *mut ffi::lua_State) -> [*const c_void; ffi::LUNATIK_NKEYS] {
    vm_of(l).keys.get()
}

/// The buffer metatable of a running state (`Lua::buffer_bytes`).
pub(crate) fn buffer_mt_of(l: *mut ffi::lua_State) -> *const c_void {
    vm_of(l).buffer_mt.get()
}

/// The string fields of a decision made only when read: name, client,
/// export.
pub(crate) const LAZY_FIELDS: usize = 3;

/// Sets (or clears, with `None`) the name, client and export of the
/// decision running in the state of `l`.
pub(crate) fn set_lazy(l: *mut ffi::lua_State, fields: Option<[Option<&[u8]>; LAZY_FIELDS]>) {
    let one = |f: Option<&[u8]>| f.map_or((ptr::null(), 0), |b| (b.as_ptr(), b.len()));
    let v = match fields {
        Some(f) => f.map(one),
        None => [(ptr::null(), 0); LAZY_FIELDS],
    };
    vm_of(l).lazy.set(v);
}

/// Field `i` of the decision running in the state of `l` (see `set_lazy`).
pub(crate) fn lazy_of<'a>(l: *mut ffi::lua_State, i: usize) -> Option<&'a [u8]> {
    let (p, len) = vm_of(l).lazy.get()[i];
    // SAFETY: `set_lazy` stores slices that outlive the policy's call, and
    // clears them before its caller returns; the borrow is used at once by
    // the caller (a push).
    (!p.is_null()).then(|| unsafe { core::slice::from_raw_parts(p, len) })
}

/// The host of a running state (`Lua::host`).
pub(crate) fn host_of(l: *mut ffi::lua_State) -> &'static dyn Host {
    vm_of(l).host
}

impl Vm {
    /// A new state with the libraries opened, whose `pnfs` library asks
    /// `host`.
    pub fn open(limits: Limits, host: &'static dyn Host) -> core::result::Result<Vm, OpenError> {
        let mut vm = Vm {
            l: NonNull::dangling(),
            limits,
            host,
            used: Cell::new(0),
            peak: Cell::new(0),
            allocs: Cell::new(0),
            steps_left: Cell::new(0),
            pending: Cell::new(0),
            deadline_ns: Cell::new(u64::MAX),
            hook_period: Cell::new(HOOK_PERIOD),
            charging: Cell::new(true),
            stop: Cell::new(None),
            unwinding: Cell::new(false),
            early: Cell::new(false),
            keys: Cell::new([ptr::null(); ffi::LUNATIK_NKEYS]),
            buffer_mt: Cell::new(ptr::null()),
            lazy: Cell::new([(ptr::null(), 0); LAZY_FIELDS]),
            owner: AtomicUsize::new(0),
        };
        // SAFETY: `vm` is alive for the call; the allocator gets it as `ud`
        // (refreshed at every entry and before closing).
        let l = unsafe { ffi::lua_newstate(alloc, ptr::from_ref(&vm).cast_mut().cast()) };
        vm.l = NonNull::new(l).ok_or(OpenError::Memory)?;
        // SAFETY: a new state; the handler never returns into Lua.
        unsafe { ffi::lua_atpanic(l, panic_handler) };
        // SAFETY: the state is valid.
        unsafe { ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKCOUNT, HOOK_PERIOD) };
        if vm.run(limits.budget(), open_libs, &mut ()).is_err() {
            return Err(OpenError::Libraries);
        }
        Ok(vm)
    }

    /// Bytes allocated now.
    pub fn used(&self) -> usize {
        self.used.get()
    }

    #[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
    /// The most bytes ever allocated at once.
    pub fn peak(&self) -> usize {
        self.peak.get()
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    #[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
    /// What is left of the last entry's instruction budget.
    pub fn steps_left(&self) -> i64 {
        let pending = i64::try_from(self.pending.get()).unwrap_or(i64::MAX);
        self.steps_left.get().saturating_sub(pending)
    }

    #[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
    /// Charges the budget every `period` instructions instead of every
    /// HOOK_PERIOD (1 counts instructions exactly, slowly: for measuring).
    pub fn set_hook_period(&mut self, period: c_int) {
        self.hook_period.set(period.max(1));
        // SAFETY: the state is valid and no entry is running (`&mut self`).
        unsafe {
            ffi::lua_sethook(
                self.l.as_ptr(),
                Some(hook),
                ffi::LUA_MASKCOUNT,
                period.max(1),
            )
        };
    }

    /// Turns the charging of C-level work off or on (benchmarks measure
    /// its cost this way; the instruction hook and the deadline stay).
    pub fn set_charging(&mut self, on: bool) {
        self.charging.set(on);
    }

    /// Points the state at this `Vm` (allocator and extra space).
    fn attach(&self) {
        let me = ptr::from_ref(self).cast_mut().cast::<c_void>();
        let l = self.l.as_ptr();
        // SAFETY: the state is valid and no Lua code runs now; the extra
        // space is a pointer-sized block before the state.
        unsafe {
            ffi::lua_setallocf(l, alloc, me);
            *l.cast::<u8>()
                .sub(ffi::LUA_EXTRASPACE)
                .cast::<*mut c_void>() = me;
        }
    }

    /// One entry into Lua: a fresh budget, then `f(lua, arg)` in protected
    /// mode. On an error, its status and message (a string).
    pub fn run<A>(
        &mut self,
        budget: Budget,
        f: for<'s> fn(&mut Lua<'s>, &mut A) -> Result<c_int>,
        arg: &mut A,
    ) -> core::result::Result<(), Failure<'_>> {
        platform::stack_enter();
        let me = platform::current_thread();
        if self.owner.swap(me, Ordering::AcqRel) != 0 {
            platform::fatal(TWO_THREADS_MSG);
        }
        self.attach();
        self.steps_left.set(budget.instructions);
        self.pending.set(0);
        self.stop.set(None);
        self.unwinding.set(false);
        self.early.set(false);
        // The main thread's period may be 1 (an early checkpoint, or a
        // stopped entry); other threads are set back by their next hook.
        set_period(self.l.as_ptr(), self.hook_period.get());
        let now = platform::cpu_ns();
        self.deadline_ns
            .set(now.saturating_add(budget.cpu_ms.saturating_mul(1_000_000)));
        let l = self.l.as_ptr();
        let mut call = Call { f, arg };
        // SAFETY: the stack is emptied first, so LUA_MINSTACK slots are free
        // for these three values, which neither allocate nor raise (light C
        // functions, a light userdata); `call` and `arg` outlive the
        // protected call.
        let status = unsafe {
            ffi::lua_settop(l, 0);
            ffi::lua_pushcclosure(l, lua::message_handler, 0);
            ffi::lua_pushcclosure(l, lua::call_entry::<A>, 0);
            ffi::lua_pushlightuserdata(l, ptr::from_mut(&mut call).cast());
            ffi::lua_pcallk(l, 1, 0, 1, 0, None)
        };
        self.owner.store(0, Ordering::Release);
        // A decision's borrowed fields end with the entry, even when an
        // error jumped over their clearing.
        self.lazy.set([(ptr::null(), 0); LAZY_FIELDS]);
        if status == ffi::LUA_OK {
            return Ok(());
        }
        let mut len = 0usize;
        // SAFETY: the message handler made the error value a string (or the
        // core put one: memory, error in handler), on top of the stack,
        // where it stays until the next entry empties the stack.
        let message = unsafe {
            if ffi::lua_type(l, -1) == ffi::LUA_TSTRING {
                let p = ffi::lua_tolstring(l, -1, &mut len);
                core::slice::from_raw_parts(p.cast::<u8>(), len)
            } else {
                &b"(error object is not a string)"[..]
            }
        };
        Err(Failure { message })
    }

    /// The checkpoint of the budget: folds the pending charges in, yields
    /// the CPU, and says why the entry must stop, if it must.
    fn checkpoint(&self) -> Option<&'static Reason> {
        if self.owner.load(Ordering::Relaxed) != platform::current_thread() {
            platform::fatal(TWO_THREADS_MSG);
        }
        let pending = i64::try_from(self.pending.replace(0)).unwrap_or(i64::MAX);
        let left = self.steps_left.get().saturating_sub(pending);
        self.steps_left.set(left);
        platform::resched();
        if let Some(why) = self.stop.get() {
            // A pcall caught the stop and the entry went on.
            self.unwinding.set(true);
            return Some(why);
        }
        let why = if left <= 0 {
            Some(&BUDGET)
        } else if platform::cpu_ns() > self.deadline_ns.get() {
            Some(&TIME)
        } else if platform::killed() {
            Some(&KILLED)
        } else {
            None
        };
        // Once stopped, every later checkpoint of the entry stops too: a
        // script that catches the error with pcall cannot go on.
        self.stop.set(why);
        why
    }

    /// Adds `units` to the pending charges; true when a checkpoint is due.
    fn account(&self, units: usize) -> bool {
        let p = self.pending.get().saturating_add(units);
        self.pending.set(p);
        p >= CHARGE_PERIOD
    }
}

impl Drop for Vm {
    /// Closing runs every pending finalizer and `__close`, under the count
    /// hook (lua/patches/11-lgc-finalizers-under-the-hook.patch): so it is
    /// one more entry, with the owner, a budget and the stack base set as
    /// `run` sets them. A finalizer that loops is stopped by the budget;
    /// the ones after it, at their first checkpoint.
    fn drop(&mut self) {
        platform::stack_enter();
        if self
            .owner
            .swap(platform::current_thread(), Ordering::AcqRel)
            != 0
        {
            platform::fatal(TWO_THREADS_MSG);
        }
        self.attach();
        let budget = self.limits.budget();
        self.steps_left.set(budget.instructions);
        self.pending.set(0);
        self.stop.set(None);
        self.unwinding.set(false);
        self.early.set(false);
        set_period(self.l.as_ptr(), self.hook_period.get());
        self.deadline_ns
            .set(platform::cpu_ns().saturating_add(budget.cpu_ms.saturating_mul(1_000_000)));
        // SAFETY: the state was made by `open`, no entry is running
        // (`&mut self`), and it is not used again.
        unsafe { ffi::lua_close(self.l.as_ptr()) };
        self.owner.store(0, Ordering::Release);
    }
}

/// Opens every library (the first entry of a new state) and interns the
/// field names of decisions.
fn open_libs(lua: &mut Lua<'_>, _: &mut ()) -> Result<c_int> {
    libs::open_all(lua);
    let keys = lua.intern_keys();
    let vm = vm_of(lua.raw_state());
    vm.keys.set(keys);
    lua.new_metatable(libs::buffer::TNAME);
    vm.buffer_mt.set(lua.to_pointer(-1));
    lua.pop(1);
    for why in [&BUDGET, &TIME, &KILLED] {
        lua.push_bytes(why.msg.to_bytes());
        lua.set_registry_key(&why.key);
    }
    // The core raises this one (luaD_errerr) when the C stack is nearly
    // gone: anchored, the short string is found interned there, and
    // raising it allocates nothing.
    lua.push_bytes(b"error in error handling");
    lua.set_registry_key(&ERRERR_KEY);
    Ok(0)
}

/// Reaching this means an error escaped every protected call: a bug of
/// ours. It must not return into Lua, so it never returns at all.
unsafe extern "C" fn panic_handler(_l: *mut ffi::lua_State) -> c_int {
    platform::fatal(b"lunatik: Lua error outside a protected call\n")
}

/// The allocator of every state: refuses to grow past the memory cap.
/// Every block allocated is also charged as work (one unit per 64 bytes),
/// without raising: the next checkpoint counts it.
unsafe extern "C" fn alloc(
    ud: *mut c_void,
    p: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void {
    // SAFETY: `ud` is the `Vm` of the state (set by `open` and `attach`).
    let vm = unsafe { &*ud.cast::<Vm>() };
    let n = vm.allocs.get().wrapping_add(1);
    vm.allocs.set(n);
    if n % RESCHED_ALLOCS == 0 {
        // Every Lua state runs and is closed where it may sleep (under its
        // semaphore in a SYS_lua caller or an nfsd thread, at module exit,
        // never under RCU or a spinlock), as the hook's checkpoint.
        platform::resched();
    }
    // When `p` is null, `osize` is a type tag, not a size.
    let old = if p.is_null() { 0 } else { osize };
    if nsize == 0 {
        if !p.is_null() {
            // SAFETY: `p` came from `platform::realloc`.
            unsafe { platform::free(p) };
            vm.used.set(vm.used.get() - old);
        }
        return ptr::null_mut();
    }
    let used = vm.used.get();
    if nsize > old && used - old + nsize > vm.limits.memory {
        return ptr::null_mut();
    }
    // SAFETY: `p` is null or came from `platform::realloc` with `old` bytes.
    let q = unsafe { platform::realloc(p, old, nsize) };
    if q.is_null() {
        return ptr::null_mut();
    }
    let used = used - old + nsize;
    vm.used.set(used);
    if used > vm.peak.get() {
        vm.peak.set(used);
    }
    if nsize > old && vm.charging.get() {
        vm.account((nsize - old) / 64);
    }
    q
}

/// Raises the reason of a checkpoint that stopped the entry (`lua_error`
/// does not return). Its message is the string `open_libs` anchored:
/// pushing it allocates nothing, so a state at its memory cap stops as
/// cheaply as any other (a new string there failed, after a full
/// emergency collection, at every instruction of a stopped entry).
///
/// # Safety
/// `l` is a running thread, inside a protected call, in a place where the
/// core allows an error; the frames it jumps over own nothing.
unsafe fn stop(l: *mut ffi::lua_State, why: &'static Reason) {
    // SAFETY: per the contract; a slot is free for the message, as for
    // any error (the hook has LUA_MINSTACK, a C function its own), and
    // popping the nil of a state not yet opened closes nothing.
    unsafe {
        let key = why.key.addr();
        if ffi::lua_rawgetp(l, ffi::LUA_REGISTRYINDEX, key) != ffi::LUA_TSTRING {
            ffi::lua_settop(l, -2);
            ffi::lua_pushstring(l, why.msg.as_ptr());
        }
        ffi::lua_error(l);
    }
}

/// Makes the hook of thread `l` fire every `period` instructions.
fn set_period(l: *mut ffi::lua_State, period: c_int) {
    // SAFETY: lua_sethook may be called at any time on a live thread; it
    // only sets the thread's hook fields.
    unsafe { ffi::lua_sethook(l, Some(hook), ffi::LUA_MASKCOUNT, period) };
}

/// The count hook: every `hook_period` instructions (the thread's count:
/// 1 when `lunatik_account` asked for an early checkpoint), a checkpoint.
/// The count runs on across coroutines: a coroutine resumed or closed
/// starts from its resumer's count and hands it back
/// (lua/patches/16-ldo-one-hook-count-across-coroutines.patch), so no
/// coroutine runs unseen for want of a full period of its own.
///
/// Once an entry was stopped and went on (a pcall caught the error), the
/// next stop makes its thread's hook fire at every instruction: the first
/// instruction after any later catch raises again, so the entry unwinds
/// instead of looping around a pcall that the hook keeps firing inside.
/// `lua_sethook` walks the thread's call stack, so the period is only set
/// when it changes.
unsafe extern "C" fn hook(l: *mut ffi::lua_State, _ar: *mut c_void) {
    let vm = vm_of(l);
    // SAFETY: the running thread.
    let count = unsafe { ffi::lua_gethookcount(l) };
    // Called early by `lunatik_account`, whose units are counted already.
    vm.early.set(false);
    vm.account(count.unsigned_abs() as usize);
    let again = vm.stop.get().is_some();
    let why = vm.checkpoint();
    let want = if why.is_some() && again {
        1
    } else {
        vm.hook_period.get()
    };
    if count != want {
        set_period(l, want);
    }
    if let Some(why) = why {
        // SAFETY: raising from a count hook is allowed; nothing is owned.
        unsafe { stop(l, why) }
    }
}

/// Charges `units` of work done inside a C function to the entry's budget,
/// and at every checkpoint yields the CPU; raises when the entry must stop.
/// The one charging helper of the engine: the Lua core's patched library
/// functions call it (lua/luaconf.h declares it), our Rust libraries through
/// `Lua::charge`.
///
/// # Safety
/// `l` is a running thread of a state made by [`Vm::open`], inside a
/// protected call, in a place where a Lua error may be raised.
#[no_mangle]
pub unsafe extern "C" fn lunatik_charge(l: *mut ffi::lua_State, units: usize) {
    let vm = vm_of(l);
    if !vm.charging.get() {
        return;
    }
    if vm.account(units.saturating_add(1)) {
        let again = vm.stop.get().is_some();
        if let Some(why) = vm.checkpoint() {
            if again {
                // As in `hook`: the Lua code after this call stops at once.
                set_period(l, 1);
            }
            // SAFETY: per the contract.
            unsafe { stop(l, why) }
        }
    }
}

/// As [`lunatik_charge`], for places in the core where no error may be
/// raised (string comparison inside table lookups): the units are only
/// recorded, and the next checkpoint counts them.
///
/// # Safety
/// `l` is a running thread of a state made by [`Vm::open`].
#[no_mangle]
pub unsafe extern "C" fn lunatik_account(l: *mut ffi::lua_State, units: usize) {
    let vm = vm_of(l);
    if vm.charging.get() && vm.account(units) && !vm.early.replace(true) {
        // A checkpoint is due, and no error may be raised here: the hook
        // runs it at the next instruction instead of in up to 1,000 (safe
        // even from a signal handler: it only sets the thread's fields).
        set_period(l, 1);
    }
}

/// Whether the entry running in the state of `l` was stopped again after a
/// pcall caught its stop: then the core no longer recovers an error at the
/// pcalls inside a coroutine (lua/patches/18-ldo-stopped-coroutines-end.patch),
/// so a stopped coroutine ends in one step, not in one catch per level of
/// a stack that earlier entries may have built.
///
/// # Safety
/// `l` is a thread of a state made by [`Vm::open`], during an entry.
#[no_mangle]
pub unsafe extern "C" fn lunatik_unwinding(l: *mut ffi::lua_State) -> c_int {
    c_int::from(vm_of(l).unwinding.get())
}
