// SPDX-License-Identifier: GPL-2.0

//! `buffer`: fixed-size byte arrays in Lua userdata, indexed 1-based
//! (`buf[1]` .. `buf[#buf]`) with values 0..255, as lunatik-ng's README has
//! them. The bytes live inside the userdata, so Rust allocates nothing.
//! Functions that touch every byte charge one unit per 16 bytes.

use core::ffi::{c_int, CStr};

use crate::lua::{Error, Integer, Lua, RegistryKey, Result, Type};

/// The registry name of the buffer metatable.
pub const TNAME: &CStr = c"buffer";
/// The registry key of the methods table (made once: looking a method up
/// allocates nothing, and the key is an address, not a string).
static METHODS: RegistryKey = RegistryKey::new();

pub fn open(lua: &mut Lua<'_>) {
    lua.new_metatable(TNAME);
    lua.set_funcs(&[
        (c"__index", index),
        (c"__newindex", newindex),
        (c"__len", len),
        (c"__eq", eq),
        (c"__tostring", hex),
    ]);
    lua.pop(1);
    lua.new_table(0, 4);
    lua.set_funcs(&[
        (c"string", to_string),
        (c"hex", hex),
        (c"sub", sub),
        (c"uint", uint),
    ]);
    lua.set_registry_key(&METHODS);
    lua.new_table(0, 2);
    lua.set_funcs(&[(c"new", new)]);
    lua.set_global(c"buffer");
}

/// Gives the userdata on top the buffer metatable.
fn make_buffer(lua: &mut Lua<'_>) {
    lua.new_metatable(TNAME);
    lua.set_metatable(-2);
}

/// Pushes a new buffer of `len` zeroed bytes and returns them.
pub fn push_new<'a>(lua: &'a mut Lua<'_>, len: usize) -> &'a mut [u8] {
    lua.charge(len / 16);
    lua.new_userdata(len);
    make_buffer(lua);
    match lua.buffer_bytes_mut(-1) {
        Some(b) => b,
        None => &mut [],
    }
}

/// The bytes of argument `idx`: a buffer, or (when `strings`) a string.
pub fn arg_bytes<'a>(lua: &'a Lua<'_>, idx: c_int, strings: bool) -> Result<&'a [u8]> {
    if let Some(b) = lua.buffer_bytes(idx) {
        return Ok(b);
    }
    match lua.to_bytes(idx) {
        Some(s) if strings => Ok(s),
        _ => Err(Error::Type(
            idx,
            if strings {
                c"buffer or string"
            } else {
                c"buffer"
            },
        )),
    }
}

/// The length of the buffer argument 1 (the method's `self`).
fn this_len(lua: &Lua<'_>) -> Result<usize> {
    Ok(arg_bytes(lua, 1, false)?.len())
}

/// `buffer.new(n)`: n zeroed bytes; `buffer.new(s)`: the bytes of string s.
fn new(lua: &mut Lua<'_>) -> Result<c_int> {
    match lua.type_of(1) {
        Type::String => {
            let n = lua.arg_bytes(1)?.len();
            lua.charge(n / 16);
            lua.new_userdata_from(1, n, |s, d| {
                super::copy_bytes(d, s);
            });
            make_buffer(lua);
        }
        _ => {
            let n = lua.arg_integer(1)?;
            let n = usize::try_from(n).map_err(|_| Error::Arg(1, c"size must not be negative"))?;
            push_new(lua, n);
        }
    }
    Ok(1)
}

/// The 0-based offset of 1-based index `i`, if in range.
fn offset(i: Integer, len: usize) -> Option<usize> {
    let i = usize::try_from(i).ok()?;
    (1..=len).contains(&i).then(|| i - 1)
}

/// `buf[i]` (a byte) or `buf:method` (a method).
fn index(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    if lua.type_of(2) == Type::String {
        lua.get_registry_key(&METHODS);
        lua.push_value(2);
        lua.raw_get(-2);
        return Ok(1);
    }
    let i = lua.arg_integer(2)?;
    let at = offset(i, n).ok_or(Error::Arg(2, c"index out of range"))?;
    let byte = arg_bytes(lua, 1, false)?[at];
    lua.push_integer(Integer::from(byte));
    Ok(1)
}

/// `buf[i] = v` with v in 0..255.
fn newindex(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    let i = lua.arg_integer(2)?;
    let at = offset(i, n).ok_or(Error::Arg(2, c"index out of range"))?;
    let v = lua.arg_integer(3)?;
    let v = u8::try_from(v).map_err(|_| Error::Arg(3, c"byte value out of range (0..255)"))?;
    if let Some(bytes) = lua.buffer_bytes_mut(1) {
        bytes[at] = v;
    }
    Ok(0)
}

fn len(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    lua.push_integer(n as Integer);
    Ok(1)
}

/// `a == b`: same length and bytes.
fn eq(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = lua.buffer_bytes(1).map_or(0, <[u8]>::len);
    lua.charge(n / 16);
    let same = match (lua.buffer_bytes(1), lua.buffer_bytes(2)) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    };
    lua.push_boolean(same);
    Ok(1)
}

/// `buf:string()`: the bytes as a Lua string.
fn to_string(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    lua.charge(n / 16);
    lua.push_sub_bytes(1, 0, n);
    Ok(1)
}

/// `buf:hex()` and `tostring(buf)`: lowercase hexadecimal.
fn hex(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    lua.charge(n / 8);
    // Built in a userdata scratch area: no Rust allocation.
    lua.new_userdata_from(1, n * 2, |bytes, out| super::hex_into(out, bytes));
    lua.push_sub_bytes(-1, 0, n * 2);
    Ok(1)
}

/// Resolves string.sub-style positions (negative counts from the end).
fn span(len: usize, i: Integer, j: Integer) -> (usize, usize) {
    let len_i = len as Integer;
    let fix = |p: Integer| if p < 0 { (len_i + p + 1).max(0) } else { p };
    let start = fix(i).max(1);
    let end = fix(j).min(len_i);
    if start > end {
        (0, 0)
    } else {
        ((start - 1) as usize, end as usize)
    }
}

/// `buf:sub(i [, j])`: a new buffer with bytes i..j (as string.sub).
fn sub(lua: &mut Lua<'_>) -> Result<c_int> {
    let n = this_len(lua)?;
    let i = lua.opt_integer(2, 1)?;
    let j = lua.opt_integer(3, -1)?;
    let (from, to) = span(n, i, j);
    lua.charge((to - from) / 16);
    lua.new_userdata_from(1, to - from, |bytes, out| {
        super::copy_bytes(out, &bytes[from..to]);
    });
    make_buffer(lua);
    Ok(1)
}

/// `buf:uint(i, n)`: the big-endian unsigned integer of bytes i..i+n-1,
/// 1 <= n <= 8 (n = 8 wraps into negative integers).
fn uint(lua: &mut Lua<'_>) -> Result<c_int> {
    let len = this_len(lua)?;
    let i = lua.arg_integer(2)?;
    let n = lua.opt_integer(3, 4)?;
    if !(1..=8).contains(&n) {
        return Err(Error::Arg(3, c"width must be 1 to 8 bytes"));
    }
    let start = offset(i, len).ok_or(Error::Arg(2, c"index out of range"))?;
    let end = start + n as usize;
    if end > len {
        return Err(Error::Arg(3, c"bytes out of range"));
    }
    let v = arg_bytes(lua, 1, false)?[start..end]
        .iter()
        .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    lua.push_integer(v as Integer);
    Ok(1)
}
