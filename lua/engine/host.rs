// SPDX-License-Identifier: GPL-2.0

//! What a state may ask of the NFS server it decides layouts for: the seam
//! between the `pnfs` Lua library (shared) and nfsd. The kernel module
//! implements it over nfsd's policy API (module/nfsd_host.rs); the
//! simulator over its own model (layouts/src/host.rs); a state with no
//! server behind it uses [`NoHost`].

use core::ffi::CStr;

/// The counters shown by `pnfs.stats()` and the module's `pnfs_stats` file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub decisions: u64,
    pub errors: u64,
    pub fallbacks: u64,
    pub median_ns: u64,
    pub max_ns: u64,
    /// The longest an nfsd thread waited for a Lua state.
    pub max_wait_ns: u64,
    pub nfsd_policy: u64,
    pub nfsd_builtin: u64,
    pub nfsd_failed: u64,
    pub nfsd_rejected: u64,
    /// Answers nfsd could not make a device for (built-in layout used).
    pub nfsd_device_fallback: u64,
    /// Layouts nfsd recalled after a policy or data-server change.
    pub nfsd_recalls: u64,
    /// Devices (data-server orders) alive in nfsd now.
    pub nfsd_devices: u64,
}

/// What the server says of the loaded layout policy (`pnfs.stats().policy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyInfo {
    /// The policy's name, `name_len` bytes.
    pub name: [u8; 64],
    pub name_len: usize,
    /// The SHA-1 of its source.
    pub sha1: [u8; 20],
    /// The states it was loaded into.
    pub states: u32,
    /// Bytes those states hold together.
    pub memory: u64,
    /// When it was loaded (seconds since the epoch).
    pub loaded: u64,
}

impl PolicyInfo {
    pub fn name(&self) -> &[u8] {
        &self.name[..self.name_len.min(self.name.len())]
    }
}

/// The server behind a state's `pnfs` library. Errors are messages for the
/// Lua caller.
pub trait Host: Sync {
    /// `pnfs.register` (true) / `pnfs.unregister` (false): whether the
    /// server asks this state's layout function from now on.
    fn set_policy(&self, active: bool) -> Result<(), &'static CStr>;
    /// `pnfs.set_dataservers`: "addr[:port],..." (no NUL inside). On a
    /// refusal, why (naming the entry) is put in `err`: its length.
    fn set_dataservers(&self, list: &CStr, err: &mut [u8]) -> Result<(), usize>;
    /// `pnfs.dataservers`: the list as "addr:port,..." into `out`; its length.
    fn dataservers(&self, out: &mut [u8]) -> usize;
    /// `pnfs.stats`.
    fn stats(&self) -> Stats;
    /// `pnfs.load(source, {name =, export =})`: builds the server's policy
    /// states from `source` and swaps them in (for `export`, a path, or for
    /// every export when empty) when every one loaded it; on a failure the
    /// running policy stays and the message is written into `err` (its
    /// length returned).
    fn load_policy(
        &self,
        _source: &[u8],
        _name: &[u8],
        _export: &[u8],
        err: &mut [u8],
    ) -> Result<(), usize> {
        Err(crate::libs::copy_bytes(
            err,
            b"no NFS server here: pnfs.load builds the kernel's policy states",
        ))
    }
    /// `pnfs.unload([export])`: the policy of `export` (`Some(b"")`: the
    /// one for every export), or all of them, unloaded.
    fn unload_policy(&self, _export: Option<&[u8]>) -> Result<(), &'static CStr> {
        Err(c"no NFS server here: nothing to unload")
    }
    /// `pnfs.eval(code)`: runs `code` in every policy state; their results
    /// (or errors), one line each, go into `out`; the length written.
    fn policy_eval(&self, _code: &[u8], _out: &mut [u8]) -> Result<usize, &'static CStr> {
        Err(c"no NFS server here: no policy states")
    }
    /// The loaded policy, if any.
    fn policy_info(&self) -> Option<PolicyInfo> {
        None
    }
}

/// A state with no NFS server behind it: `pnfs.register` keeps the function
/// in the state (so a decision can be asked of it), the rest is refused.
pub struct NoHost;

impl Host for NoHost {
    fn set_policy(&self, _active: bool) -> Result<(), &'static CStr> {
        Ok(())
    }

    fn set_dataservers(&self, _list: &CStr, err: &mut [u8]) -> Result<(), usize> {
        Err(crate::libs::copy_bytes(
            err,
            b"no NFS server here: the data-server list lives in nfsd",
        ))
    }

    fn dataservers(&self, _out: &mut [u8]) -> usize {
        0
    }

    fn stats(&self) -> Stats {
        Stats::default()
    }
}
