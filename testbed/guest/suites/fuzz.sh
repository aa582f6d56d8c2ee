#!/usr/bin/env bash
# The SYS_lua fuzzer (issue 16; testbed/guest-tools/src/fuzz.rs) for
# FUZZ_SECS seconds (default 60), seeded by FUZZ_SEED (default: the time;
# printed first). Half the time the argument part: code and result
# pointers into read-only, PROT_NONE, unmapped and partly mapped buffers,
# NULL and kernel addresses, sizes at and around every limit of the ABI,
# 4 callers at once, while the module is unloaded and loaded again a few
# times (a call meets a module that is going: ENOSYS). Then the program
# part: the twin fuzzer's programs (lua/tests/fuzz/gen.rs) one after
# another in the default state, in a network namespace of their own, so
# that the programs' pnfs.set_dataservers calls leave the guest's list
# alone. Every answer must be the documented one and no call may wedge;
# then the engine answers and the module unloads. (The kernel log is
# scanned by the testbed.)
. "$GUEST/tap.sh"
. "$GUEST/bin.sh"
FUZZ_SECS=${FUZZ_SECS:-60}
FUZZ_SEED=${FUZZ_SEED:-$(date +%s)}
ARGS_SECS=$((FUZZ_SECS / 2))
PROGRAMS_SECS=$((FUZZ_SECS - ARGS_SECS))
# Unloads of the module during the argument part.
RELOADS=4
# The fuzzer leaves by itself within its wedge bound (20 x max_call_ms +
# 10 s) of a stuck call; this is for a process that cannot even exit.
SLACK=120

# A CPU-time bound of 1 s per call keeps long calls, and the fuzzer's
# wedge bound (30 s), short under TCG.
load() { insmod "$LUNATIK_KO" max_call_ms=1000; }
loaded() { [ -d /sys/module/lunatik_ng ]; }

diag "fuzz: seed $FUZZ_SEED, $FUZZ_SECS s; the same run: FUZZ_SEED=$FUZZ_SEED FUZZ_SECS=$FUZZ_SECS testbed/run guest-test fuzz"
load || { ok 1 "insmod lunatik_ng.ko"; tap_plan; exit 1; }

# The argument part, with the module unloaded and loaded again meanwhile.
# A call holds a reference on the module, so rmmod fails while one runs:
# the callers pause for 50 ms every second, and rmmod is tried for 3 s.
timeout -k 5 $((ARGS_SECS + SLACK)) "$TOOLS" fuzz "$ARGS_SECS" "$FUZZ_SEED" args \
	>"$RESULTS/fuzz-args.tap" 2>"$RESULTS/fuzz-args.err" &
fuzzer=$!
reloads=0
for _ in $(seq "$RELOADS"); do
	sleep $((ARGS_SECS / (RELOADS + 1)))
	kill -0 "$fuzzer" 2>/dev/null || break
	for _ in $(seq 150); do
		if rmmod lunatik_ng 2>/dev/null; then
			reloads=$((reloads + 1))
			break
		fi
		sleep 0.02
	done
	# Calls meanwhile get ENOSYS.
	sleep 0.5
	loaded || load
done
status=0
wait "$fuzzer" || status=$?
loaded || load
tap_renumber <"$RESULTS/fuzz-args.tap"
ok "$([ "$status" -le 1 ] && echo 0 || echo 1)" "args: the fuzzer ended by itself (status $status; 124 or more: a timeout or a signal)"
diag "$(cat "$RESULTS/fuzz-args.err")"
check "args: the module was unloaded and loaded again while the callers ran ($reloads of $RELOADS times)" \
	[ "$reloads" -gt 0 ]
check "args: some calls met the module away (ENOSYS)" grep -qE "outcomes:.*ENOSYS [1-9]" "$RESULTS/fuzz-args.tap"
# bounded: after a wedged call the engine may never answer
check "after the argument part: the engine answers return 1+1" [ "$(timeout 60 "$LUNATIK" eval 'return 1+1')" = 2 ]

# The program part, in a network namespace of its own.
status=0
timeout -k 5 $((PROGRAMS_SECS + SLACK)) unshare --net "$TOOLS" fuzz "$PROGRAMS_SECS" "$FUZZ_SEED" programs \
	>"$RESULTS/fuzz-programs.tap" 2>"$RESULTS/fuzz-programs.err" || status=$?
tap_renumber <"$RESULTS/fuzz-programs.tap"
ok "$([ "$status" -le 1 ] && echo 0 || echo 1)" "programs: the fuzzer ended by itself (status $status; 124 or more: a timeout or a signal)"
diag "$(cat "$RESULTS/fuzz-programs.err")"
check "after the program part: the engine answers return 1+1" [ "$(timeout 60 "$LUNATIK" eval 'return 1+1')" = 2 ]
check "the module unloads" timeout 60 rmmod lunatik_ng
tap_plan
