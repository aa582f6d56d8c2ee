// SPDX-License-Identifier: MIT
/*
 * Fast paths for the layout decisions of lua/engine/libs/pnfs.rs, written
 * with the core's internals (compiled with the core in the kernel and in
 * the userspace twin). A decision passes about a dozen fields to the
 * policy and reads back a list of up to 64 server numbers: through the C
 * API that is one call (index checks, a push, a pop) per value. These read
 * and write the table directly, with the core's own accessors, and fall
 * back to the API where the fast path does not apply. Also the one other
 * reach into the core's internals the engine needs: a state's main thread.
 */
#define LUA_CORE

#include "lua.h"
#include "lapi.h"
#include "lobject.h"
#include "lstate.h"
#include "lstring.h"
#include "ltable.h"
#include "lvm.h"
#include "lunatik_port.h"

#include <string.h>

/*
 * The field names of decisions, interned once per state (lunatik_keys_init)
 * and anchored in its registry: a lookup by a known TString is a hash-chain
 * walk, with no string cache to search and no strcmp.
 */
static const char *const key_names[LUNATIK_NKEYS] = {
	"ino", "size", "uid", "gid", "offset", "length", "servers", "name",
	"client", "iomode", "fh", "stripe_unit", "first", "rw", "read",
};

void lunatik_keys_init(lua_State *L, const void **keys)
{
	int i;

	lua_createtable(L, LUNATIK_NKEYS, 0);
	for (i = 0; i < LUNATIK_NKEYS; i++) {
		lua_pushstring(L, key_names[i]);
		keys[i] = tsvalue(s2v(L->top.p - 1));
		lua_rawseti(L, -2, i + 1);
	}
	lua_rawsetp(L, LUA_REGISTRYINDEX, key_names);
}

#define KEY(keys, k)	((TString *)(keys)[k])

/* The table on top of the stack, or NULL. */
static Table *top_table(lua_State *L)
{
	const TValue *o = s2v(L->top.p - 1);

	return ttistable(o) ? hvalue(o) : NULL;
}

/* An integer field of the table on top: in place when it exists. */
static void set_int(lua_State *L, Table *t, TString *key, long long v)
{
	const TValue *slot = luaH_getshortstr(t, key);

	if (!isempty(slot)) {
		/* no barrier: an integer is not collectable */
		setivalue(cast(TValue *, slot), v);
		return;
	}
	lua_pushinteger(L, v);
	lua_setfield(L, -2, getstr(key));
}

/* A string field of the table on top, unless it already holds these bytes. */
static void set_str(lua_State *L, Table *t, TString *key, const char *s,
		    size_t len)
{
	const TValue *slot = luaH_getshortstr(t, key);

	if (s && ttisstring(slot) && tsslen(tsvalue(slot)) == len &&
	    memcmp(getstr(tsvalue(slot)), s, len) == 0)
		return;
	if (!s && isempty(slot))
		return;
	if (s)
		lua_pushlstring(L, s, len);
	else
		lua_pushnil(L);
	lua_setfield(L, -2, getstr(key));
}

/*
 * Fills the file table on top of the stack with @f (docs/pnfs.md, "Lua
 * policies"): integers in place, strings only when they changed, and the
 * filehandle's bytes into the buffer already there when its length is the
 * same. Returns 1 when the filehandle needs a new buffer (the caller makes
 * it: buffers get their metatable from the Rust side), else 0.
 */
int lunatik_fill_file(lua_State *L, const struct lunatik_file *f,
		      const void *const *keys)
{
	Table *t = top_table(L);
	const TValue *fh;

	if (!t)
		return -1;
	set_int(L, t, KEY(keys, LUNATIK_KEY_INO), f->ino);
	set_int(L, t, KEY(keys, LUNATIK_KEY_SIZE), f->size);
	set_int(L, t, KEY(keys, LUNATIK_KEY_UID), f->uid);
	set_int(L, t, KEY(keys, LUNATIK_KEY_GID), f->gid);
	set_int(L, t, KEY(keys, LUNATIK_KEY_OFFSET), f->offset);
	set_int(L, t, KEY(keys, LUNATIK_KEY_LENGTH), f->length);
	set_int(L, t, KEY(keys, LUNATIK_KEY_SERVERS), f->servers);
	/* name and client are made when read (the table's __index), not here */
	set_str(L, t, KEY(keys, LUNATIK_KEY_NAME), NULL, 0);
	set_str(L, t, KEY(keys, LUNATIK_KEY_CLIENT), NULL, 0);
	set_str(L, t, KEY(keys, LUNATIK_KEY_IOMODE), f->rw ? "rw" : "read",
		f->rw ? 2 : 4);
	fh = luaH_getshortstr(t, KEY(keys, LUNATIK_KEY_FH));
	if (ttisfulluserdata(fh) && uvalue(fh)->len == f->fh_len &&
	    uvalue(fh)->metatable != NULL && uvalue(fh)->metatable == f->buffer_mt) {
		memcpy(getudatamem(uvalue(fh)), f->fh, f->fh_len);
		return 0;
	}
	return 1;
}

/* A raw integer field of @t, or @dflt when absent; -1 when not an integer. */
static int get_int(Table *t, TString *key, long long dflt, long long *v)
{
	const TValue *slot = luaH_getshortstr(t, key);

	if (isempty(slot)) {
		*v = dflt;
		return 0;
	}
	if (!ttisinteger(slot))
		return -1;
	*v = ivalue(slot);
	return 0;
}

/*
 * Reads the answer table on top of the stack (its fields raw: no
 * metamethods): stripe_unit (default 0), first (default 1) and the servers
 * list into @ds as by lunatik_server_list. Returns the server count, or a
 * negative reason: -1 not a table, -2 stripe_unit or first not an integer,
 * -3 servers not a table, -4 a server not an integer.
 */
int lunatik_read_answer(lua_State *L, long long *stripe_unit, long long *first,
			unsigned int *ds, int max, const void *const *keys)
{
	Table *t = top_table(L);
	const TValue *servers;
	Table *list;
	unsigned int asize;
	int n;

	if (!t)
		return -1;
	if (get_int(t, KEY(keys, LUNATIK_KEY_STRIPE_UNIT), 0, stripe_unit) ||
	    get_int(t, KEY(keys, LUNATIK_KEY_FIRST), 1, first))
		return -2;
	servers = luaH_getshortstr(t, KEY(keys, LUNATIK_KEY_SERVERS));
	if (!ttistable(servers))
		return -3;
	list = hvalue(servers);
	asize = luaH_realasize(list);
	for (n = 0; n <= max; n++) {
		const TValue *v = (unsigned int)n < asize ? &list->array[n] :
				  luaH_getint(list, n + 1);
		lua_Unsigned i;

		if (isempty(v))
			break;
		if (!ttisinteger(v))
			return -4;
		i = (lua_Unsigned)ivalue(v) - 1u;	/* 1-based in Lua */
		if (n < max)
			ds[n] = i <= 0xffffffffu ? (unsigned int)i : 0xffffffffu;
	}
	return n;
}

/*
 * The bytes of the full userdata at absolute stack index @idx (a checked
 * one) if its metatable is @mt (the buffer metatable, kept by the state),
 * else NULL: luaL_testudata without a registry lookup by name.
 */
void *lunatik_udata(lua_State *L, int idx, const void *mt, size_t *len)
{
	const TValue *o = s2v(L->ci->func.p + idx);

	if (!ttisfulluserdata(o) || uvalue(o)->metatable != mt)
		return NULL;
	*len = uvalue(o)->len;
	return getudatamem(uvalue(o));
}

/*
 * The main thread of @L's state. Its extra space holds the engine's Vm
 * (lua/engine/vm.rs), set at every entry; a coroutine's extra space is a
 * copy made when it was created, stale once the Vm has moved.
 */
lua_State *lunatik_mainthread(lua_State *L)
{
	return G(L)->mainthread;
}
