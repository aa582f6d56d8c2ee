/* SPDX-License-Identifier: MIT */
/* Kernel shim for the Lua core: no floating point. Only code that lunatik-ng never reaches with a float names these. */
#ifndef LUNATIK_KSHIM_MATH_H
#define LUNATIK_KSHIM_MATH_H
#define HUGE_VAL	9223372036854775807LL
static inline long long lunatik_ldexp(long long x, int e)
{
	return e >= 0 ? (long long)((unsigned long long)x << (e & 63)) : x >> ((-e) & 63);
}
#define ldexp(x, e)	lunatik_ldexp((long long)(x), (e))
#define fabs(x)		((x) < 0 ? -(x) : (x))
#define floor(x)	(x)
#endif
