/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: the kernel's character classes. */
#ifndef LUNATIK_KSHIM_CTYPE_H
#define LUNATIK_KSHIM_CTYPE_H
#include <linux/ctype.h>
#endif
