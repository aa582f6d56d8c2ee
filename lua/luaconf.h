/* SPDX-License-Identifier: MIT */
/*
 * lunatik-ng's configuration of the Lua 5.4 core, used unchanged by the kernel
 * module and by the userspace twin. It replaces Lua's own luaconf.h, which is
 * never copied next to the core.
 *
 * Numbers are 64-bit integers only (docs/lua-api.md, "Numbers"):
 * - lua_Number is long long, so no float or SSE code is ever generated;
 * - '/' and '//' floor, '%' is floor modulo, '^' is integer power, and the
 *   operations that C would trap on raise Lua errors (lunatik_num.c);
 * - numerals are integers: a literal with a fraction or an exponent is a
 *   "malformed number";
 * - every number has the integer subtype (patches/lobject-integer-only.patch).
 */
#ifndef lconfig_h
#define lconfig_h

#include <limits.h>
#include <stddef.h>

#define LUAI_IS32INT	1

/* Integers: long long, as in stock Lua. */
#define LUA_INTEGER		long long
#define LUA_INTEGER_FRMLEN	"ll"
#define LUAI_UACINT		LUA_INTEGER
#define LUA_INTEGER_FMT		"%" LUA_INTEGER_FRMLEN "d"
#define LUA_MAXINTEGER		9223372036854775807LL
#define LUA_MININTEGER		(-LUA_MAXINTEGER - 1LL)
#define LUA_UNSIGNED		unsigned LUAI_UACINT
#define LUA_MAXUNSIGNED		18446744073709551615ULL
#define lua_integer2str(s, sz, n) \
	l_sprintf((s), sz, LUA_INTEGER_FMT, (LUAI_UACINT)(n))

/* "Floats" have the same representation as integers. */
#define LUA_NUMBER		long long
#define LUAI_UACNUMBER		long long
#define LUA_NUMBER_FRMLEN	"ll"
#define LUA_NUMBER_FMT		"%lld"
#define l_floatatt(n)		(LUNATIK_FLT_##n)
#define LUNATIK_FLT_MANT_DIG	64
#define LUNATIK_FLT_MAX_10_EXP	19
#define l_mathop(op)		(lua_Number)op
#define l_floor(x)		(x)
#define l_hashfloat(n)		((int)((n) & INT_MAX))
#define lua_number2str(s, sz, n) \
	l_sprintf((s), sz, LUA_NUMBER_FMT, (LUAI_UACNUMBER)(n))
#define lua_numbertointeger(n, p)	((*(p) = (LUA_INTEGER)(n)), 1)
/* Decimal integers are read by the core's integer reader; anything it
 * rejects (a fraction, an exponent, an overflowing literal) stays rejected. */
#define lua_str2number(s, p)	((void)(s), *(p) = (char *)(s), (lua_Number)0)
#define lua_strx2number(s, p)	lua_str2number(s, p)
#define lua_number2strx(L, b, sz, f, n) \
	((void)(L), l_sprintf(b, sz, f, (LUAI_UACNUMBER)(n)))
#define lua_getlocaledecpoint()	'.'
#define lua_pointer2str(buff, sz, p)	l_sprintf(buff, sz, "%p", p)

/* Integer arithmetic for the operators that are "float" ones in stock Lua.
 * Guarded in llimits.h, so these win. */
#define luai_numadd(L, a, b) \
	((lua_Number)((unsigned long long)(a) + (unsigned long long)(b)))
#define luai_numsub(L, a, b) \
	((lua_Number)((unsigned long long)(a) - (unsigned long long)(b)))
#define luai_nummul(L, a, b) \
	((lua_Number)((unsigned long long)(a) * (unsigned long long)(b)))
#define luai_numunm(L, a)	((lua_Number)(0ULL - (unsigned long long)(a)))
#define luai_numeq(a, b)	((a) == (b))
#define luai_numlt(a, b)	((a) < (b))
#define luai_numle(a, b)	((a) <= (b))
#define luai_numgt(a, b)	((a) > (b))
#define luai_numge(a, b)	((a) >= (b))
#define luai_numisnan(a)	0
#define luai_numdiv(L, a, b)	lunatik_numdiv(L, a, b)
#define luai_numidiv(L, a, b)	lunatik_numdiv(L, a, b)
#define luai_nummod(L, a, b, m)	{ (m) = lunatik_nummod(L, a, b); }
#define luai_numpow(L, a, b)	lunatik_numpow(L, a, b)

#define LUA_KCONTEXT		ptrdiff_t
#define l_signalT		int
#define LUA_IDSIZE		60
/* Small buffers: luaL_Buffer lives on the 16 KiB kernel stack. */
#define LUAL_BUFFERSIZE		256
#define LUAI_MAXALIGN		long long n; void *s; long l
#define LUA_EXTRASPACE		(sizeof(void *))
#define LUAI_MAXSTACK		1000000

#define LUA_API			extern
#define LUALIB_API		LUA_API
#define LUAMOD_API		LUA_API
#define LUAI_FUNC		__attribute__((visibility("hidden"))) extern
#define LUAI_DDEC(dec)		LUAI_FUNC dec
#define LUAI_DDEF		/* empty */

#define luai_likely(x)		(__builtin_expect(((x) != 0), 1))
#define luai_unlikely(x)	(__builtin_expect(((x) != 0), 0))
#if defined(LUA_CORE) || defined(LUA_LIB)
#define l_likely(x)		luai_likely(x)
#define l_unlikely(x)		luai_unlikely(x)
#endif

/* No jump table: computed gotos upset objtool and IBT in the kernel. */
#define LUA_USE_JUMPTABLE	0

/*
 * C-stack bounds measured against the stack actually left (lunatik_num.c):
 * every use site of LUAI_MAXCCALLS has 'L' in scope.
 */
#define LUAI_MAXCCALLS		lunatik_cclimit(L)
#define MAXCCALLS		lunatik_matchdepth()

/* Seeds and randomness come from the platform (kernel RNG in the kernel). */
#define luai_makeseed(L)	((unsigned int)lunatik_random_u32())
#define l_randomizePivot()	lunatik_random_u32()

/* Output goes to the platform log (the kernel log in the kernel). */
#define lua_writestring(s, l)	lunatik_writestring((s), (l))
#define lua_writeline()		lunatik_writestring("\n", 1)
#define lua_writestringerror(s, p)	lunatik_writestringerror((s), (p))

/* Every formatted number goes through our formatter (lunatik_num.c). */
#define l_sprintf(s, sz, f, i)	lunatik_snprintf(s, sz, f, i)

struct lua_State;
long long lunatik_numdiv(struct lua_State *L, long long a, long long b);
long long lunatik_nummod(struct lua_State *L, long long a, long long b);
long long lunatik_numpow(struct lua_State *L, long long a, long long b);
unsigned int lunatik_cclimit(struct lua_State *L);
int lunatik_matchdepth(void);
unsigned int lunatik_random_u32(void);
void lunatik_writestring(const char *s, size_t l);
void lunatik_writestringerror(const char *fmt, const char *p);
int lunatik_snprintf(char *s, size_t sz, const char *fmt, ...);
/*
 * Work done inside C functions, charged to the entry's budget (lua/engine/
 * vm.rs, lua/patches/): lunatik_charge() counts 1 + units and may raise
 * (budget or CPU time exhausted, a fatal signal); lunatik_account() only
 * records units, for places where no error may be raised.
 */
void lunatik_charge(struct lua_State *L, size_t units);
void lunatik_account(struct lua_State *L, size_t units);
/*
 * Nonzero once the entry was stopped a second time (vm.rs, "once stopped,
 * stopped"): no error is recovered inside a coroutine any more.
 */
int lunatik_unwinding(struct lua_State *L);

#endif
