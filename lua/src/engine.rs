//! A lunatik-ng state for userspace: the shared engine behind a mutex, as the
//! kernel module keeps its states behind a sleeping lock.

use std::fmt;
use std::sync::Mutex;

use crate::exec::{self, Outcome, Report};
use crate::lua::Lua;
use crate::state::{Ctx, Limits, OpenError};

/// What running a chunk gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub outcome: Outcome,
    pub text: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.text).into_owned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineError {
    /// The state could not be made within its memory cap.
    Memory,
    /// The libraries could not be opened.
    Libraries,
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Memory => write!(f, "not enough memory for a new Lua state"),
            EngineError::Libraries => write!(f, "the Lua libraries could not be opened"),
        }
    }
}

impl std::error::Error for EngineError {}

struct Guarded(Box<Ctx>);

// SAFETY: the state is only touched with the mutex held.
unsafe impl Send for Guarded {}

pub struct Engine {
    inner: Mutex<Guarded>,
}

impl Engine {
    pub fn new(limits: Limits) -> Result<Engine, EngineError> {
        let mut ctx = Box::new(Ctx::new(limits));
        // SAFETY: the box keeps the `Ctx` at one address until `Drop`, and
        // the mutex serializes its users.
        unsafe { Ctx::open(&mut *ctx) }.map_err(|e| match e {
            OpenError::Memory => EngineError::Memory,
            OpenError::Libraries => EngineError::Libraries,
        })?;
        Ok(Engine {
            inner: Mutex::new(Guarded(ctx)),
        })
    }

    /// Runs `code`; the text is its results joined by tabs, or the error.
    pub fn exec(&self, code: &[u8]) -> Reply {
        let mut out = vec![0u8; 4096];
        loop {
            let report = self.exec_into(code, &mut out);
            if !report.truncated(out.len()) || out.len() > 64 << 20 {
                let n = report.len.min(out.len().saturating_sub(1));
                out.truncate(n);
                return Reply {
                    outcome: report.outcome,
                    text: out,
                };
            }
            // Run again with room for the whole text (tests only).
            out = vec![0u8; report.len + 1];
        }
    }

    /// Runs `code` with results into `out`, as the syscall does.
    pub fn exec_into(&self, code: &[u8], out: &mut [u8]) -> Report {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the mutex is held: this thread alone uses the state.
        unsafe { exec::exec(&mut *g.0, code, c"=lua", out) }
    }

    /// Runs `f` as one entry into the state (fresh instruction budget).
    pub fn with_lua<R>(&self, f: impl FnOnce(Lua) -> R) -> R {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the mutex is held: this thread alone uses the state.
        unsafe { Ctx::enter(&mut *g.0, f) }
    }

    /// Runs `f` as one entry and returns how many instructions it ran
    /// (counted one by one: for measurements, not for production).
    pub fn count_instructions<R>(&self, f: impl FnOnce(Lua) -> R) -> (R, i64) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let budget = g.0.limits().instructions;
        g.0.set_hook_period(1);
        // SAFETY: the mutex is held: this thread alone uses the state.
        let r = unsafe { Ctx::enter(&mut *g.0, f) };
        let used = budget - g.0.steps_left();
        g.0.set_hook_period(crate::state::HOOK_PERIOD);
        (r, used)
    }

    /// Bytes the state holds now, and at most so far.
    pub fn memory(&self) -> (usize, usize) {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (g.0.used(), g.0.peak())
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let g = self.inner.get_mut().unwrap_or_else(|p| p.into_inner());
        // SAFETY: the state is not used after this.
        unsafe { Ctx::close(&mut *g.0) };
    }
}
