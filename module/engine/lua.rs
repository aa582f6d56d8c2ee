// SPDX-License-Identifier: GPL-2.0

//! The safe layer over the Lua C API: the one place, with `ffi.rs`, where
//! lunatik-ng's Rust calls Lua's C functions.
//!
//! # Errors are long jumps
//!
//! A Lua error is a `longjmp` (our `setjmp.S` in the kernel, libc's in
//! userspace). It must never jump over a Rust frame that owns something to
//! drop. The rules that keep this true:
//!
//! - library functions ([`LibFn`]) return [`Result`]; the error is raised by
//!   [`trampoline`] after the library function has returned, when no Rust
//!   value is alive;
//! - any Lua API call may still raise a memory error; so library functions
//!   own no value with a destructor (they use borrowed slices, integers and
//!   [`Lua`] handles, which are `Copy`), and nothing in this crate allocates
//!   on the Rust side: buffers are Lua userdata;
//! - the platform enters Lua only through [`Lua::protected`], so no error ever
//!   escapes to a frame that holds a lock guard.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::ptr;

use crate::ffi;

pub use ffi::lua_State as RawState;

/// A Lua integer (every Lua number is one in lunatik-ng).
pub type Integer = i64;

/// Why a library function failed. Raised as a Lua error by [`trampoline`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// `bad argument #N to 'f' (MSG)`.
    Arg(c_int, &'static CStr),
    /// `bad argument #N to 'f' (TYPE expected, got ...)`.
    Type(c_int, &'static CStr),
    /// A message, with the position of the calling Lua code in front.
    Msg(&'static CStr),
    /// The error value is already on the stack.
    Raised,
}

pub type Result<T> = core::result::Result<T, Error>;

/// A library function: takes its arguments from the stack, pushes its results
/// and returns how many.
pub type LibFn = fn(Lua) -> Result<c_int>;

/// The type of a Lua value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Type {
    None,
    Nil,
    Boolean,
    LightUserdata,
    Number,
    String,
    Table,
    Function,
    Userdata,
    Thread,
}

/// A handle on a Lua thread, valid while the call that received it runs.
#[derive(Clone, Copy)]
pub struct Lua {
    l: *mut ffi::lua_State,
}

/// The function registered with `lua_atpanic`. Reaching it means an error
/// escaped every protected call: a bug of ours. It must not return into Lua,
/// so it never returns at all.
unsafe extern "C" fn panic_handler(_l: *mut ffi::lua_State) -> c_int {
    crate::platform::fatal(b"lunatik: Lua error outside a protected call\n")
}

/// Runs a [`LibFn`] stored as upvalue 1 of the running C closure.
unsafe extern "C" fn trampoline(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: every closure with this C function is made by `push_fn`, whose
    // upvalue 1 is a light userdata holding a `LibFn`.
    let f: LibFn = unsafe {
        core::mem::transmute::<*mut c_void, LibFn>(ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)))
    };
    match f(Lua { l }) {
        Ok(n) => n,
        // SAFETY: `l` is the running thread; no Rust value is alive here.
        Err(e) => unsafe { raise(l, e) },
    }
}

/// Raises `e` as a Lua error. Never returns.
unsafe fn raise(l: *mut ffi::lua_State, e: Error) -> ! {
    // SAFETY: `l` is a running thread inside a protected call (all entries go
    // through `Lua::protected`); these functions raise the error.
    unsafe {
        match e {
            Error::Arg(n, msg) => {
                ffi::luaL_argerror(l, n, msg.as_ptr());
            }
            Error::Type(n, tname) => {
                ffi::luaL_typeerror(l, n, tname.as_ptr());
            }
            Error::Msg(msg) => {
                ffi::luaL_error(l, c"%s".as_ptr(), msg.as_ptr());
            }
            Error::Raised => {
                ffi::lua_error(l);
            }
        }
    }
    // The calls above never return.
    crate::platform::fatal(b"lunatik: a Lua error returned\n")
}

/// Runs a [`LibFn`] given as two light userdata: the entry of every
/// protected call.
unsafe extern "C" fn entry(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: pushed by `Lua::protected`: argument 1 is the function.
    let f: LibFn = unsafe { core::mem::transmute::<*mut c_void, LibFn>(ffi::lua_touserdata(l, 1)) };
    // SAFETY: as above; the function itself stays at index 1.
    unsafe { ffi::lua_rotate(l, 1, -1) };
    // SAFETY: pop the function pointer, leaving the caller's argument.
    unsafe { ffi::lua_settop(l, -2) };
    match f(Lua { l }) {
        Ok(n) => n,
        // SAFETY: `l` is the running thread; no Rust value is alive here.
        Err(e) => unsafe { raise(l, e) },
    }
}

/// Message handler of protected calls: turns any error value into a string
/// (with `__tostring` where the value has one), so the caller can copy it
/// without running Lua code.
fn message_handler(lua: Lua) -> Result<c_int> {
    if lua.type_of(1) != Type::String {
        lua.to_display(1);
    }
    Ok(1)
}

/// The outcome of [`Lua::protected`]: `Ok` or the error status of Lua
/// (the error message, always a string, is then on the top of the stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    Runtime,
    Syntax,
    Memory,
    ErrorInHandler,
}

impl Lua {
    /// Wraps a raw state.
    ///
    /// # Safety
    /// `l` must be a valid Lua thread, used only by this caller while the
    /// handle lives.
    pub unsafe fn from_raw(l: *mut ffi::lua_State) -> Lua {
        Lua { l }
    }

    /// Installs the panic handler. Call once on a new state.
    pub fn set_panic(self) {
        // SAFETY: `self.l` is valid; setting the handler cannot fail.
        unsafe { ffi::lua_atpanic(self.l, panic_handler) };
    }

    /// Calls `f(lua)` in protected mode with `arg` as its only argument (a
    /// light userdata at index 1). Errors are caught, and turned into a
    /// string message left on the top of the stack. Results stay on the
    /// stack; the caller resets it with [`Lua::set_top`].
    ///
    /// # Safety
    /// `arg` must be valid for whatever `f` does with it.
    pub unsafe fn protected(self, f: LibFn, arg: *mut c_void) -> Status {
        // SAFETY: these pushes neither allocate nor raise: light C functions
        // and light userdata, into the LUA_MINSTACK slots a state always has
        // free when nothing else is on its stack.
        let status = unsafe {
            ffi::lua_pushcclosure(self.l, msgh_entry, 0);
            let h = ffi::lua_gettop(self.l);
            ffi::lua_pushcclosure(self.l, entry, 0);
            ffi::lua_pushlightuserdata(self.l, f as *mut c_void);
            ffi::lua_pushlightuserdata(self.l, arg);
            let st = ffi::lua_pcallk(self.l, 2, ffi::LUA_MULTRET, h, 0, None);
            // Remove the message handler below the results.
            ffi::lua_rotate(self.l, h, -1);
            ffi::lua_settop(self.l, -2);
            st
        };
        match status {
            ffi::LUA_OK => Status::Ok,
            ffi::LUA_ERRSYNTAX => Status::Syntax,
            ffi::LUA_ERRMEM => Status::Memory,
            ffi::LUA_ERRERR => Status::ErrorInHandler,
            _ => Status::Runtime,
        }
    }

    pub fn top(self) -> c_int {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_gettop(self.l) }
    }

    pub fn set_top(self, idx: c_int) {
        // SAFETY: `self.l` is valid; callers pass indices of their frame.
        unsafe { ffi::lua_settop(self.l, idx) }
    }

    pub fn pop(self, n: c_int) {
        self.set_top(-n - 1)
    }

    pub fn abs_index(self, idx: c_int) -> c_int {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_absindex(self.l, idx) }
    }

    /// Makes room for `n` more values; false when the stack cannot grow.
    pub fn check_stack(self, n: c_int) -> bool {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_checkstack(self.l, n) != 0 }
    }

    pub fn type_of(self, idx: c_int) -> Type {
        // SAFETY: `self.l` is valid; any index is acceptable to lua_type.
        match unsafe { ffi::lua_type(self.l, idx) } {
            ffi::LUA_TNIL => Type::Nil,
            ffi::LUA_TBOOLEAN => Type::Boolean,
            ffi::LUA_TLIGHTUSERDATA => Type::LightUserdata,
            ffi::LUA_TNUMBER => Type::Number,
            ffi::LUA_TSTRING => Type::String,
            ffi::LUA_TTABLE => Type::Table,
            ffi::LUA_TFUNCTION => Type::Function,
            ffi::LUA_TUSERDATA => Type::Userdata,
            ffi::LUA_TTHREAD => Type::Thread,
            _ => Type::None,
        }
    }

    /// The integer at `idx` (numbers, and strings that read as integers).
    pub fn to_integer(self, idx: c_int) -> Option<Integer> {
        let mut isnum: c_int = 0;
        // SAFETY: `self.l` is valid; `isnum` outlives the call.
        let v = unsafe { ffi::lua_tointegerx(self.l, idx, &mut isnum) };
        (isnum != 0).then_some(v)
    }

    /// The pointer of the light userdata at `idx` (null for other types).
    pub fn to_light_userdata(self, idx: c_int) -> *mut c_void {
        // SAFETY: `self.l` is valid; lua_touserdata accepts any value.
        unsafe { ffi::lua_touserdata(self.l, idx) }
    }

    pub fn to_boolean(self, idx: c_int) -> bool {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_toboolean(self.l, idx) != 0 }
    }

    /// The bytes of the string at `idx`, without converting other types.
    /// The slice is valid while the string stays on the stack.
    pub fn to_bytes<'a>(self, idx: c_int) -> Option<&'a [u8]> {
        if self.type_of(idx) != Type::String {
            return None;
        }
        let mut len = 0usize;
        // SAFETY: the value is a string, so lua_tolstring neither converts
        // nor allocates; Lua keeps it alive while it is on the stack.
        unsafe {
            let p = ffi::lua_tolstring(self.l, idx, &mut len);
            Some(core::slice::from_raw_parts(p.cast::<u8>(), len))
        }
    }

    /// Integer argument `idx`, or a "number expected" error.
    pub fn arg_integer(self, idx: c_int) -> Result<Integer> {
        self.to_integer(idx).ok_or(Error::Type(idx, c"integer"))
    }

    /// Optional integer argument: `default` when absent or nil.
    pub fn opt_integer(self, idx: c_int, default: Integer) -> Result<Integer> {
        match self.type_of(idx) {
            Type::None | Type::Nil => Ok(default),
            _ => self.arg_integer(idx),
        }
    }

    /// String argument `idx` (numbers are not converted).
    pub fn arg_bytes<'a>(self, idx: c_int) -> Result<&'a [u8]> {
        self.to_bytes(idx).ok_or(Error::Type(idx, c"string"))
    }

    /// Pushes `tostring(value at idx)` (honouring `__tostring`/`__name`) and
    /// returns its bytes, valid while it stays on the stack.
    pub fn to_display<'a>(self, idx: c_int) -> &'a [u8] {
        let mut len = 0usize;
        // SAFETY: `self.l` is valid; luaL_tolstring pushes a string (it may
        // raise, which is fine inside a protected call).
        unsafe {
            let p = ffi::luaL_tolstring(self.l, idx, &mut len);
            core::slice::from_raw_parts(p.cast::<u8>(), len)
        }
    }

    pub fn push_nil(self) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_pushnil(self.l) }
    }

    pub fn push_integer(self, n: Integer) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_pushinteger(self.l, n) }
    }

    pub fn push_boolean(self, b: bool) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_pushboolean(self.l, c_int::from(b)) }
    }

    pub fn push_bytes(self, s: &[u8]) {
        // SAFETY: `s` is valid for `s.len()` bytes; Lua copies it.
        unsafe { ffi::lua_pushlstring(self.l, s.as_ptr().cast::<c_char>(), s.len()) };
    }

    pub fn push_value(self, idx: c_int) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_pushvalue(self.l, idx) }
    }

    /// Pushes a library function.
    pub fn push_fn(self, f: LibFn) {
        // SAFETY: the closure's upvalue is the function pointer, as
        // `trampoline` expects.
        unsafe {
            ffi::lua_pushlightuserdata(self.l, f as *mut c_void);
            ffi::lua_pushcclosure(self.l, trampoline, 1);
        }
    }

    pub fn new_table(self, narr: c_int, nrec: c_int) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_createtable(self.l, narr, nrec) }
    }

    /// `t[name] = v` for the table at `idx` and the value on top (popped).
    pub fn set_field(self, idx: c_int, name: &CStr) {
        // SAFETY: `self.l` is valid; `name` is NUL-terminated.
        unsafe { ffi::lua_setfield(self.l, idx, name.as_ptr()) }
    }

    /// Pushes `t[name]` of the table at `idx`; returns its type.
    pub fn get_field(self, idx: c_int, name: &CStr) -> Type {
        // SAFETY: `self.l` is valid; `name` is NUL-terminated.
        unsafe { ffi::lua_getfield(self.l, idx, name.as_ptr()) };
        self.type_of(-1)
    }

    /// Replaces the key on top by `t[key]` of the table at `idx`, without
    /// metamethods; returns the value's type.
    pub fn raw_get(self, idx: c_int) -> Type {
        // SAFETY: `self.l` is valid; a key is on top.
        unsafe { ffi::lua_rawget(self.l, idx) };
        self.type_of(-1)
    }

    /// Pushes `t[i]` of the table at `idx` without metamethods.
    pub fn raw_get_index(self, idx: c_int, i: Integer) -> Type {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_rawgeti(self.l, idx, i) };
        self.type_of(-1)
    }

    /// `t[i] = v` without metamethods, v on top (popped).
    pub fn raw_set_index(self, idx: c_int, i: Integer) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_rawseti(self.l, idx, i) }
    }

    /// Sets global `name` to the value on top (popped).
    pub fn set_global(self, name: &CStr) {
        // SAFETY: `self.l` is valid; `name` is NUL-terminated.
        unsafe { ffi::lua_setglobal(self.l, name.as_ptr()) }
    }

    /// Pushes global `name`; returns its type.
    pub fn get_global(self, name: &CStr) -> Type {
        // SAFETY: `self.l` is valid; `name` is NUL-terminated.
        unsafe { ffi::lua_getglobal(self.l, name.as_ptr()) };
        self.type_of(-1)
    }

    /// Registers `funcs` in the table on top of the stack.
    pub fn set_funcs(self, funcs: &[(&CStr, LibFn)]) {
        for &(name, f) in funcs {
            self.push_fn(f);
            self.set_field(-2, name);
        }
    }

    /// Opens a standard library of the core as global `name`.
    pub fn open_stdlib(self, name: &CStr, open: unsafe extern "C" fn(*mut RawState) -> c_int) {
        // SAFETY: `open` is one of the core's luaopen_* functions.
        unsafe {
            ffi::luaL_requiref(self.l, name.as_ptr(), open, 1);
            ffi::lua_settop(self.l, -2);
        }
    }

    /// Pushes a new userdata of `len` zeroed bytes and returns them. They
    /// stay valid while the userdata is reachable.
    pub fn new_userdata<'a>(self, len: usize) -> &'a mut [u8] {
        // SAFETY: Lua returns a block of `len` bytes (or raises); it is ours
        // until collected, and we zero it before handing it out.
        unsafe {
            let p = ffi::lua_newuserdatauv(self.l, len, 0).cast::<u8>();
            ptr::write_bytes(p, 0, len);
            core::slice::from_raw_parts_mut(p, len)
        }
    }

    /// The bytes of the userdata at `idx` if its metatable is `tname`'s.
    pub fn userdata_bytes<'a>(self, idx: c_int, tname: &CStr) -> Option<&'a mut [u8]> {
        // SAFETY: luaL_testudata checks the metatable; the block has
        // lua_rawlen bytes and lives while the value is on the stack.
        unsafe {
            let p = ffi::luaL_testudata(self.l, idx, tname.as_ptr());
            if p.is_null() {
                return None;
            }
            let len = ffi::lua_rawlen(self.l, idx) as usize;
            Some(core::slice::from_raw_parts_mut(p.cast::<u8>(), len))
        }
    }

    /// Pushes the metatable registered as `tname`, creating it if needed;
    /// true when created.
    pub fn new_metatable(self, tname: &CStr) -> bool {
        // SAFETY: `self.l` is valid; `tname` is NUL-terminated.
        unsafe { ffi::luaL_newmetatable(self.l, tname.as_ptr()) != 0 }
    }

    /// Sets the metatable of the value at `idx` to the table on top (popped).
    pub fn set_metatable(self, idx: c_int) {
        // SAFETY: `self.l` is valid; the top is a table.
        unsafe { ffi::lua_setmetatable(self.l, idx) };
    }

    /// Loads a text chunk and pushes it as a function (or an error message:
    /// then `Err(Error::Raised)` with the message on top).
    pub fn load_text(self, code: &[u8], name: &CStr) -> Result<()> {
        // SAFETY: `code` is valid for its length; mode "t" accepts text only
        // (and the binary loader is not even compiled in: ltextonly.c).
        let st = unsafe {
            ffi::luaL_loadbufferx(
                self.l,
                code.as_ptr().cast::<c_char>(),
                code.len(),
                name.as_ptr(),
                c"t".as_ptr(),
            )
        };
        if st == ffi::LUA_OK {
            Ok(())
        } else {
            Err(Error::Raised)
        }
    }

    /// Calls the function below `nargs` arguments; errors propagate.
    pub fn call(self, nargs: c_int, nresults: c_int) {
        // SAFETY: the function and its arguments are on the stack.
        unsafe { ffi::lua_callk(self.l, nargs, nresults, 0, None) }
    }

    /// Calls in protected mode: errors become `Err(Error::Raised)`, the
    /// message on top.
    pub fn pcall(self, nargs: c_int, nresults: c_int) -> Result<()> {
        // SAFETY: the function and its arguments are on the stack.
        let st = unsafe { ffi::lua_pcallk(self.l, nargs, nresults, 0, 0, None) };
        if st == ffi::LUA_OK {
            Ok(())
        } else {
            Err(Error::Raised)
        }
    }

    /// Memory in use by this state, in bytes.
    pub fn memory_used(self) -> usize {
        // SAFETY: `self.l` is valid; these requests take no extra argument.
        unsafe {
            let kib = ffi::lua_gc(self.l, ffi::LUA_GCCOUNT) as usize;
            let rest = ffi::lua_gc(self.l, ffi::LUA_GCCOUNTB) as usize;
            kib * 1024 + rest
        }
    }

    /// Swaps the two values on top of the stack.
    pub fn rotate_top_two(self) {
        // SAFETY: `self.l` is valid; callers have two values on the stack.
        unsafe { ffi::lua_rotate(self.l, -2, 1) }
    }

    /// Replaces the `n` values on top by their concatenation.
    pub fn concat(self, n: c_int) {
        // SAFETY: `self.l` is valid; `n` values are on the stack.
        unsafe { ffi::lua_concat(self.l, n) }
    }

    /// A full garbage collection.
    pub fn collect(self) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_gc(self.l, ffi::LUA_GCCOLLECT) };
    }

    /// The pointer kept in the state's extra space (`LUA_EXTRASPACE`).
    pub fn extra(self) -> *mut c_void {
        // SAFETY: lua_getextraspace(L) is the pointer-sized block just
        // before the state, shared by all its threads' copies.
        unsafe {
            *self
                .l
                .cast::<u8>()
                .sub(ffi::LUA_EXTRASPACE)
                .cast::<*mut c_void>()
        }
    }

    pub fn set_extra(self, p: *mut c_void) {
        // SAFETY: as in `extra`.
        unsafe {
            *self
                .l
                .cast::<u8>()
                .sub(ffi::LUA_EXTRASPACE)
                .cast::<*mut c_void>() = p
        }
    }

    /// Installs a count hook called every `period` instructions.
    pub fn set_count_hook(self, hook: ffi::lua_Hook, period: c_int) {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_sethook(self.l, Some(hook), ffi::LUA_MASKCOUNT, period) }
    }

    /// `registry[name] = v`, v on top (popped).
    pub fn set_registry(self, name: &CStr) {
        self.set_field(ffi::LUA_REGISTRYINDEX, name)
    }

    /// Pushes `registry[name]`; returns its type.
    pub fn get_registry(self, name: &CStr) -> Type {
        self.get_field(ffi::LUA_REGISTRYINDEX, name)
    }

    /// Pushes the next key/value of the table at `idx` after the key on top.
    pub fn next(self, idx: c_int) -> bool {
        // SAFETY: `self.l` is valid; a key is on top.
        unsafe { ffi::lua_next(self.l, idx) != 0 }
    }

    /// A reference in the registry to the value on top (popped).
    pub fn reference(self) -> c_int {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::luaL_ref(self.l, ffi::LUA_REGISTRYINDEX) }
    }

    pub fn unreference(self, r: c_int) {
        // SAFETY: `self.l` is valid; unknown references are ignored.
        unsafe { ffi::luaL_unref(self.l, ffi::LUA_REGISTRYINDEX, r) }
    }

    /// Pushes the value of a registry reference.
    pub fn push_reference(self, r: c_int) -> Type {
        // SAFETY: `self.l` is valid.
        unsafe { ffi::lua_rawgeti(self.l, ffi::LUA_REGISTRYINDEX, Integer::from(r)) };
        self.type_of(-1)
    }
}

/// Message handler entry (a light C function, so pushing it never allocates).
unsafe extern "C" fn msgh_entry(l: *mut ffi::lua_State) -> c_int {
    match message_handler(Lua { l }) {
        Ok(n) => n,
        // SAFETY: `l` is the running thread; no Rust value is alive here.
        Err(e) => unsafe { raise(l, e) },
    }
}

/// Creates a state whose memory comes from `alloc` with `ud`.
///
/// # Safety
/// `ud` must stay valid until the state is closed with [`close`].
pub unsafe fn new_state(alloc: ffi::lua_Alloc, ud: *mut c_void) -> Option<Lua> {
    // SAFETY: per the contract above.
    let l = unsafe { ffi::lua_newstate(alloc, ud) };
    if l.is_null() {
        None
    } else {
        let lua = Lua { l };
        lua.set_panic();
        Some(lua)
    }
}

/// Closes a state made by [`new_state`], freeing all its memory.
///
/// # Safety
/// `lua` must be a main thread from [`new_state`], not used afterwards.
pub unsafe fn close(lua: Lua) {
    // SAFETY: per the contract above.
    unsafe { ffi::lua_close(lua.l) }
}
