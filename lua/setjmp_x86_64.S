/* SPDX-License-Identifier: MIT */
/*
 * setjmp/longjmp for the Lua core in the kernel (x86_64). A Lua error is a
 * longjmp back to the protected call that caught it. Saves the callee-saved
 * registers, the stack pointer and the return address. longjmp returns
 * with push + ret, so no indirect jump needs an ENDBR landing pad (IBT).
 */
#include <linux/linkage.h>
#include <linux/objtool.h>

/* int lunatik_setjmp(jmp_buf env) */
SYM_FUNC_START(lunatik_setjmp)
	movq	%rbx, 0(%rdi)
	movq	%rbp, 8(%rdi)
	movq	%r12, 16(%rdi)
	movq	%r13, 24(%rdi)
	movq	%r14, 32(%rdi)
	movq	%r15, 40(%rdi)
	leaq	8(%rsp), %rdx		/* the stack pointer after our return */
	movq	%rdx, 48(%rdi)
	movq	(%rsp), %rdx		/* our return address */
	movq	%rdx, 56(%rdi)
	xorl	%eax, %eax
	RET
SYM_FUNC_END(lunatik_setjmp)

/* void lunatik_longjmp(jmp_buf env, int val): setjmp returns val (1 if 0) */
SYM_FUNC_START(lunatik_longjmp)
	movl	%esi, %eax
	testl	%eax, %eax
	jnz	1f
	incl	%eax
1:	movq	0(%rdi), %rbx
	movq	8(%rdi), %rbp
	movq	16(%rdi), %r12
	movq	24(%rdi), %r13
	movq	32(%rdi), %r14
	movq	40(%rdi), %r15
	movq	48(%rdi), %rsp
	pushq	56(%rdi)
	RET
SYM_FUNC_END(lunatik_longjmp)
/* It returns on another frame (setjmp's caller's) by design. */
STACK_FRAME_NON_STANDARD lunatik_longjmp
