// SPDX-License-Identifier: GPL-2.0

//! `pnfs`: layout policies for nfsd's FILES layout (docs/pnfs.md, "Lua
//! policies"). The conversion of a file to its Lua table and of the layout
//! function's answer back is here, shared by the kernel (nfsd calls it
//! through the module) and the simulator, so both decide alike.

use core::ffi::{c_int, CStr};

use crate::ffi;
use crate::host::{PolicyInfo, Stats};
use crate::libs::buffer;
use crate::lua::{Error, Integer, Lua, RegistryKey, Result, Type};
use crate::vm::{Budget, Failure, Vm};

/// Where the layout function is kept, in the registry of the state.
static POLICY_KEY: RegistryKey = RegistryKey::new();
/// Most data servers an answer may name (nfsd's NFSD_PNFS_MAX_DS).
pub const MAX_DS: usize = 64;
/// The longest data-server list text nfsd takes (64 IPv6 addresses with
/// ports and commas fit).
const MAX_LIST: usize = MAX_DS * 56;

pub fn open(lua: &mut Lua<'_>) {
    lua.new_table(0, 9);
    lua.set_funcs(&[
        (c"load", load),
        (c"unload", unload),
        (c"eval", eval),
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
    /// The export's path ("/srv/pnfs"); empty when unknown.
    pub export: &'a [u8],
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

/// The longest policy name kept.
pub const MAX_NAME: usize = 64;
/// The longest export path a policy can be loaded for.
pub const MAX_EXPORT: usize = 255;
/// Room for `pnfs.eval`'s results.
const EVAL_MAX: usize = 1 << 20;

/// `pnfs.load(source [, name | {name = n, export = path}])`: the server
/// builds its policy states from `source` (each must call
/// `pnfs.register(fn)`) and swaps them in at once, for the files of one
/// export or (without `export`) of every export that has no policy of its
/// own; on an error the running policy stays, and the error is raised.
fn load(lua: &mut Lua<'_>) -> Result<c_int> {
    lua.arg_bytes(1)?;
    let mut name = [0u8; MAX_NAME];
    let mut export = [0u8; MAX_EXPORT];
    let mut name_len = super::copy_bytes(&mut name, b"policy");
    let mut export_len = 0;
    match lua.type_of(2) {
        Type::None | Type::Nil => {}
        Type::Table => {
            if let Some(n) = opt_field(lua, c"name")? {
                name_len = super::copy_bytes(&mut name, n);
            }
            if let Some(e) = opt_field(lua, c"export")? {
                if e.len() > MAX_EXPORT {
                    return Err(Error::Arg(2, c"export path too long (at most 255 bytes)"));
                }
                export_len = super::copy_bytes(&mut export, e);
            }
        }
        _ => name_len = super::copy_bytes(&mut name, lua.arg_bytes(2)?),
    }
    let host = lua.host();
    let mut result = Ok(());
    lua.new_userdata_from(1, 1024, |source, err| {
        result = host.load_policy(source, &name[..name_len], &export[..export_len], err);
    });
    if let Err(len) = result {
        lua.raise_sub_bytes(-1, 0, len);
    }
    Ok(0)
}

/// Field `key` of the options table (argument 2): a string, or absent.
fn opt_field<'l>(lua: &'l mut Lua<'_>, key: &CStr) -> Result<Option<&'l [u8]>> {
    lua.push_bytes(key.to_bytes());
    match lua.raw_get(2) {
        Type::Nil => {
            lua.pop(1);
            Ok(None)
        }
        Type::String => Ok(lua.to_bytes(-1)),
        _ => Err(Error::Arg(2, c"options: name and export are strings")),
    }
}

/// `pnfs.unload([export])`: the policy of `export`, or every policy; the
/// server goes back to its built-in layout where none is left.
fn unload(lua: &mut Lua<'_>) -> Result<c_int> {
    let export = match lua.type_of(1) {
        Type::None | Type::Nil => None,
        _ => Some(lua.arg_bytes(1)?),
    };
    lua.host().unload_policy(export).map_err(Error::Msg)?;
    Ok(0)
}

/// `pnfs.eval(code)`: runs `code` in every policy state; their results, one
/// line per state (tabs between values, as SYS_lua gives them).
fn eval(lua: &mut Lua<'_>) -> Result<c_int> {
    lua.arg_bytes(1)?;
    let host = lua.host();
    let mut result = Ok(0);
    lua.new_userdata_from(1, EVAL_MAX, |code, out| {
        result = host.policy_eval(code, out);
    });
    let len = result.map_err(Error::Msg)?;
    lua.push_sub_bytes(-1, 0, len);
    Ok(1)
}

/// `pnfs.register(fn)`: fn decides the layout of every file from now on.
fn register(lua: &mut Lua<'_>) -> Result<c_int> {
    if lua.type_of(1) != Type::Function {
        return Err(Error::Type(1, c"function"));
    }
    lua.set_top(1);
    lua.set_registry_key(&POLICY_KEY);
    lua.host().set_policy(true).map_err(Error::Msg)?;
    Ok(0)
}

/// `pnfs.unregister()`: back to nfsd's built-in layout.
fn unregister(lua: &mut Lua<'_>) -> Result<c_int> {
    lua.host().set_policy(false).map_err(Error::Msg)?;
    lua.push_nil();
    lua.set_registry_key(&POLICY_KEY);
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
    if list.contains(&0) {
        return Err(Error::Arg(1, c"addresses must not contain NUL bytes"));
    }
    let host = lua.host();
    let mut result = Ok(());
    lua.new_userdata_from(-1, 256, |list, err| {
        // the string checked above: no NUL inside, one after it
        if let Ok(text) = CStr::from_bytes_until_nul(tail_nul(list)) {
            result = host.set_dataservers(text, err);
        }
    });
    if let Err(len) = result {
        lua.raise_sub_bytes(-1, 0, len);
    }
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

/// `pnfs.stats()`: the counters of layout decisions, and the policy.
fn stats(lua: &mut Lua<'_>) -> Result<c_int> {
    let s = lua.host().stats();
    push_stats(lua, &s);
    if let Some(p) = lua.host().policy_info() {
        push_policy(lua, &p);
        lua.set_field(-2, c"policy");
    }
    Ok(1)
}

/// `{name=, sha1=, states=, memory=, loaded=}` of the loaded policy.
fn push_policy(lua: &mut Lua<'_>, p: &PolicyInfo) {
    lua.new_table(0, 5);
    lua.push_bytes(p.name());
    lua.set_field(-2, c"name");
    let mut hex = [0u8; 40];
    super::hex_into(&mut hex, &p.sha1);
    lua.push_bytes(&hex);
    lua.set_field(-2, c"sha1");
    set_ints(
        lua,
        &[
            (c"states", u64::from(p.states)),
            (c"memory", p.memory),
            (c"loaded", p.loaded),
        ],
    );
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
    lua.new_table(0, 7);
    set_ints(
        lua,
        &[
            (c"policy", s.nfsd_policy),
            (c"builtin", s.nfsd_builtin),
            (c"failed", s.nfsd_failed),
            (c"rejected", s.nfsd_rejected),
            (c"device_fallback", s.nfsd_device_fallback),
            (c"recalls", s.nfsd_recalls),
            (c"devices", s.nfsd_devices),
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

struct LoadArgs<'a> {
    source: &'a [u8],
    state: Integer,
    registered: bool,
}

fn load_entry(lua: &mut Lua<'_>, args: &mut LoadArgs<'_>) -> Result<c_int> {
    lua.push_integer(args.state);
    lua.set_global(c"pnfs_state");
    lua.load_text(args.source, c"=policy");
    lua.call(0, 0);
    args.registered = lua.get_registry_key(&POLICY_KEY) == Type::Function;
    Ok(0)
}

/// Why a policy did not load into a state.
#[derive(Debug)]
pub enum LoadError<'a> {
    /// Its source raised this error (a syntax error, a runtime error, a
    /// limit).
    Lua(Failure<'a>),
    /// It ran but did not call `pnfs.register(fn)`.
    NoFunction,
}

impl LoadError<'_> {
    pub fn message(&self) -> &[u8] {
        match self {
            LoadError::Lua(f) => f.message,
            LoadError::NoFunction => b"the policy registered no layout function (pnfs.register)",
        }
    }
}

/// Loads a policy's source into policy state number `state` (1-based; the
/// global `pnfs_state` holds it): runs it as a chunk named `policy`, as one
/// entry with `budget`; it must register a layout function. The one
/// loading path of the kernel's policy states and of the simulator's, so a
/// policy that loads in one loads in the other.
pub fn load_state<'v>(
    vm: &'v mut Vm,
    budget: Budget,
    source: &[u8],
    state: Integer,
) -> core::result::Result<(), LoadError<'v>> {
    let mut args = LoadArgs {
        source,
        state,
        registered: false,
    };
    match vm.run(budget, load_entry, &mut args) {
        Err(f) => Err(LoadError::Lua(f)),
        Ok(()) if !args.registered => Err(LoadError::NoFunction),
        Ok(()) => Ok(()),
    }
}

struct DecideArgs<'a, 'b> {
    file: &'a FileInfo<'b>,
    out: &'a mut Layout,
}

fn clamp_u32(v: Integer) -> u32 {
    v.clamp(0, Integer::from(u32::MAX)) as u32
}

/// Where the `file` table is kept between decisions.
static FILE_KEY: RegistryKey = RegistryKey::new();

/// Pushes the `file` table for `f`: the state's one table, its fields
/// overwritten (docs/pnfs.md: a policy copies what it keeps), so that a
/// decision allocates nothing for it when the values repeat
/// (lua/lunatik_fast.c fills it).
fn push_file(lua: &mut Lua<'_>, f: &FileInfo<'_>) {
    if lua.get_registry_key(&FILE_KEY) != Type::Table {
        lua.pop(1);
        lua.new_table(0, 12);
        lua.new_table(0, 1);
        lua.push_fn(file_index);
        lua.set_field(-2, c"__index");
        lua.set_metatable(-2);
        lua.push_value(-1);
        lua.set_registry_key(&FILE_KEY);
    }
    let buffer_mt = crate::vm::buffer_mt_of(lua.raw_state());
    let (name, name_len) = match f.name {
        Some(n) => (n.as_ptr(), n.len()),
        None => (core::ptr::null(), 0),
    };
    let file = ffi::lunatik_file {
        ino: f.ino as Integer,
        size: f.size as Integer,
        uid: Integer::from(f.uid),
        gid: Integer::from(f.gid),
        offset: f.offset as Integer,
        length: f.length as Integer,
        servers: Integer::from(f.servers),
        fh: f.fh.as_ptr().cast(),
        fh_len: f.fh.len(),
        name: name.cast(),
        name_len,
        client: f.client.as_ptr().cast(),
        client_len: f.client.len(),
        rw: c_int::from(f.rw),
        buffer_mt,
    };
    if lua.fill_file(&file) {
        super::copy_bytes(buffer::push_new(lua, f.fh.len()), f.fh);
        lua.set_field(-2, c"fh");
    }
}

/// `__index` of the file table: `name`, `client` and `export` are made only when a
/// policy reads them (most do not: the strings are not made for them).
fn file_index(lua: &mut Lua<'_>) -> Result<c_int> {
    match lua.to_bytes(2) {
        Some(b"name") => lua.push_lazy_field(0),
        Some(b"client") => lua.push_lazy_field(1),
        Some(b"export") => lua.push_lazy_field(2),
        _ => lua.push_nil(),
    }
    Ok(1)
}

/// The protected part of `decide`: the file table, the call, the answer
/// (read raw: its fields' metamethods are not called).
fn decide_entry(lua: &mut Lua<'_>, args: &mut DecideArgs<'_, '_>) -> Result<c_int> {
    if lua.get_registry_key(&POLICY_KEY) != Type::Function {
        return Err(Error::Msg(c"no layout policy is registered"));
    }
    push_file(lua, args.file);
    let f = args.file;
    lua.with_lazy_fields(f.name, f.client, f.export, |lua| lua.call(1, 1));
    let out = &mut *args.out;
    let (stripe_unit, first, count) = lua.read_answer(&mut out.ds).map_err(Error::Msg)?;
    out.stripe_unit = clamp_u32(stripe_unit);
    out.first_stripe_index = clamp_u32(first.saturating_sub(1));
    out.count = count.min(MAX_DS + 1) as u32;
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
