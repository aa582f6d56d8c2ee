//! The userspace twin of the lunatik-ng kernel Lua engine.
//!
//! The Lua core, `lua/luaconf.h`, the patches and the Rust libraries are the
//! kernel module's own files (`module/engine/`), included here with `#[path]`.
//! Only `platform.rs` is this side's: the allocator (libc), SHA-1 (the `sha1`
//! crate), random bytes (`getrandom`), the log (standard error, or a capture
//! for tests) and the stack bound.

pub mod platform;

#[path = "../../module/engine/exec.rs"]
pub mod exec;
#[path = "../../module/engine/ffi.rs"]
pub mod ffi;
#[path = "../../module/engine/libs/mod.rs"]
pub mod libs;
#[path = "../../module/engine/lua.rs"]
pub mod lua;
#[path = "../../module/engine/state.rs"]
pub mod state;

mod engine;
pub mod examples;

pub use engine::{Engine, EngineError, Reply};
pub use state::Limits;
