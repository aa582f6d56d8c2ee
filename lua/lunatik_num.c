// SPDX-License-Identifier: MIT
/*
 * lunatik-ng's number semantics and C-stack bounds for the Lua core,
 * compiled with the core in the kernel and in the userspace twin.
 * The rules are in docs/lua-api.md ("Numbers", "Limits").
 */
#define LUA_CORE

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lua.h"
#include "ldebug.h"
#include "lstate.h"
#include "lunatik_port.h"

long long lunatik_numdiv(lua_State *L, long long a, long long b)
{
	long long q;

	if (b == 0)
		luaG_runerror(L, "attempt to divide by zero");
	if (b == -1) {
		if (a == LUA_MININTEGER)
			luaG_runerror(L, "integer overflow in division");
		return -a;
	}
	q = a / b;
	if ((a % b != 0) && ((a ^ b) < 0))
		q -= 1;	/* floor, not truncate */
	return q;
}

long long lunatik_nummod(lua_State *L, long long a, long long b)
{
	long long r;

	if (b == 0)
		luaG_runerror(L, "attempt to perform 'n%%0'");
	if (b == -1)
		return 0;
	r = a % b;
	if (r != 0 && ((r ^ b) < 0))
		r += b;	/* the result has the sign of the divisor */
	return r;
}

long long lunatik_numpow(lua_State *L, long long a, long long b)
{
	unsigned long long r = 1, base = (unsigned long long)a;

	if (b < 0) {
		if (a == 1)
			return 1;
		if (a == -1)
			return (b & 1) ? -1 : 1;
		luaG_runerror(L, "negative exponent in integer power");
	}
	while (b > 0) {	/* wraps around on overflow, like '*' */
		if (b & 1)
			r *= base;
		base *= base;
		b >>= 1;
	}
	return (long long)r;
}

/*
 * The C-call limit of the core, computed from the stack actually left.
 * With more than LUNATIK_STACK_SOFT bytes left, the stock-like cap applies.
 * Below it, the current depth is returned: the next C call or parser level
 * raises "C stack overflow", a normal Lua error. Below LUNATIK_STACK_HARD
 * (while that error is being handled) 0 is returned, which makes the core
 * raise "error in error handling" at once, without calling a handler.
 */
unsigned int lunatik_cclimit(lua_State *L)
{
	size_t left = lunatik_stack_left();

	if (left >= LUNATIK_STACK_SOFT)
		return LUNATIK_MAXCCALLS;
	if (left >= LUNATIK_STACK_HARD)
		return getCcalls(L);
	return 0;
}

/* Recursion depth allowed to one string match, from the stack left. */
int lunatik_matchdepth(void)
{
	size_t left = lunatik_stack_left();

	if (left <= LUNATIK_STACK_SOFT)
		return 0;
	left = (left - LUNATIK_STACK_SOFT) / LUNATIK_MATCH_FRAME;
	return left > 200 ? 200 : (int)left;
}

/*
 * Float conversions (%f %e %g %a and their capitals) of an integer value.
 * The kernel's vsnprintf has none, and the value is an integer anyway: it is
 * rendered as the float of the same value would be by C, with width, flags
 * and precision, so string.format("%.2f", 3) is "3.00" on both platforms.
 */
struct fspec {
	int minus, plus, space, zero, alt;
	int width, prec;
	char conv;
};

static int parse_fspec(const char *f, struct fspec *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->prec = -1;
	if (*f++ != '%')
		return 0;
	for (;; f++) {
		if (*f == '-')
			fs->minus = 1;
		else if (*f == '+')
			fs->plus = 1;
		else if (*f == ' ')
			fs->space = 1;
		else if (*f == '0')
			fs->zero = 1;
		else if (*f == '#')
			fs->alt = 1;
		else
			break;
	}
	while (*f >= '0' && *f <= '9')
		fs->width = fs->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		fs->prec = 0;
		while (*f >= '0' && *f <= '9')
			fs->prec = fs->prec * 10 + (*f++ - '0');
	}
	while (*f == 'l' || *f == 'L' || *f == 'h')
		f++;
	fs->conv = *f;
	return f[0] != '\0' && f[1] == '\0' && strchr("aAeEfFgG", f[0]) != NULL;
}

/* Decimal digits of m (no sign) into d; returns their count. */
static int udigits(unsigned long long m, char *d)
{
	char tmp[24];
	int n = 0, i;

	do {
		tmp[n++] = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	for (i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}

/* Append the exponent part "e+05" of exponent x. */
static int put_exp(char *o, char e, int x)
{
	int n = 0;

	o[n++] = e;
	o[n++] = x < 0 ? '-' : '+';
	if (x < 0)
		x = -x;
	if (x < 10)
		o[n++] = '0';
	n += udigits((unsigned long long)x, o + n);
	return n;
}

/*
 * %e body of digits d[0..nd) (value d * 10^(nd-1) in scientific form) with
 * prec fraction digits, rounding half up (ties are exact decimals here).
 * Returns the length; *xout gets the exponent after rounding.
 */
static int body_e(const char *d, int nd, int prec, int alt, char e, char *o,
		  int *xout)
{
	char r[24];
	int x = nd - 1, keep = prec + 1, i, n = 0;

	memset(r, '0', sizeof(r));
	for (i = 0; i < nd && i < keep && i < (int)sizeof(r); i++)
		r[i] = d[i];
	if (keep < nd && d[keep] >= '5') {	/* round up */
		for (i = keep - 1; i >= 0; i--) {
			if (r[i] != '9') {
				r[i]++;
				break;
			}
			r[i] = '0';
		}
		if (i < 0) {	/* 9.99 -> 10.0: shift */
			memmove(r + 1, r, sizeof(r) - 1);
			r[0] = '1';
			x++;
		}
	}
	o[n++] = r[0];
	if (prec > 0 || alt)
		o[n++] = '.';
	for (i = 1; i <= prec; i++)
		o[n++] = i < (int)sizeof(r) ? r[i] : '0';
	*xout = x;
	if (e)
		n += put_exp(o + n, e, x);
	return n;
}

static int render_float(char *out, const struct fspec *fs, long long v)
{
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	char d[24], body[128];
	int nd = udigits(m, d), n = 0, i, upper = fs->conv >= 'A' && fs->conv <= 'Z';
	int prec = fs->prec, x;
	char c = (char)(fs->conv | 0x20);

	if (c == 'f') {
		prec = prec < 0 ? 6 : prec > 99 ? 99 : prec;
		memcpy(body, d, nd);
		n = nd;
		if (prec > 0 || fs->alt)
			body[n++] = '.';
		for (i = 0; i < prec; i++)
			body[n++] = '0';
	} else if (c == 'e') {
		prec = prec < 0 ? 6 : prec > 99 ? 99 : prec;
		n = body_e(d, nd, prec, fs->alt, upper ? 'E' : 'e', body, &x);
	} else if (c == 'g') {
		int p = prec < 0 ? 6 : prec == 0 ? 1 : prec > 99 ? 99 : prec;

		body_e(d, nd, p - 1, 0, 0, body, &x);	/* exponent after rounding */
		if (x < p) {
			/* fixed notation: then nd <= p, so no digit is rounded */
			memcpy(body, d, nd);
			n = nd;
			if (fs->alt) {
				body[n++] = '.';
				for (i = nd; i < p; i++)
					body[n++] = '0';
			}
		} else {
			n = body_e(d, nd, p - 1, fs->alt, upper ? 'E' : 'e', body, &x);
			if (!fs->alt) {	/* strip zeros of the fraction */
				char *ep = memchr(body, upper ? 'E' : 'e', n);
				int en = (int)(body + n - ep), k = (int)(ep - body);

				while (k > 0 && body[k - 1] == '0')
					k--;
				if (k > 0 && body[k - 1] == '.')
					k--;
				memmove(body + k, ep, en);
				n = k + en;
			}
		}
	} else {	/* 'a': exact hex form with a zero binary exponent */
		const char *hex = upper ? "0123456789ABCDEF" : "0123456789abcdef";
		char h[20];
		int nh = 0;

		do {
			h[nh++] = hex[m & 15];
			m >>= 4;
		} while (m);
		body[n++] = '0';
		body[n++] = upper ? 'X' : 'x';
		while (nh)
			body[n++] = h[--nh];
		if (fs->alt)
			body[n++] = '.';
		body[n++] = upper ? 'P' : 'p';
		body[n++] = '+';
		body[n++] = '0';
	}

	/* sign, width and padding */
	{
		char sign = v < 0 ? '-' : fs->plus ? '+' : fs->space ? ' ' : 0;
		int len = n + (sign != 0), pad = fs->width > len ? fs->width - len : 0;
		int k = 0;

		if (!fs->minus && !fs->zero)
			while (pad-- > 0)
				out[k++] = ' ';
		if (sign)
			out[k++] = sign;
		if (!fs->minus && fs->zero)
			while (pad-- > 0)
				out[k++] = '0';
		memcpy(out + k, body, n);
		k += n;
		while (fs->minus && pad-- > 0)
			out[k++] = ' ';
		return k;
	}
}

int lunatik_snprintf(char *s, size_t sz, const char *fmt, ...)
{
	struct fspec fs;
	va_list ap;
	int n;

	va_start(ap, fmt);
	if (parse_fspec(fmt, &fs)) {
		char out[256];
		long long v = va_arg(ap, long long);

		if (fs.width > 99)
			fs.width = 99;
		n = render_float(out, &fs, v);
		if (sz > 0) {
			size_t c = (size_t)n < sz - 1 ? (size_t)n : sz - 1;

			memcpy(s, out, c);
			s[c] = '\0';
		}
	} else {
		n = vsnprintf(s, sz, fmt, ap);
	}
	va_end(ap);
	return n;
}
