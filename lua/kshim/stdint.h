/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: fixed-size integer types. */
#ifndef LUNATIK_KSHIM_STDINT_H
#define LUNATIK_KSHIM_STDINT_H
#include <linux/types.h>
#define UINTPTR_MAX	18446744073709551615UL
#endif
