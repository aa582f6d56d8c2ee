// SPDX-License-Identifier: GPL-2.0

//! A Lua state for the kernel: the shared engine's `Ctx` behind a sleeping
//! lock. The syscall and (later) the nfsd layout hook use states only
//! through this type.

use core::ffi::CStr;

use kernel::prelude::*;
use kernel::sync::{new_mutex, Mutex};

use crate::exec::{self, Report};
use crate::state::{Ctx, Limits};

/// The state itself: closed when dropped.
struct Inner {
    ctx: KBox<Ctx>,
}

// SAFETY: a Lua state is not tied to a thread; it is used by one thread at a
// time, with the mutex of `State` held.
unsafe impl Send for Inner {}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: the state was opened in `State::new` and is not used again.
        unsafe { Ctx::close(&mut *self.ctx) };
    }
}

/// A Lua state with its libraries, limits and lock.
#[pin_data]
pub struct State {
    #[pin]
    inner: Mutex<Inner>,
}

impl State {
    pub fn new(limits: Limits) -> Result<Pin<KBox<State>>> {
        let mut ctx = KBox::new(Ctx::new(limits), GFP_KERNEL)?;
        // SAFETY: the box keeps the `Ctx` at one address until `Inner` is
        // dropped, and nothing else can reach it yet.
        unsafe { Ctx::open(&mut *ctx) }.map_err(|_| ENOMEM)?;
        let inner = Inner { ctx };
        KBox::pin_init(
            pin_init!(State {
                inner <- new_mutex!(inner, "lunatik_state"),
            }),
            GFP_KERNEL,
        )
    }

    /// Runs `code` (see `exec::exec`), waiting for the state's lock.
    pub fn exec(&self, code: &[u8], name: &CStr, out: &mut [u8]) -> Report {
        let mut guard = self.inner.lock();
        // SAFETY: the lock is held: this thread alone uses the state.
        unsafe { exec::exec(&mut *guard.ctx, code, name, out) }
    }
}
