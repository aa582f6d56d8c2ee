/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: size_t, ptrdiff_t, NULL, offsetof. */
#ifndef LUNATIK_KSHIM_STDDEF_H
#define LUNATIK_KSHIM_STDDEF_H
#include <linux/types.h>
#include <linux/stddef.h>
#endif
