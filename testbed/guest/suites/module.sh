#!/usr/bin/env bash
# The lunatik module loads, says so in the kernel log, and unloads.
. "$GUEST/tap.sh"
plan 4

mark=$(dmesg_mark)
check "insmod lunatik.ko" insmod "$LUNATIK_KO"
check "lunatik is listed in /proc/modules" grep -q '^lunatik ' /proc/modules
check "load message in the kernel log" \
	bash -c "dmesg | tail -n +$((mark + 1)) | grep -q 'lunatik: lunatik-ng engine loaded'"
mark=$(dmesg_mark)
rmmod lunatik
status=$?
if [ $status = 0 ] && ! grep -q '^lunatik ' /proc/modules &&
	dmesg_since "$mark" | grep -q 'lunatik: lunatik-ng engine unloaded'; then
	ok 0 "rmmod lunatik: gone from /proc/modules, unload message logged"
else
	ok 1 "rmmod lunatik: gone from /proc/modules, unload message logged"
	diag "rmmod status $status; $(dmesg_since "$mark")"
fi
