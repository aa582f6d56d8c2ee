// SPDX-License-Identifier: GPL-2.0

//! `crypto`: SHA-1 (the kernel's in the kernel) and random bytes (the kernel
//! RNG in the kernel), both returning buffers.

use core::ffi::c_int;

use crate::libs::buffer;
use crate::lua::{Error, Lua, Result};
use crate::platform;

pub fn open(lua: &mut Lua<'_>) {
    lua.new_table(0, 2);
    lua.set_funcs(&[(c"sha1", sha1), (c"random", random)]);
    lua.set_global(c"crypto");
}

/// `crypto.sha1(x)`: the 20-byte SHA-1 of a buffer or string, as a buffer.
/// Charged one unit per 4 bytes hashed.
fn sha1(lua: &mut Lua<'_>) -> Result<c_int> {
    let units = buffer::arg_bytes(lua, 1, true)?.len() / 4;
    lua.charge(units);
    let mut digest = [0u8; 20];
    if !platform::sha1(buffer::arg_bytes(lua, 1, true)?, &mut digest) {
        return Err(Error::Msg(c"sha1 failed in the kernel crypto API"));
    }
    super::copy_bytes(buffer::push_new(lua, 20), &digest);
    Ok(1)
}

/// `crypto.random(n)`: a buffer of n random bytes.
fn random(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = lua.arg_integer(1)?;
    let n = usize::try_from(n).map_err(|_| Error::Arg(1, c"size must not be negative"))?;
    lua.charge(n / 16);
    platform::random_bytes(buffer::push_new(lua, n));
    Ok(1)
}
