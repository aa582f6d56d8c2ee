// SPDX-License-Identifier: GPL-2.0

//! The safe layer over the Lua C API: with `ffi.rs` and `vm.rs`, the only
//! place where lunatik-ng's Rust calls Lua's C functions.
//!
//! # Handles
//!
//! A [`Lua`] handle exists only inside a protected call: the platform enters
//! a state through [`crate::vm::Vm::run`], which calls a function with a
//! handle whose lifetime is that call's (`for<'s> fn(&mut Lua<'s>, ...)`),
//! and library functions ([`LibFn`]) get one for their own call. A handle is
//! neither `Copy` nor `Clone` nor `Send`. The function's argument cannot
//! keep it, since the argument's type cannot name the call's lifetime
//! (error E0308):
//!
//! ```compile_fail,E0308
//! use lunatik_lua::lua::{Lua, Result};
//! fn keep<'s>(lua: &mut Lua<'s>, kept: &mut Option<Lua<'s>>) -> Result<i32> {
//!     Ok(0)
//! }
//! fn run_and_keep(vm: &mut lunatik_lua::vm::Vm) {
//!     let budget = vm.limits().budget();
//!     let _ = vm.run(budget, keep, &mut None);
//! }
//! ```
//!
//! while the same call with an argument of its own compiles:
//!
//! ```
//! use lunatik_lua::lua::{Lua, Result};
//! fn count<'s>(lua: &mut Lua<'s>, top: &mut Option<i32>) -> Result<i32> {
//!     *top = Some(lua.top());
//!     Ok(0)
//! }
//! fn run_and_count(vm: &mut lunatik_lua::vm::Vm) {
//!     let budget = vm.limits().budget();
//!     let _ = vm.run(budget, count, &mut None);
//! }
//! ```
//!
//! Bytes read from the stack borrow the handle, so they cannot outlive a
//! change of the stack (a `pop`, a push, a call, a collection; error E0502):
//!
//! ```compile_fail,E0502
//! fn f(lua: &mut lunatik_lua::lua::Lua<'_>) -> lunatik_lua::lua::Result<i32> {
//!     let s = lua.arg_bytes(1)?;
//!     lua.pop(1);
//!     Ok(s.len() as i32)
//! }
//! ```
//!
//! while reading them before the pop compiles:
//!
//! ```
//! fn f(lua: &mut lunatik_lua::lua::Lua<'_>) -> lunatik_lua::lua::Result<i32> {
//!     let n = lua.arg_bytes(1)?.len();
//!     lua.pop(1);
//!     Ok(n as i32)
//! }
//! ```
//!
//! # Preconditions are checked
//!
//! Stack indices are checked against the current frame and every push
//! against the free slots (the stack grows on demand); a misuse raises a Lua
//! error, caught by the protected call, never a memory error.
//!
//! # Errors are long jumps
//!
//! A Lua error is a `longjmp` (our `setjmp.S` in the kernel, libc's in
//! userspace). It must never jump over a Rust frame that owns something to
//! drop. The rules that keep this true:
//!
//! - library functions return [`Result`]; their errors are raised by
//!   [`trampoline`] after they have returned, when no Rust value is alive;
//! - a Lua API call (and so a method of [`Lua`]) may still raise (a memory
//!   error, a failed check, a metamethod's error); so library functions own
//!   no value with a destructor: they use borrowed slices, integers and the
//!   handle, and nothing in this crate allocates on the Rust side (buffers
//!   are Lua userdata);
//! - the platform enters Lua only through `Vm::run`, so no error ever escapes
//!   to a frame that holds a lock guard.

use core::ffi::{c_char, c_int, c_void, CStr};
use core::marker::PhantomData;
use core::ptr::NonNull;

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
}

pub type Result<T> = core::result::Result<T, Error>;

/// A key of the registry by address (`lua_rawgetp`): a `static` of its own.
#[derive(Default)]
pub struct RegistryKey {
    _slot: u8,
}

impl RegistryKey {
    pub const fn new() -> RegistryKey {
        RegistryKey { _slot: 0 }
    }

    pub(crate) fn addr(&'static self) -> *const c_void {
        core::ptr::from_ref(self).cast()
    }
}

/// A library function: takes its arguments from the stack, pushes its
/// results and returns how many.
pub type LibFn = for<'s> fn(&mut Lua<'s>) -> Result<c_int>;

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

/// Free stack slots the layer keeps beyond what it counts, for the Lua API
/// functions that push temporaries (`luaL_testudata` pushes two).
const SPARE: c_int = 4;
/// Slots Lua guarantees to a C function on entry (`LUA_MINSTACK`).
const MINSTACK: c_int = 20;

/// A handle on the running Lua thread, for one protected call or one call
/// of a library function (see the module documentation).
pub struct Lua<'s> {
    l: NonNull<ffi::lua_State>,
    /// Slots known to be free above the top, beyond [`SPARE`].
    room: c_int,
    _call: PhantomData<&'s mut ffi::lua_State>,
}

/// Raises `e` as a Lua error. Never returns.
///
/// # Safety
/// `l` is the running thread, inside a protected call, and no Rust value
/// with a destructor is alive in the frames the error jumps over.
unsafe fn raise(l: *mut ffi::lua_State, e: Error) -> ! {
    // SAFETY: per the contract; these functions raise the error.
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
        }
    }
    // The calls above never return.
    crate::platform::fatal(b"lunatik: a Lua error returned\n")
}

/// Runs a [`LibFn`] stored as upvalue 1 of the running C closure.
unsafe extern "C" fn trampoline(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: every closure with this C function is made by `push_fn`, whose
    // upvalue 1 is a light userdata holding a `LibFn`.
    let f: LibFn = unsafe {
        core::mem::transmute::<*mut c_void, LibFn>(ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)))
    };
    // SAFETY: `l` is the running thread, for this call.
    let r = f(&mut unsafe { Lua::new(l) });
    match r {
        Ok(n) => n,
        // SAFETY: `l` is the running thread; no Rust value is alive here.
        Err(e) => unsafe { raise(l, e) },
    }
}

/// The function of a protected call and its argument (`Vm::run`).
pub(crate) struct Call<A> {
    pub(crate) f: for<'s> fn(&mut Lua<'s>, &mut A) -> Result<c_int>,
    pub(crate) arg: *mut A,
}

/// The C entry of a protected call: argument 1 is a light userdata holding
/// a `Call<A>`.
pub(crate) unsafe extern "C" fn call_entry<A>(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: pushed by `Vm::run`, which keeps the `Call` and its argument
    // alive and unaliased for the whole protected call.
    let call = unsafe { &*ffi::lua_touserdata(l, 1).cast::<Call<A>>() };
    // SAFETY: as above; the light userdata is popped, the stack is empty.
    unsafe { ffi::lua_settop(l, 0) };
    // SAFETY: as above.
    let arg = unsafe { &mut *call.arg };
    // SAFETY: `l` is the running thread, for this call.
    let r = (call.f)(&mut unsafe { Lua::new(l) }, arg);
    match r {
        Ok(n) => n,
        // SAFETY: `l` is the running thread; no Rust value is alive here.
        Err(e) => unsafe { raise(l, e) },
    }
}

/// Message handler of protected calls: turns any error value into a string
/// (with `__tostring` where the value has one), so the caller can copy it
/// without running Lua code.
pub(crate) unsafe extern "C" fn message_handler(l: *mut ffi::lua_State) -> c_int {
    // SAFETY: `l` is the running thread, for this call.
    let mut lua = unsafe { Lua::new(l) };
    if lua.type_of(1) != Type::String {
        lua.to_display(1);
    }
    1
}

impl<'s> Lua<'s> {
    /// A handle for the running C function.
    ///
    /// # Safety
    /// `l` is the running thread of a protected call, at the entry of a C
    /// function (so `LUA_MINSTACK` slots are free), used through no other
    /// handle while this one lives.
    pub(crate) unsafe fn new(l: *mut ffi::lua_State) -> Lua<'s> {
        Lua {
            // SAFETY: Lua never passes a null state.
            l: unsafe { NonNull::new_unchecked(l) },
            room: MINSTACK - SPARE,
            _call: PhantomData,
        }
    }

    fn raw(&self) -> *mut ffi::lua_State {
        self.l.as_ptr()
    }

    /// Raises a Lua error for a misuse of this layer.
    fn misuse(&self, what: &'static CStr) -> ! {
        // SAFETY: a handle only exists inside a protected call; this frame
        // owns nothing.
        unsafe { raise(self.raw(), Error::Msg(what)) }
    }

    /// Makes room for `n` more values (beyond the spare), or raises.
    fn reserve(&mut self, n: c_int) {
        if self.room >= n {
            return;
        }
        let want = n.max(MINSTACK);
        // SAFETY: the state is valid; checkstack only grows the stack.
        if unsafe { ffi::lua_checkstack(self.raw(), want + SPARE) } == 0 {
            self.misuse(c"stack overflow (too many values)");
        }
        self.room = want;
    }

    /// Records that `n` values were pushed (room was reserved).
    fn pushed(&mut self, n: c_int) {
        self.room -= n;
    }

    /// The number of values on the stack.
    pub fn top(&self) -> c_int {
        // SAFETY: the state is valid.
        unsafe { ffi::lua_gettop(self.raw()) }
    }

    /// `idx` as an absolute index of a value on the stack, if it names one.
    fn slot(&self, idx: c_int) -> Option<c_int> {
        let top = self.top();
        if idx > 0 && idx <= top {
            Some(idx)
        } else if idx < 0 && idx >= -top {
            Some(top + idx + 1)
        } else {
            None
        }
    }

    /// `slot(idx)`, or raises.
    fn need(&self, idx: c_int) -> c_int {
        self.slot(idx)
            .unwrap_or_else(|| self.misuse(c"lunatik: stack index out of range"))
    }

    /// `slot(idx)` of a table, or raises.
    fn need_table(&self, idx: c_int) -> c_int {
        let i = self.need(idx);
        if self.type_of(i) != Type::Table {
            self.misuse(c"lunatik: a table was expected on the stack");
        }
        i
    }

    /// Sets the top to `idx` (0 empties the stack; above the top, nils).
    pub fn set_top(&mut self, idx: c_int) {
        let top = self.top();
        let new = if idx >= 0 {
            idx
        } else if idx >= -(top + 1) {
            top + idx + 1
        } else {
            self.misuse(c"lunatik: stack index out of range")
        };
        if new > top {
            self.reserve(new - top);
            self.pushed(new - top);
        } else {
            self.room += top - new;
        }
        // SAFETY: `new` is within the stack (checked and reserved above).
        unsafe { ffi::lua_settop(self.raw(), new) }
    }

    /// Removes the `n` values on top.
    pub fn pop(&mut self, n: c_int) {
        if n < 0 || n > self.top() {
            self.misuse(c"lunatik: pop of more values than the stack holds");
        }
        self.set_top(-n - 1)
    }

    pub fn type_of(&self, idx: c_int) -> Type {
        let Some(i) = self.slot(idx) else {
            return Type::None;
        };
        // SAFETY: `i` names a value on the stack.
        match unsafe { ffi::lua_type(self.raw(), i) } {
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
    pub fn to_integer(&self, idx: c_int) -> Option<Integer> {
        let i = self.slot(idx)?;
        let mut isnum: c_int = 0;
        // SAFETY: `i` names a value; converting a string does not change it.
        let v = unsafe { ffi::lua_tointegerx(self.raw(), i, &mut isnum) };
        (isnum != 0).then_some(v)
    }

    /// The bytes of the string at `idx`, without converting other types.
    /// They borrow the handle: valid until the stack changes.
    pub fn to_bytes(&self, idx: c_int) -> Option<&[u8]> {
        let i = self.slot(idx)?;
        if self.type_of(i) != Type::String {
            return None;
        }
        let mut len = 0usize;
        // SAFETY: the value is a string, so lua_tolstring neither converts
        // nor allocates; it stays on the stack (and its bytes unchanged:
        // strings are immutable) while the handle is borrowed.
        unsafe {
            let p = ffi::lua_tolstring(self.raw(), i, &mut len);
            Some(core::slice::from_raw_parts(p.cast::<u8>(), len))
        }
    }

    /// Integer argument `idx`, or a "number expected" error.
    pub fn arg_integer(&self, idx: c_int) -> Result<Integer> {
        self.to_integer(idx).ok_or(Error::Type(idx, c"integer"))
    }

    /// Optional integer argument: `default` when absent or nil.
    pub fn opt_integer(&self, idx: c_int, default: Integer) -> Result<Integer> {
        match self.type_of(idx) {
            Type::None | Type::Nil => Ok(default),
            _ => self.arg_integer(idx),
        }
    }

    /// String argument `idx` (numbers are not converted).
    pub fn arg_bytes(&self, idx: c_int) -> Result<&[u8]> {
        self.to_bytes(idx).ok_or(Error::Type(idx, c"string"))
    }

    /// Pushes `tostring(value at idx)` (honouring `__tostring`/`__name`) and
    /// returns its bytes.
    pub fn to_display(&mut self, idx: c_int) -> &[u8] {
        let i = self.need(idx);
        self.reserve(1);
        let mut len = 0usize;
        // SAFETY: `i` names a value and a slot is free; luaL_tolstring
        // pushes a string (it may raise: we are in a protected call).
        let p = unsafe { ffi::luaL_tolstring(self.raw(), i, &mut len) };
        self.pushed(1);
        // SAFETY: the string is on the stack while the handle is borrowed.
        unsafe { core::slice::from_raw_parts(p.cast::<u8>(), len) }
    }

    pub fn push_nil(&mut self) {
        self.reserve(1);
        // SAFETY: a slot is free.
        unsafe { ffi::lua_pushnil(self.raw()) };
        self.pushed(1);
    }

    pub fn push_integer(&mut self, n: Integer) {
        self.reserve(1);
        // SAFETY: a slot is free.
        unsafe { ffi::lua_pushinteger(self.raw(), n) };
        self.pushed(1);
    }

    pub fn push_boolean(&mut self, b: bool) {
        self.reserve(1);
        // SAFETY: a slot is free.
        unsafe { ffi::lua_pushboolean(self.raw(), c_int::from(b)) };
        self.pushed(1);
    }

    /// Pushes a string with the bytes of `s` (Lua copies them).
    pub fn push_bytes(&mut self, s: &[u8]) {
        self.reserve(1);
        // SAFETY: a slot is free; `s` is valid for its length.
        unsafe { ffi::lua_pushlstring(self.raw(), s.as_ptr().cast::<c_char>(), s.len()) };
        self.pushed(1);
    }

    /// Pushes a string with bytes `from..to` of the string or buffer at
    /// `idx` (the range is clamped to the value's bytes).
    pub fn push_sub_bytes(&mut self, idx: c_int, from: usize, to: usize) {
        let i = self.need(idx);
        let (p, len) = match self.bytes_at(i) {
            Some(b) => (b.as_ptr(), b.len()),
            None => self.misuse(c"lunatik: bytes expected on the stack"),
        };
        let to = to.min(len);
        let from = from.min(to);
        self.reserve(1);
        // SAFETY: `p..p+len` are the bytes of a value on the stack, which
        // lua_pushlstring copies before it can collect anything; a slot is
        // free.
        unsafe { ffi::lua_pushlstring(self.raw(), p.add(from).cast::<c_char>(), to - from) };
        self.pushed(1);
    }

    /// The bytes of the string or full userdata at `idx` (of any kind:
    /// `buffer_bytes` checks that it is a buffer).
    pub fn bytes_at(&self, idx: c_int) -> Option<&[u8]> {
        let i = self.slot(idx)?;
        match self.type_of(i) {
            Type::String => self.to_bytes(i),
            Type::Userdata => {
                // SAFETY: a full userdata has lua_rawlen bytes at
                // lua_touserdata, alive while it is on the stack.
                unsafe {
                    let p = ffi::lua_touserdata(self.raw(), i).cast::<u8>();
                    let len = ffi::lua_rawlen(self.raw(), i) as usize;
                    Some(core::slice::from_raw_parts(p, len))
                }
            }
            _ => None,
        }
    }

    pub fn push_value(&mut self, idx: c_int) {
        let i = self.need(idx);
        self.reserve(1);
        // SAFETY: `i` names a value and a slot is free.
        unsafe { ffi::lua_pushvalue(self.raw(), i) };
        self.pushed(1);
    }

    /// Pushes a library function.
    pub fn push_fn(&mut self, f: LibFn) {
        self.reserve(1);
        // SAFETY: a slot is free for the upvalue, which the closure then
        // takes; `trampoline` expects exactly this upvalue.
        unsafe {
            ffi::lua_pushlightuserdata(self.raw(), f as *mut c_void);
            ffi::lua_pushcclosure(self.raw(), trampoline, 1);
        }
        self.pushed(1);
    }

    pub fn new_table(&mut self, narr: c_int, nrec: c_int) {
        self.reserve(1);
        // SAFETY: a slot is free.
        unsafe { ffi::lua_createtable(self.raw(), narr.max(0), nrec.max(0)) };
        self.pushed(1);
    }

    /// `t[name] = v` for the table (or value with `__newindex`) at `idx`
    /// and the value on top, which is popped.
    pub fn set_field(&mut self, idx: c_int, name: &CStr) {
        let i = self.need(idx);
        self.need(-1);
        // SAFETY: `i` names a value, a value is on top; metamethods run in
        // this protected call.
        unsafe { ffi::lua_setfield(self.raw(), i, name.as_ptr()) };
        self.room += 1;
    }

    /// `t[k] = v` of the table at `idx` without metamethods; k and v on top
    /// (popped).
    pub fn raw_set(&mut self, idx: c_int) {
        let i = self.need_table(idx);
        if self.top() < 2 {
            self.misuse(c"lunatik: raw_set without a key and a value");
        }
        // SAFETY: a table at `i`, a key and a value on top (a nil or NaN
        // key raises, inside this protected call).
        unsafe { ffi::lua_rawset(self.raw(), i) };
        self.room += 2;
    }

    /// Removes the value at `idx`, shifting those above it down.
    pub fn remove(&mut self, idx: c_int) {
        let i = self.need(idx);
        // SAFETY: `i` names a value; rotating it to the top and popping it
        // is lua_remove.
        unsafe {
            ffi::lua_rotate(self.raw(), i, -1);
            ffi::lua_settop(self.raw(), -2);
        }
        self.room += 1;
    }

    /// Sets the first upvalue of the Lua function on top (its `_ENV`, for
    /// a main chunk) to the globals table.
    pub fn reset_env(&mut self) {
        if self.type_of(-1) != Type::Function {
            self.misuse(c"lunatik: a function was expected on the stack");
        }
        self.reserve(1);
        // SAFETY: a function on top and a free slot; lua_setupvalue pops
        // the value (and ignores a function without upvalues).
        unsafe {
            ffi::lua_rawgeti(self.raw(), ffi::LUA_REGISTRYINDEX, ffi::LUA_RIDX_GLOBALS);
            if ffi::lua_setupvalue(self.raw(), -2, 1).is_null() {
                ffi::lua_settop(self.raw(), -2);
            }
        }
    }

    /// Replaces the key on top by `t[key]` of the table at `idx`, without
    /// metamethods; returns the value's type.
    pub fn raw_get(&mut self, idx: c_int) -> Type {
        let i = self.need_table(idx);
        self.need(-1);
        // SAFETY: a table at `i`, a key on top.
        unsafe { ffi::lua_rawget(self.raw(), i) };
        self.type_of(-1)
    }

    /// Pushes `t[i]` of the table at `idx` without metamethods.
    pub fn raw_get_index(&mut self, idx: c_int, n: Integer) -> Type {
        let i = self.need_table(idx);
        self.reserve(1);
        // SAFETY: a table at `i`, a slot free.
        unsafe { ffi::lua_rawgeti(self.raw(), i, n) };
        self.pushed(1);
        self.type_of(-1)
    }

    /// `t[n] = v` of the table at `idx` without metamethods; v on top,
    /// popped.
    pub fn raw_set_index(&mut self, idx: c_int, n: Integer) {
        let i = self.need_table(idx);
        self.need(-1);
        // SAFETY: a table at `i`, a value on top.
        unsafe { ffi::lua_rawseti(self.raw(), i, n) };
        self.room += 1;
    }

    /// Sets global `name` to the value on top (popped).
    pub fn set_global(&mut self, name: &CStr) {
        self.need(-1);
        self.reserve(1);
        // SAFETY: a value on top; lua_setglobal pushes the globals table
        // for a moment (the slot reserved above).
        unsafe { ffi::lua_setglobal(self.raw(), name.as_ptr()) };
        self.room += 1;
    }

    /// Pushes `registry[key]` (a key by address: no string to make);
    /// returns its type.
    pub fn get_registry_key(&mut self, key: &'static RegistryKey) -> Type {
        self.reserve(1);
        // SAFETY: a slot is free; the registry is a table.
        unsafe { ffi::lua_rawgetp(self.raw(), ffi::LUA_REGISTRYINDEX, key.addr()) };
        self.pushed(1);
        self.type_of(-1)
    }

    /// `registry[key] = v`, v on top (popped).
    pub fn set_registry_key(&mut self, key: &'static RegistryKey) {
        self.need(-1);
        // SAFETY: a value on top; the registry is a table.
        unsafe { ffi::lua_rawsetp(self.raw(), ffi::LUA_REGISTRYINDEX, key.addr()) };
        self.room += 1;
    }

    /// Fills the table on top with a decision's file (lua/lunatik_fast.c);
    /// true when its `fh` needs a new buffer (a new length).
    pub fn fill_file(&mut self, f: &ffi::lunatik_file) -> bool {
        if self.type_of(-1) != Type::Table {
            self.misuse(c"lunatik: a table was expected on the stack");
        }
        self.reserve(1);
        let keys = crate::vm::keys_of(self.raw());
        // SAFETY: a table on top, a free slot for the fallbacks' pushes;
        // the pointers of `f` are valid for their lengths; `keys` are the
        // state's interned names (anchored in its registry).
        unsafe { ffi::lunatik_fill_file(self.raw(), f, keys.as_ptr()) != 0 }
    }

    /// Interns the field names of decisions and anchors them in the
    /// registry (once per state, from `Vm::open`).
    pub(crate) fn intern_keys(&mut self) -> [*const c_void; ffi::LUNATIK_NKEYS] {
        let mut keys = [core::ptr::null(); ffi::LUNATIK_NKEYS];
        self.reserve(2);
        // SAFETY: two slots are free (a table and a string at a time).
        unsafe { ffi::lunatik_keys_init(self.raw(), keys.as_mut_ptr()) };
        keys
    }

    /// The raw state, for the engine's own bookkeeping (`vm.rs`).
    pub(crate) fn raw_state(&self) -> *mut ffi::lua_State {
        self.raw()
    }

    /// Makes the name, client and export of a decision readable by the
    /// file table's `__index` for the duration of `f` (nothing else can run
    /// in between: the handle is borrowed).
    /// (A Lua error that skips the clearing here is covered by `Vm::run`,
    /// which clears them when the entry ends.)
    pub fn with_lazy_fields<R>(
        &mut self,
        name: Option<&[u8]>,
        client: &[u8],
        export: &[u8],
        f: impl FnOnce(&mut Self) -> R,
    ) -> R {
        crate::vm::set_lazy(self.raw(), Some([name, Some(client), Some(export)]));
        let r = f(self);
        crate::vm::set_lazy(self.raw(), None);
        r
    }

    /// Pushes lazy field `i` (0 name, 1 client, 2 export) of the running decision, or
    /// nil outside one.
    pub fn push_lazy_field(&mut self, i: usize) {
        match crate::vm::lazy_of(self.raw(), i) {
            Some(b) => self.push_bytes(b),
            None => self.push_nil(),
        }
    }

    /// The address of the table (or other object) at `idx`, for identity.
    pub fn to_pointer(&self, idx: c_int) -> *const c_void {
        match self.slot(idx) {
            // SAFETY: `i` names a value.
            Some(i) => unsafe { ffi::lua_topointer(self.raw(), i) },
            None => core::ptr::null(),
        }
    }

    /// Reads the answer table on top (lua/lunatik_fast.c): stripe unit,
    /// first index and the servers, 0-based, into `ds`; their count, or
    /// the reason it is no answer.
    pub fn read_answer(
        &mut self,
        ds: &mut [u32],
    ) -> core::result::Result<(Integer, Integer, usize), &'static CStr> {
        let max = c_int::try_from(ds.len()).unwrap_or(c_int::MAX - 1);
        let (mut su, mut first) = (0, 0);
        let keys = crate::vm::keys_of(self.raw());
        // SAFETY: `ds` is writable for `max` values; the C side checks that
        // the top is a table and reads it raw; `keys` as in `fill_file`.
        let n = unsafe {
            ffi::lunatik_read_answer(
                self.raw(),
                &mut su,
                &mut first,
                ds.as_mut_ptr(),
                max,
                keys.as_ptr(),
            )
        };
        match n {
            -1 => Err(c"layout answer must be a table {stripe_unit=, servers=, first=}"),
            -2 => Err(c"layout answer: stripe_unit and first must be integers"),
            -3 => Err(c"layout answer: servers must be a list of server numbers"),
            n if n < 0 => Err(c"layout answer: servers must be integers"),
            n => Ok((su, first, n as usize)),
        }
    }

    /// Registers `funcs` in the table on top of the stack.
    pub fn set_funcs(&mut self, funcs: &[(&CStr, LibFn)]) {
        for &(name, f) in funcs {
            self.push_fn(f);
            self.set_field(-2, name);
        }
    }

    /// Opens a standard library of the core as global `name`.
    pub fn open_stdlib(&mut self, name: &CStr, open: unsafe extern "C" fn(*mut RawState) -> c_int) {
        self.reserve(3);
        // SAFETY: `open` is one of the core's luaopen_* functions, which
        // pushes its library; luaL_requiref leaves it on the stack.
        unsafe {
            ffi::luaL_requiref(self.raw(), name.as_ptr(), open, 1);
            ffi::lua_settop(self.raw(), -2);
        }
    }

    /// Pushes a new userdata of `len` zeroed bytes and returns them.
    pub fn new_userdata(&mut self, len: usize) -> &mut [u8] {
        self.reserve(1);
        // SAFETY: a slot is free; Lua returns a block of `len` bytes (or
        // raises); it is ours while on the stack, zeroed before use.
        unsafe {
            let p = ffi::lua_newuserdatauv(self.raw(), len, 0).cast::<u8>();
            self.pushed(1);
            core::ptr::write_bytes(p, 0, len);
            core::slice::from_raw_parts_mut(p, len)
        }
    }

    /// Pushes a new userdata of `len` zeroed bytes, then `fill(src, new)`
    /// with the bytes of the string or userdata at `src` and the new bytes.
    pub fn new_userdata_from(
        &mut self,
        src: c_int,
        len: usize,
        fill: impl FnOnce(&[u8], &mut [u8]),
    ) {
        let i = self.need(src);
        let bytes = self.new_userdata(len);
        let dst = (bytes.as_mut_ptr(), bytes.len());
        let Some(from) = self.bytes_at(i) else {
            self.misuse(c"lunatik: bytes expected on the stack")
        };
        // SAFETY: the new userdata and the value at `i` are distinct objects
        // on the stack; nothing changes the stack during `fill`.
        let to = unsafe { core::slice::from_raw_parts_mut(dst.0, dst.1) };
        fill(from, to)
    }

    /// The bytes of the buffer (`libs::buffer`) at `idx`, if it is one:
    /// a full userdata whose metatable is the state's buffer metatable.
    pub fn buffer_bytes(&self, idx: c_int) -> Option<&[u8]> {
        let i = self.slot(idx)?;
        let mt = crate::vm::buffer_mt_of(self.raw());
        let mut len = 0usize;
        // SAFETY: `i` is an absolute index of a value of this frame; the
        // block has `len` bytes and lives while the value is on the stack.
        unsafe {
            let p = ffi::lunatik_udata(self.raw(), i, mt, &mut len);
            if p.is_null() {
                return None;
            }
            Some(core::slice::from_raw_parts(p.cast::<u8>(), len))
        }
    }

    /// As [`Lua::buffer_bytes`], writable.
    pub fn buffer_bytes_mut(&mut self, idx: c_int) -> Option<&mut [u8]> {
        let b = self.buffer_bytes(idx)?;
        let (p, len) = (b.as_ptr().cast_mut(), b.len());
        // SAFETY: the bytes are the userdata's own, reached only through
        // this exclusive borrow of the handle.
        Some(unsafe { core::slice::from_raw_parts_mut(p, len) })
    }

    /// Pushes the metatable registered as `tname`, creating it if needed;
    /// true when created.
    pub fn new_metatable(&mut self, tname: &CStr) -> bool {
        self.reserve(1);
        // SAFETY: a slot is free; `tname` is NUL-terminated.
        let made = unsafe { ffi::luaL_newmetatable(self.raw(), tname.as_ptr()) != 0 };
        self.pushed(1);
        made
    }

    /// Sets the metatable of the value at `idx` to the table (or nil) on
    /// top, which is popped.
    pub fn set_metatable(&mut self, idx: c_int) {
        let i = self.need(idx);
        if !matches!(self.type_of(-1), Type::Table | Type::Nil) {
            self.misuse(c"lunatik: a metatable must be a table");
        }
        // SAFETY: `i` names a value and a table or nil is on top.
        unsafe { ffi::lua_setmetatable(self.raw(), i) };
        self.room += 1;
    }

    /// Loads a text chunk and pushes it as a function; on a syntax error,
    /// raises it.
    pub fn load_text(&mut self, code: &[u8], name: &CStr) {
        self.reserve(1);
        // SAFETY: `code` is valid for its length; mode "t" accepts text only
        // (and the binary loader is not even compiled in: ltextonly.c).
        let st = unsafe {
            ffi::luaL_loadbufferx(
                self.raw(),
                code.as_ptr().cast::<c_char>(),
                code.len(),
                name.as_ptr(),
                c"t".as_ptr(),
            )
        };
        self.pushed(1);
        if st != ffi::LUA_OK {
            // SAFETY: the message is on top; this frame owns nothing.
            unsafe { ffi::lua_error(self.raw()) };
        }
    }

    /// Calls the function below the `nargs` values on top, leaving
    /// `nresults` results (all of them with `ffi::LUA_MULTRET`); errors
    /// propagate.
    pub fn call(&mut self, nargs: c_int, nresults: c_int) {
        if nargs < 0 || nargs >= self.top() {
            self.misuse(c"lunatik: call without its function and arguments");
        }
        if nresults != ffi::LUA_MULTRET {
            if nresults < 0 {
                self.misuse(c"lunatik: negative result count");
            }
            self.reserve(nresults);
        }
        // SAFETY: the function and its arguments are on the stack, and room
        // for the results was made (Lua grows the stack for LUA_MULTRET).
        unsafe { ffi::lua_callk(self.raw(), nargs, nresults, 0, None) };
        self.room = 0;
    }

    /// Replaces the `n` values on top by their concatenation.
    pub fn concat(&mut self, n: c_int) {
        if n < 0 || n > self.top() {
            self.misuse(c"lunatik: concat of more values than the stack holds");
        }
        self.reserve(1);
        // SAFETY: `n` values are on the stack; a slot is free for n == 0.
        unsafe { ffi::lua_concat(self.raw(), n) };
        self.room += n - 1;
    }

    /// Memory in use by this state, in bytes.
    pub fn memory_used(&self) -> usize {
        // SAFETY: these requests take no extra argument and run no GC.
        unsafe {
            let kib = ffi::lua_gc(self.raw(), ffi::LUA_GCCOUNT).max(0) as usize;
            let rest = ffi::lua_gc(self.raw(), ffi::LUA_GCCOUNTB).max(0) as usize;
            kib * 1024 + rest
        }
    }

    /// The state's host (what it may ask of nfsd), see `crate::host`.
    pub fn host(&self) -> &'static dyn crate::host::Host {
        crate::vm::host_of(self.raw())
    }

    /// Raises a Lua error whose message is bytes `from..to` of the string or
    /// userdata at `idx` (with the position of the calling Lua code in
    /// front): for messages that are not constants. The caller's frame must
    /// own nothing (the rule of library functions).
    pub fn raise_sub_bytes(&mut self, idx: c_int, from: usize, to: usize) -> ! {
        self.push_sub_bytes(idx, from, to);
        // SAFETY: the message is a Lua string on top, NUL-terminated;
        // luaL_error copies it before raising.
        unsafe {
            let p = ffi::lua_tolstring(self.raw(), -1, core::ptr::null_mut());
            ffi::luaL_error(self.raw(), c"%s".as_ptr(), p);
        }
        crate::platform::fatal(b"lunatik: a Lua error returned\n")
    }

    /// Charges `units` of work done in Rust library code to the entry's
    /// budget (docs/lua-api.md, "Limits"); raises when it runs out.
    pub fn charge(&mut self, units: usize) {
        // SAFETY: the running thread of a state made by `Vm`, in a
        // protected call; this frame owns nothing.
        unsafe { crate::vm::lunatik_charge(self.raw(), units) }
    }
}
