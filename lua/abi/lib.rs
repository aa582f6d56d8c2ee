// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note

//! The ABI of the lua system call (docs/syscall.md): the one definition of
//! its constants in Rust, used by the kernel module (included with
//! `#[path]`), the `lunatik-ng` CLI and the guest tests. A host test checks
//! them against the uapi header of the kernel patch
//! (`include/uapi/linux/lunatik.h` in nfsd-patches/).
//!
//! ```text
//! long syscall(SYS_lua, const char *code, size_t code_sz,
//!              char *result, size_t result_sz);
//! ```

/// The system call number on x86_64 (`__NR_lua`).
pub const SYS_LUA: i64 = 350;
/// Set in a non-negative return value when the code raised a Lua error
/// (the result text is then the error message).
pub const LUA_ERROR: i64 = 1 << 62;
/// The largest `code_sz` accepted (larger gives `E2BIG`).
pub const CODE_MAX: usize = 1 << 20;
/// At most this much of the result (with its NUL) is written: the result
/// buffer's capacity is `min(result_sz, RESULT_MAX)`.
pub const RESULT_MAX: usize = 1 << 20;

/// The length of the whole result text, from a non-negative return value.
pub const fn length(ret: i64) -> usize {
    (ret & (LUA_ERROR - 1)) as usize
}

/// Whether the code raised a Lua error, from a non-negative return value.
pub const fn is_lua_error(ret: i64) -> bool {
    ret & LUA_ERROR != 0
}

/// The bytes of the result buffer that are written: its capacity.
pub const fn capacity(result_sz: usize) -> usize {
    if result_sz < RESULT_MAX {
        result_sz
    } else {
        RESULT_MAX
    }
}

/// Whether the text was cut: its length reaches the capacity (which holds
/// at most `capacity - 1` bytes and a NUL).
pub const fn truncated(ret: i64, result_sz: usize) -> bool {
    length(ret) >= capacity(result_sz)
}
