/* SPDX-License-Identifier: MIT */
/*
 * What the Lua port needs from its platform (the kernel module or the
 * userspace twin), and the stack bounds of docs/lua-api.md ("Limits").
 */
#ifndef LUNATIK_PORT_H
#define LUNATIK_PORT_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stddef.h>
#endif

/* C calls allowed while the stack is plentiful (stock Lua's value). */
#define LUNATIK_MAXCCALLS	200
/* Below this much stack left, no new C call or parser level is started. */
#define LUNATIK_STACK_SOFT	5120
/* Below this, an error being handled is not handled further. */
#define LUNATIK_STACK_HARD	2560
/* Stack allowed per level of string-pattern recursion (match() + callees). */
#define LUNATIK_MATCH_FRAME	160

/* Bytes of stack left below the current frame. */
size_t lunatik_stack_left(void);

#endif
