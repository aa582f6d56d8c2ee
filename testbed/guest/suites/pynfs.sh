#!/usr/bin/env bash
# pynfs NFSv4.1 server tests (docs/pnfs.md, "pynfs") against the patched
# nfsd, from a pynfs checkout outside the repository named by PYNFS_DIR:
#   - flag "pnfs" on the pNFS export (ext4, FILES layout);
#   - flag "all" on a tmpfs export beside it, compared with stock nfsd
#     6.12.117 on tmpfs: 186 of 197 passed, the 11 failures below.
# Every failure is listed with pynfs's reason; the suite fails when "all"
# passes fewer tests than stock nfsd or fails a test that stock nfsd passes.
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"

STOCK_ALL_PASSED=186
STOCK_ALL_FAILED="XATT2 XATT3 XATT4 XATT5 XATT6 XATT7 XATT8 XATT9 XATT11 DELEG24 DELEG25"
# Tests left out of "all" (pynfs's "noCODE"): CSESS29 sends 10,000
# CREATE_SESSIONs, over 20 minutes under TCG. The comparison with stock nfsd
# is then on the tests that ran.
PYNFS_EXCLUDE=${PYNFS_EXCLUDE-CSESS29}
TMPFS_EXPORT=$PNFS_EXPORT/tmpfs

if [ -z "${PYNFS_DIR:-}" ] || [ ! -x "$PYNFS_DIR/nfs4.1/testserver.py" ]; then
	skip "pynfs NFSv4.1 'pnfs' tests" "PYNFS_DIR does not name a pynfs checkout"
	skip "pynfs NFSv4.1 'all' tests" "PYNFS_DIR does not name a pynfs checkout"
	tap_plan
	exit 0
fi

# DELEG8 renews its first client only between OPENs that pynfs retries for
# up to 10 s: a 10 s lease expires that client under it.
PNFS_LEASE=20 pnfs_server_up >"$RESULTS/pynfs-setup.log" 2>&1
mkdir -p "$PNFS_EXPORT/pynfs" "$TMPFS_EXPORT"
chmod 1777 "$PNFS_EXPORT/pynfs"
mount -t tmpfs -o size=256M,mode=1777 pynfs-tmpfs "$TMPFS_EXPORT"
echo "$TMPFS_EXPORT 10.99.0.0/16(rw,sync,no_root_squash,no_subtree_check,insecure,fsid=3)" >>/etc/exports
exportfs -ra

# pynfs_run FLAG PATH ARGS...: run pynfs (its output in pynfs-FLAG.log, one
# line per test as it ends), then each test's result in pynfs-FLAG.results
# ("CODE RESULT"), read from that output: a run cut short still reports the
# tests it finished.
pynfs_run() {
	local flag=$1 path=$2
	shift 2
	(cd "$PYNFS_DIR/nfs4.1" &&
		timeout -k 10 "${PYNFS_TIMEOUT:-1500}" /usr/bin/python3 -u ./testserver.py "$PNFS_MDS:$path" \
			--maketree --verbose "$@") >"$RESULTS/pynfs-$flag.log" 2>&1
	awk '$0 ~ /^[A-Z]+[0-9]+[a-z]* / && $(NF - 1) == ":" && $NF != "RUNNING" { r[$1] = $NF }
		END { for (c in r) print c, r[c] }' "$RESULTS/pynfs-$flag.log" | sort >"$RESULTS/pynfs-$flag.results"
}

# pynfs_counts FLAG: pynfs's own summary, or the same counted from the
# results when the run was cut short.
pynfs_counts() {
	grep -oE '[0-9]+ Skipped, [0-9]+ Failed, [0-9]+ Warned, [0-9]+ Passed' "$RESULTS/pynfs-$1.log" | tail -n 1 |
		grep . || awk '{ n[$2]++ } END { printf "cut short after %d tests: %d Failed, %d Warned, %d Passed\n", NR, n["FAILURE"], n["WARNING"], n["PASS"] }' \
		"$RESULTS/pynfs-$1.results"
}
pynfs_passed() { awk '$2 == "PASS"' "$RESULTS/pynfs-$1.results" | wc -l; }

# pynfs_failures FLAG: each failed test, with pynfs's reason, as diagnostics.
pynfs_failures() {
	local code
	for code in $(awk '$2 == "FAILURE" { print $1 }' "$RESULTS/pynfs-$1.results"); do
		# pynfs's last line for the test is its result; the indented lines
		# after it, the reason.
		diag "pynfs $1: $(awk -v c="$code" 'hit && /^[ \t]/ { reason = reason $0; next }
			{ hit = 0 }
			$1 == c { line = $0; hit = 1; reason = "" }
			END { print line " -" reason }' "$RESULTS/pynfs-$1.log" | tr -s ' \t' ' ')"
	done
}

pynfs_run pnfs /pynfs pnfs
if [ -s "$RESULTS/pynfs-pnfs.results" ]; then
	ok 0 "pynfs 'pnfs' on the FILES-layout export: $(pynfs_counts pnfs)"
	pynfs_failures pnfs
else
	ok 1 "pynfs 'pnfs' on the FILES-layout export: no results"
	diag "$(tail -n 20 "$RESULTS/pynfs-pnfs.log")"
fi

# shellcheck disable=SC2046 # one "noCODE" argument per excluded test
pynfs_run all /tmpfs all $(printf 'no%s ' $PYNFS_EXCLUDE)
if [ -s "$RESULTS/pynfs-all.results" ]; then
	# Stock nfsd's passes among the tests that ran: 186, less the left-out
	# tests it passes.
	want=$STOCK_ALL_PASSED
	for code in $PYNFS_EXCLUDE; do
		grep -qw "$code" <<<"$STOCK_ALL_FAILED" || want=$((want - 1))
	done
	passed=$(pynfs_passed all)
	new=$(awk '$2 == "FAILURE" { print $1 }' "$RESULTS/pynfs-all.results" |
		grep -vxF -f <(tr ' ' '\n' <<<"$STOCK_ALL_FAILED") | tr '\n' ' ')
	ok $([ "$passed" -ge "$want" ] && [ -z "$new" ]; echo $?) \
		"pynfs 'all' on tmpfs: $passed passed ($(pynfs_counts all)); stock nfsd passes $want of these ($STOCK_ALL_PASSED of 197)"
	[ -z "$PYNFS_EXCLUDE" ] || diag "left out: $PYNFS_EXCLUDE"
	pynfs_failures all
	[ -z "$new" ] || diag "failed here, passed by stock nfsd: $new"
else
	ok 1 "pynfs 'all' on tmpfs: no results"
	diag "$(tail -n 20 "$RESULTS/pynfs-all.log")"
fi

exportfs -ua
umount "$TMPFS_EXPORT"
pnfs_server_down >>"$RESULTS/pynfs-setup.log" 2>&1
tap_plan
