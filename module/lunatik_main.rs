// SPDX-License-Identifier: GPL-2.0

//! lunatik-ng: Lua 5.4 in the kernel, for scripted pNFS layouts.
//!
//! The engine (`engine/`) is shared with the userspace twin (`lua/`); this
//! crate adds the kernel platform (`platform.rs` + `lunatik_kernel.c`), the
//! locked states (`states.rs`) and the system call entry (`syscall.rs`).

use kernel::prelude::*;

// The engine is shared with the userspace twin, which uses parts of its API
// that the kernel does not (and the reverse).
#[allow(dead_code, unreachable_pub)]
#[path = "engine/exec.rs"]
mod exec;
#[allow(dead_code, unreachable_pub)]
#[path = "engine/ffi.rs"]
mod ffi;
#[allow(dead_code, unreachable_pub)]
#[path = "engine/libs/mod.rs"]
mod libs;
#[allow(dead_code, unreachable_pub)]
#[path = "engine/lua.rs"]
mod lua;
mod bench;
mod platform;
mod pnfs;
#[allow(dead_code, unreachable_pub)]
#[path = "engine/state.rs"]
mod state;
mod states;
mod syscall;

module! {
    type: Lunatik,
    name: "lunatik",
    author: "lunatik-ng developers",
    description: "Lua 5.4 engine for scripted pNFS layouts",
    license: "GPL",
}

extern "C" {
    static lunatik_max_memory: core::ffi::c_ulong;
    static lunatik_max_instructions: core::ffi::c_ulong;
    static lunatik_bench: bool;
    fn lunatik_sha1_init() -> core::ffi::c_int;
    fn lunatik_sha1_exit();
}

/// The kernel's SHA-1 transform, freed after every state is closed.
struct Sha1;

impl Sha1 {
    fn new() -> Result<Self> {
        // SAFETY: called once, at module init.
        let ret = unsafe { lunatik_sha1_init() };
        if ret != 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(Sha1)
    }
}

impl Drop for Sha1 {
    fn drop(&mut self) {
        // SAFETY: `new` succeeded; no state is left to use the transform.
        unsafe { lunatik_sha1_exit() };
    }
}

/// The limits of new states, from the module parameters.
fn limits() -> state::Limits {
    // SAFETY: module parameters are read-only (0444) after load.
    let (memory, instructions) = unsafe { (lunatik_max_memory, lunatik_max_instructions) };
    state::Limits {
        memory: memory as usize,
        instructions: instructions.min(i64::MAX as u64) as i64,
    }
}

struct Lunatik {
    // Dropped in this order: the entry points first (no call can start
    // after they are gone), then the state, SHA-1 last.
    _syscall: syscall::Registration,
    _policy: pnfs::Policy,
    _state: DefaultState,
    _sha1: Sha1,
}

/// The default state, published for the syscall and nfsd while it lives.
struct DefaultState(KBox<states::State>);

impl Drop for DefaultState {
    fn drop(&mut self) {
        states::set_default(None);
    }
}

impl kernel::Module for Lunatik {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let sha1 = Sha1::new()?;
        let limits = limits();
        // SAFETY: a read-only module parameter.
        if unsafe { lunatik_bench } {
            bench::run(limits)?;
        }
        let state = DefaultState(states::State::new(limits)?);
        states::set_default(Some(&state.0));
        let policy = pnfs::Policy::new(module)?;
        let syscall = syscall::Registration::new(module)?;
        pr_info!(
            "lunatik-ng engine loaded (Lua 5.4.9, max_memory={}, max_instructions={})\n",
            limits.memory,
            limits.instructions
        );
        Ok(Lunatik {
            _syscall: syscall,
            _policy: policy,
            _state: state,
            _sha1: sha1,
        })
    }
}

impl Drop for Lunatik {
    fn drop(&mut self) {
        pr_info!("lunatik-ng engine unloaded\n");
    }
}
