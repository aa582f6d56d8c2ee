// SPDX-License-Identifier: GPL-2.0

//! The libraries of a lunatik-ng state: Lua's base, coroutine, table, string
//! and utf8 libraries from the core, and ours (docs/lua-api.md).

use crate::ffi;
use crate::lua::Lua;

pub mod base;
pub mod buffer;
pub mod crypto;
pub mod math;
pub mod pnfs;

/// Opens every library into a new state (run by `Vm::open`, protected).
pub fn open_all(lua: &mut Lua<'_>) {
    lua.open_stdlib(c"_G", ffi::luaopen_base);
    lua.open_stdlib(c"coroutine", ffi::luaopen_coroutine);
    lua.open_stdlib(c"table", ffi::luaopen_table);
    lua.open_stdlib(c"string", ffi::luaopen_string);
    lua.open_stdlib(c"utf8", ffi::luaopen_utf8);
    base::open(lua);
    math::open(lua);
    buffer::open(lua);
    crypto::open(lua);
    pnfs::open(lua);
}

/// Copies as many bytes as both slices hold and returns how many.
///
/// Unlike `copy_from_slice` this has no panic path for unequal lengths (the
/// 6.12 objtool does not know that panic as `noreturn` and warns); every
/// caller passes equal lengths or wants the prefix that fits.
pub fn copy_bytes(dst: &mut [u8], src: &[u8]) -> usize {
    let n = dst.len().min(src.len());
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
    }
    n
}

/// Writes the lowercase hexadecimal of `bytes` into `out` (two digits a
/// byte, as many bytes as `out` has room for).
pub fn hex_into(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 15)];
    }
}
