// SPDX-License-Identifier: GPL-2.0

//! A Lua state behind a sleeping lock, and the default state that SYS_lua
//! runs in.
//!
//! The lock is a semaphore (through `lunatik_kernel.c`): waiters queue in
//! order, an nfsd thread waits a bounded time, a SYS_lua caller waits until
//! it gets the state or a fatal signal. The [`Vm`] sits in an `UnsafeCell`;
//! only a [`Guard`], made once the semaphore is held, reaches it, as `&mut`.

use core::cell::UnsafeCell;
use core::ops::{Deref, DerefMut};
use core::ptr::NonNull;
use core::sync::atomic::{AtomicPtr, Ordering};

use kernel::prelude::*;

use crate::kernel_c::{self as c, Semaphore};
use crate::vm::Vm;

/// A semaphore of `lunatik_kernel.c`, owned: freed when dropped.
struct Sem(NonNull<Semaphore>);

// SAFETY: a kernel semaphore is made to be taken and given back from any
// thread; `Sem` only does that and frees it once, when dropped.
unsafe impl Send for Sem {}
// SAFETY: as above.
unsafe impl Sync for Sem {}

impl Sem {
    fn new(count: u32) -> Result<Sem> {
        // SAFETY: allocates and initializes a semaphore (or returns null).
        NonNull::new(unsafe { c::lunatik_sem_new(count) })
            .map(Sem)
            .ok_or(ENOMEM)
    }

    /// Takes one within `ms` milliseconds (true), or gives up.
    fn down_within(&self, ms: u32) -> bool {
        // SAFETY: the semaphore lives as long as `self`.
        unsafe { c::lunatik_sem_down_within(self.0.as_ptr(), ms) }
    }

    /// Waits for one; `EINTR` when a fatal signal comes first.
    fn down_killable(&self) -> Result {
        // SAFETY: the semaphore lives as long as `self`.
        match unsafe { c::lunatik_sem_down_killable(self.0.as_ptr()) } {
            0 => Ok(()),
            _ => Err(EINTR),
        }
    }

    /// Gives back one taken by `down_within` or `down_killable`.
    fn up(&self) {
        // SAFETY: the semaphore lives as long as `self`; the callers (the
        // guards' `Drop`) give back only what they took.
        unsafe { c::lunatik_sem_up(self.0.as_ptr()) };
    }
}

impl Drop for Sem {
    fn drop(&mut self) {
        // SAFETY: made by `new`, freed once; no one holds it (the guards
        // borrow its owner).
        unsafe { c::lunatik_sem_free(self.0.as_ptr()) };
    }
}

/// A [`Vm`] and its lock.
pub(crate) struct Locked {
    sem: Sem,
    vm: UnsafeCell<Vm>,
}

// SAFETY: the `Vm` is reached only through a `Guard`, which exists only
// while the semaphore (count 1) is held: one thread at a time. A `Vm` may
// be used from any thread (it is `Send`).
unsafe impl Send for Locked {}
// SAFETY: as above.
unsafe impl Sync for Locked {}

/// The state, locked; unlocked when dropped.
pub(crate) struct Guard<'a> {
    locked: &'a Locked,
}

impl Deref for Guard<'_> {
    type Target = Vm;

    fn deref(&self) -> &Vm {
        // SAFETY: this guard holds the semaphore: no other reference to the
        // `Vm` exists.
        unsafe { &*self.locked.vm.get() }
    }
}

impl DerefMut for Guard<'_> {
    fn deref_mut(&mut self) -> &mut Vm {
        // SAFETY: as in `deref`, and `&mut self` makes this one unique.
        unsafe { &mut *self.locked.vm.get() }
    }
}

impl Drop for Guard<'_> {
    fn drop(&mut self) {
        self.locked.sem.up();
    }
}

impl Locked {
    pub(crate) fn new(vm: Vm) -> Result<KBox<Locked>> {
        let sem = Sem::new(1)?;
        let locked = Locked {
            sem,
            vm: UnsafeCell::new(vm),
        };
        Ok(KBox::new(locked, GFP_KERNEL)?)
    }

    /// Waits for the state; `EINTR` when a fatal signal comes first.
    pub(crate) fn lock_killable(&self) -> Result<Guard<'_>> {
        self.sem.down_killable()?;
        Ok(Guard { locked: self })
    }

    /// Takes the state within `ms` milliseconds, or gives up.
    ///
    /// A `Guard` is made only once the semaphore is held: its `Drop`
    /// releases it, so one made on the timeout path would release the
    /// holder's (issue 11: `bool::then_some` made one eagerly).
    pub(crate) fn lock_within(&self, ms: u32) -> Option<Guard<'_>> {
        if self.sem.down_within(ms) {
            Some(Guard { locked: self })
        } else {
            None
        }
    }
}

/// `n` seats, taken in arrival order: a policy set has one per state, and
/// a decision takes a seat before a state, so that it waits for whichever
/// state frees first rather than for one (whose holder may be off its CPU
/// for long: 478 ms once on the debug kernel, while the others were free).
pub(crate) struct Seats(Sem);

/// A seat, given back when dropped.
pub(crate) struct Seat<'a> {
    seats: &'a Seats,
}

impl Drop for Seat<'_> {
    fn drop(&mut self) {
        self.seats.0.up();
    }
}

impl Seats {
    pub(crate) fn new(n: u32) -> Result<Seats> {
        Ok(Seats(Sem::new(n)?))
    }

    /// Takes a seat within `ms` milliseconds, or gives up.
    pub(crate) fn take_within(&self, ms: u32) -> Option<Seat<'_>> {
        if self.0.down_within(ms) {
            Some(Seat { seats: self })
        } else {
            None
        }
    }

    /// Waits for a seat; `EINTR` when a fatal signal comes first.
    pub(crate) fn take_killable(&self) -> Result<Seat<'_>> {
        self.0.down_killable()?;
        Ok(Seat { seats: self })
    }
}

/// The state every SYS_lua call runs in: globals persist from one call to
/// the next.
static DEFAULT: AtomicPtr<Locked> = AtomicPtr::new(core::ptr::null_mut());

/// Publishes the default state (module init) or withdraws it (exit).
pub(crate) fn set_default(state: Option<&Locked>) {
    let p = state.map_or(core::ptr::null_mut(), |s| core::ptr::from_ref(s).cast_mut());
    DEFAULT.store(p, Ordering::Release);
}

/// The default state, while the module is loaded.
pub(crate) fn default_state() -> Option<&'static Locked> {
    let p = DEFAULT.load(Ordering::Acquire);
    // SAFETY: the module owns the state from `set_default(Some)` until
    // `set_default(None)`, which happens after the syscall and nfsd entry
    // points are unregistered (they wait for their callers, which pin the
    // module): every caller's use ends before the state is freed.
    (!p.is_null()).then(|| unsafe { &*p })
}
