/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core. There are no files in the kernel: luaL_loadfilex (never reached: loadfile and dofile are removed) fails to open anything. */
#ifndef LUNATIK_KSHIM_STDIO_H
#define LUNATIK_KSHIM_STDIO_H
#include <linux/types.h>
#include <linux/stdarg.h>
typedef struct lunatik_no_file FILE;
#define EOF		(-1)
#define BUFSIZ		256
#define stdin		((FILE *)NULL)
#define stdout		((FILE *)NULL)
#define stderr		((FILE *)NULL)
int vsnprintf(char *buf, size_t size, const char *fmt, va_list args);
static inline FILE *lunatik_no_fopen(const char *p, const char *m)
{
	(void)p;
	(void)m;
	return NULL;
}
static inline int lunatik_no_file_op(FILE *f)
{
	(void)f;
	return EOF;
}
static inline size_t lunatik_no_fread(void *b, size_t s, size_t n, FILE *f)
{
	(void)b;
	(void)s;
	(void)n;
	(void)f;
	return 0;
}
#define fopen(p, m)		lunatik_no_fopen((p), (m))
#define freopen(p, m, f)	lunatik_no_fopen((p), (m))
#define fclose(f)		lunatik_no_file_op(f)
#define getc(f)			lunatik_no_file_op(f)
#define feof(f)			1
#define ferror(f)		1
#define fread(b, s, n, f)	lunatik_no_fread((b), (s), (n), (f))
#endif
