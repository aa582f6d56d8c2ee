/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: nothing is needed from it (see luaconf.h). */
#ifndef LUNATIK_KSHIM_TIME_H
#define LUNATIK_KSHIM_TIME_H
#endif
