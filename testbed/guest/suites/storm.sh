#!/usr/bin/env bash
# A fault storm (issue 16): for STORM_SECS seconds (default 60; the debug
# guest runs 300), 10 client processes write, rewrite and read back files
# of varied sizes through the pNFS mount (testbed/guest/storm-writer.py),
# each file recorded with its SHA-256 once its write, fsync and close
# succeeded, while a storm, at seeded random intervals (STORM_SEED), swaps
# the policy, loads policies that fail for some files, never return, answer
# a data server that does not exist, or do not compile, unloads the policy,
# changes the data-server list (once to nothing), and unloads and reloads
# the engine. Then every file recorded as written reads back with its
# checksum through a fresh mount and on the server; every LAYOUTGET nfsd
# served is accounted for by its counters and tracepoints; the engine
# answers; the module unloads. (The kernel log is scanned by the testbed.)
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"
. "$GUEST/bin.sh"
WORK=/tmp/pnfs-work
TRACE=/sys/kernel/tracing
PARAMS=/sys/module/lunatik_ng/parameters
STORM_SECS=${STORM_SECS:-60}
STORM_SEED=${STORM_SEED:-$(date +%s)}
WRITERS=10
# What the writers keep on the 512 MiB export at most (then they rewrite).
BUDGET=$((96 * 1024 * 1024 / WRITERS))
DIR=storm
FILES=$WORK/$DIR
POL=$WORK/storm-policies
LOG=$RESULTS/storm-faults.log

client() { ip netns exec client bash "$GUEST/pnfs-client.sh" "$@"; }
# LAYOUTGETs nfsd served (op 50 of the proc4ops line: field 53), counted
# where nfsd4_proc_compound counts every operation it processed.
layoutgets() { awk '$1 == "proc4ops" { print $53 }' /proc/net/rpc/nfsd; }
# snap ARRAY: LAYOUTGETs served and nfsd's FILES-layout counters, now.
# shellcheck disable=SC2034 # ARRAY is written through the name s
snap() {
	local -n s=$1
	local k v
	while read -r k v; do s[${k%:}]=$v; done </proc/fs/nfsd/pnfs_stats
	s["layoutget"]=$(layoutgets)
}
# engine_read: the engine's own counters, into ED EE EF (decisions, errors,
# busy fallbacks); they start again at 0 with each insmod.
engine_read() {
	local line
	read -r line <"$PARAMS/pnfs_stats" || return 1
	# shellcheck disable=SC2086 # "key value key value ..."
	set -- $line
	while [ $# -ge 2 ]; do
		case $1 in
		decisions) ED=$2 ;;
		errors) EE=$2 ;;
		fallbacks) EF=$2 ;;
		esac
		shift 2
	done
}
# nfiles SUFFIX: into NF, how many writers made $FILES/w*.SUFFIX.
nfiles() {
	local -a f
	shopt -s nullglob
	f=("$FILES"/w*."$1")
	shopt -u nullglob
	NF=${#f[@]}
}
# await_files KIND: until every writer has a file marked KIND (at most 120 s,
# or until the writers end).
await_files() {
	for _ in $(seq 600); do
		nfiles "$1"
		[ "$NF" -lt $WRITERS ] || break
		kill -0 $churn 2>/dev/null || break
		sleep 0.2
	done
}
policy_name() { local p; p=$("$LUNATIK" pnfs show 2>/dev/null | sed -n 's/^policy //p'); echo "${p%% *}"; }

pnfs_server_up >"$RESULTS/storm-setup.log" 2>&1
if ! insmod "$LUNATIK_KO"; then
	ok 1 "insmod lunatik_ng.ko"
	pnfs_server_down >>"$RESULTS/storm-setup.log" 2>&1
	tap_plan
	exit 1
fi
diag "STORM_SEED=$STORM_SEED STORM_SECS=$STORM_SECS (the same seed gives the same faults, intervals and file sizes; the timing differs)"
echo "storm: STORM_SEED=$STORM_SEED STORM_SECS=$STORM_SECS" >&2
[ $((STORM_SECS + 300)) -le "${SUITE_TIMEOUT:-900}" ] ||
	diag "STORM_SECS=$STORM_SECS leaves less than 300 s of SUITE_TIMEOUT (${SUITE_TIMEOUT:-900} s) for setup and checks"
rm -rf "$FILES" "$POL" "$RESULTS/storm-stall.txt"
mkdir -p "$FILES" "$POL"
: >"$LOG"
check "pnfs load layouts/default.lua" "$LUNATIK" pnfs load "$REPO/layouts/default.lua"

# The policies of the faults.
cat >"$POL/fail.lua" <<'LUA'
-- Fails for one file in three (by inode): nfsd gives those its built-in
-- layout (counted failed); the others are striped over every server.
pnfs.register(function(f)
  if f.ino % 3 == 0 then error("storm: no layout for inode " .. f.ino) end
  local s = {}
  for i = 1, f.servers do s[i] = i end
  return {stripe_unit = 65536, servers = s, first = f.ino % f.servers + 1}
end)
LUA
cat >"$POL/endless.lua" <<'LUA'
-- Never returns: the decision's budget stops it, nfsd falls back (failed).
pnfs.register(function(f) while true do end end)
LUA
cat >"$POL/reject.lua" <<'LUA'
-- Names a data server past the end of the list: nfsd rejects every answer.
pnfs.register(function(f) return {stripe_unit = 65536, servers = {f.servers + 1}} end)
LUA
printf 'pnfs.register(function(f) return {} end\n' >"$POL/broken.lua"
LAYOUTS=("$REPO"/layouts/*.lua)

# nfsd's tracepoints for the equation below: each LAYOUTGET's status
# (nfsd_compound_status, filtered to LAYOUTGET) and each counted decision
# (nfsd_file_layout_decision), on one clock for both CPUs so that a
# thread's events stay in order.
mountpoint -q "$TRACE" || mount -t tracefs nodev "$TRACE"
echo 0 >"$TRACE/tracing_on"
echo global >"$TRACE/trace_clock"
echo 16384 >"$TRACE/buffer_size_kb"
echo >"$TRACE/trace"
check "trace filter: nfsd_compound_status of LAYOUTGET only" \
	bash -c "echo 'name == \"OP_LAYOUTGET\"' >'$TRACE/events/nfsd/nfsd_compound_status/filter'"
echo 1 >"$TRACE/events/nfsd/nfsd_compound_status/enable"
echo 1 >"$TRACE/events/nfsd/nfsd_file_layout_decision/enable"
echo 1 >"$TRACE/tracing_on"

declare -A S0 S1
snap S0
ED=0 EE=0 EF=0
engine_read
ED_SUM=$((-ED)) EE_SUM=$((-EE)) EF_SUM=$((-EF))

# --- the writers -------------------------------------------------------------

client churn "$DIR" "$WRITERS" "$BUDGET" "$STORM_SEED" \
	>"$RESULTS/storm-churn.tap" 2>"$RESULTS/storm-churn.err" &
churn=$!
await_files ready
check "$WRITERS writers started (each wrote a first file: $NF)" [ "$NF" = $WRITERS ]

# --- the storm ----------------------------------------------------------------

RANDOM=$STORM_SEED
declare -A INJ OUT TOOK
UNEXPECTED=0 MODULE_IN=1 CURRENT=default.lua RMMOD_BUSY=0 RMMOD_UNLOAD=0
T0=${EPOCHREALTIME/./}

# note KIND TEXT: into the fault log and the trace (a marker among nfsd's events).
note() {
	local ms=$(((${EPOCHREALTIME/./} - T0) / 1000))
	printf '%7d ms  %-8s %s\n' "$ms" "$1" "$2" >>"$LOG"
	echo "storm: $1 $2" >"$TRACE/trace_marker"
}
# expect KIND WANT GOT OUTPUT: an injection's exit status is the one expected.
expect() {
	[ "$2" = "$3" ] && return 0
	UNEXPECTED=$((UNEXPECTED + 1))
	printf '          UNEXPECTED %s: exit %s, expected %s: %s\n' "$1" "$3" "$2" "$4" >>"$LOG"
	return 1
}
# load KIND FILE NAME: a policy load; with the module out the CLI is refused
# (exit 3), a source that does not compile raises (exit 1, the policy stays).
load() {
	local kind=$1 file=$2 name=$3 out st=0 want=0 now
	INJ[$kind]=$((${INJ[$kind]:-0} + 1))
	out=$("$LUNATIK" pnfs load --name "$name" "$file" 2>&1) || st=$?
	if [ $MODULE_IN = 0 ]; then
		want=3
		OUT[$kind]=$((${OUT[$kind]:-0} + 1))
	elif [ "$kind" = broken ]; then
		want=1
	fi
	note "$kind" "pnfs load $name: exit $st"
	expect "$kind" $want $st "$out" || return
	if [ $MODULE_IN = 1 ] && [ "$kind" = broken ]; then
		now=$(policy_name)
		expect "$kind (the running policy stays)" "$CURRENT" "$now" "policy $now after the failed load"
	elif [ $MODULE_IN = 1 ]; then
		CURRENT=$name
		TOOK[$kind]=1
	fi
}
# pick_servers: into PICK, 1 to 3 of the data servers, in a random order.
pick_servers() {
	local a=("${PNFS_DS[@]}") i j t
	for ((i = ${#a[@]} - 1; i > 0; i--)); do
		j=$((RANDOM % (i + 1)))
		t=${a[i]} a[i]=${a[j]} a[j]=$t
	done
	PICK=("${a[@]:0:$((RANDOM % ${#a[@]} + 1))}")
}
# servers KIND ADDR...: a new data-server list (nfsd recalls the layouts).
servers() {
	local kind=$1 out st=0
	shift
	out=$(pnfs_dataservers "$@" 2>&1) || st=$?
	note "$kind" "pnfs_dataservers '$*': exit $st"
	expect "$kind" 0 $st "$out"
}
# rmmod_engine: unloads the engine, its policy still deciding. A decision
# in flight holds the module (rmmod: in use); with the endless policy and
# 10 writers there may always be one, so after 2 s the policy is unloaded
# first: nfsd then stops calling the module and the rmmod finds it idle.
rmmod_engine() {
	local i
	for i in $(seq 200); do
		if [ "$i" = 41 ]; then
			"$LUNATIK" pnfs unload >/dev/null 2>&1
			note module "in use for 2 s: pnfs unload first"
			RMMOD_UNLOAD=$((RMMOD_UNLOAD + 1))
		fi
		engine_read # the last count before it goes
		if rmmod lunatik_ng 2>/dev/null; then
			note module "rmmod lunatik_ng: after $i attempts"
			MODULE_IN=0 CURRENT=none
			ED_SUM=$((ED_SUM + ED)) EE_SUM=$((EE_SUM + EE)) EF_SUM=$((EF_SUM + EF))
			INJ[rmmod]=$((${INJ[rmmod]:-0} + 1))
			TOOK[rmmod]=1
			return 0
		fi
		RMMOD_BUSY=$((RMMOD_BUSY + 1))
		sleep 0.05
	done
	note module "rmmod lunatik_ng: in use after 200 attempts"
	expect rmmod 0 1 "$(lsmod | grep lunatik)"
}
insmod_engine() {
	local out st=0
	out=$(insmod "$LUNATIK_KO" 2>&1) || st=$?
	note module "insmod: exit $st"
	INJ[insmod]=$((${INJ[insmod]:-0} + 1))
	expect insmod 0 $st "$out" || return
	MODULE_IN=1 CURRENT=none
	ED=0 EE=0 EF=0
}
inject() {
	local kind=$1 f ms
	case $kind in
	swap)
		f=${LAYOUTS[RANDOM % ${#LAYOUTS[@]}]}
		load swap "$f" "${f##*/}"
		;;
	fail | endless | reject | broken) load "$kind" "$POL/$kind.lua" "storm-$kind" ;;
	unload)
		local out st=0 want=0
		INJ[unload]=$((${INJ[unload]:-0} + 1))
		out=$("$LUNATIK" pnfs unload 2>&1) || st=$?
		[ $MODULE_IN = 1 ] || { want=3 && OUT[unload]=$((${OUT[unload]:-0} + 1)); }
		note unload "pnfs unload: exit $st"
		expect unload $want $st "$out" && [ $MODULE_IN = 1 ] && CURRENT=none TOOK[unload]=1
		;;
	dslist)
		INJ[dslist]=$((${INJ[dslist]:-0} + 1))
		pick_servers
		servers dslist "${PICK[@]}"
		;;
	dsempty)
		# No data servers for 1 to 2 s: LAYOUTGET answers LAYOUTUNAVAILABLE.
		INJ[dsempty]=$((${INJ[dsempty]:-0} + 1))
		servers dsempty
		ms=$((RANDOM % 1000 + 1000))
		sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
		pick_servers
		servers dsempty "${PICK[@]}"
		;;
	module)
		if [ $MODULE_IN = 1 ]; then
			rmmod_engine
		else
			insmod_engine
			# half the time a policy at once, else the built-in layout until one comes
			[ $MODULE_IN = 0 ] || [ $((RANDOM % 2)) = 0 ] || inject swap
		fi
		;;
	esac
}

# First every kind once with the engine in, in a seeded order (the empty
# list only then), then the engine out, a policy load refused meanwhile,
# the engine back: so that even a short storm has each. Then kinds drawn
# at random.
QUEUE=(swap fail endless reject broken unload dslist dsempty)
for ((i = ${#QUEUE[@]} - 1; i > 0; i--)); do
	j=$((RANDOM % (i + 1)))
	t=${QUEUE[i]} QUEUE[i]=${QUEUE[j]} QUEUE[j]=$t
done
QUEUE+=(module swap module)
KINDS=(swap fail endless reject broken unload dslist module)
events=0 trimmed=$SECONDS
while [ ${#QUEUE[@]} -gt 0 ] || [ $(((${EPOCHREALTIME/./} - T0) / 1000000)) -lt "$STORM_SECS" ]; do
	if [ ${#QUEUE[@]} -gt 0 ]; then
		kind=${QUEUE[0]}
		QUEUE=("${QUEUE[@]:1}")
	else
		kind=${KINDS[RANDOM % ${#KINDS[@]}]}
	fi
	inject "$kind"
	events=$((events + 1))
	# The export is an image in the guest's memory: give back what the
	# rewrites freed (not a fault).
	if [ $((SECONDS - trimmed)) -ge 30 ]; then
		fstrim "$PNFS_EXPORT" >>"$LOG" 2>&1
		trimmed=$SECONDS
	fi
	ms=$((RANDOM % 3000 + 1000))
	sleep "$((ms / 1000)).$(printf '%03d' $((ms % 1000)))"
done
secs=$(((${EPOCHREALTIME/./} - T0) / 1000000))

# Back to a sane server: the engine in, layouts/default.lua, every data server.
[ $MODULE_IN = 1 ] || insmod_engine
"$LUNATIK" pnfs load "$REPO/layouts/default.lua" >>"$LOG" 2>&1
pnfs_dataservers "${PNFS_DS[@]}"
note calm "the engine in, default.lua, all data servers"
check "after the storm: the engine loaded, layouts/default.lua deciding, all three data servers" \
	[ $MODULE_IN = 1 -a "$(policy_name)" = default.lua -a "$(cat /proc/fs/nfsd/pnfs_dataservers)" = "${PNFS_DS[0]}:2049,${PNFS_DS[1]}:2049,${PNFS_DS[2]}:2049" ]

# Every writer writes a file again within 2 minutes.
touch "$FILES/calm"
t0=$SECONDS
await_files calm
check "after the storm, every writer wrote a file again ($NF of $WRITERS, $((SECONDS - t0)) s)" [ "$NF" = $WRITERS ]

touch "$FILES/stop"
t0=$SECONDS
for _ in $(seq 360); do kill -0 $churn 2>/dev/null || break; sleep 0.5; done
if kill -0 $churn 2>/dev/null; then
	pids=()
	for f in "$FILES"/w*.pid; do read -r p <"$f" && pids+=("$p"); done
	pnfs_stall_report "${pids[@]}" >"$RESULTS/storm-stall.txt" 2>&1
	kill -9 "${pids[@]}" 2>/dev/null
	for _ in $(seq 60); do kill -0 $churn 2>/dev/null || break; sleep 0.5; done
	kill -9 $churn 2>/dev/null
	diag "the writers did not stop within 180 s: $RESULTS/storm-stall.txt"
fi
wait $churn
check "the writers stopped within 180 s of being told ($((SECONDS - t0)) s)" [ ! -e "$RESULTS/storm-stall.txt" ]
tap_renumber <"$RESULTS/storm-churn.tap"

# --- every LAYOUTGET accounted for -------------------------------------------

# The client's mount is gone: nothing asks for layouts any more.
snap S1
engine_read
ED_SUM=$((ED_SUM + ED)) EE_SUM=$((EE_SUM + EE)) EF_SUM=$((EF_SUM + EF))
echo 0 >"$TRACE/tracing_on"
echo 0 >"$TRACE/events/nfsd/nfsd_compound_status/enable"
echo 0 >"$TRACE/events/nfsd/nfsd_file_layout_decision/enable"
cat "$TRACE/trace" >"$RESULTS/storm-trace.txt"
overrun=$(cat "$TRACE"/per_cpu/cpu*/stats | awk '$1 == "overrun:" { n += $2 } END { print n + 0 }')
echo 0 >"$TRACE/events/nfsd/nfsd_compound_status/filter"
echo >"$TRACE/trace"
echo local >"$TRACE/trace_clock"
echo 1408 >"$TRACE/buffer_size_kb"
echo 1 >"$TRACE/tracing_on"

declare -A D
for k in layoutget policy builtin failed rejected device_fallback recalls; do
	D[$k]=$((${S1[$k]:-0} - ${S0[$k]:-0}))
done
# Each LAYOUTGET, from the trace: an nfsd thread (the "nfsd-PID" field)
# emits the decision event, when there is one, inside the operation, and
# the operation's status event after it. A status event after a decision
# on the same thread is a decided LAYOUTGET; one without, a LAYOUTGET
# answered before any decision.
declare -A T
while read -r k v; do T[$k]=$v; done < <(awk '
	/nfsd_file_layout_decision:/ {
		pending[$1] = 1
		match($0, /outcome=[a-z]+/)
		n["event_" substr($0, RSTART + 8, RLENGTH - 8)]++
		if ($0 ~ /device_fallback=1/) n["event_device_fallback"]++
		n["events"]++
		next
	}
	/nfsd_compound_status: .* OP_LAYOUTGET status=/ {
		match($0, /status=-?[0-9]+/)
		st = substr($0, RSTART + 7, RLENGTH - 7) + 0
		n["ops"]++
		if (pending[$1]) {
			pending[$1] = 0
			if (st) { n["decided_err"]++; derr[st]++ } else n["decided_ok"]++
		} else {
			if (st) { n["refused"]++; uerr[st]++ } else n["undecided_ok"]++
		}
	}
	END {
		for (p in pending) if (pending[p]) n["orphans"]++
		for (k in n) print k, n[k]
		s = ""; for (e in uerr) s = s e ":" uerr[e] ","; print "refused_by", (s == "" ? "none" : s)
		s = ""; for (e in derr) s = s e ":" derr[e] ","; print "decided_err_by", (s == "" ? "none" : s)
	}' "$RESULTS/storm-trace.txt")
# traced KEY: a count from the trace (0 when none)
traced() { echo "${T[$1]:-0}"; }
errname() { # the NFS4ERR_ names of "status:count," pairs
	local e=$1
	e=${e//10008:/DELAY:} e=${e//10024:/OLD_STATEID:} e=${e//10025:/BAD_STATEID:}
	e=${e//10059:/LAYOUTUNAVAILABLE:} e=${e//10061:/RECALLCONFLICT:}
	echo "${e%,}"
}
decided=$((D[policy] + D[builtin] + D[failed] + D[rejected]))
diag "nfsd over the storm: $((D[layoutget])) LAYOUTGETs; policy $((D[policy])), builtin $((D[builtin])), failed $((D[failed])), rejected $((D[rejected])), device_fallback $((D[device_fallback])), recalls $((D[recalls]))"
diag "trace: $(traced ops) LAYOUTGETs ($(traced decided_ok) decided and answered, $(traced decided_err) decided then refused: $(errname "$(traced decided_err_by)"); $(traced refused) refused before a decision: $(errname "$(traced refused_by)")); $(traced events) decision events; $overrun events overwritten"
# The equation, from nfsd-patches/0014 (nfsd4_file_proc_layoutget) and
# nfsd's nfsd4_layoutget() and nfsd4_proc_compound():
#  - proc4ops counts every LAYOUTGET operation nfsd processed, where
#    nfsd_compound_status fires for it: LAYOUTGET = traced operations.
#  - An operation that reaches the end of proc_layoutget adds 1 to exactly
#    one of policy, builtin, failed, rejected (stat_of[outcome]) and fires
#    one nfsd_file_layout_decision; device_fallback is a policy decision
#    whose device fell back (inside policy, not a term of its own); the
#    engine's fallbacks (busy states) and errors (script errors, budget)
#    are nfsd's failed. So policy + builtin + failed + rejected = decision
#    events, outcome by outcome.
#  - The others were answered with an error before any decision, counted by
#    none of them: RECALLCONFLICT while the file's layouts are recalled
#    (every policy or list change recalls), LAYOUTUNAVAILABLE while the list
#    is empty, stateid errors of operations racing a return. A decided one
#    may still be refused after it with RECALLCONFLICT (nfsd4_insert_layout:
#    another layout stateid of the file, or a recall of all layouts began
#    while it was decided), but none is answered OK without a decision.
#  So: LAYOUTGET = policy + builtin + failed + rejected + refused before a
#  decision, and nothing is left over.
check "every LAYOUTGET nfsd counted was traced ($((D[layoutget])) = $(traced ops); $overrun events overwritten)" \
	[ "${D[layoutget]}" = "$(traced ops)" -a "$overrun" = 0 ]
check "nfsd's counters are its decision events: policy $((D[policy])) = $(traced event_policy), builtin $((D[builtin])) = $(traced event_builtin), failed $((D[failed])) = $(traced event_failed), rejected $((D[rejected])) = $(traced event_rejected), device_fallback $((D[device_fallback])) = $(traced event_device_fallback)" \
	[ "${D[policy]}" = "$(traced event_policy)" -a "${D[builtin]}" = "$(traced event_builtin)" -a "${D[failed]}" = "$(traced event_failed)" \
	-a "${D[rejected]}" = "$(traced event_rejected)" -a "${D[device_fallback]}" = "$(traced event_device_fallback)" ]
check "every LAYOUTGET accounted for: $((D[layoutget])) = policy $((D[policy])) + builtin $((D[builtin])) + failed $((D[failed])) + rejected $((D[rejected])) + refused before a decision $(traced refused); none answered without a decision ($(traced undecided_ok)), no decision without its answer ($(traced orphans))" \
	[ "${D[layoutget]}" = $((decided + $(traced refused))) -a "$decided" = $(($(traced decided_ok) + $(traced decided_err))) -a "$(traced undecided_ok)" = 0 -a "$(traced orphans)" = 0 ]
# the errors nfsd gives for the faults injected (DELAY: no memory)
bad=$(tr ',' '\n' <<<"$(traced refused_by),$(traced decided_err_by)" | awk -F: 'NF == 2 && $1 !~ /^(10008|10024|10025|10059|10061)$/' | tr '\n' ' ')
check "LAYOUTGETs refused only with the errors these faults cause (DELAY, OLD_STATEID, BAD_STATEID, LAYOUTUNAVAILABLE, RECALLCONFLICT)${bad:+: not $bad}" \
	[ -z "$bad" ]
# Each kind of fault left its mark in nfsd's counters (when it took effect).
marks=0 want=""
if [ -n "${TOOK[fail]:-}${TOOK[endless]:-}" ]; then want+=" failed"; [ "${D[failed]}" -gt 0 ] || marks=1; fi
if [ -n "${TOOK[reject]:-}" ]; then want+=" rejected"; [ "${D[rejected]}" -gt 0 ] || marks=1; fi
if [ -n "${TOOK[rmmod]:-}${TOOK[unload]:-}" ]; then want+=" builtin"; [ "${D[builtin]}" -gt 0 ] || marks=1; fi
ok $marks "the faults show in nfsd's counters (non-zero:$want)"
# The engine's counters, summed over its lives (read before each rmmod):
# its decisions are nfsd's policy and rejected answers, its errors and
# busy fallbacks nfsd's failed ones; a decision that ends between the last
# read and the rmmod is nfsd's only, hence at most.
check "the engine counted no more than nfsd: decisions $ED_SUM <= policy + rejected $((D[policy] + D[rejected])), errors + fallbacks $((EE_SUM + EF_SUM)) <= failed $((D[failed]))" \
	[ "$ED_SUM" -le $((D[policy] + D[rejected])) -a $((EE_SUM + EF_SUM)) -le "${D[failed]}" ]
check "no errno nfsd could not map" bash -c "! dmesg | grep -q 'non-standard errno'"

# --- the faults ----------------------------------------------------------------

list=""
total=0
for k in swap fail endless reject broken unload dslist dsempty rmmod insmod; do
	list+=" $k ${INJ[$k]:-0}"
	[ -z "${OUT[$k]:-}" ] || list+=" (${OUT[$k]} with the module out)"
	total=$((total + ${INJ[$k]:-0}))
done
diag "storm: $events events, $total faults in $secs s (STORM_SEED=$STORM_SEED):$list"
diag "storm: rmmod attempts that found the engine in use: $RMMOD_BUSY; rmmods that needed the policy unloaded first: $RMMOD_UNLOAD; the log of every fault: $LOG"
check "every fault got the answer expected ($UNEXPECTED unexpected: policy loads refused with the module out, a load that does not compile refused and the running policy kept, everything else done)" \
	[ "$UNEXPECTED" = 0 ]
[ "$UNEXPECTED" = 0 ] || diag "$(grep UNEXPECTED "$LOG" | head -n 10)"

# --- no file lost ----------------------------------------------------------------

# The writers' counts, and the state of each file: the last line of its name.
# shellcheck disable=SC2016 # awk's fields
diag "writers (all $WRITERS): $(awk '{ for (i = 2; i < NF; i += 2) n[$(i - 1)] += $i; if ($NF != "none") e = e " " $NF }
	END { for (k in n) printf "%s %.0f, ", k, n[k]; print "errors:" (e == "" ? " none" : e) }' "$FILES"/w*.summary)"
read -r nok bytes nfailed < <(awk -v dir="$DIR" -v out="$WORK/storm.sums" '
	{ w = FILENAME; sub(/.*\//, "", w); sub(/\.manifest$/, "", w); k = dir "/" w "/" $2 }
	$1 == "ok" { st[k] = "ok"; size[k] = $3; sum[k] = $4 }
	$1 == "failed" { st[k] = "failed" }
	END {
		printf "" >out
		for (k in st) if (st[k] == "ok") { print sum[k] "  " k >out; n++; b += size[k] } else f++
		print n + 0, b + 0, f + 0
	}' "$FILES"/w*.manifest)
differ=$(cat "$FILES"/w*.manifest | grep -c '^differ ')
reads=$(awk '{ for (i = 1; i < NF; i++) if ($i == "reads") n += $(i + 1) } END { print n + 0 }' "$FILES"/w*.summary 2>/dev/null)
check "reads during the storm: $reads files read back from the server, $differ differed from what was written" [ "$differ" = 0 -a "$reads" -gt 0 ]
[ "$differ" = 0 ] || diag "$(grep -h '^differ ' "$FILES"/w*.manifest | head -n 10)"
diag "files: $nok written ($bytes bytes), $nfailed not written (their last write failed: not counted as lost)"
check "the writers wrote files ($nok)" [ "$nok" -ge $WRITERS ]
tap_renumber < <(client sums "$WORK/storm.sums" "$bytes")

# --- the engine after the storm -------------------------------------------------

check "after the storm the engine answers: lunatik-ng eval 'return 1+1'" [ "$("$LUNATIK" eval 'return 1+1')" = 2 ]
check "the module unloads cleanly" rmmod lunatik_ng
check "and is gone" bash -c '! grep -q "^lunatik_ng " /proc/modules'

pnfs_server_down >>"$RESULTS/storm-setup.log" 2>&1
tap_plan
