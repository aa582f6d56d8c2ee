//! A layout policy loaded in a userspace twin of the engine: the same Lua
//! core, libraries and answer conversion as nfsd's (libs/pnfs.rs).

use std::path::Path;

use lunatik_lua::exec::Outcome;
use lunatik_lua::libs::pnfs::{self, FileInfo, Layout};
use lunatik_lua::vm::Budget;
use lunatik_lua::{Engine, Limits};

use crate::host::SIM;

/// The kernel module's defaults (docs/lua-api.md, "Limits").
pub const LIMITS: Limits = Limits {
    memory: 8 << 20,
    instructions: 1_000_000,
    cpu_ms: 10_000,
};

/// What loading a policy may spend: the kernel's SYS_lua defaults
/// (`max_instructions`, `max_call_ms`), since `pnfs.load` runs in a call.
pub const LOAD_BUDGET: Budget = Budget {
    instructions: 10_000_000,
    cpu_ms: 5000,
};

pub struct Policy {
    engine: Engine,
}

/// One decision: the 1-based servers in stripe order and the stripe unit,
/// after the checks nfsd makes (None: nfsd would use its built-in layout).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub stripe_unit: u32,
    pub first: u32,
    pub servers: Vec<u32>,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, String> {
        Self::load_with(path, None)
    }

    /// Loads a policy file, first setting the global `weights` (one per
    /// server) when given in the policy's state, as `weights = {...}` at the
    /// top of the source (or `pnfs.eval`) would in the kernel's.
    pub fn load_with(path: &Path, weights: Option<&[u64]>) -> Result<Policy, String> {
        let code =
            std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Self::from_source_with(&code, weights).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn from_source_with(code: &[u8], weights: Option<&[u64]>) -> Result<Policy, String> {
        let engine = Engine::with_host(LIMITS, &SIM).map_err(|e| e.to_string())?;
        if let Some(w) = weights {
            let list: Vec<String> = w.iter().map(u64::to_string).collect();
            let r = engine.exec(format!("weights = {{{}}}", list.join(",")).as_bytes());
            if r.outcome == Outcome::Failed {
                return Err(r.text());
            }
        }
        engine.with_vm(|vm| {
            pnfs::load_state(vm, LOAD_BUDGET, code, 1)
                .map_err(|e| String::from_utf8_lossy(e.message()).into_owned())
        })?;
        Ok(Policy { engine })
    }

    /// Lua instructions of one decision, counted one by one.
    pub fn instructions(&self, file: &FileInfo<'_>) -> i64 {
        let mut out = Layout::new();
        let (_, n) = self.engine.count_instructions(|vm| {
            let _ = pnfs::decide(vm, LIMITS.budget(), file, &mut out);
        });
        n
    }

    /// Runs the layout function; Err(message) for a Lua error.
    pub fn answer(&self, file: &FileInfo<'_>) -> Result<Layout, String> {
        let mut out = Layout::new();
        self.engine.with_vm(|vm| {
            pnfs::decide(vm, LIMITS.budget(), file, &mut out)
                .map(|()| out)
                .map_err(lunatik_lua::engine_message)
        })
    }

    /// What nfsd would hand out for `file` (None: its built-in layout).
    pub fn decide(&self, file: &FileInfo<'_>) -> Result<Option<Decision>, String> {
        let a = self.answer(file)?;
        Ok(valid(&a, file.servers).then(|| Decision {
            stripe_unit: a.stripe_unit,
            first: a.first_stripe_index + 1,
            servers: a.servers().iter().map(|s| s + 1).collect(),
        }))
    }
}

/// nfsd's checks of an answer (fs/nfsd/filelayout.c,
/// nfsd4_file_layout_valid), with 4 KiB pages.
pub fn valid(a: &Layout, ds_count: u32) -> bool {
    if a.stripe_unit == 0 || !a.stripe_unit.is_multiple_of(4096) || a.stripe_unit > 1 << 30 {
        return false;
    }
    if a.count == 0 || a.count > ds_count || a.count as usize > pnfs::MAX_DS {
        return false;
    }
    if a.first_stripe_index >= a.count {
        return false;
    }
    if a.servers().iter().any(|&d| d >= ds_count) {
        return false;
    }
    // nfsd uses a 64-bit mask (its list has at most 64 servers); the
    // simulator may model more, and then checks distinctness by sorting.
    if ds_count <= 64 {
        let mut mask = 0u64;
        for &d in a.servers() {
            if mask & (1 << d) != 0 {
                return false;
            }
            mask |= 1 << d;
        }
        return true;
    }
    let mut seen: Vec<u32> = a.servers().to_vec();
    seen.sort_unstable();
    seen.windows(2).all(|w| w[0] != w[1])
}
