// SPDX-License-Identifier: GPL-2.0

//! A Lua state with lunatik-ng's limits: a memory cap enforced in the
//! allocator, an instruction budget per entry into Lua (with rescheduling
//! points), and the libraries opened.
//!
//! The platform owns a [`Ctx`] at a stable address (boxed) and guards it with
//! its own lock; this module needs no allocation of its own.

use core::ffi::{c_int, c_void, CStr};
use core::ptr;
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::ffi;
use crate::libs;
use crate::lua::{self, Lua, Status};
use crate::platform;

/// Instructions between two calls of the count hook.
pub const HOOK_PERIOD: c_int = 1000;
/// C-level steps (string matching) between two rescheduling points.
const CSTEP_PERIOD: u32 = 1024;

/// The limits of one state (docs/lua-api.md, "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Bytes the state may hold.
    pub memory: usize,
    /// Instructions (and string-matching steps) per entry into Lua.
    pub instructions: i64,
}

/// The accounting of one state, reached by the allocator (as its `ud`) and by
/// the hook (through the state's extra space).
pub struct Ctx {
    limits: Limits,
    used: usize,
    peak: usize,
    steps_left: i64,
    csteps: u32,
    hook_period: c_int,
    lua: Option<Lua>,
    /// The thread inside the state (`platform::current_thread`), 0 when
    /// none: the assertion that catches two threads in one state.
    owner: AtomicUsize,
}

impl Ctx {
    pub const fn new(limits: Limits) -> Ctx {
        Ctx {
            limits,
            used: 0,
            peak: 0,
            steps_left: 0,
            csteps: 0,
            hook_period: HOOK_PERIOD,
            lua: None,
            owner: AtomicUsize::new(0),
        }
    }

    /// Bytes allocated now.
    pub fn used(&self) -> usize {
        self.used
    }

    /// The most bytes ever allocated at once.
    pub fn peak(&self) -> usize {
        self.peak
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn lua(&self) -> Option<Lua> {
        self.lua
    }

    /// What is left of the current entry's budget.
    pub fn steps_left(&self) -> i64 {
        self.steps_left
    }

    /// Charges the budget every `period` instructions instead of every
    /// HOOK_PERIOD (1 counts instructions exactly, slowly: for measuring).
    pub fn set_hook_period(&mut self, period: c_int) {
        self.hook_period = period.max(1);
        if let Some(lua) = self.lua {
            lua.set_count_hook(hook, self.hook_period);
        }
    }

    /// Creates the Lua state: libraries opened, hook installed.
    ///
    /// # Safety
    /// `this` must stay at the same address, and be used by one thread at a
    /// time, until [`Ctx::close`].
    pub unsafe fn open(this: *mut Ctx) -> Result<Lua, OpenError> {
        // SAFETY: `this` is valid and stays put (contract above).
        let lua =
            unsafe { lua::new_state(alloc, this.cast::<c_void>()) }.ok_or(OpenError::Memory)?;
        lua.set_extra(this.cast::<c_void>());
        lua.set_count_hook(hook, HOOK_PERIOD);
        // SAFETY: as above.
        unsafe { (*this).lua = Some(lua) };
        // SAFETY: `this` is valid (contract); `open_all` takes no argument.
        let st = unsafe { Self::enter(this, |lua| lua.protected(libs::open_all, ptr::null_mut())) };
        lua.set_top(0);
        if st != Status::Ok {
            // SAFETY: the state was made above and is not used again.
            unsafe { Self::close(this) };
            return Err(OpenError::Libraries);
        }
        Ok(lua)
    }

    /// Closes the state and frees all its memory.
    ///
    /// # Safety
    /// As for [`Ctx::open`]; no handle on the state is used afterwards.
    pub unsafe fn close(this: *mut Ctx) {
        // SAFETY: `this` is valid (contract).
        if let Some(lua) = unsafe { (*this).lua.take() } {
            // SAFETY: `lua` is the main thread made by `open`.
            unsafe { lua::close(lua) };
        }
    }

    /// Runs `f` as one entry into Lua: a fresh instruction budget.
    ///
    /// # Safety
    /// `this` is an open state's `Ctx`, used by this thread only (its lock
    /// is held) until `f` returns.
    pub unsafe fn enter<R>(this: *mut Ctx, f: impl FnOnce(Lua) -> R) -> R {
        // SAFETY: per the contract below (the same).
        let budget = unsafe { (*this).limits.instructions };
        // SAFETY: per this function's contract.
        unsafe { Self::enter_with(this, budget, f) }
    }

    /// Runs `f` as one entry into Lua with a budget of `instructions`.
    ///
    /// # Safety
    /// As for [`Ctx::enter`].
    pub unsafe fn enter_with<R>(this: *mut Ctx, instructions: i64, f: impl FnOnce(Lua) -> R) -> R {
        platform::stack_enter();
        let me = platform::current_thread();
        // SAFETY: `this` is valid (contract); `owner` is atomic, so a second
        // thread that broke the contract is seen here, not a torn value.
        if unsafe { (*this).owner.swap(me, Ordering::AcqRel) } != 0 {
            platform::fatal(TWO_THREADS_MSG);
        }
        // SAFETY: per the contract above.
        let lua = unsafe {
            (*this).steps_left = instructions;
            (*this).lua
        };
        let r = match lua {
            Some(lua) => f(lua),
            None => platform::fatal(b"lunatik: entry into a closed state\n"),
        };
        // SAFETY: as above.
        unsafe { (*this).owner.store(0, Ordering::Release) };
        r
    }
}

/// Why a state could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenError {
    Memory,
    Libraries,
}

/// The allocator of every state: refuses to grow past the memory cap.
unsafe extern "C" fn alloc(
    ud: *mut c_void,
    p: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void {
    // SAFETY: `ud` is the state's `Ctx` (set in `Ctx::open`); the state is
    // used by one thread at a time, so this is the only reference.
    let ctx = unsafe { &mut *ud.cast::<Ctx>() };
    // When `p` is null, `osize` is a type tag, not a size.
    let old = if p.is_null() { 0 } else { osize };
    if nsize == 0 {
        if !p.is_null() {
            // SAFETY: `p` came from `platform::realloc`.
            unsafe { platform::free(p) };
            ctx.used -= old;
        }
        return ptr::null_mut();
    }
    if nsize > old && ctx.used - old + nsize > ctx.limits.memory {
        return ptr::null_mut();
    }
    // SAFETY: `p` is null or came from `platform::realloc` with `old` bytes.
    let q = unsafe { platform::realloc(p, old, nsize) };
    if q.is_null() {
        return ptr::null_mut();
    }
    ctx.used = ctx.used - old + nsize;
    if ctx.used > ctx.peak {
        ctx.peak = ctx.used;
    }
    q
}

fn ctx_of(lua: Lua) -> *mut Ctx {
    lua.extra().cast::<Ctx>()
}

const TWO_THREADS_MSG: &[u8] =
    b"lunatik: two threads inside one Lua state (its lock was bypassed); stopping before it corrupts memory\n";

/// Charges `n` steps to the entry's budget; false when it is exhausted.
/// Also asserts that the caller is the thread that entered the state.
fn charge(lua: Lua, n: i64) -> bool {
    // SAFETY: the extra space holds the state's `Ctx`, used by this thread.
    let ctx = unsafe { &mut *ctx_of(lua) };
    if ctx.owner.load(Ordering::Relaxed) != platform::current_thread() {
        platform::fatal(TWO_THREADS_MSG);
    }
    ctx.steps_left -= n;
    ctx.steps_left > 0
}

const BUDGET_MSG: &CStr = c"instruction budget exhausted (see lunatik's max_instructions)";

/// The count hook: charges the budget and gives the CPU away.
unsafe extern "C" fn hook(l: *mut ffi::lua_State, _ar: *mut c_void) {
    // SAFETY: Lua calls the hook with a running thread of the state.
    let lua = unsafe { Lua::from_raw(l) };
    platform::resched();
    // SAFETY: the extra space holds the state's `Ctx`, used by this thread.
    let period = unsafe { (*ctx_of(lua)).hook_period };
    if !charge(lua, i64::from(period)) {
        lua.push_bytes(BUDGET_MSG.to_bytes());
        // SAFETY: raising from a count hook is allowed; nothing is owned here.
        unsafe { ffi::lua_error(l) };
    }
}

/// One step of C-level work (called by the core's string matcher, see
/// lua/patches/03-lstrlib-budget-nofloat.patch).
///
/// # Safety
/// `l` is a running thread of a state made by [`Ctx::open`].
#[no_mangle]
pub unsafe extern "C" fn lunatik_cstep(l: *mut ffi::lua_State) {
    // SAFETY: called by the core with a running thread of the state.
    let lua = unsafe { Lua::from_raw(l) };
    let due = {
        // SAFETY: the extra space holds the state's `Ctx`, used by this
        // thread; the borrow ends before any call into Lua.
        let ctx = unsafe { &mut *ctx_of(lua) };
        ctx.csteps += 1;
        if ctx.csteps >= CSTEP_PERIOD {
            ctx.csteps = 0;
        }
        ctx.csteps == 0
    };
    if !due {
        return;
    }
    platform::resched();
    if !charge(lua, i64::from(CSTEP_PERIOD)) {
        lua.push_bytes(BUDGET_MSG.to_bytes());
        // SAFETY: inside a protected call; nothing is owned here.
        unsafe { ffi::lua_error(l) };
    }
}
