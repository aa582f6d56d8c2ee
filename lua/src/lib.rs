//! The userspace twin of the lunatik-ng kernel Lua engine.
//!
//! The Lua core, `lua/luaconf.h`, the patches and the shared engine
//! (`lua/engine/`: the safe layer, the state with its limits, the
//! libraries) are the kernel module's own files, included here with
//! `#[path]`. Only `platform.rs` is this side's: the allocator (libc),
//! SHA-1 (the `sha1` crate), random bytes (`getrandom`), the log (standard
//! error, or a capture for tests), the stack bound and CPU time.

pub mod platform;

#[path = "../engine/exec.rs"]
pub mod exec;
#[path = "../engine/ffi.rs"]
pub mod ffi;
#[path = "../engine/host.rs"]
pub mod host;
#[path = "../engine/libs/mod.rs"]
pub mod libs;
#[path = "../engine/lua.rs"]
pub mod lua;
#[path = "../engine/vm.rs"]
pub mod vm;

mod engine;
pub mod examples;

pub use engine::{message as engine_message, Engine, EngineError, Reply};
pub use vm::Limits;
