#!/usr/bin/env bash
# nfsd's FILES layouts at server scale (issue 14, docs/pnfs.md):
#  1. /proc/fs/nfsd/pnfs_dataservers refuses bad lists (the list stays), and
#     a second network namespace with its own nfsd keeps its own list;
#  2. a file held open and written in a loop follows a policy swap, and the
#     removal of a data server, within two lease periods (layout recalls);
#  3. two exports with their own policies, a third with none;
#  4. 16 data-server addresses, layouts/default.lua, SCALE_FILES files (5,000;
#     20,000 for issue 14: SCALE_FILES=20000 testbed/run guest-test scale)
#     created by 10 processes: no failure, no fallback, devices freed with
#     their layouts, and nfsd's tracepoints fire once per decision;
#  5. GETDEVICEINFO with a maxcount below a device's length gets
#     NFS4ERR_TOOSMALL with the length that works, for 16 IPv4 and 64 IPv6
#     data servers;
#  6. recalls that race the LAYOUTGET reply, answered by a scripted client:
#     NOMATCHING is asked again only within 2 s of the grant, OLD_STATEID
#     after such a question ends the recall unfenced, at first it is fenced.
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"
. "$GUEST/bin.sh"
WORK=/tmp/pnfs-work
TRACE=/sys/kernel/tracing
SCALE_FILES=${SCALE_FILES:-5000}
SCALE_PROCS=10
LEASE=10

client() { ip netns exec client bash "$GUEST/pnfs-client.sh" "$@"; }
layoutgets() { awk '$1 == "proc4ops" { print $53 }' /proc/net/rpc/nfsd; }
dslist() { cat /proc/fs/nfsd/pnfs_dataservers; }

pnfs_server_up >"$RESULTS/scale-setup.log" 2>&1
insmod "$LUNATIK_KO" || { ok 1 "insmod lunatik_ng.ko"; tap_plan; exit 1; }
mkdir -p "$WORK"

# --- 1. the data-server list: validated, per network namespace -------------

# A client holds the MDS mounted (its back channel makes 10.99.0.1 an
# address clients mount) and writes one file in a loop for part 2.
rm -f "$WORK/hold.rate" "$WORK/hold.stop"
ip netns exec client bash "$GUEST/pnfs-client.sh" hold held.bin >"$RESULTS/scale-hold.log" 2>&1 &
holder=$!
for _ in $(seq 100); do [ -s "$WORK/hold.rate" ] && break; sleep 0.2; done
check "a client holds held.bin open and writes it in a loop" [ -s "$WORK/hold.rate" ]

good=$(dslist)
refuse() { # refuse DESC LIST PATTERN: the write fails with EINVAL, the list
	# stays, and the kernel log names the entry (PATTERN).
	local err
	err=$( (echo "$2" >/proc/fs/nfsd/pnfs_dataservers) 2>&1)
	if [[ $err == *"Invalid argument"* ]] && [ "$(dslist)" = "$good" ] &&
		dmesg | tail -n 20 | grep -q -- "pnfs_dataservers: $3"; then
		ok 0 "refused: $1"
	else
		ok 1 "refused: $1"
		diag "write: '$err'; list now '$(dslist)' (was '$good'); log: $(dmesg | tail -n 3)"
	fi
}
refuse "garbage" "10.99.1.1,garbage" "garbage: not an IPv4 or IPv6 address"
refuse "the MDS's address (clients mount it)" "10.99.1.1,$PNFS_MDS" "$PNFS_MDS:2049: clients mount it"
refuse "the MDS's address with another port" "$PNFS_MDS:2050" "$PNFS_MDS:2050: clients mount it"
refuse "65 entries" "$(for i in $(seq 65); do printf '10.99.9.%d,' "$i"; done)" "10.99.9.65: more than 64"
refuse "an IPv4-mapped IPv6 address" "::ffff:10.99.1.1" "::ffff:10.99.1.1: an IPv4-mapped"
refuse "an IPv4-mapped IPv6 address with a port" "[::ffff:10.99.1.1]:2049" "\[::ffff:10.99.1.1\]:2049: an IPv4-mapped"
refuse "a port out of range" "10.99.1.1:70000" "10.99.1.1:70000: port out of range"
refuse "an address listed twice" "10.99.1.1,10.99.2.1,10.99.1.1:2049" "10.99.1.1:2049: listed twice"
check "IPv6 with a port reads back as [address]:port" \
	bash -c "echo 'fd00::1,[fd00::2]:2050,10.99.1.1:2049' >/proc/fs/nfsd/pnfs_dataservers &&
		[ \"\$(cat /proc/fs/nfsd/pnfs_dataservers)\" = '[fd00::1]:2049,[fd00::2]:2050,10.99.1.1:2049' ]"
pnfs_dataservers "${PNFS_DS[@]}"
good=$(dslist)

# A second network namespace with its own nfsd and its own list, in one
# session there: nfsd stops when the last mount of its nfsd filesystem goes.
ip netns add srv2
ip netns exec srv2 bash -c '
	umount /proc/fs/nfsd 2>/dev/null; mount -t nfsd nfsd /proc/fs/nfsd || exit 1
	ip link set lo up
	rpc.nfsd -N 3 --no-udp 2 >&2
	echo "threads $(cat /proc/fs/nfsd/threads)"
	echo "empty [$(cat /proc/fs/nfsd/pnfs_dataservers)]"
	echo 10.98.1.1,10.98.2.1:2050 >/proc/fs/nfsd/pnfs_dataservers
	echo "list $(cat /proc/fs/nfsd/pnfs_dataservers)"
	echo "recalls $(awk "\$1 == \"recalls:\" {print \$2}" /proc/fs/nfsd/pnfs_stats)"
	rpc.nfsd 0 >&2' >"$WORK/srv2.txt" 2>>"$RESULTS/scale-setup.log"
ip netns del srv2
diag "the second namespace: $(tr '\n' ' ' <"$WORK/srv2.txt")"
check "a second network namespace runs its own nfsd" grep -qx "threads 2" "$WORK/srv2.txt"
check "its data-server list starts empty" grep -qx "empty \[\]" "$WORK/srv2.txt"
check "it keeps its own list" grep -qx "list 10.98.1.1:2049,10.98.2.1:2050" "$WORK/srv2.txt"
check "and the first namespace keeps its own ($(dslist))" [ "$(dslist)" = "$good" ]
check "each namespace has its own counters (recalls: here $(nfsd_stat recalls), there 0)" \
	bash -c "grep -qx 'recalls 0' '$WORK/srv2.txt' && [ $(nfsd_stat recalls) -gt 0 ]"

# --- 2. recalls: a policy swap and a data-server removal reach open files ---

# nfsd's layout stateids, recalls and LAYOUTGET/LAYOUTRETURN answers,
# traced through part 2: what a stall report needs to tell a recall nfsd
# never sent from one the client did not act on.
RECALL_EVENTS="layoutstate_alloc layoutstate_unhash layoutstate_free layout_get_lookup_fail
	layout_recall layout_recall_done layout_recall_fail layout_recall_release
	cb_layout_done file_layout_recall_all compound_status"
recall_trace() { # recall_trace 0|1
	local e
	for e in $RECALL_EVENTS; do echo "$1" >"$TRACE/events/nfsd/nfsd_$e/enable"; done
}
mountpoint -q "$TRACE" || mount -t tracefs nodev "$TRACE"
echo >"$TRACE/trace"
echo 'name == "OP_LAYOUTGET" || name == "OP_LAYOUTRETURN"' >"$TRACE/events/nfsd/nfsd_compound_status/filter"
recall_trace 1

# ONE_SERVER K: a policy that puts every stripe of every file on server K.
one_server() {
	printf 'pnfs.register(function(f) return {stripe_unit = 65536, servers = {%d}} end)\n' "$1" >"$WORK/one$1.lua"
	echo "$WORK/one$1.lua"
}
# Bytes each server-side link received (nfs0..nfs3: what the client sent).
rx_read() { pnfs_link_read "$1" nfs rx_bytes; }
# follow WANT DESC: within 2 leases, 3 s in a row with the writes of
# held.bin on the links of WANT ("1", "3" or "1 2") and none elsewhere.
follow() {
	local want=$1 t0 good_s=0 i d total others
	local -a a b
	t0=$(date +%s.%N)
	while :; do
		rx_read a
		sleep 1
		rx_read b
		for i in 0 1 2 3; do TX_DELTA[i]=$((b[i] - a[i])); done
		total=0 others=0
		for i in 1 2 3; do
			d=${TX_DELTA[i]}
			total=$((total + d))
			[[ " $want " == *" $i "* ]] || others=$((others + d))
		done
		if [ "$total" -gt $((256 * 1024)) ] && [ "$others" -lt $((total / 100)) ]; then
			good_s=$((good_s + 1))
		else
			good_s=0
		fi
		if [ $good_s -ge 3 ]; then
			ok 0 "$2: within $(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN{printf "%.1f", b - a}') s (2 leases: $((2 * LEASE)) s), last second: ds1 ${TX_DELTA[1]} ds2 ${TX_DELTA[2]} ds3 ${TX_DELTA[3]} bytes"
			return
		fi
		if awk -v a="$t0" -v b="$(date +%s.%N)" -v l=$((2 * LEASE + 3)) 'BEGIN{exit !(b - a > l)}'; then
			ok 1 "$2: not within 2 leases"
			diag "last second: mds ${TX_DELTA[0]} ds1 ${TX_DELTA[1]} ds2 ${TX_DELTA[2]} ds3 ${TX_DELTA[3]}; nfsd: $(tr '\n' ' ' </proc/fs/nfsd/pnfs_stats)"
			pnfs_stall_report $(pgrep -f held.bin) >"$RESULTS/scale-stall.txt" 2>&1
			cat "$TRACE/trace" >"$RESULTS/scale-recall-trace.txt"
			diag "nfsd's layout states and recalls since the first load: $RESULTS/scale-recall-trace.txt"
			return
		fi
	done
}
r0=$(nfsd_stat recalls)
"$LUNATIK" pnfs load "$(one_server 1)" >/dev/null
follow "1" "with a policy putting every stripe on data server 1, held.bin's writes go to it"
"$LUNATIK" pnfs load "$(one_server 3)" >/dev/null
follow "3" "after the swap to data server 3, held.bin's writes follow"
check "nfsd recalled the layouts on the swap (recalls $r0 -> $(nfsd_stat recalls))" [ "$(nfsd_stat recalls)" -gt "$r0" ]
"$LUNATIK" pnfs unload >/dev/null
follow "1 2 3" "back to the built-in layout: all three data servers"
pnfs_dataservers "${PNFS_DS[0]}" "${PNFS_DS[1]}"
follow "1 2" "data server 3 removed from the list: its link carries no more writes"
recall_trace 0
echo 0 >"$TRACE/events/nfsd/nfsd_compound_status/filter"
touch "$WORK/hold.stop"
# bounded: a writer stuck in the client is killed after 60 s (and fails)
for _ in $(seq 120); do kill -0 $holder 2>/dev/null || break; sleep 0.5; done
if kill -0 $holder 2>/dev/null; then
	stall_report >>"$RESULTS/scale-stall.txt" 2>&1
	pkill -9 -f "held.bin"
	kill -9 $holder
	diag "the writer of held.bin was stuck: $RESULTS/scale-stall.txt"
fi
wait $holder
check "held.bin reads back identical (client, cold caches, and server)" grep -q "^identical" "$RESULTS/scale-hold.log"
pnfs_dataservers "${PNFS_DS[@]}"

# --- 3. per-export policies ----------------------------------------------

for e in a b; do
	truncate -s 64M "/tmp/pnfs-$e.img"
	mkfs.ext4 -q -F "/tmp/pnfs-$e.img"
	mkdir -p "$PNFS_EXPORT/$e"
	mount -o loop "/tmp/pnfs-$e.img" "$PNFS_EXPORT/$e"
	chmod 1777 "$PNFS_EXPORT/$e"
done
cat >>/etc/exports <<EXPORTS
$PNFS_EXPORT/a 10.99.0.0/16(rw,sync,no_root_squash,no_subtree_check,insecure,pnfs,fsid=11)
$PNFS_EXPORT/b 10.99.0.0/16(rw,sync,no_root_squash,no_subtree_check,insecure,pnfs,fsid=12)
EXPORTS
exportfs -ra
check "pnfs load --export $PNFS_EXPORT/a (every stripe on data server 1)" \
	"$LUNATIK" pnfs load --export "$PNFS_EXPORT/a" "$(one_server 1)"
check "pnfs load --export $PNFS_EXPORT/b (every stripe on data server 3)" \
	"$LUNATIK" pnfs load --export "$PNFS_EXPORT/b" "$(one_server 3)"
b0=$(nfsd_stat builtin) p0=$(nfsd_stat policy)
client exports a b >"$RESULTS/scale-exports.txt" 2>&1
diag "$(cat "$RESULTS/scale-exports.txt")"
read -r _ _ a1 a2 a3 < <(grep '^a/' "$RESULTS/scale-exports.txt")
read -r _ _ b1 b2 b3 < <(grep '^b/' "$RESULTS/scale-exports.txt")
read -r _ _ r1 r2 r3 < <(grep '^root/' "$RESULTS/scale-exports.txt")
check "a file on export a went to data server 1 only ($a1 $a2 $a3)" [ "${a1:-0}" -ge 262144 -a "${a2:-1}" -lt 65536 -a "${a3:-1}" -lt 65536 ]
check "a file on export b went to data server 3 only ($b1 $b2 $b3)" [ "${b3:-0}" -ge 262144 -a "${b1:-1}" -lt 65536 -a "${b2:-1}" -lt 65536 ]
check "a file on the export without a policy: the built-in layout, all three ($r1 $r2 $r3)" \
	[ "${r1:-0}" -ge 65536 -a "${r2:-0}" -ge 65536 -a "${r3:-0}" -ge 65536 ]
check "nfsd counted the root export's layout as built-in, the others as the policy's" \
	[ "$(nfsd_stat builtin)" -gt "$b0" -a "$(nfsd_stat policy)" -ge $((p0 + 2)) ]
check "pnfs unload --export $PNFS_EXPORT/a" "$LUNATIK" pnfs unload --export "$PNFS_EXPORT/a"
check "pnfs unload (the rest)" "$LUNATIK" pnfs unload
sed -i '/pnfs\/[ab] /d' /etc/exports
exportfs -ra
for e in a b; do umount "$PNFS_EXPORT/$e"; rm -f "/tmp/pnfs-$e.img"; done

# --- 4. 16 data servers, SCALE_FILES files, devices and tracepoints ----------

# Sixteen addresses over the three data-server links (6 + 5 + 5).
ds16=()
for l in 1 2 3; do
	ds16+=("10.99.$l.1")
	for h in 11 12 13 14 15; do
		[ $l -gt 1 ] && [ $h = 15 ] && continue
		ip addr add "10.99.$l.$h/24" dev "nfs$l"
		ds16+=("10.99.$l.$h")
	done
done
pnfs_dataservers "${ds16[@]}"
check "16 data-server addresses" [ "$(dslist | tr ',' '\n' | wc -l)" = 16 ]
check "pnfs load layouts/default.lua" "$LUNATIK" pnfs load "$REPO/layouts/default.lua"

echo 8192 >"$TRACE/buffer_size_kb"
echo >"$TRACE/trace"
for e in nfsd_file_layout_decision nfsd_file_device_create nfsd_file_device_free; do
	echo 1 >"$TRACE/events/nfsd/$e/enable"
done
lg0=$(layoutgets)
np0=$(nfsd_stat policy) nf0=$(nfsd_stat failed) nr0=$(nfsd_stat rejected)
nb0=$(nfsd_stat builtin) fb0=$(nfsd_stat device_fallback)
dc0=$(nfsd_stat devices_created) df0=$(nfsd_stat devices_freed)
# the most devices seen at once, sampled while the files are made
(
	max=0
	while [ ! -e "$WORK/scale.done" ]; do
		d=$(nfsd_stat devices)
		[ "$d" -gt "$max" ] && max=$d && echo "$max" >"$WORK/scale.maxdev"
		sleep 0.5
	done
) &
sampler=$!
rm -f "$WORK/scale.done"
t0=$(date +%s)
client create "$SCALE_PROCS" "$SCALE_FILES" >"$RESULTS/scale-create.tap" 2>&1
secs=$(($(date +%s) - t0))
touch "$WORK/scale.done"
wait $sampler
tap_renumber <"$RESULTS/scale-create.tap"
for e in nfsd_file_layout_decision nfsd_file_device_create nfsd_file_device_free; do
	echo 0 >"$TRACE/events/nfsd/$e/enable"
done

lg=$(($(layoutgets) - lg0))
np=$(($(nfsd_stat policy) - np0)) nf=$(($(nfsd_stat failed) - nf0))
nr=$(($(nfsd_stat rejected) - nr0)) nb=$(($(nfsd_stat builtin) - nb0))
fb=$(($(nfsd_stat device_fallback) - fb0))
dc=$(($(nfsd_stat devices_created) - dc0)) df=$(($(nfsd_stat devices_freed) - df0))
maxdev=$(cat "$WORK/scale.maxdev" 2>/dev/null || echo 0)
diag "bench: $SCALE_FILES files by $SCALE_PROCS processes over 16 data servers in $secs s ($((SCALE_FILES / (secs ? secs : 1))) files/s); $lg LAYOUTGETs; devices: most at once $maxdev, created $dc, freed $df, now $(nfsd_stat devices)"
check "a LAYOUTGET for each file ($lg for $SCALE_FILES)" [ "$lg" -ge "$SCALE_FILES" ]
check "every LAYOUTGET decided by the policy: no failure, rejection or device fallback (policy $np, failed $nf, rejected $nr, builtin $nb, device fallbacks $fb)" \
	[ "$np" = "$lg" -a "$nf" = 0 -a "$nr" = 0 -a "$nb" = 0 -a "$fb" = 0 ]
check "devices at once stayed within the bound: 1 + 2 per writing process ($maxdev <= $((1 + 2 * SCALE_PROCS)))" \
	[ "$maxdev" -le $((1 + 2 * SCALE_PROCS)) ]
check "the devices were freed with their layouts (created $dc, freed $df, left $(nfsd_stat devices) <= 2)" \
	[ "$(nfsd_stat devices)" -le 2 -a "$dc" -ge 100 ]
check "no errno nfsd could not map" bash -c "! dmesg | grep -q 'non-standard errno'"

# Tracepoints: one decision event per decision, with its fields; one
# create and one free event per device created and freed.
awk '/nfsd_file_layout_decision:/' "$TRACE/trace" >"$WORK/decisions.txt"
ev=$(wc -l <"$WORK/decisions.txt")
check "one nfsd_file_layout_decision event per decision ($ev = $np)" [ "$ev" = "$np" ]
check "each decision event: export=$PNFS_EXPORT, a device, stripe_unit=65536, count=4, outcome=policy" \
	bash -c "! grep -v 'export=$PNFS_EXPORT device=[1-9][0-9]* stripe_unit=65536 count=4 first=[0-3] iomode=[A-Z_]* outcome=policy device_fallback=0 ns=[0-9]' '$WORK/decisions.txt' | grep -q ."
ec=$(grep -c 'nfsd_file_device_create:' "$TRACE/trace")
ef=$(grep -c 'nfsd_file_device_free:' "$TRACE/trace")
check "one device create event per device created ($ec = $dc) and one free event per device freed ($ef = $df)" \
	[ "$ec" = "$dc" -a "$ef" = "$df" ]
diag "a decision event: $(head -n1 "$WORK/decisions.txt" | sed 's/^ *//')"
"$LUNATIK" pnfs show --json >"$WORK/show.json"
check "pnfs show --json: one JSON document (python3 -m json.tool)" python3 -m json.tool "$WORK/show.json"
check "pnfs show --json: its nfsd counters are nfsd's (/proc/fs/nfsd/pnfs_stats)" \
	python3 -c "import json,sys; d=json.load(open('$WORK/show.json'))['nfsd']; sys.exit(0 if (d['policy'], d['failed'], d['devices'], d['recalls']) == ($(nfsd_stat policy), $(nfsd_stat failed), $(nfsd_stat devices), $(nfsd_stat recalls)) else 1)"
echo >"$TRACE/trace"
echo 1408 >"$TRACE/buffer_size_kb"

# --- 5. GETDEVICEINFO at every maxcount around a device's length ---------
# The built-in layout's device holds every data server: 16 IPv4 ones, then
# 64 IPv6 ones (never reached: GETDEVICEINFO only describes them), whose
# encoding (about 4.9 KB) crosses pages. The stock client always asks with
# room to spare; lunatik-guest-tests asks with its own NFSv4.1 client.
"$LUNATIK" pnfs unload >/dev/null
devinfo() { ip netns exec client "$TOOLS" devinfo "$PNFS_MDS:2049" "$1" "$(dslist)" "$2" 2>&1; }
tap_renumber < <(devinfo devinfo16.bin 0)
# addresses and ports of full length: 64 of them make a device of over a page
# shellcheck disable=SC2046 # one word per address
pnfs_dataservers $(for i in $(seq 64); do printf '[fd00:1111:2222:3333:4444:5555:6666:%x]:65001 ' $((0x7700 + i)); done)
tap_renumber < <(devinfo devinfo64.bin 4097)

pnfs_dataservers "${PNFS_DS[@]}"

# --- 6. Recalls that race the LAYOUTGET reply (patch 0007) -----------------
# The stock client's answers to a recall depend on when the LAYOUTGET reply
# reaches it; lunatik-guest-tests plays a client that answers as each case
# says, and makes the recalls itself (it writes the data-server list back).
rc=0
ip netns exec client "$TOOLS" recall "$PNFS_MDS:2049" recall >"$RESULTS/scale-recall.tap" 2>&1 || rc=$?
tap_renumber <"$RESULTS/scale-recall.tap"
check "the recall cases ran to their end (exit status $rc, all 5 results)" \
	bash -c "[ $rc = 0 ] && grep -q '^1\.\.5\$' '$RESULTS/scale-recall.tap'"

for l in 1 2 3; do for h in 11 12 13 14 15; do ip addr del "10.99.$l.$h/24" dev "nfs$l" 2>/dev/null; done; done
rmmod lunatik_ng
pnfs_server_down >>"$RESULTS/scale-setup.log" 2>&1
tap_plan
