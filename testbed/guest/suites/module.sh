#!/usr/bin/env bash
# The lunatik module loads, says so in the kernel log, and unloads.
. "$GUEST/tap.sh"
plan 4

mark=$(dmesg_mark)
check "insmod lunatik_ng.ko" insmod "$LUNATIK_KO"
check "lunatik_ng is listed in /proc/modules" grep -q '^lunatik_ng ' /proc/modules
check "load message in the kernel log" \
	bash -c "dmesg | tail -n +$((mark + 1)) | grep -q 'lunatik_ng: lunatik-ng engine loaded'"
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
