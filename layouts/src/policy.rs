//! A layout policy loaded in a userspace twin of the engine: the same Lua
//! core, libraries and answer conversion as nfsd's (libs/pnfs.rs).

use std::path::Path;

use lunatik_lua::exec::Outcome;
use lunatik_lua::libs::pnfs::{self, FileInfo, Layout};
use lunatik_lua::vm::Budget;
use lunatik_lua::{Engine, Limits};

use crate::host::SIM;

/// The kernel module's defaults for a decision (docs/lua-api.md,
/// "Limits"; module/lunatik_kernel.c): `max_memory` and
/// `max_policy_instructions`. The CPU time is not `max_policy_ms` (20 ms):
/// it depends on the machine, so the twin bounds decisions by their work
/// and leaves time as a backstop.
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

    /// Runs the layout function counting its instructions (and units of
    /// C-level work) one by one: the answer, and what the decision spent
    /// of its budget (all of it when the budget ran out).
    pub fn answer_counted(&self, file: &FileInfo<'_>) -> (Result<Layout, String>, i64) {
        let mut out = Layout::new();
        self.engine.count_instructions(|vm| {
            pnfs::decide(vm, LIMITS.budget(), file, &mut out)
                .map(|()| out)
                .map_err(lunatik_lua::engine_message)
        })
    }

    /// Bytes the policy's state holds now, and at most so far (loading
    /// included): what the kernel's `max_memory` caps.
    pub fn memory(&self) -> (usize, usize) {
        self.engine.memory()
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
        Ok(valid(&a, file.servers).then(|| Decision::of(&a)))
    }
}

impl Decision {
    /// An answer nfsd accepted, in the policy's (1-based) numbers.
    pub fn of(a: &Layout) -> Decision {
        Decision {
            stripe_unit: a.stripe_unit,
            first: a.first_stripe_index + 1,
            servers: a.servers().iter().map(|s| s + 1).collect(),
        }
    }
}

/// Why nfsd would reject an answer: its checks (fs/nfsd/filelayout.c,
/// nfsd4_file_layout_valid, in its order), with 4 KiB pages. Server numbers
/// are the policy's (1-based); `PAGE_SIZE` and `MAX_STRIPE_UNIT` are nfsd's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// stripe_unit 0, not a multiple of the page size, or above 1 GiB.
    StripeUnit(u32),
    /// An empty `servers` list.
    NoServers,
    /// More servers named than there are data servers.
    TooMany { count: u32, ds_count: u32 },
    /// More servers named than nfsd takes (NFSD_PNFS_MAX_DS).
    OverMax { count: u32 },
    /// `first` past the end of `servers`.
    First { first: u32, count: u32 },
    /// A server number outside 1..=ds_count (`None`: below 1, or beyond
    /// 32 bits).
    Server { server: Option<u32>, ds_count: u32 },
    /// A server named twice.
    Repeated(u32),
}

/// nfsd's page size, which stripe units must be a multiple of.
pub const PAGE_SIZE: u32 = 4096;
/// nfsd's largest stripe unit (NFSD_FILE_MAX_STRIPE_UNIT).
pub const MAX_STRIPE_UNIT: u32 = 1 << 30;

impl std::fmt::Display for Rejection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Rejection::StripeUnit(0) => write!(f, "stripe_unit 0"),
            Rejection::StripeUnit(su) if su > MAX_STRIPE_UNIT => {
                write!(f, "stripe_unit {su} > 1 GiB")
            }
            Rejection::StripeUnit(su) => {
                write!(f, "stripe_unit {su} is not a multiple of {PAGE_SIZE}")
            }
            Rejection::NoServers => write!(f, "no servers"),
            Rejection::TooMany { count, ds_count } => {
                write!(f, "{count} servers named, > {}", data_servers(ds_count))
            }
            Rejection::OverMax { count } => write!(
                f,
                "{} servers named, > nfsd's {}",
                if count as usize > pnfs::MAX_DS {
                    "more than 64".to_string()
                } else {
                    count.to_string()
                },
                pnfs::MAX_DS
            ),
            Rejection::First { first, count } => {
                write!(f, "first {first} > {count} servers named")
            }
            Rejection::Server {
                server: Some(s),
                ds_count,
            } => write!(f, "server {s} > {}", data_servers(ds_count)),
            Rejection::Server { server: None, .. } => {
                write!(f, "a server number below 1 (or above 2^32)")
            }
            Rejection::Repeated(s) => write!(f, "server {s} named twice"),
        }
    }
}

/// "1 data server", "4 data servers".
pub fn data_servers(n: u32) -> String {
    format!("{n} data server{}", if n == 1 { "" } else { "s" })
}

/// nfsd's checks of an answer given `ds_count` data servers: Ok when nfsd
/// hands it out, else the first rule it breaks.
pub fn check(a: &Layout, ds_count: u32) -> Result<(), Rejection> {
    if a.stripe_unit == 0
        || !a.stripe_unit.is_multiple_of(PAGE_SIZE)
        || a.stripe_unit > MAX_STRIPE_UNIT
    {
        return Err(Rejection::StripeUnit(a.stripe_unit));
    }
    if a.count == 0 {
        return Err(Rejection::NoServers);
    }
    if a.count > ds_count {
        return Err(Rejection::TooMany {
            count: a.count,
            ds_count,
        });
    }
    if a.count as usize > pnfs::MAX_DS {
        return Err(Rejection::OverMax { count: a.count });
    }
    if a.first_stripe_index >= a.count {
        return Err(Rejection::First {
            first: a.first_stripe_index.saturating_add(1),
            count: a.count,
        });
    }
    if let Some(&d) = a.servers().iter().find(|&&d| d >= ds_count) {
        // the answer conversion keeps 0 and out-of-range numbers as u32::MAX
        return Err(Rejection::Server {
            server: d.checked_add(1),
            ds_count,
        });
    }
    // nfsd uses a 64-bit mask (its list has at most 64 servers); the
    // simulator may model more, and then checks distinctness by sorting.
    if ds_count <= 64 {
        let mut mask = 0u64;
        for &d in a.servers() {
            if mask & (1 << d) != 0 {
                return Err(Rejection::Repeated(d + 1));
            }
            mask |= 1 << d;
        }
        return Ok(());
    }
    let mut seen: Vec<u32> = a.servers().to_vec();
    seen.sort_unstable();
    match seen.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(Rejection::Repeated(w[0] + 1)),
        None => Ok(()),
    }
}

/// Whether nfsd hands out the answer (see [`check`]).
pub fn valid(a: &Layout, ds_count: u32) -> bool {
    check(a, ds_count).is_ok()
}
