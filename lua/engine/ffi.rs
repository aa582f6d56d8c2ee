// SPDX-License-Identifier: GPL-2.0

//! Raw declarations of the Lua 5.4 C API as configured by `lua/luaconf.h`.
//!
//! Only `lua.rs` uses these; everything else goes through its safe layer.

#![allow(non_camel_case_types)]

use core::ffi::{c_char, c_int, c_void};

/// An opaque Lua state (a thread).
#[repr(C)]
pub struct lua_State {
    _private: [u8; 0],
}

/// `LUA_INTEGER` and `LUA_NUMBER` are both `long long` in `lua/luaconf.h`.
pub type lua_Integer = i64;
pub type lua_KContext = isize;
pub type lua_CFunction = unsafe extern "C" fn(l: *mut lua_State) -> c_int;
pub type lua_KFunction =
    unsafe extern "C" fn(l: *mut lua_State, status: c_int, ctx: lua_KContext) -> c_int;
pub type lua_Alloc = unsafe extern "C" fn(
    ud: *mut c_void,
    ptr: *mut c_void,
    osize: usize,
    nsize: usize,
) -> *mut c_void;
pub type lua_Hook = unsafe extern "C" fn(l: *mut lua_State, ar: *mut c_void);

pub const LUA_OK: c_int = 0;

pub const LUA_TNIL: c_int = 0;
pub const LUA_TBOOLEAN: c_int = 1;
pub const LUA_TLIGHTUSERDATA: c_int = 2;
pub const LUA_TNUMBER: c_int = 3;
pub const LUA_TSTRING: c_int = 4;
pub const LUA_TTABLE: c_int = 5;
pub const LUA_TFUNCTION: c_int = 6;
pub const LUA_TUSERDATA: c_int = 7;
pub const LUA_TTHREAD: c_int = 8;

pub const LUA_MULTRET: c_int = -1;
/// `-LUAI_MAXSTACK - 1000` with `LUAI_MAXSTACK` 1000000.
pub const LUA_REGISTRYINDEX: c_int = -1_000_000 - 1000;
/// `LUA_RIDX_GLOBALS`: the globals table's index in the registry.
pub const LUA_RIDX_GLOBALS: lua_Integer = 2;

pub const LUA_GCCOUNT: c_int = 3;
pub const LUA_GCCOUNTB: c_int = 4;

pub const LUA_MASKCOUNT: c_int = 1 << 3;

/// `LUA_EXTRASPACE` is `sizeof(void *)`.
pub const LUA_EXTRASPACE: usize = core::mem::size_of::<*mut c_void>();

pub const fn lua_upvalueindex(i: c_int) -> c_int {
    LUA_REGISTRYINDEX - i
}

/// `LUNATIK_NKEYS` of lua/lunatik_port.h.
pub const LUNATIK_NKEYS: usize = 15;

/// `struct lunatik_file` of lua/lunatik_port.h: a decision's file.
#[repr(C)]
pub struct lunatik_file {
    pub ino: lua_Integer,
    pub size: lua_Integer,
    pub uid: lua_Integer,
    pub gid: lua_Integer,
    pub offset: lua_Integer,
    pub length: lua_Integer,
    pub servers: lua_Integer,
    pub fh: *const c_char,
    pub fh_len: usize,
    pub name: *const c_char,
    pub name_len: usize,
    pub client: *const c_char,
    pub client_len: usize,
    pub rw: c_int,
    pub buffer_mt: *const c_void,
}

extern "C" {
    pub fn lua_newstate(f: lua_Alloc, ud: *mut c_void) -> *mut lua_State;
    pub fn lua_close(l: *mut lua_State);
    pub fn lua_setallocf(l: *mut lua_State, f: lua_Alloc, ud: *mut c_void);
    pub fn lua_atpanic(l: *mut lua_State, panicf: lua_CFunction) -> lua_CFunction;

    pub fn lua_gettop(l: *mut lua_State) -> c_int;
    pub fn lua_settop(l: *mut lua_State, idx: c_int);
    pub fn lua_pushvalue(l: *mut lua_State, idx: c_int);
    pub fn lua_checkstack(l: *mut lua_State, n: c_int) -> c_int;

    pub fn lua_type(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_tointegerx(l: *mut lua_State, idx: c_int, isnum: *mut c_int) -> lua_Integer;
    pub fn lua_tolstring(l: *mut lua_State, idx: c_int, len: *mut usize) -> *const c_char;
    pub fn lua_rawlen(l: *mut lua_State, idx: c_int) -> u64;
    pub fn lua_touserdata(l: *mut lua_State, idx: c_int) -> *mut c_void;

    pub fn lua_pushnil(l: *mut lua_State);
    pub fn lua_pushinteger(l: *mut lua_State, n: lua_Integer);
    pub fn lua_pushlstring(l: *mut lua_State, s: *const c_char, len: usize) -> *const c_char;
    pub fn lua_pushstring(l: *mut lua_State, s: *const c_char) -> *const c_char;
    pub fn lua_pushcclosure(l: *mut lua_State, f: lua_CFunction, n: c_int);
    pub fn lua_pushboolean(l: *mut lua_State, b: c_int);
    pub fn lua_pushlightuserdata(l: *mut lua_State, p: *mut c_void);

    pub fn lua_rawget(l: *mut lua_State, idx: c_int) -> c_int;
    pub fn lua_rawgeti(l: *mut lua_State, idx: c_int, n: lua_Integer) -> c_int;
    pub fn lua_createtable(l: *mut lua_State, narr: c_int, nrec: c_int);
    pub fn lua_newuserdatauv(l: *mut lua_State, sz: usize, nuvalue: c_int) -> *mut c_void;

    pub fn lua_setglobal(l: *mut lua_State, name: *const c_char);
    pub fn lua_setfield(l: *mut lua_State, idx: c_int, k: *const c_char);
    pub fn lua_rawseti(l: *mut lua_State, idx: c_int, n: lua_Integer);
    pub fn lua_setmetatable(l: *mut lua_State, objindex: c_int) -> c_int;

    pub fn lua_callk(
        l: *mut lua_State,
        nargs: c_int,
        nresults: c_int,
        ctx: lua_KContext,
        k: Option<lua_KFunction>,
    );
    pub fn lua_pcallk(
        l: *mut lua_State,
        nargs: c_int,
        nresults: c_int,
        errfunc: c_int,
        ctx: lua_KContext,
        k: Option<lua_KFunction>,
    ) -> c_int;

    pub fn lua_error(l: *mut lua_State) -> c_int;
    pub fn lua_concat(l: *mut lua_State, n: c_int);
    pub fn lua_gc(l: *mut lua_State, what: c_int, ...) -> c_int;
    pub fn lua_sethook(l: *mut lua_State, f: Option<lua_Hook>, mask: c_int, count: c_int);
    pub fn lua_gethookcount(l: *mut lua_State) -> c_int;

    pub fn luaL_loadbufferx(
        l: *mut lua_State,
        buff: *const c_char,
        sz: usize,
        name: *const c_char,
        mode: *const c_char,
    ) -> c_int;
    pub fn luaL_tolstring(l: *mut lua_State, idx: c_int, len: *mut usize) -> *const c_char;
    pub fn luaL_newmetatable(l: *mut lua_State, tname: *const c_char) -> c_int;
    pub fn luaL_error(l: *mut lua_State, fmt: *const c_char, ...) -> c_int;
    pub fn luaL_argerror(l: *mut lua_State, arg: c_int, extramsg: *const c_char) -> c_int;
    pub fn luaL_typeerror(l: *mut lua_State, arg: c_int, tname: *const c_char) -> c_int;
    pub fn luaL_requiref(
        l: *mut lua_State,
        modname: *const c_char,
        openf: lua_CFunction,
        glb: c_int,
    );

    pub fn lua_rawset(l: *mut lua_State, idx: c_int);
    pub fn lua_rotate(l: *mut lua_State, idx: c_int, n: c_int);
    pub fn lua_setupvalue(l: *mut lua_State, funcindex: c_int, n: c_int) -> *const c_char;
    pub fn lua_rawgetp(l: *mut lua_State, idx: c_int, p: *const c_void) -> c_int;
    pub fn lua_rawsetp(l: *mut lua_State, idx: c_int, p: *const c_void);
    pub fn lua_topointer(l: *mut lua_State, idx: c_int) -> *const c_void;

    // lua/lunatik_fast.c
    pub fn lunatik_udata(
        l: *mut lua_State,
        idx: c_int,
        mt: *const c_void,
        len: *mut usize,
    ) -> *mut c_void;
    pub fn lunatik_keys_init(l: *mut lua_State, keys: *mut *const c_void);
    pub fn lunatik_mainthread(l: *mut lua_State) -> *mut lua_State;
    pub fn lunatik_fill_file(
        l: *mut lua_State,
        f: *const lunatik_file,
        keys: *const *const c_void,
    ) -> c_int;
    pub fn lunatik_read_answer(
        l: *mut lua_State,
        stripe_unit: *mut lua_Integer,
        first: *mut lua_Integer,
        ds: *mut u32,
        max: c_int,
        keys: *const *const c_void,
    ) -> c_int;

    pub fn luaopen_base(l: *mut lua_State) -> c_int;
    pub fn luaopen_coroutine(l: *mut lua_State) -> c_int;
    pub fn luaopen_table(l: *mut lua_State) -> c_int;
    pub fn luaopen_string(l: *mut lua_State) -> c_int;
    pub fn luaopen_utf8(l: *mut lua_State) -> c_int;
}
