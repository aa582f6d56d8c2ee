//! A lunatik-ng state for userspace: the shared engine's `Vm` behind a
//! mutex, as the kernel module keeps its states behind a sleeping lock.

use std::fmt;
use std::sync::Mutex;

use crate::exec::{self, Outcome, Report};
use crate::host::{Host, NoHost};
use crate::vm::{Failure, Limits, OpenError, Vm};

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

pub struct Engine {
    vm: Mutex<Vm>,
}

impl Engine {
    /// A state with no NFS server behind it.
    pub fn new(limits: Limits) -> std::result::Result<Engine, EngineError> {
        Self::with_host(limits, &NoHost)
    }

    /// A state whose `pnfs` library asks `host`.
    pub fn with_host(
        limits: Limits,
        host: &'static dyn Host,
    ) -> std::result::Result<Engine, EngineError> {
        let vm = Vm::open(limits, host).map_err(|e| match e {
            OpenError::Memory => EngineError::Memory,
            OpenError::Libraries => EngineError::Libraries,
        })?;
        Ok(Engine { vm: Mutex::new(vm) })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vm> {
        self.vm.lock().unwrap_or_else(|p| p.into_inner())
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
    pub fn exec_into(&self, code: &[u8], mut out: &mut [u8]) -> Report {
        let mut vm = self.lock();
        let budget = vm.limits().budget();
        exec::exec(&mut vm, budget, code, c"=lua", &mut out)
    }

    /// Runs `g` with the state locked (for the `pnfs` entry points, which
    /// take a `Vm`).
    pub fn with_vm<R>(&self, g: impl FnOnce(&mut Vm) -> R) -> R {
        g(&mut self.lock())
    }

    /// Runs `g` with the state locked, counting instructions one by one
    /// (for measurements, not for production); returns how many the last
    /// entry ran.
    pub fn count_instructions<R>(&self, g: impl FnOnce(&mut Vm) -> R) -> (R, i64) {
        let mut vm = self.lock();
        let budget = vm.limits().instructions;
        vm.set_hook_period(1);
        let r = g(&mut vm);
        let used = budget - vm.steps_left();
        vm.set_hook_period(crate::vm::HOOK_PERIOD);
        (r, used)
    }

    /// Bytes the state holds now, and at most so far.
    pub fn memory(&self) -> (usize, usize) {
        let vm = self.lock();
        (vm.used(), vm.peak())
    }
}

/// The text of a failed entry.
pub fn message(f: Failure<'_>) -> String {
    String::from_utf8_lossy(f.message).into_owned()
}
