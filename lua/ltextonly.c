// SPDX-License-Identifier: MIT
/*
 * lunatik-ng loads text chunks only. This file replaces the core's binary
 * chunk loader (lundump.c), so no mode flag can reach one: malicious
 * bytecode can crash the Lua VM, and in the kernel that is an oops.
 */
#define LUA_CORE

#include "lua.h"
#include "ldo.h"
#include "lobject.h"
#include "lundump.h"

LClosure *luaU_undump(lua_State *L, ZIO *Z, const char *name)
{
	(void)Z;
	if (*name == '@' || *name == '=')
		name++;
	else if (*name == LUA_SIGNATURE[0])
		name = "binary string";
	luaO_pushfstring(L, "%s: binary chunks are not accepted (lunatik-ng loads text only)",
			 name);
	luaD_throw(L, LUA_ERRSYNTAX);
}
