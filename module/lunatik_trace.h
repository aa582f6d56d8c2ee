/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of lunatik-ng: one event per layout decision of the Lua
 * policy (what nfsd asked and what the policy answered), in tracefs as
 * events/lunatik_ng/lunatik_decision.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM lunatik_ng

#if !defined(_LUNATIK_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _LUNATIK_TRACE_H

#include <linux/tracepoint.h>

/* The servers recorded per decision (the answer may name up to 64). */
#define LUNATIK_TRACE_DS	8

TRACE_EVENT(lunatik_decision,
	TP_PROTO(u64 ino, const u8 *fh, u32 fh_len, u32 stripe_unit, u32 first,
		 u32 count, const u32 *ds, int outcome, u64 ns),
	TP_ARGS(ino, fh, fh_len, stripe_unit, first, count, ds, outcome, ns),
	TP_STRUCT__entry(
		__field(u64, ino)
		__dynamic_array(u8, fh, fh_len)
		__field(u32, stripe_unit)
		__field(u32, first)
		__field(u32, count)
		__array(u32, ds, LUNATIK_TRACE_DS)
		__field(int, outcome)
		__field(u64, ns)
	),
	TP_fast_assign(
		__entry->ino = ino;
		memcpy(__get_dynamic_array(fh), fh, fh_len);
		__entry->stripe_unit = stripe_unit;
		__entry->first = first;
		__entry->count = count;
		memcpy(__entry->ds, ds,
		       sizeof(u32) * min_t(u32, count, LUNATIK_TRACE_DS));
		__entry->outcome = outcome;
		__entry->ns = ns;
	),
	TP_printk("ino=%llu fh=%s unit=%u first=%u count=%u ds=%s outcome=%d ns=%llu",
		  __entry->ino,
		  __print_hex_str(__get_dynamic_array(fh),
				  __get_dynamic_array_len(fh)),
		  __entry->stripe_unit, __entry->first, __entry->count,
		  __print_array(__entry->ds,
				min_t(u32, __entry->count, LUNATIK_TRACE_DS),
				sizeof(u32)),
		  __entry->outcome, __entry->ns)
);

#endif /* _LUNATIK_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#define TRACE_INCLUDE_FILE lunatik_trace
#include <trace/define_trace.h>
