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

/* What a layout decision tells the policy (lua/engine/libs/pnfs.rs has
 * the same structure, #[repr(C)]). */
struct lunatik_file {
	long long ino, size, uid, gid, offset, length, servers;
	const char *fh;
	size_t fh_len;
	const char *name;		/* NULL: no name */
	size_t name_len;
	const char *client;
	size_t client_len;
	int rw;
	const void *buffer_mt;		/* the buffer metatable (a Table *) */
};

/* The field names of decisions, interned once per state (lunatik_fast.c). */
enum {
	LUNATIK_KEY_INO, LUNATIK_KEY_SIZE, LUNATIK_KEY_UID, LUNATIK_KEY_GID,
	LUNATIK_KEY_OFFSET, LUNATIK_KEY_LENGTH, LUNATIK_KEY_SERVERS,
	LUNATIK_KEY_NAME, LUNATIK_KEY_CLIENT, LUNATIK_KEY_IOMODE, LUNATIK_KEY_FH,
	LUNATIK_KEY_STRIPE_UNIT, LUNATIK_KEY_FIRST, LUNATIK_KEY_RW,
	LUNATIK_KEY_READ, LUNATIK_NKEYS
};

/* Bytes of stack left below the current frame. */
size_t lunatik_stack_left(void);

#endif
