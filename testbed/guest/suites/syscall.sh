#!/usr/bin/env bash
# SYS_lua and the lunatik-ng CLI (docs/syscall.md): the README's examples,
# the persistent default state, bad input, the contract at its edges
# (capacity, EFAULT before running, a user-namespace root), SIGKILL of a
# waiting and a running caller, the deepest recursion, 8 x 10,000
# concurrent calls, ENOSYS without the module, and unloading while calls
# are in flight.
. "$GUEST/tap.sh"
. "$GUEST/bin.sh"

# expect_cli DESC STATUS OUTPUT CMD...: exit status and stdout of the CLI.
expect_cli() {
	local desc=$1 want_status=$2 want_out=$3 out status=0
	shift 3
	out=$("$@" 2>"$RESULTS/cli.err") || status=$?
	if [ "$status" = "$want_status" ] && [ "$out" = "$want_out" ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
		diag "status $status (want $want_status), stdout '$out' (want '$want_out'), stderr: $(cat "$RESULTS/cli.err")"
	fi
}

expect_cli "without the module: exit 3" 3 "" "$LUNATIK" eval 'return 1'
check "without the module: the CLI says to load it" grep -q "insmod lunatik_ng.ko" "$RESULTS/cli.err"
check "without the module: the syscall gives ENOSYS" \
	python3 -c 'import ctypes,sys; l=ctypes.CDLL(None,use_errno=True); b=ctypes.create_string_buffer(8); r=l.syscall(350,b"return 1",8,b,8); sys.exit(0 if r==-1 and ctypes.get_errno()==38 else 1)'

# shellcheck disable=SC2086 # LUNATIK_PARAMS: words
insmod "$LUNATIK_KO" $LUNATIK_PARAMS || { tap_plan; exit 1; }
expect_cli "lunatik eval 'return type({123})' prints table" 0 "table" "$LUNATIK" eval 'return type({123})'
expect_cli "the README's buffer example" 0 "16	100	255" "$LUNATIK" eval \
	'buf = buffer.new(16) buf[1] = 100 buf[16] = 255 return #buf, buf[1], buf[16]'
expect_cli "the README's crypto example: sha1 of a buffer" 0 "20	a9993e364706816aba3e25717850c26c9cd0d89d" \
	"$LUNATIK" eval 'local h = crypto.sha1(buffer.new("abc")) return #h, h:hex()'
expect_cli "the README's crypto example: random" 0 "32" "$LUNATIK" eval 'return #crypto.random(32)'
expect_cli "a global defined by one call..." 0 "" "$LUNATIK" eval 'greeting = "hello from the kernel"'
expect_cli "...is visible to the next" 0 "hello from the kernel" "$LUNATIK" eval 'return greeting'
expect_cli "lunatik run - reads standard input" 0 "6" bash -c "echo 'return 1 + 2 + 3' | '$LUNATIK' run -"
echo 'return "from a file"' >"$RESULTS/t.lua"
expect_cli "lunatik run FILE" 0 "from a file" "$LUNATIK" run "$RESULTS/t.lua"
expect_cli "a Lua error: exit 1" 1 "" "$LUNATIK" eval 'error("boom")'
check "a Lua error: the message on stderr" grep -q "boom" "$RESULTS/cli.err"
expect_cli "a truncated result: exit 4, what fit is printed" 4 "xxxxxxx" "$LUNATIK" --result-size 8 eval 'return string.rep("x", 100)'
check "a truncated result: the CLI says how to get it all" grep -q -- "--result-size 101" "$RESULTS/cli.err"
expect_cli "a missing file: exit 3" 3 "" "$LUNATIK" run /nonexistent.lua
expect_cli "without root: exit 3" 3 "" setpriv --reuid=65534 --regid=65534 --clear-groups "$LUNATIK" eval 'return 1'
check "without root: the CLI names CAP_SYS_ADMIN" grep -q "CAP_SYS_ADMIN" "$RESULTS/cli.err"

tap_renumber < <("$TOOLS" syscall)
tap_renumber < <("$TOOLS" contract)
tap_renumber < <("$TOOLS" kill)

# The deepest C-stack depth, then every allocating library function there,
# with memory to spare and with none (lua/tests/deep.lua): clean endings,
# no stack-guard hit (the log scan).
deep=$("$LUNATIK" run "$REPO/lua/tests/deep.lua" 2>"$RESULTS/deep.err")
depth=${deep%%$'\t'*}
check "deep recursion ($depth levels of pcall), then each allocating function: clean endings" \
	[ "${depth:-0}" -ge 10 ]
diag "deep.lua: $deep $(cat "$RESULTS/deep.err")"
tap_renumber < <("$TOOLS" concurrency 8 10000)

# Unloading while calls are in flight: callers see results or ENOSYS only.
"$TOOLS" hammer 6 >"$RESULTS/hammer.out" 2>&1 &
hammer=$!
sleep 1
unloaded=1
for i in $(seq 200); do
	if rmmod lunatik_ng 2>/dev/null; then
		unloaded=0
		break
	fi
	sleep 0.02
done
wait $hammer
ok $unloaded "rmmod succeeds while calls are in flight (busy until a gap)"
check "callers saw only results or ENOSYS" grep -q "other=0" "$RESULTS/hammer.out"
check "the unload happened while the callers ran (some got ENOSYS)" grep -qE "enosys=[1-9]" "$RESULTS/hammer.out"
diag "$(cat "$RESULTS/hammer.out")"
tap_plan
