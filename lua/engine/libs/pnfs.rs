// SPDX-License-Identifier: GPL-2.0

//! `pnfs`: layout policies for nfsd's FILES layout (docs/pnfs.md, "Lua
//! policies"). The conversion of a file to its Lua table and of the layout
//! function's answer back is here, shared by the kernel (nfsd calls it
//! through the module) and the simulator, so both decide alike.

use core::ffi::{c_int, CStr};

use crate::host::Stats;
use crate::libs::buffer;
use crate::lua::{Error, Integer, Lua, Result, Type};
use crate::vm::{Budget, Failure, Vm};

/// Where the layout function is kept, in the registry of the state.
pub const POLICY_KEY: &CStr = c"lunatik.pnfs.policy";
/// Most data servers an answer may name (nfsd's NFSD_PNFS_MAX_DS).
pub const MAX_DS: usize = 64;
/// The longest data-server list text nfsd takes (64 IPv6 addresses with
/// ports and commas fit).
const MAX_LIST: usize = MAX_DS * 56;

pub fn open(lua: &mut Lua<'_>) {
    lua.new_table(0, 6);
    lua.set_funcs(&[
        (c"register", register),
        (c"unregister", unregister),
        (c"set_dataservers", set_dataservers),
        (c"dataservers", dataservers),
        (c"stats", stats),
    ]);
    lua.set_global(c"pnfs");
}

/// What the layout function is told about one file and request.
pub struct FileInfo<'a> {
    pub ino: u64,
    pub fh: &'a [u8],
    pub size: u64,
    pub uid: u32,
    pub gid: u32,
    pub name: Option<&'a [u8]>,
    pub client: &'a [u8],
    pub rw: bool,
    pub offset: u64,
    pub length: u64,
    pub servers: u32,
}

/// The layout function's answer, as nfsd takes it: 0-based server indices.
/// Out-of-range values are kept out of range (clamped) for nfsd to reject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub stripe_unit: u32,
    pub first_stripe_index: u32,
    pub count: u32,
    pub ds: [u32; MAX_DS],
}

impl Layout {
    pub const fn new() -> Layout {
        Layout {
            stripe_unit: 0,
            first_stripe_index: 0,
            count: 0,
            ds: [0; MAX_DS],
        }
    }

    #[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
    /// The 0-based servers in stripe order.
    pub fn servers(&self) -> &[u32] {
        &self.ds[..(self.count as usize).min(MAX_DS)]
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::new()
    }
}

/// `pnfs.register(fn)`: fn decides the layout of every file from now on.
fn register(lua: &mut Lua<'_>) -> Result<c_int> {
    if lua.type_of(1) != Type::Function {
        return Err(Error::Type(1, c"function"));
    }
    lua.set_top(1);
    lua.set_registry(POLICY_KEY);
    lua.host().set_policy(true).map_err(Error::Msg)?;
    Ok(0)
}

/// `pnfs.unregister()`: back to nfsd's built-in layout.
fn unregister(lua: &mut Lua<'_>) -> Result<c_int> {
    lua.host().set_policy(false).map_err(Error::Msg)?;
    lua.push_nil();
    lua.set_registry(POLICY_KEY);
    Ok(0)
}

/// `pnfs.set_dataservers({"10.0.0.1", "10.0.0.2:2049", ...})`.
fn set_dataservers(lua: &mut Lua<'_>) -> Result<c_int> {
    if lua.type_of(1) != Type::Table {
        return Err(Error::Type(1, c"table of addresses"));
    }
    lua.set_top(1);
    let mut n: c_int = 0;
    loop {
        if lua.raw_get_index(1, Integer::from(n) + 1) == Type::Nil {
            lua.pop(1);
            break;
        }
        if lua.type_of(-1) != Type::String {
            return Err(Error::Arg(1, c"addresses must be strings"));
        }
        n += 1;
        if n as usize > MAX_DS {
            return Err(Error::Arg(1, c"too many data servers (at most 64)"));
        }
        lua.push_bytes(b",");
    }
    // "a,b,c," without its last comma; the list is a Lua string, whose
    // bytes are NUL-terminated: it is passed to nfsd without a copy.
    if n > 0 {
        lua.pop(1);
    }
    lua.concat(2 * n - n.min(1));
    let list = lua.to_bytes(-1).unwrap_or(b"");
    if list.len() > MAX_LIST {
        return Err(Error::Arg(1, c"data-server list too long"));
    }
    let Ok(text) = CStr::from_bytes_until_nul(tail_nul(list)) else {
        return Err(Error::Arg(1, c"addresses must not contain NUL bytes"));
    };
    if text.to_bytes().len() != list.len() {
        return Err(Error::Arg(1, c"addresses must not contain NUL bytes"));
    }
    lua.host().set_dataservers(text).map_err(Error::Msg)?;
    Ok(0)
}

/// The bytes of a Lua string with the NUL that Lua keeps after them.
fn tail_nul(s: &[u8]) -> &[u8] {
    // SAFETY: Lua strings always have a NUL byte after their contents
    // (lobject.h, "string contents ... always ends with a '\0'").
    unsafe { core::slice::from_raw_parts(s.as_ptr(), s.len() + 1) }
}

/// `pnfs.dataservers()`: the data-server list, as "address:port" strings.
fn dataservers(lua: &mut Lua<'_>) -> Result<c_int> {
    let host = lua.host();
    let scratch = lua.new_userdata(MAX_LIST);
    let len = host.dataservers(scratch).min(MAX_LIST);
    lua.new_table(0, 0);
    let mut k = 0;
    let mut from = 0;
    while from < len {
        let to = match lua.bytes_at(-2) {
            Some(b) => b[from..len]
                .iter()
                .position(|&c| c == b',')
                .map_or(len, |p| from + p),
            None => len,
        };
        if to > from {
            k += 1;
            lua.push_sub_bytes(-2, from, to);
            lua.raw_set_index(-2, k);
        }
        from = to + 1;
    }
    Ok(1)
}

/// `pnfs.stats()`: the counters of layout decisions.
fn stats(lua: &mut Lua<'_>) -> Result<c_int> {
    let s = lua.host().stats();
    push_stats(lua, &s);
    Ok(1)
}

/// The table of `pnfs.stats()` for `s`.
pub fn push_stats(lua: &mut Lua<'_>, s: &Stats) {
    lua.new_table(0, 7);
    set_ints(
        lua,
        &[
            (c"decisions", s.decisions),
            (c"errors", s.errors),
            (c"fallbacks", s.fallbacks),
            (c"median_ns", s.median_ns),
            (c"max_ns", s.max_ns),
            (c"max_wait_ns", s.max_wait_ns),
        ],
    );
    lua.new_table(0, 4);
    set_ints(
        lua,
        &[
            (c"policy", s.nfsd_policy),
            (c"builtin", s.nfsd_builtin),
            (c"failed", s.nfsd_failed),
            (c"rejected", s.nfsd_rejected),
        ],
    );
    lua.set_field(-2, c"nfsd");
}

/// `t[name] = v` for each pair, t the table on top.
fn set_ints(lua: &mut Lua<'_>, fields: &[(&CStr, u64)]) {
    for &(name, v) in fields {
        lua.push_integer(v as Integer);
        lua.set_field(-2, name);
    }
}

#[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
fn has_policy_entry(lua: &mut Lua<'_>, found: &mut bool) -> Result<c_int> {
    *found = lua.get_registry(POLICY_KEY) == Type::Function;
    Ok(0)
}

#[cfg(not(CONFIG_RUST))] // userspace only (the simulator, the twin's tests)
/// Whether a layout function is registered in the state of `vm`.
pub fn has_policy(vm: &mut Vm, budget: Budget) -> bool {
    let mut found = false;
    vm.run(budget, has_policy_entry, &mut found).is_ok() && found
}

struct DecideArgs<'a, 'b> {
    file: &'a FileInfo<'b>,
    out: &'a mut Layout,
}

/// An integer field of the answer, or `default` when absent.
fn field_int(lua: &mut Lua<'_>, name: &CStr, default: Integer) -> Result<Integer> {
    let v = match lua.get_field(-1, name) {
        Type::Nil => default,
        _ => lua.to_integer(-1).ok_or(Error::Msg(
            c"layout answer: stripe_unit and first must be integers",
        ))?,
    };
    lua.pop(1);
    Ok(v)
}

fn clamp_u32(v: Integer) -> u32 {
    v.clamp(0, Integer::from(u32::MAX)) as u32
}

/// The protected part of `decide`: build the file table, call, convert.
fn decide_entry(lua: &mut Lua<'_>, args: &mut DecideArgs<'_, '_>) -> Result<c_int> {
    if lua.get_registry(POLICY_KEY) != Type::Function {
        return Err(Error::Msg(c"no layout policy is registered"));
    }
    let f = args.file;
    lua.new_table(0, 11);
    set_ints(lua, &[(c"ino", f.ino)]);
    super::copy_bytes(buffer::push_new(lua, f.fh.len()), f.fh);
    lua.set_field(-2, c"fh");
    set_ints(
        lua,
        &[
            (c"size", f.size),
            (c"uid", u64::from(f.uid)),
            (c"gid", u64::from(f.gid)),
        ],
    );
    if let Some(name) = f.name {
        lua.push_bytes(name);
        lua.set_field(-2, c"name");
    }
    lua.push_bytes(f.client);
    lua.set_field(-2, c"client");
    lua.push_bytes(if f.rw { b"rw" } else { b"read" });
    lua.set_field(-2, c"iomode");
    set_ints(
        lua,
        &[
            (c"offset", f.offset),
            (c"length", f.length),
            (c"servers", u64::from(f.servers)),
        ],
    );
    lua.call(1, 1);

    if lua.type_of(-1) != Type::Table {
        return Err(Error::Msg(
            c"layout answer must be a table {stripe_unit=, servers=, first=}",
        ));
    }
    let out = &mut *args.out;
    out.stripe_unit = clamp_u32(field_int(lua, c"stripe_unit", 0)?);
    out.first_stripe_index = clamp_u32(field_int(lua, c"first", 1)?.saturating_sub(1));
    if lua.get_field(-1, c"servers") != Type::Table {
        return Err(Error::Msg(
            c"layout answer: servers must be a list of server numbers",
        ));
    }
    let mut count = 0usize;
    loop {
        if lua.raw_get_index(-1, count as Integer + 1) == Type::Nil {
            lua.pop(1);
            break;
        }
        let v = lua
            .to_integer(-1)
            .ok_or(Error::Msg(c"layout answer: servers must be integers"))?;
        lua.pop(1);
        if count < MAX_DS {
            // 1-based in Lua, 0-based for nfsd; 0 and negatives stay invalid.
            out.ds[count] = if v < 1 { u32::MAX } else { clamp_u32(v - 1) };
        }
        count += 1;
        if count > MAX_DS {
            break;
        }
    }
    out.count = count as u32;
    Ok(0)
}

/// Asks the layout function registered in the state of `vm` about `file`,
/// as one entry with `budget`.
pub fn decide<'v>(
    vm: &'v mut Vm,
    budget: Budget,
    file: &FileInfo<'_>,
    out: &mut Layout,
) -> core::result::Result<(), Failure<'v>> {
    let mut args = DecideArgs { file, out };
    vm.run(budget, decide_entry, &mut args)
}
