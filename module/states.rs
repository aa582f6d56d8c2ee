// SPDX-License-Identifier: GPL-2.0

//! A Lua state for the kernel: the shared engine's `Ctx` behind a sleeping
//! lock (a kernel `struct mutex`, through `lunatik_kernel.c`, for its
//! bounded wait). The syscall and the nfsd layout hook use states only
//! through this type.

use core::ffi::{c_uint, c_void};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

use crate::state::{Ctx, Limits};

extern "C" {
    fn lunatik_mutex_new() -> *mut c_void;
    fn lunatik_mutex_free(m: *mut c_void);
    fn lunatik_mutex_lock(m: *mut c_void);
    fn lunatik_mutex_lock_within(m: *mut c_void, ms: c_uint) -> bool;
    fn lunatik_mutex_unlock(m: *mut c_void);
}

/// A Lua state with its libraries, limits and lock.
pub struct State {
    lock: NonNull<c_void>,
    ctx: KBox<Ctx>,
}

// SAFETY: the `Ctx` is only reached with the mutex held (through `Guard`),
// and a Lua state is not tied to the thread that made it.
unsafe impl Send for State {}
// SAFETY: as above.
unsafe impl Sync for State {}

/// The state, locked; unlocked when dropped.
pub struct Guard<'a> {
    state: &'a State,
}

impl Guard<'_> {
    /// The state's `Ctx`, for `Ctx::enter` and `exec::exec`.
    pub fn ctx(&self) -> *mut Ctx {
        let p: *const Ctx = &*self.state.ctx;
        p.cast_mut()
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        // SAFETY: this guard holds the mutex.
        unsafe { lunatik_mutex_unlock(self.state.lock.as_ptr()) };
    }
}

impl State {
    pub fn new(limits: Limits) -> Result<KBox<State>> {
        // SAFETY: allocates and initializes a mutex (or returns null).
        let lock = NonNull::new(unsafe { lunatik_mutex_new() }).ok_or(ENOMEM)?;
        let mut ctx = match KBox::new(Ctx::new(limits), GFP_KERNEL) {
            Ok(c) => c,
            Err(e) => {
                // SAFETY: made above, never shared.
                unsafe { lunatik_mutex_free(lock.as_ptr()) };
                return Err(e.into());
            }
        };
        // SAFETY: the box keeps the `Ctx` at one address until `drop`, and
        // nothing else can reach it yet.
        if unsafe { Ctx::open(&mut *ctx) }.is_err() {
            // SAFETY: made above, never shared.
            unsafe { lunatik_mutex_free(lock.as_ptr()) };
            return Err(ENOMEM);
        }
        Ok(KBox::new(State { lock, ctx }, GFP_KERNEL)?)
    }

    /// Bytes the state holds now.
    pub fn memory_used(&self) -> usize {
        let _guard = self.lock();
        self.ctx.used()
    }

    /// Waits for the state's lock.
    pub fn lock(&self) -> Guard<'_> {
        // SAFETY: the mutex lives as long as `self`.
        unsafe { lunatik_mutex_lock(self.lock.as_ptr()) };
        Guard { state: self }
    }

    /// Takes the lock within `ms` milliseconds, or gives up.
    ///
    /// A `Guard` is made only once the lock is held: its `Drop` unlocks, so
    /// one made and dropped on the timeout path (as `bool::then_some`, which
    /// evaluates its argument eagerly, did) would release the lock of the
    /// thread that holds it and let a second thread into the state.
    pub fn lock_within(&self, ms: u32) -> Option<Guard<'_>> {
        // SAFETY: the mutex lives as long as `self`.
        if unsafe { lunatik_mutex_lock_within(self.lock.as_ptr(), ms) } {
            Some(Guard { state: self })
        } else {
            None
        }
    }
}

impl Drop for State {
    fn drop(&mut self) {
        // SAFETY: no guard is alive (they borrow `self`); the state is
        // closed once, then its mutex freed.
        unsafe {
            Ctx::close(&mut *self.ctx);
            lunatik_mutex_free(self.lock.as_ptr());
        }
    }
}

/// The state every syscall runs in and layout policies live in: globals
/// persist from one call to the next.
static DEFAULT: AtomicPtr<State> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes the default state (module init) or withdraws it (exit).
pub fn set_default(state: Option<&State>) {
    let p = state.map_or(core::ptr::null_mut(), |s| core::ptr::from_ref(s).cast_mut());
    DEFAULT.store(p, Ordering::Release);
}

/// The default state, while the module is loaded.
pub fn default_state() -> Option<&'static State> {
    let p = DEFAULT.load(Ordering::Acquire);
    // SAFETY: the module owns the state from `set_default(Some)` until
    // `set_default(None)`; callers (the syscall, nfsd) hold a module
    // reference, so the module and the state outlive their use.
    (!p.is_null()).then(|| unsafe { &*p })
}
