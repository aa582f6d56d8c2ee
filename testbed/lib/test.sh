# shellcheck shell=bash
# test: host checks, guest suites, log scan and the summary.

# Guest suites run in this order by default (testbed/guest/suites/NAME.sh).
DEFAULT_SUITES=(module engine syscall pnfs policy bench)

RESULTS_PASS=0
RESULTS_FAIL=0
RESULTS_SKIP=0
FAILURES=()

record() { # record pass|fail|skip DESCRIPTION
	case "$1" in
	pass) RESULTS_PASS=$((RESULTS_PASS + 1)) ;;
	fail)
		RESULTS_FAIL=$((RESULTS_FAIL + 1))
		FAILURES+=("$2")
		;;
	skip) RESULTS_SKIP=$((RESULTS_SKIP + 1)) ;;
	esac
	printf '%-4s %s\n' "$1" "$2"
}

host_check() { # host_check DESCRIPTION CMD...
	local desc=$1 log
	shift
	log=$RUN/host-$(echo "$desc" | tr -c 'a-zA-Z0-9\n' '-').log
	if step "$desc" "$@" >"$log" 2>&1; then
		record pass "host: $desc"
	else
		tail -n 40 "$log"
		record fail "host: $desc (log: $log)"
	fi
}

run_host_checks() {
	host_check "cargo fmt --check" cargo fmt --all --check
	host_check "cargo clippy -D warnings" cargo clippy --workspace --all-targets --locked -- -D warnings
	host_check "cargo test" cargo test --workspace --locked
}

build_tools() {
	cargo build -q --locked --manifest-path "$REPO/Cargo.toml" -p lunatik -p lunatik-guest-tests -p layout-sim
}

logscan() {
	cargo build -q --locked -p logscan --manifest-path "$REPO/Cargo.toml"
	"$REPO/target/debug/logscan" "$@"
}

# tally_tap SUITE: fold one suite's TAP file into the totals.
tally_tap() {
	local suite=$1 tap=$RUN/$1.tap planned=0 seen=0 line status secs
	if [ ! -f "$tap" ]; then
		record fail "$suite: did not run (guest run ended early)"
		return
	fi
	while IFS= read -r line; do
		case "$line" in
		1..*) planned=${line#1..} ;;
		"not ok "*)
			seen=$((seen + 1))
			record fail "$suite: ${line#not ok }"
			;;
		"ok "*"# SKIP"*)
			seen=$((seen + 1))
			record skip "$suite: ${line#ok }"
			;;
		"ok "*)
			seen=$((seen + 1))
			record pass "$suite: ${line#ok }"
			;;
		"#"*) echo "     $line" ;;
		esac
	done <"$tap"
	read -r status secs <"$RUN/$suite.status" 2>/dev/null || status=missing
	if [ "$seen" != "$planned" ]; then
		record fail "$suite: planned $planned tests, ran $seen (exit status $status)"
		sed 's/^/     stderr: /' "$RUN/$suite.err" 2>/dev/null | tail -n 20
	elif [ "$status" != 0 ] && [ "$status" != 1 ]; then
		record fail "$suite: suite exited with status $status"
	fi
	[ -z "${secs:-}" ] || echo "     ($suite: ${secs} s)"
}

# run_guest_suites SUITE...: one boot runs them all; then tally and scan.
run_guest_suites() {
	local accel suite logs=() rc=0
	accel=$(choose_accel)
	ACCEL=$accel
	note "guest: $accel, $CPUS CPUs, $MEM, hard timeout ${GUEST_TIMEOUT}s; results in $RUN"
	step "boot the guest and run suites: $*" guest_run "$accel" "$RUN" "$RUN/console.log" \
		"LUNATIK_KO=$MODULE_KO TEST_KMOD=$TEST_KMOD PYNFS_DIR=${PYNFS_DIR:-} SUITE_TIMEOUT=${SUITE_TIMEOUT:-900} $TESTBED/guest/run-suites $RUN $*" || rc=$?
	for suite in "$@"; do
		tally_tap "$suite"
	done
	if [ -f "$RUN/done" ]; then
		record pass "guest: run completed and powered off"
	else
		record fail "guest: run did not complete (exit $rc; console: $RUN/console.log)"
		tail -n 30 "$RUN/console.log"
	fi
	for f in console.log dmesg.txt kmemleak.txt; do
		[ -f "$RUN/$f" ] && logs+=("$RUN/$f")
	done
	if [ "$(cat "$RUN/kmemleak.status" 2>/dev/null)" != present ]; then
		record fail "guest: kmemleak scan (no /sys/kernel/debug/kmemleak)"
	fi
	if [ ! -f "$RUN/dmesg.txt" ]; then
		logscan "${logs[@]}" >"$RUN/logscan.txt" 2>&1 || sed 's/^/     /' "$RUN/logscan.txt" | head -n 40
		record fail "guest: kernel log incomplete (no dmesg.txt; console: $RUN/console.log)"
	elif logscan "${logs[@]}" >"$RUN/logscan.txt" 2>&1; then
		record pass "guest: kernel log clean (no oops, BUG, WARNING, stall or leak)"
	else
		sed 's/^/     /' "$RUN/logscan.txt" | head -n 40
		record fail "guest: kernel log reports problems (see $RUN/logscan.txt)"
	fi
}

new_run_dir() {
	RUN=$CACHE/runs/$(date +%Y%m%d-%H%M%S)
	mkdir -p "$RUN"
	ln -sfn "$RUN" "$CACHE/runs/latest"
}

summary() {
	echo
	echo "== summary (accelerator: ${ACCEL:-none}; results: $RUN)"
	local f
	for f in "${FAILURES[@]}"; do
		echo "FAILED: $f"
	done
	if [ "$RESULTS_SKIP" -gt 0 ]; then
		echo "$RESULTS_PASS passed, $RESULTS_FAIL failed, $RESULTS_SKIP skipped"
	else
		echo "$RESULTS_PASS passed, $RESULTS_FAIL failed"
	fi
	[ "$RESULTS_FAIL" = 0 ]
}

do_test() {
	local suites=("$@") start
	[ ${#suites[@]} -gt 0 ] || suites=("${DEFAULT_SUITES[@]}")
	start=$(date +%s)
	step "setup" do_setup
	new_run_dir
	cd "$REPO"
	run_host_checks
	if (do_build) && step "build the userspace tools (lunatik, guest tests)" build_tools; then
		record pass "build: kernel and module"
		run_guest_suites "${suites[@]}"
	else
		record fail "build: kernel and module (see the output above)"
	fi
	echo "total time: $(($(date +%s) - start)) s"
	summary
}

do_guest_test() {
	[ $# -gt 0 ] || die "guest-test needs suite names (see testbed/guest/suites)"
	step "setup" do_setup >/dev/null
	new_run_dir
	do_build
	step "build the userspace tools (lunatik, guest tests)" build_tools
	run_guest_suites "$@"
	summary
}
