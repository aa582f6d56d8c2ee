/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: Lua errors are long jumps (setjmp_x86_64.S). */
#ifndef LUNATIK_KSHIM_SETJMP_H
#define LUNATIK_KSHIM_SETJMP_H
/* rbx, rbp, r12, r13, r14, r15, rsp after return, return address */
typedef unsigned long jmp_buf[8];
int lunatik_setjmp(jmp_buf env) __attribute__((returns_twice));
void lunatik_longjmp(jmp_buf env, int val) __attribute__((noreturn));
#define setjmp(env)		lunatik_setjmp(env)
#define longjmp(env, v)		lunatik_longjmp((env), (v))
#endif
