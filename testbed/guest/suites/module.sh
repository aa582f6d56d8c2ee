#!/usr/bin/env bash
# The lunatik_ng module loads, says so in the kernel log, and unloads; its
# parameters refuse what they cannot take (docs/lua-api.md, "Limits"); the
# guest booted with a value for nfsd's read-only counters parameter.
. "$GUEST/tap.sh"

mark=$(dmesg_mark)
check "insmod lunatik_ng.ko" insmod "$LUNATIK_KO"
check "lunatik_ng is listed in /proc/modules" grep -q '^lunatik_ng ' /proc/modules
check "load message in the kernel log" \
	dmesg_has "$mark" 'lunatik_ng: lunatik-ng engine loaded'
mark=$(dmesg_mark)
rmmod lunatik_ng
status=$?
if [ $status = 0 ] && ! grep -q '^lunatik_ng ' /proc/modules &&
	dmesg_since "$mark" | grep -q 'lunatik_ng: lunatik-ng engine unloaded'; then
	ok 0 "rmmod lunatik_ng: gone from /proc/modules, unload message logged"
else
	ok 1 "rmmod lunatik_ng: gone from /proc/modules, unload message logged"
	diag "rmmod status $status; $(dmesg_since "$mark")"
fi

# refused PARAM=VALUE ERRNO-TEXT: insmod fails with that error, no module
# left behind, and the log says why (out-of-range values) or nothing bad.
refused() {
	local out
	out=$(insmod "$LUNATIK_KO" "$1" 2>&1)
	if [ $? != 0 ] && ! grep -q '^lunatik_ng ' /proc/modules && echo "$out" | grep -q "$2"; then
		ok 0 "insmod lunatik_ng.ko $1: refused ($2)"
	else
		ok 1 "insmod lunatik_ng.ko $1: refused ($2)"
		diag "$out"
		rmmod lunatik_ng 2>/dev/null
	fi
}
refused pnfs_stats=1 "Operation not permitted"
refused max_memory=0 "Invalid parameters"
refused max_instructions=0 "Invalid parameters"
refused max_call_ms=0 "Invalid parameters"
refused max_policy_ms=0 "Invalid parameters"
refused policy_lock_ms=4294967295 "Invalid parameters"
check "an out-of-range value is named in the log" bash -c "dmesg | grep -q 'max_memory=0 is out of range'"
insmod "$LUNATIK_KO" max_memory=1048576 max_call_ms=500
check "insmod with limits in range: loaded, max_memory reads back" \
	[ "$(cat /sys/module/lunatik_ng/parameters/max_memory)" = 1048576 ]
check "a loaded limit cannot be written (0444)" \
	bash -c '! echo 4096 2>/dev/null >/sys/module/lunatik_ng/parameters/max_memory'
rmmod lunatik_ng
tap_plan
