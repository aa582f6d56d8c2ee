//! The simulator as the NFS server behind a policy's state: the userspace
//! side of the engine's nfsd seam (`lunatik_lua::host`; the kernel's is
//! module/nfsd_host.rs). A registered layout function stays in the state,
//! where the simulator asks it; the data-server list is the simulator's
//! own (`--servers`), so setting it from a policy is refused.

use std::ffi::CStr;

use lunatik_lua::host::{Host, Stats};

pub struct Sim;

/// The host of every state layout-sim makes.
pub static SIM: Sim = Sim;

impl Host for Sim {
    fn set_policy(&self, _active: bool) -> Result<(), &'static CStr> {
        Ok(())
    }

    fn set_dataservers(&self, _list: &CStr, err: &mut [u8]) -> Result<(), usize> {
        Err(lunatik_lua::libs::copy_bytes(
            err,
            b"layout-sim takes its data servers from --servers, not from the policy",
        ))
    }

    fn dataservers(&self, _out: &mut [u8]) -> usize {
        0
    }

    fn stats(&self) -> Stats {
        Stats::default()
    }
}
