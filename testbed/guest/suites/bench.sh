#!/usr/bin/env bash
# Figures of the engine, the syscall and the layout decisions, printed as
# TAP comments (never asserted: docs/lua-api.md, docs/syscall.md,
# docs/pnfs.md). Run in a boot of its own with kmemleak=off (testbed/lib/
# test.sh), so that the figures measure the engine, not kmemleak's tracking:
# a new state's memory and creation time, the cost of charging C work,
# `return 1` calls per second from 1 and 2 processes and as a ratio to
# getppid(), crypto.sha1 against the kernel's SHA-1 alone, and the layout
# decisions of layouts/default.lua asked by 1, 2 and 4 kernel threads at
# once against nfsd's built-in layout, also beside a SYS_lua call that
# runs its whole budget in a loop.
. "$GUEST/tap.sh"
. "$GUEST/bin.sh"

diag "bench: kernel command line: kmemleak=$(sed -n 's/.*kmemleak=\([a-z]*\).*/\1/p' /proc/cmdline)"
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

# Layout decisions, from kernel threads, through nfsd's entry point.
check "pnfs load layouts/default.lua" "$LUNATIK" pnfs load "$REPO/layouts/default.lua"
decide() { # THREADS CALLS
	local mark
	mark=$(dmesg_mark)
	echo "$1 $2" >/sys/module/lunatik_ng/parameters/bench_decisions
	dmesg_since "$mark" | grep -o 'bench: decisions.*'
}
for t in 1 2 4; do
	line=$(decide "$t" 2000)
	check "decision benchmark, $t kernel thread(s)" [ -n "$line" ]
	diag "$line"
	eval "rate$t=$(sed -n 's/.*Lua policy \([0-9]*\)\/s.*/\1/p' <<<"$line")"
done
diag "bench: decisions/s of the Lua policy, 2 threads / 1 thread: $(awk -v a="$rate2" -v b="$rate1" 'BEGIN { printf "%.2f", a / (b ? b : 1) }') (2 vCPUs)"
"$TOOLS" storm 15 1 budget >"$RESULTS/bench-storm.tap" 2>&1 &
storm=$!
sleep 1
for t in 1 2; do
	line=$(decide "$t" 2000)
	check "decision benchmark beside a SYS_lua budget loop, $t kernel thread(s)" [ -n "$line" ]
	diag "beside a SYS_lua budget loop: $line"
done
wait $storm
tap_renumber <"$RESULTS/bench-storm.tap"
rmmod lunatik_ng
ok $? "rmmod lunatik_ng"
tap_plan
