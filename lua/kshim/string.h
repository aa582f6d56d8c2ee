/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core. Prototypes of the kernel's exported string functions; linux/string.h is not included, it would drag in panic() and clash with lauxlib. */
#ifndef LUNATIK_KSHIM_STRING_H
#define LUNATIK_KSHIM_STRING_H
#include <linux/types.h>
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
void *memchr(const void *s, int c, size_t n);
char *strchr(const char *s, int c);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strcpy(char *dst, const char *src);
size_t strlen(const char *s);
char *strpbrk(const char *s, const char *accept);
size_t strspn(const char *s, const char *accept);
char *strstr(const char *s, const char *needle);
/* No locales in the kernel: collation is byte order. */
#define strcoll(a, b)	strcmp((a), (b))
static inline const char *lunatik_strerror(int e)
{
	(void)e;
	return "no files in the kernel";
}
#define strerror(e)	lunatik_strerror(e)
#endif
