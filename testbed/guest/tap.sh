# shellcheck shell=bash
shopt -s extglob
# TAP helpers for guest suites. A suite sources this file, calls `plan N`,
# then one of ok/check/skip per test.

TAP_N=0
TAP_FAILED=0

plan() { echo "1..$1"; }

# tap_renumber: append another TAP stream (e.g. from a tool) to this suite,
# renumbering its tests after ours; its own plan line is dropped.
tap_renumber() {
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) TAP_N=$((TAP_N + 1)); echo "ok $TAP_N ${line#ok +([0-9]) }" ;;
		"not ok "*)
			TAP_N=$((TAP_N + 1))
			TAP_FAILED=$((TAP_FAILED + 1))
			echo "not ok $TAP_N ${line#not ok +([0-9]) }"
			;;
		1..*) ;;
		*) echo "$line" ;;
		esac
	done
}

# tap_plan: the plan, last (for suites whose count is known only at the end).
tap_plan() { echo "1..$TAP_N"; }

# ok CONDITION_STATUS DESCRIPTION: report a test from an exit status.
ok() {
	local status=$1
	shift
	TAP_N=$((TAP_N + 1))
	if [ "$status" = 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

# check DESCRIPTION CMD...: the test passes when CMD succeeds; its output goes
# into the TAP stream as diagnostics when it fails.
check() {
	local desc=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	ok $rc "$desc"
	[ $rc = 0 ] || diag "$out"
	return 0
}

skip() {
	local desc=$1
	shift
	TAP_N=$((TAP_N + 1))
	echo "ok $TAP_N - $desc # SKIP $*"
}

diag() {
	[ -n "$*" ] || return 0
	printf '%s\n' "$*" | sed 's/^/# /'
}

# dmesg_since MARK: kernel messages logged after `dmesg_mark` returned MARK.
dmesg_mark() { dmesg | wc -l; }
dmesg_since() { dmesg | tail -n +"$(($1 + 1))"; }
