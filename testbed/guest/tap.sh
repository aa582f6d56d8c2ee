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

# dmesg_mark: the time stamp of the last kernel message; dmesg_since MARK:
# the messages logged after it. Time stamps, not line counts: once the ring
# buffer is full (a debug kernel's reports fill it), old lines leave as new
# ones come and a count points past the new ones.
DMESG_STAMP='match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, 2, RLENGTH - 2) + 0 }'
dmesg_mark() { dmesg | awk "$DMESG_STAMP"' END { printf "%.6f\n", t }'; }
dmesg_since() { dmesg | awk -v m="$1" "$DMESG_STAMP"' t > m + 0 { on = 1 } on'; }
# dmesg_has MARK GREP-ARGS...: a kernel message since MARK matches.
dmesg_has() {
	local m=$1
	shift
	dmesg_since "$m" | grep -q "$@"
}
