// SPDX-License-Identifier: GPL-2.0

//! lunatik-ng: Lua 5.4 in the kernel, for scripted pNFS layouts.
//!
//! The engine (`lua/engine/`, the safe layer over the Lua C API, the state
//! with its limits, the libraries) is shared with the userspace twin; this
//! crate adds what only the kernel has: the platform services
//! (`platform.rs` + `lunatik_kernel.c`, declared once in `kernel_c.rs`),
//! states behind sleeping locks (`locked.rs`), the system call entry
//! (`syscall.rs`) and nfsd as the host of the `pnfs` library
//! (`nfsd_host.rs`).

use kernel::prelude::*;

// The ABI's helpers for callers (length, truncated, ...) are userspace's,
// and the crate is userspace's too.
#[allow(dead_code, unreachable_pub)]
#[path = "lua/abi/lib.rs"]
mod abi;
// The shared engine is also the userspace twin's public library, so its
// items are `pub`; in this crate they are private modules.
#[allow(unreachable_pub)]
#[path = "lua/engine/exec.rs"]
mod exec;
#[allow(unreachable_pub)]
#[path = "lua/engine/ffi.rs"]
mod ffi;
#[allow(unreachable_pub)]
#[path = "lua/engine/host.rs"]
mod host;
#[allow(unreachable_pub)]
#[path = "lua/engine/libs/mod.rs"]
mod libs;
#[allow(unreachable_pub)]
#[path = "lua/engine/lua.rs"]
mod lua;
#[allow(unreachable_pub)]
#[path = "lua/engine/vm.rs"]
mod vm;

mod bench;
mod kernel_c;
mod locked;
mod nfsd_host;
mod platform;
mod policy_states;
mod syscall;
mod text;

module! {
    type: LunatikNg,
    name: "lunatik_ng",
    author: "lunatik-ng developers",
    description: "Lua 5.4 engine for scripted pNFS layouts",
    license: "GPL",
}

/// The kernel's SHA-1 transform, freed after every state is closed.
struct Sha1;

impl Sha1 {
    fn new() -> Result<Self> {
        // SAFETY: called once, at module init.
        let ret = unsafe { kernel_c::lunatik_sha1_init() };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Sha1)
    }
}

impl Drop for Sha1 {
    fn drop(&mut self) {
        // SAFETY: `new` succeeded; no state is left to use the transform.
        unsafe { kernel_c::lunatik_sha1_exit() };
    }
}

/// The limits of the default state, from the module parameters.
fn limits() -> vm::Limits {
    let p = kernel_c::params();
    vm::Limits {
        memory: p.max_memory as usize,
        instructions: p.max_instructions.min(i64::MAX as u64) as i64,
        cpu_ms: p.max_call_ms,
    }
}

struct LunatikNg {
    // Dropped in this order: the entry points first (no call can start
    // after they are gone), then the policy states, the default state,
    // SHA-1 last.
    _syscall: syscall::Registration,
    _policy: nfsd_host::Policy,
    _policies: policy_states::Owner,
    _state: DefaultState,
    _sha1: Sha1,
}

/// The default state, published for the syscall and nfsd while it lives.
struct DefaultState(KBox<locked::Locked>);

impl Drop for DefaultState {
    fn drop(&mut self) {
        locked::set_default(None);
    }
}

impl kernel::Module for LunatikNg {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let sha1 = Sha1::new()?;
        let limits = limits();
        if kernel_c::params().bench {
            bench::run(limits)?;
        }
        let vm = vm::Vm::open(limits, &nfsd_host::NFSD).map_err(|_| ENOMEM)?;
        let state = DefaultState(locked::Locked::new(vm)?);
        locked::set_default(Some(&state.0));
        let policy = nfsd_host::Policy::new(module)?;
        let syscall = syscall::Registration::new(module)?;
        pr_info!(
            "lunatik-ng engine loaded (Lua 5.4.9, max_memory={}, max_instructions={}, max_call_ms={})\n",
            limits.memory,
            limits.instructions,
            limits.cpu_ms
        );
        Ok(LunatikNg {
            _syscall: syscall,
            _policy: policy,
            _policies: policy_states::Owner,
            _state: state,
            _sha1: sha1,
        })
    }
}

impl Drop for LunatikNg {
    fn drop(&mut self) {
        pr_info!("lunatik-ng engine unloaded\n");
    }
}
