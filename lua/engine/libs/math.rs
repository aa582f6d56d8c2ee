// SPDX-License-Identifier: GPL-2.0

//! `math`: the integer subset of Lua's math library, with `math.random`
//! drawing on the platform's random generator (the kernel RNG).

use core::ffi::c_int;

use crate::lua::{Error, Integer, Lua, Result, Type};
use crate::platform;

pub fn open(lua: &mut Lua<'_>) {
    lua.new_table(0, 16);
    lua.set_funcs(&[
        (c"abs", abs),
        (c"max", max),
        (c"min", min),
        (c"floor", identity),
        (c"ceil", identity),
        (c"tointeger", tointeger),
        (c"type", mtype),
        (c"ult", ult),
        (c"fmod", fmod),
        (c"random", random),
    ]);
    lua.push_integer(Integer::MAX);
    lua.set_field(-2, c"maxinteger");
    lua.push_integer(Integer::MIN);
    lua.set_field(-2, c"mininteger");
    lua.set_global(c"math");
}

fn abs(lua: &mut Lua<'_>) -> Result<c_int> {
    let x = lua.arg_integer(1)?;
    lua.push_integer(x.wrapping_abs());
    Ok(1)
}

fn extreme(lua: &mut Lua<'_>, pick_later: fn(Integer, Integer) -> bool) -> Result<c_int> {
    let n = lua.top();
    let mut best = lua.arg_integer(1)?;
    for i in 2..=n {
        let v = lua.arg_integer(i)?;
        if pick_later(best, v) {
            best = v;
        }
    }
    lua.push_integer(best);
    Ok(1)
}

fn max(lua: &mut Lua<'_>) -> Result<c_int> {
    extreme(lua, |best, v| v > best)
}

fn min(lua: &mut Lua<'_>) -> Result<c_int> {
    extreme(lua, |best, v| v < best)
}

/// `floor` and `ceil` of an integer are the integer.
fn identity(lua: &mut Lua<'_>) -> Result<c_int> {
    let x = lua.arg_integer(1)?;
    lua.push_integer(x);
    Ok(1)
}

fn tointeger(lua: &mut Lua<'_>) -> Result<c_int> {
    match (lua.type_of(1), lua.to_integer(1)) {
        (Type::Number | Type::String, Some(v)) => lua.push_integer(v),
        _ => lua.push_nil(),
    }
    Ok(1)
}

fn mtype(lua: &mut Lua<'_>) -> Result<c_int> {
    match lua.type_of(1) {
        Type::Number => lua.push_bytes(b"integer"),
        Type::None => return Err(Error::Arg(1, c"value expected")),
        _ => lua.push_nil(),
    }
    Ok(1)
}

fn ult(lua: &mut Lua<'_>) -> Result<c_int> {
    let a = lua.arg_integer(1)?;
    let b = lua.arg_integer(2)?;
    lua.push_boolean((a as u64) < (b as u64));
    Ok(1)
}

/// C's `fmod`: the remainder of the division rounded towards zero.
fn fmod(lua: &mut Lua<'_>) -> Result<c_int> {
    let a = lua.arg_integer(1)?;
    let b = lua.arg_integer(2)?;
    if b == 0 {
        return Err(Error::Arg(2, c"zero"));
    }
    lua.push_integer(a.wrapping_rem(b));
    Ok(1)
}

fn random_u64() -> u64 {
    let mut b = [0u8; 8];
    platform::random_bytes(&mut b);
    u64::from_le_bytes(b)
}

/// A uniform integer in [0, n] (rejection sampling on a bit mask).
fn uniform(n: u64) -> u64 {
    if n == u64::MAX {
        return random_u64();
    }
    let mask = u64::MAX >> (n | 1).leading_zeros();
    loop {
        let r = random_u64() & mask;
        if r <= n {
            return r;
        }
    }
}

/// `math.random()`: 64 random bits; `math.random(m)`: in [1, m];
/// `math.random(m, n)`: in [m, n].
fn random(lua: &mut Lua<'_>) -> Result<c_int> {
    let (lo, hi) = match lua.top() {
        0 => {
            lua.push_integer(random_u64() as Integer);
            return Ok(1);
        }
        1 => {
            let m = lua.arg_integer(1)?;
            if m == 0 {
                lua.push_integer(random_u64() as Integer);
                return Ok(1);
            }
            (1, m)
        }
        2 => (lua.arg_integer(1)?, lua.arg_integer(2)?),
        _ => return Err(Error::Msg(c"wrong number of arguments")),
    };
    if lo > hi {
        return Err(Error::Arg(lua.top(), c"interval is empty"));
    }
    let span = (hi as u64).wrapping_sub(lo as u64);
    lua.push_integer((lo as u64).wrapping_add(uniform(span)) as Integer);
    Ok(1)
}
