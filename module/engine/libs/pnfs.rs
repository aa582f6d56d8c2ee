// SPDX-License-Identifier: GPL-2.0

//! `pnfs`: layout policies for nfsd's FILES layout (docs/pnfs.md, "Lua
//! policies"). The conversion of a file to its Lua table and of the layout
//! function's answer back is here, shared by the kernel (nfsd calls it
//! through the module) and the simulator, so both decide alike.

use core::ffi::{c_int, c_void, CStr};

use crate::libs::buffer;
use crate::lua::{Error, Integer, Lua, Result, Status, Type};
use crate::platform;

/// Where the layout function is kept, in the registry of the state.
pub const POLICY_KEY: &CStr = c"lunatik.pnfs.policy";
/// Most data servers an answer may name (nfsd's NFSD_PNFS_MAX_DS).
pub const MAX_DS: usize = 64;

pub fn open(lua: Lua) {
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
pub struct Answer {
    pub stripe_unit: u32,
    pub first_stripe_index: u32,
    pub count: u32,
    pub ds: [u32; MAX_DS],
}

impl Answer {
    pub const fn new() -> Answer {
        Answer {
            stripe_unit: 0,
            first_stripe_index: 0,
            count: 0,
            ds: [0; MAX_DS],
        }
    }

    /// The 0-based servers in stripe order.
    pub fn servers(&self) -> &[u32] {
        &self.ds[..(self.count as usize).min(MAX_DS)]
    }
}

impl Default for Answer {
    fn default() -> Self {
        Answer::new()
    }
}

/// The counters shown by `pnfs.stats()` and the module's `pnfs_stats` file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub decisions: u64,
    pub errors: u64,
    pub fallbacks: u64,
    pub median_ns: u64,
    pub max_ns: u64,
    pub nfsd_policy: u64,
    pub nfsd_builtin: u64,
    pub nfsd_failed: u64,
    pub nfsd_rejected: u64,
}

/// `pnfs.register(fn)`: fn decides the layout of every file from now on.
fn register(lua: Lua) -> Result<c_int> {
    if lua.type_of(1) != Type::Function {
        return Err(Error::Type(1, c"function"));
    }
    lua.set_top(1);
    lua.set_registry(POLICY_KEY);
    platform::pnfs_policy(true).map_err(Error::Msg)?;
    Ok(0)
}

/// `pnfs.unregister()`: back to nfsd's built-in layout.
fn unregister(lua: Lua) -> Result<c_int> {
    platform::pnfs_policy(false).map_err(Error::Msg)?;
    lua.push_nil();
    lua.set_registry(POLICY_KEY);
    Ok(0)
}

/// `pnfs.set_dataservers({"10.0.0.1", "10.0.0.2:2049", ...})`.
fn set_dataservers(lua: Lua) -> Result<c_int> {
    if lua.type_of(1) != Type::Table {
        return Err(Error::Type(1, c"table of addresses"));
    }
    lua.set_top(1);
    let mut n = 0;
    let mut i = 1;
    loop {
        if !lua.check_stack(3) {
            return Err(Error::Msg(c"too many data servers"));
        }
        if lua.raw_get_index(1, i) == Type::Nil {
            break;
        }
        if lua.type_of(-1) != Type::String {
            return Err(Error::Arg(1, c"addresses must be strings"));
        }
        if n > 0 {
            lua.push_bytes(b",");
            lua.rotate_top_two();
            n += 1;
        }
        n += 1;
        i += 1;
    }
    lua.pop(1);
    if n == 0 {
        lua.push_bytes(b"");
    } else {
        lua.concat(n);
    }
    let list = lua.to_bytes(-1).unwrap_or(b"");
    platform::pnfs_set_dataservers(list).map_err(Error::Msg)?;
    Ok(0)
}

/// `pnfs.dataservers()`: the data-server list, as "address:port" strings.
fn dataservers(lua: Lua) -> Result<c_int> {
    let buf = lua.new_userdata(MAX_DS * 56);
    let len = platform::pnfs_dataservers(buf).min(buf.len());
    lua.new_table(0, 0);
    let mut k = 0;
    for part in buf[..len].split(|&b| b == b',').filter(|p| !p.is_empty()) {
        k += 1;
        lua.push_bytes(part);
        lua.raw_set_index(-2, k);
    }
    Ok(1)
}

/// `pnfs.stats()`: the counters of layout decisions.
fn stats(lua: Lua) -> Result<c_int> {
    let s = platform::pnfs_stats();
    lua.new_table(0, 6);
    set_ints(
        lua,
        &[
            (c"decisions", s.decisions),
            (c"errors", s.errors),
            (c"fallbacks", s.fallbacks),
            (c"median_ns", s.median_ns),
            (c"max_ns", s.max_ns),
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
    Ok(1)
}

/// Whether a layout function is registered in this state.
pub fn has_policy(lua: Lua) -> bool {
    let t = lua.get_registry(POLICY_KEY);
    lua.pop(1);
    t == Type::Function
}

struct DecideArgs<'a, 'b> {
    file: &'a FileInfo<'b>,
    out: &'a mut Answer,
}

fn set_int(lua: Lua, name: &CStr, v: u64) {
    lua.push_integer(v as Integer);
    lua.set_field(-2, name);
}

/// `t[name] = v` for each pair, t the table on top.
fn set_ints(lua: Lua, fields: &[(&CStr, u64)]) {
    for &(name, v) in fields {
        set_int(lua, name, v);
    }
}

/// An integer field of the answer, or `default` when absent.
fn field_int(lua: Lua, name: &CStr, default: Integer) -> Result<Integer> {
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
fn decide_entry(lua: Lua) -> Result<c_int> {
    // SAFETY-relevant: argument 1 is the `DecideArgs` that `decide` passed.
    let p = lua.to_light_userdata(1).cast::<DecideArgs<'_, '_>>();
    // SAFETY: `decide` passes a pointer to its live `DecideArgs`, used by
    // nothing else during the call.
    let args = unsafe { &mut *p };
    lua.set_top(0);
    if lua.get_registry(POLICY_KEY) != Type::Function {
        return Err(Error::Msg(c"no layout policy is registered"));
    }
    let f = args.file;
    lua.new_table(0, 11);
    set_int(lua, c"ino", f.ino);
    super::copy_bytes(buffer::push_new(lua, f.fh.len()), f.fh);
    lua.set_field(-2, c"fh");
    set_int(lua, c"size", f.size);
    set_int(lua, c"uid", u64::from(f.uid));
    set_int(lua, c"gid", u64::from(f.gid));
    if let Some(name) = f.name {
        lua.push_bytes(name);
        lua.set_field(-2, c"name");
    }
    lua.push_bytes(f.client);
    lua.set_field(-2, c"client");
    lua.push_bytes(if f.rw { b"rw" } else { b"read" });
    lua.set_field(-2, c"iomode");
    set_int(lua, c"offset", f.offset);
    set_int(lua, c"length", f.length);
    set_int(lua, c"servers", u64::from(f.servers));
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

/// Asks the registered layout function about `file`. The state must be
/// entered (`Ctx::enter_with`). On an error, the message is on the top of
/// the stack; the caller resets the stack.
pub fn decide(lua: Lua, file: &FileInfo<'_>, out: &mut Answer) -> Status {
    let mut args = DecideArgs { file, out };
    // SAFETY: `args` outlives the protected call, which is all it needs.
    unsafe {
        lua.protected(
            decide_entry,
            (&mut args as *mut DecideArgs<'_, '_>).cast::<c_void>(),
        )
    }
}
