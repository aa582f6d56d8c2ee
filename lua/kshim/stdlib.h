/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core. luaL_newstate's allocator is never used in the kernel (states are made with lua_newstate and our allocator): these make it fail cleanly. */
#ifndef LUNATIK_KSHIM_STDLIB_H
#define LUNATIK_KSHIM_STDLIB_H
#include <linux/types.h>
static inline void *lunatik_no_realloc(void *p, size_t n)
{
	(void)p;
	(void)n;
	return NULL;
}
static inline void lunatik_no_free(void *p)
{
	(void)p;
}
#define realloc(p, n)	lunatik_no_realloc((p), (n))
#define free(p)		lunatik_no_free(p)
#define abort()		__builtin_trap()
#define abs(x)		((x) < 0 ? -(x) : (x))
#endif
