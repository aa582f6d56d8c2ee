#!/usr/bin/env bash
# The Lua engine in the kernel: every example of docs/lua-api.md, the hostile
# scripts of lua/tests/hostile.lua, no floating point in the module, and 100
# load/unload cycles with work in between (kmemleak checks the whole run).
. "$GUEST/tap.sh"
TOOLS=$REPO/target/debug/lunatik-guest-tests
LUNATIK=$REPO/target/debug/lunatik

insmod "$LUNATIK_KO" || { echo "1..1"; echo "not ok 1 - insmod lunatik.ko"; exit 1; }
tap_renumber < <("$TOOLS" examples "$REPO/docs/lua-api.md")
tap_renumber < <("$TOOLS" hostile "$REPO/lua/tests/hostile.lua")

mark=$(dmesg_mark)
"$LUNATIK" eval 'printk("100% sure: ", 42, " %s %n")' >/dev/null
check "printk: the text reaches the kernel log as it is" \
	bash -c "dmesg | tail -n +$((mark + 1)) | grep -qF 'lunatik: 100% sure: 42 %s %n'"
mark=$(dmesg_mark)
"$LUNATIK" eval 'print("a", 1, nil)' >/dev/null
check "print: one message, values separated by tabs" \
	bash -c "dmesg | tail -n +$((mark + 1)) | grep -qP 'lunatik: a\t1\tnil'"

# No floating-point or SSE instruction anywhere in the module.
fp=$(objdump -d --no-show-raw-insn "$LUNATIK_KO" |
	awk -F'\t' 'NF >= 2 { print $2 }' |
	grep -E '%[xy]mm|%st|^f[a-z]+ |^(cvt|movs[sd] |movap|movup|addsd|addss|mulsd|mulss|divsd|divss|sqrt|ucomis|comis|pxor|movq +%xmm)' || true)
if [ -z "$fp" ]; then
	ok 0 "no floating-point or SSE instruction in lunatik.ko"
else
	ok 1 "no floating-point or SSE instruction in lunatik.ko"
	diag "$(echo "$fp" | sort | uniq -c | head -20)"
fi
rmmod lunatik
ok $? "rmmod after the engine tests"

# 100 loads and unloads, with work in between.
bad=0
for i in $(seq 100); do
	insmod "$LUNATIK_KO" || { bad=$((bad + 1)); break; }
	out=$("$LUNATIK" eval "local t = {} for i = 1, 1000 do t[i] = crypto.sha1(tostring(i)):hex() end return #t, $i")
	[ "$out" = "1000	$i" ] || { bad=$((bad + 1)); diag "cycle $i: $out"; }
	rmmod lunatik || { bad=$((bad + 1)); break; }
done
ok $bad "100 load / work / unload cycles"
tap_plan
