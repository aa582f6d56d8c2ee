#!/usr/bin/env bash
# Figures of the engine and the syscall, printed as TAP comments (never
# asserted, docs/lua-api.md and docs/syscall.md): a new state's memory and
# creation time, `return 1` calls per second from 1 and 2 processes and as a
# ratio to getppid(), and crypto.sha1 against the kernel's SHA-1 alone.
. "$GUEST/tap.sh"
. "$GUEST/bin.sh"

mark=$(dmesg_mark)
check "insmod lunatik_ng.ko bench=1" insmod "$LUNATIK_KO" bench=1
dmesg_since "$mark" | grep -o 'bench: .*' | sed 's/^/# /'
tap_renumber < <("$TOOLS" bench)
out=$("$TOOLS" sha1bench)
tap_renumber <<<"$out"
for size in "4 KiB" "1 MiB"; do
	direct=$(dmesg_since "$mark" | grep "kernel sha1" | sed -n "s/.*$size \([0-9]*\) MB\/s.*/\1/p")
	lua=$(grep "through Lua" <<<"$out" | sed -n "s/.*$size \([0-9]*\) MB\/s.*/\1/p")
	[ -n "$direct" ] && [ -n "$lua" ] && [ "$direct" -gt 0 ] &&
		diag "bench: crypto.sha1 / kernel sha1 alone, $size: $(awk -v a="$lua" -v b="$direct" 'BEGIN { printf "%.2f", a / b }')"
done
rmmod lunatik_ng
ok $? "rmmod lunatik_ng"
tap_plan
