# shellcheck shell=bash
# test: host checks, guest suites, log scan and the summary.

# Guest suites run in this order by default (testbed/guest/suites/NAME.sh).
DEFAULT_SUITES="module engine syscall pnfs policy contention scale deploy fuzz storm pynfs"
# Suites that measure, run afterwards in a boot of their own with
# kmemleak=off: kmemleak's tracking is most of the cost of a call under TCG.
BENCH_SUITES="bench"
# With LUNATIK_GUESTS=2 they are shared between two guests booted at once;
# each string is one guest's share. The default is one guest below 4 host
# cores: two guests of 2 vCPUs on 2 cores run no faster in all, and a vCPU
# descheduled by the host stretches the timed checks (umount, recalls, the
# Lua lock's bounded wait).
TWO_GUESTS=("module engine syscall pnfs contention deploy fuzz" "policy scale storm pynfs")
# The fuzzer and the fault storm run this long in the test command; the
# debug variant (test --debug) runs them for 10 and 5 minutes.
DEFAULT_FUZZ_SECS=60
DEFAULT_STORM_SECS=60
DEBUG_FUZZ_SECS=600
DEBUG_STORM_SECS=300

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
	local desc=$1 log start secs
	shift
	log=$RUN/host-$(echo "$desc" | tr -c 'a-zA-Z0-9\n' '-').log
	start=$(date +%s.%N)
	if "$@" >"$log" 2>&1; then
		secs=$(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)")
		record pass "host: $desc ($secs s)"
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
	cargo build -q --locked --manifest-path "$REPO/Cargo.toml" -p lunatik-ng -p lunatik-guest-tests -p layout-sim
}

logscan() {
	cargo build -q --locked -p logscan --manifest-path "$REPO/Cargo.toml"
	"$REPO/target/debug/logscan" "$@"
}

# tally_tap DIR SUITE: fold one suite's TAP file into the totals.
tally_tap() {
	local dir=$1 suite=$2 tap=$1/$2.tap planned=0 seen=0 line status secs
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
	read -r status secs <"$dir/$suite.status" 2>/dev/null || status=missing
	if [ "$seen" != "$planned" ]; then
		record fail "$suite: planned $planned tests, ran $seen (exit status $status)"
		sed 's/^/     stderr: /' "$dir/$suite.err" 2>/dev/null | tail -n 20
	elif [ "$status" != 0 ] && [ "$status" != 1 ]; then
		record fail "$suite: suite exited with status $status"
	fi
	[ -z "${secs:-}" ] || echo "     ($suite: ${secs} s)"
}

# guest_results NAME DIR SUITE...: the results of one guest run: its suites,
# its end, its kmemleak scan and its kernel log.
guest_results() {
	local name=$1 dir=$2 suite logs=() f
	shift 2
	for suite in "$@"; do
		tally_tap "$dir" "$suite"
	done
	if [ -f "$dir/done" ]; then
		record pass "$name: run completed and powered off"
	else
		record fail "$name: run did not complete (console: $dir/console.log)"
		tail -n 30 "$dir/console.log"
	fi
	for f in console.log dmesg.txt kmemleak.txt; do
		[ -f "$dir/$f" ] && logs+=("$dir/$f")
	done
	if [ "${GUEST_KMEMLEAK:-on}" = off ]; then
		record skip "$name: kmemleak scan (booted with kmemleak=off for figures)"
	elif [ "$(cat "$dir/kmemleak.status" 2>/dev/null)" != present ]; then
		record fail "$name: kmemleak scan (no /sys/kernel/debug/kmemleak)"
	fi
	if [ ! -f "$dir/dmesg.txt" ]; then
		logscan "${logs[@]}" >"$dir/logscan.txt" 2>&1 || sed 's/^/     /' "$dir/logscan.txt" | head -n 40
		record fail "$name: kernel log incomplete (no dmesg.txt; console: $dir/console.log)"
	elif logscan "${logs[@]}" >"$dir/logscan.txt" 2>&1; then
		record pass "$name: kernel log clean (no oops, BUG, WARNING, stall or leak)"
	else
		sed 's/^/     /' "$dir/logscan.txt" | head -n 40
		record fail "$name: kernel log reports problems (see $dir/logscan.txt)"
	fi
}

# run_guest_suites SHARE...: one guest per SHARE (a space-separated list of
# suites), all booted at once; each runs its suites in order. Then the
# results of each, in the same order.
run_guest_suites() {
	local accel share i=0 dir cmd pids=() dirs=() names=()
	accel=$(choose_accel)
	ACCEL=$accel
	note "guest: $accel, $# guest(s) at once, $CPUS CPUs and $MEM each, hard timeout ${GUEST_TIMEOUT}s; results in $RUN"
	for share in "$@"; do
		i=$((i + 1))
		dir=$RUN
		names+=("${GUEST_LABEL:-guest}")
		if [ $# -gt 1 ]; then
			dir=$RUN/guest$i
			names[i - 1]="${GUEST_LABEL:-guest} $i"
		fi
		mkdir -p "$dir"
		dirs+=("$dir")
		cmd="LUNATIK_KO=$MODULE_KO TEST_KMOD=$TEST_KMOD PYNFS_DIR=${PYNFS_DIR:-} PYNFS_TIMEOUT=${PYNFS_TIMEOUT:-1500} PYNFS_EXCLUDE='${PYNFS_EXCLUDE-CSESS29}' SUITE_TIMEOUT=${SUITE_TIMEOUT:-900} SCALE_FILES=${SCALE_FILES:-5000} CONTENTION_SECS=${CONTENTION_SECS:-20} FUZZ_SECS=$FUZZ_SECS FUZZ_SEED=${FUZZ_SEED:-} STORM_SECS=$STORM_SECS STORM_SEED=${STORM_SEED:-} TIME_SCALE=$TIME_SCALE LUNATIK_PARAMS='$LUNATIK_PARAMS' $TESTBED/guest/run-suites $dir $share"
		step "${names[i - 1]}: boot and run suites: $share" guest_run "$accel" "$dir" "$dir/console.log" "$cmd" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || true
	done
	i=0
	for share in "$@"; do
		# shellcheck disable=SC2086 # a share is a list of suite names
		guest_results "${names[i]}" "${dirs[i]}" $share
		i=$((i + 1))
	done
}

# bench_boot SUITES: the measuring suites, in a boot with kmemleak=off.
bench_boot() {
	local main=$RUN
	RUN=$main/bench
	mkdir -p "$RUN"
	GUEST_KMEMLEAK=off GUEST_LABEL="bench guest" run_guest_suites "$@"
	RUN=$main
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

# suite_durations: how long the fuzzer and the storm run, for this variant.
suite_durations() {
	TIME_SCALE=1
	LUNATIK_PARAMS=
	if [ "$VARIANT" = debug ]; then
		TIME_SCALE=4
		LUNATIK_PARAMS=max_call_ms=60000
		FUZZ_SECS=${FUZZ_SECS:-$DEBUG_FUZZ_SECS}
		STORM_SECS=${STORM_SECS:-$DEBUG_STORM_SECS}
	else
		FUZZ_SECS=${FUZZ_SECS:-$DEFAULT_FUZZ_SECS}
		STORM_SECS=${STORM_SECS:-$DEFAULT_STORM_SECS}
	fi
}

do_test() {
	local shares=() start bench='' package=${LUNATIK_PACKAGE:-} a suites=()
	case "$GUESTS" in
	1 | 2) ;;
	*) die "LUNATIK_GUESTS must be 1 or 2 (is '$GUESTS')" ;;
	esac
	# "package" is not a guest suite: the kernel and tools packages, built
	# and tested only when asked (it builds a second kernel).
	for a in "$@"; do
		if [ "$a" = package ]; then package=1; else suites+=("$a"); fi
	done
	if [ ${#suites[@]} -gt 0 ]; then
		shares=("${suites[*]}")
	elif [ $# = 0 ]; then
		shares=("$DEFAULT_SUITES")
		[ "$GUESTS" != 2 ] || shares=("${TWO_GUESTS[@]}")
		# figures from a debug kernel mean nothing
		[ "$VARIANT" = debug ] || bench=$BENCH_SUITES
	fi
	suite_durations
	start=$(date +%s)
	step "setup" do_setup
	new_run_dir
	cd "$REPO"
	run_host_checks
	if [ ${#shares[@]} -gt 0 ]; then
		if (do_build) && step "build the userspace tools (lunatik, guest tests)" build_tools; then
			record pass "build: ${VARIANT:+$VARIANT }kernel and module"
			run_guest_suites "${shares[@]}"
			[ -z "$bench" ] || bench_boot "$bench"
		else
			record fail "build: ${VARIANT:+$VARIANT }kernel and module (see the output above)"
		fi
	fi
	[ -z "$package" ] || run_package_tests
	echo "total time: $(($(date +%s) - start)) s${VARIANT:+ ($VARIANT kernel)}"
	summary
}

do_guest_test() {
	[ $# -gt 0 ] || die "guest-test needs suite names (see testbed/guest/suites)"
	suite_durations
	step "setup" do_setup >/dev/null
	new_run_dir
	do_build
	step "build the userspace tools (lunatik, guest tests)" build_tools
	run_guest_suites "$*"
	summary
}

# package: the kernel packages (the package variant) and the tools package,
# gathered in $PACKAGES.
PACKAGES=$CACHE/packages

do_package() {
	set_variant package
	do_build_package
	rm -rf "$PACKAGES"
	mkdir -p "$PACKAGES"
	# shellcheck disable=SC2046 # one path per line, no spaces
	cp $(kernel_debs) "$PACKAGES/"
	step "build the tools package" build_tools_deb "$PACKAGES"
	note "packages in $PACKAGES (on a server: apt install ./*.deb):"
	(cd "$PACKAGES" && du -h ./*.deb)
}

# unpack_packaged_kernel: the kernel image and the engine module exactly as
# the linux-image package installs them, for the testbed to boot.
unpack_packaged_kernel() {
	local root=$KDIR/unpacked deb
	deb=$(ls "$PACKAGES"/linux-image-*_amd64.deb)
	rm -rf "$root"
	dpkg-deb -x "$deb" "$root"
	BZIMAGE=$(ls "$root"/boot/vmlinuz-*)
	MODULE_KO=$(find "$root/lib/modules" -name lunatik_ng.ko)
	[ -f "$BZIMAGE" ] && [ -f "$MODULE_KO" ] ||
		die "$(basename "$deb") has no /boot/vmlinuz-* or lunatik_ng.ko"
	note "packaged kernel: ${BZIMAGE#"$root"}, module: ${MODULE_KO#"$root"}"
}

# run_package_tests: build the packages, check their contents, install the
# tools into a fresh Debian root, and boot the packaged kernel through the
# module and syscall suites.
run_package_tests() {
	local main=$RUN
	if ! (do_package); then
		record fail "package: build the kernel and tools packages (see the output above)"
		return
	fi
	record pass "package: kernel and tools packages built ($(ls "$PACKAGES"/*.deb | wc -l) in $PACKAGES)"
	set_variant package
	host_check "package: no installed path is one of modern Lunatik's" \
		package_contents_test "$PACKAGES"/*.deb
	host_check "package: the tools install into a fresh Debian root; --help, --version, man" \
		tools_install_test "$PACKAGES"/lunatik-ng-tools_*.deb
	unpack_packaged_kernel
	RUN=$main/package
	mkdir -p "$RUN"
	GUEST_LABEL="packaged kernel" run_guest_suites "module syscall"
	RUN=$main
}
