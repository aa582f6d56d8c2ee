/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: variadic arguments. */
#ifndef LUNATIK_KSHIM_STDARG_H
#define LUNATIK_KSHIM_STDARG_H
#include <linux/stdarg.h>
#endif
