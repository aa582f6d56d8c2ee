#!/usr/bin/env bash
# The client side of the pNFS suites, run inside the client namespace (one
# mount namespace per invocation): pnfs-client.sh PHASE [ARGS]. Prints TAP.
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"
KIB=1024
MIB=$((1024 * 1024))
WORK=/tmp/pnfs-work
mkdir -p "$WORK" "$PNFS_MNT"

mount_pnfs() {
	mount -t nfs -o vers=4.1,retry=0 "$PNFS_MDS:/" "$PNFS_MNT"
}

# make_src NAME BYTES: random data to write.
make_src() {
	head -c "$2" /dev/urandom >"$WORK/$1"
}

# put NAME: copy a source file to the mount and flush it; prints the bytes
# each link carried meanwhile ("mds ds1 ds2 ds3").
put() {
	pnfs_tx_mark
	cp "$WORK/$1" "$PNFS_MNT/$1"
	sync "$PNFS_MNT/$1"
	pnfs_tx_delta
	echo "${TX_DELTA[*]}"
}

# near GOT WANT: WANT <= GOT <= WANT * 1.05 + 96 KiB (RPC/TCP overhead).
near() {
	[ "$1" -ge "$2" ] && [ "$1" -le $(($2 + $2 / 20 + 96 * KIB)) ]
}

# expect_spread DESC GOT... -- WANT...: each data server link carried its
# share of the payload, and the MDS link no write payload.
expect_spread() {
	local desc=$1 mds=$2 d1=$3 d2=$4 d3=$5 w1=$6 w2=$7 w3=$8
	if near "$d1" "$w1" && near "$d2" "$w2" && near "$d3" "$w3" && [ "$mds" -lt $((96 * KIB)) ]; then
		ok 0 "$desc"
	else
		ok 1 "$desc"
	fi
	diag "bytes sent: mds $mds, ds1 $d1, ds2 $d2, ds3 $d3; payload predicted: ds1 $w1, ds2 $w2, ds3 $w3"
}

# same_data NAME: read back with cold caches, and on the server, equal.
same_data() {
	local want got server
	want=$(sha256sum <"$WORK/$1" | cut -d' ' -f1)
	echo 3 >/proc/sys/vm/drop_caches
	got=$(sha256sum <"$PNFS_MNT/$1" | cut -d' ' -f1)
	server=$(sha256sum <"$PNFS_EXPORT/$1" | cut -d' ' -f1)
	[ "$got" = "$want" ] && [ "$server" = "$want" ]
	ok $? "$1: read back with cold caches and on the server, sha256 identical"
}

phase_roundrobin() {
	mount_pnfs || { ok 1 "mount -o vers=4.1"; return; }
	ok 0 "mount -o vers=4.1 $PNFS_MDS:/ (the pnfs export)"
	# 24 stripes of 64 KiB: 8 per data server under the built-in layout.
	make_src rr $((24 * 64 * KIB))
	read -r mds d1 d2 d3 < <(put rr)
	expect_spread "built-in layout: round-robin, 64 KiB stripes, 8 per data server" \
		"$mds" "$d1" "$d2" "$d3" $((8 * 64 * KIB)) $((8 * 64 * KIB)) $((8 * 64 * KIB))
	same_data rr
	# An unaligned tail and a sparse hole.
	make_src tail $((3 * MIB + 1234))
	put tail >/dev/null
	same_data tail
	make_src part $((256 * KIB))
	dd if="$WORK/part" of="$WORK/sparse" bs=64K seek=20 conv=notrunc status=none
	dd if="$WORK/part" of="$PNFS_MNT/sparse" bs=64K seek=20 conv=notrunc status=none
	sync "$PNFS_MNT/sparse"
	same_data sparse

	check "mountstats: pnfs=LAYOUT_NFSV4_1_FILES" [ "$(pnfs_mountstat pnfs)" = LAYOUT_NFSV4_1_FILES ]
	local lg gd ev
	lg=$(pnfs_mountstat LAYOUTGET)
	gd=$(pnfs_mountstat GETDEVICEINFO)
	read -r pr pw < <(pnfs_mountstat events)
	# The client sends LAYOUTGET alone or inside the OPEN compound; on a
	# slow kernel (the debug variant) every one may ride in an OPEN, so the
	# layouts are counted where nfsd decides them.
	local decided
	decided=$(($(nfsd_stat policy) + $(nfsd_stat builtin)))
	ok $([ "$decided" -gt 0 ] && [ "${gd:-0}" -gt 0 ]; echo $?) "layouts: nfsd decided $decided, the client sent GETDEVICEINFO ($gd; LAYOUTGET alone: $lg)"
	ok $([ "${pr:-0}" -gt 0 ] && [ "${pw:-0}" -gt 0 ]; echo $?) "mountstats: pNFS READ ($pr) and WRITE ($pw) events non-zero"

	# One transport per address: no trunking. Counted while a file is held
	# open and read through its layout: nfsd asks for no device
	# notifications, so the client does not cache a device past its last
	# layout, and a data server's connection goes with its last device
	# (after a return-on-close, on a slow kernel, before the count).
	local peers
	exec 4<"$PNFS_MNT/rr"
	echo 3 >/proc/sys/vm/drop_caches
	cat <&4 >/dev/null
	peers=$(ss -tnH state established '( dport = :2049 )' | awk '{print $4}' | sed 's/:2049$//' | sort | uniq -c)
	exec 4<&-
	diag "$peers"
	local each=0 a
	for a in "$PNFS_MDS" "${PNFS_DS[@]}"; do
		[ "$(awk -v a="$a" '$2 == a {print $1}' <<<"$peers")" = 1 ] || each=1
	done
	ok $each "one TCP transport to the MDS and to each data-server address"
	local records
	records=$(ls /proc/fs/nfsd/clients | wc -l)
	check "one client record on the server ($records)" [ "$records" = 1 ]

	# A delegation recall completes within a second.
	echo hello >"$PNFS_MNT/deleg"
	echo 3 >/proc/sys/vm/drop_caches
	exec 3<"$PNFS_MNT/deleg"
	read -r _ <&3
	if grep -qs "type: deleg" /proc/fs/nfsd/clients/*/states; then
		local t0 t1
		t0=$(date +%s%N)
		echo more >>"$PNFS_EXPORT/deleg"
		t1=$(date +%s%N)
		local ms=$(((t1 - t0) / 1000000))
		check "a delegation recall completes within 1 s (${ms} ms)" [ "$ms" -lt 1000 ]
	else
		ok 1 "a delegation recall completes within 1 s (no delegation was granted)"
		diag "$(cat /proc/fs/nfsd/clients/*/states 2>&1 | head -20)"
	fi
	exec 3<&-

	local t0 t1
	t0=$(date +%s%N)
	umount "$PNFS_MNT"
	t1=$(date +%s%N)
	local ms=$(((t1 - t0) / 1000000))
	check "umount within $((2 * ${TIME_SCALE:-1})) s (${ms} ms)" [ "$ms" -lt $((2000 * ${TIME_SCALE:-1})) ]
}

# phase_policy: the test policy's order {3,1,2} (1-based), 128 KiB stripes.
phase_policy() {
	mount_pnfs || { ok 1 "mount"; return; }
	make_src pol $((16 * 128 * KIB))
	read -r mds d1 d2 d3 < <(put pol)
	# stripe i -> data server order[i % 3]: ds3 gets 6 stripes, ds1 and ds2 5
	expect_spread "test policy: 16 stripes of 128 KiB in order {3,1,2}" \
		"$mds" "$d1" "$d2" "$d3" $((5 * 128 * KIB)) $((5 * 128 * KIB)) $((6 * 128 * KIB))
	same_data pol
	umount "$PNFS_MNT"
}

# phase_dslist: the data servers are now ds2 and ds3 only.
phase_dslist() {
	mount_pnfs || { ok 1 "mount"; return; }
	make_src dsl $((24 * 64 * KIB))
	read -r mds d1 d2 d3 < <(put dsl)
	expect_spread "new data-server list {ds2, ds3}: the new file is striped over them only" \
		"$mds" "$d1" "$d2" "$d3" 0 $((12 * 64 * KIB)) $((12 * 64 * KIB))
	same_data dsl
	same_data rr
	umount "$PNFS_MNT"
}

# phase_reject MODE: an answer nfsd must reject; the built-in layout is used.
phase_reject() {
	mount_pnfs || { ok 1 "mount"; return; }
	make_src "rej-$1" $((24 * 64 * KIB))
	read -r mds d1 d2 d3 < <(put "rej-$1")
	expect_spread "policy answer '$1' rejected: the file gets the built-in round-robin layout" \
		"$mds" "$d1" "$d2" "$d3" $((8 * 64 * KIB)) $((8 * 64 * KIB)) $((8 * 64 * KIB))
	same_data "rej-$1"
	umount "$PNFS_MNT"
}

# phase_bench: 64 MiB sequential write and read, pNFS FILES and plain NFSv4.1.
phase_bench() {
	mount_pnfs || { ok 1 "mount"; return; }
	mkdir -p "$PNFS_PLAIN_MNT"
	mount -t nfs -o vers=4.1,retry=0 "$PNFS_MDS:/plain" "$PNFS_PLAIN_MNT" || { ok 1 "mount plain"; return; }
	make_src big $((64 * MIB))
	local m w r ds=0
	for m in "$PNFS_MNT" "$PNFS_PLAIN_MNT"; do
		local t0 t1 t2
		pnfs_tx_mark
		t0=$(date +%s%N)
		cp "$WORK/big" "$m/big"
		sync "$m/big"
		t1=$(date +%s%N)
		pnfs_tx_delta
		[ "$m" != "$PNFS_MNT" ] || ds=$((TX_DELTA[1] + TX_DELTA[2] + TX_DELTA[3]))
		echo 3 >/proc/sys/vm/drop_caches
		cat "$m/big" >/dev/null
		t2=$(date +%s%N)
		w=$((64 * 1000000000 / (t1 - t0 + 1)))
		r=$((64 * 1000000000 / (t2 - t1 + 1)))
		echo "$m $w $r"
	done >"$WORK/bench"
	local pw pr nw nr
	read -r _ pw pr < <(sed -n 1p "$WORK/bench")
	read -r _ nw nr < <(sed -n 2p "$WORK/bench")
	diag "bench: 64 MiB write: pNFS FILES ${pw} MiB/s, plain NFSv4.1 ${nw} MiB/s, ratio $(awk -v a="$pw" -v b="$nw" 'BEGIN{printf "%.2f", a/(b?b:1)}')"
	diag "bench: 64 MiB read:  pNFS FILES ${pr} MiB/s, plain NFSv4.1 ${nr} MiB/s, ratio $(awk -v a="$pr" -v b="$nr" 'BEGIN{printf "%.2f", a/(b?b:1)}')"
	awk '$1 == "device" { on = ($5 == "'"$PNFS_MNT"'") } on && $1 == "LAYOUTGET:" && $2 > 0 { printf "# bench: LAYOUTGET: %d calls, %.2f ms average round trip, %.2f ms average execute (client side)\n", $2, $8 / ($2 ? $2 : 1), $9 / ($2 ? $2 : 1) }' /proc/self/mountstats
	# A figure for pNFS is one only if the write went to the data servers.
	ok $([ "$ds" -ge $((64 * MIB)) ]; echo $?) "pNFS and plain NFSv4.1 throughput measured (figures above); the data servers carried the pNFS write ($ds bytes)"
	umount "$PNFS_MNT" "$PNFS_PLAIN_MNT"
}

# busiest_link: which link carried most of the bytes sent since
# pnfs_tx_mark, into BUSIEST: 1..3 for the data servers, 0 for the MDS.
busiest_link() {
	local i max=-1
	pnfs_tx_delta
	for i in 0 1 2 3; do
		if [ "${TX_DELTA[i]}" -gt "$max" ]; then
			max=${TX_DELTA[i]}
			BUSIEST=$i
		fi
	done
}

# phase_placement N PREFIX: N files of 3 stripes (64 KiB each), each stripe
# written and flushed alone; prints "NAME INO s1 s2 s3": the link (data
# server) that carried each stripe.
phase_placement() {
	mount_pnfs || { echo "mount failed" >&2; return; }
	local n=$1 prefix=$2 i k f got
	for i in $(seq "$n"); do
		f="$prefix$i"
		got=""
		make_src "$f" $((3 * 64 * KIB))
		: >"$PNFS_MNT/$f"
		for k in 0 1 2; do
			pnfs_tx_mark
			dd if="$WORK/$f" of="$PNFS_MNT/$f" bs=64K skip=$k seek=$k count=1 conv=notrunc status=none
			sync "$PNFS_MNT/$f"
			busiest_link
			got="$got $BUSIEST"
		done
		echo "$f $(stat -c %i "$PNFS_MNT/$f")$got"
	done
	umount "$PNFS_MNT"
}

# phase_verify NAME...: the files read back with cold caches, identical.
phase_verify() {
	mount_pnfs || { ok 1 "mount"; return; }
	local f bad=0
	echo 3 >/proc/sys/vm/drop_caches
	for f in "$@"; do
		cmp -s "$WORK/$f" "$PNFS_MNT/$f" && cmp -s "$WORK/$f" "$PNFS_EXPORT/$f" || {
			bad=$((bad + 1))
			diag "$f differs"
		}
	done
	ok $bad "$# files read back with cold caches and on the server: identical"
	umount "$PNFS_MNT"
}

# phase_bigwrite NAME: a 16 MiB write, during which the suite injects a
# failure (it waits for $WORK/NAME.started, then creates $WORK/NAME.injected);
# then a new file is written under the failure.
phase_bigwrite() {
	local name=$1
	mount_pnfs || { ok 1 "mount"; return; }
	make_src "$name" $((16 * MIB))
	make_src "$name-after" $((6 * 64 * KIB))
	cp "$WORK/$name" "$PNFS_MNT/$name" &
	local cp_pid=$!
	touch "$WORK/$name.started"
	local i
	for i in $(seq 600); do
		[ -e "$WORK/$name.injected" ] && break
		sleep 0.1
	done
	cp "$WORK/$name-after" "$PNFS_MNT/$name-after"
	wait $cp_pid
	local st=$?
	sync "$PNFS_MNT/$name" "$PNFS_MNT/$name-after"
	ok $st "$name: the 16 MiB write completed"
	same_data "$name"
	same_data "$name-after"
	rm -f "$PNFS_MNT/$name" "$WORK/$name"
	umount "$PNFS_MNT"
}

# phase_many PROCS FILES [DIR]: PROCS processes each create FILES files (4
# stripes) in DIR1, DIR2, ... (many1, many2, ...).
phase_many() {
	mount_pnfs || { ok 1 "mount"; return; }
	# Written by the shell itself (text, no process per file).
	local data p pids=() dir=${3:-many}
	data=$(head -c $((3 * 64 * KIB)) /dev/urandom | base64 -w 0)
	for p in $(seq "$1"); do
		(
			mkdir -p "$PNFS_MNT/$dir$p"
			for i in $(seq "$2"); do
				printf '%s' "$data" >"$PNFS_MNT/$dir$p/f$i" || exit 1
			done
		) &
		pids+=($!)
	done
	local bad=0
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	sync
	ok $bad "$1 processes created $(( $1 * $2 )) files"
	umount "$PNFS_MNT"
}

# phase_storm DIR SECONDS PROCS MIN [STOP [PAUSE]]: PROCS processes create
# and write files (3 stripes each, every file its own content), PAUSE
# seconds apart, until SECONDS have passed (or the file STOP exists) and the
# MIN-th file is written; then every file reads back with cold caches.
phase_storm() {
	local dir=$1 secs=$2 procs=$3 min=$4 stop=${5:-/nonexistent} pause=${6:-0}
	local p pids=() bad=0 n f want got
	mount_pnfs || { ok 1 "mount"; return; }
	mkdir -p "$PNFS_MNT/$dir"
	local data end=$((SECONDS + secs))
	data=$(head -c $((3 * 64 * KIB - 64)) /dev/urandom | base64 -w 0)
	for p in $(seq "$procs"); do
		(
			local i=0
			while { [ $SECONDS -lt $end ] && [ ! -e "$stop" ]; } || [ $((i * procs)) -lt "$min" ]; do
				i=$((i + 1))
				printf '%s %s\n' "$p.$i" "$data" >"$PNFS_MNT/$dir/f$p.$i" || exit 1
				[ "$pause" = 0 ] || sleep "$pause"
			done
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	sync
	n=$(find "$PNFS_MNT/$dir" -type f | wc -l)
	ok $([ $bad = 0 ] && [ "$n" -ge "$min" ]; echo $?) "$procs processes wrote $n files (at least $min)"
	echo 3 >/proc/sys/vm/drop_caches
	bad=0
	for f in "$PNFS_MNT/$dir"/f*; do
		want="${f##*/f} $data"
		IFS= read -r got <"$f"
		[ "$got" = "$want" ] || { bad=$((bad + 1)); diag "$f differs"; }
	done
	ok $bad "$n files read back with cold caches: each holds its own content"
	echo "$n" >"$WORK/$dir.count"
	umount "$PNFS_MNT"
}

# phase_demo NAME...: writes each file (4 stripes of 64 KiB) and prints
# "NAME INODE MDS DS1 DS2 DS3": the bytes each link carried for it.
phase_demo() {
	mount_pnfs || { echo "mount failed" >&2; return 1; }
	local f
	for f in "$@"; do
		make_src "$f" $((4 * 64 * KIB))
		read -r mds d1 d2 d3 < <(put "$f")
		echo "$f $(stat -c %i "$PNFS_MNT/$f") $mds $d1 $d2 $d3"
	done
	echo "# client mountstats: layout $(pnfs_mountstat pnfs | head -n1), LAYOUTGET $(pnfs_mountstat LAYOUTGET | head -n1) (most ride in OPEN compounds), GETDEVICEINFO $(pnfs_mountstat GETDEVICEINFO | head -n1), pNFS READ/WRITE events $(pnfs_mountstat events | head -n1)"
	umount "$PNFS_MNT"
}

# phase_hold NAME: writes NAME (4 MiB, one 1 MiB block at a time, each
# fsync'ed) through one open file descriptor until $WORK/hold.stop exists,
# the file held open all along (its layout is never returned by a close);
# $WORK/hold.rate appears after the first block. Then reads it back with
# cold caches and on the server: prints "identical" or "differ".
phase_hold() {
	mount_pnfs || { echo "mount failed"; return 1; }
	python3 - "$PNFS_MNT/$1" "$WORK" <<'PY'
import os, sys
path, work = sys.argv[1], sys.argv[2]
block = bytes((i * 7 + 3) % 251 for i in range(1 << 20))
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
i = 0
while not os.path.exists(work + "/hold.stop"):
    os.pwrite(fd, block, (i % 4) << 20)
    os.fsync(fd)
    i += 1
    if i == 1:
        open(work + "/hold.rate", "w").write("1\n")
os.close(fd)
with open(work + "/hold.want", "wb") as f:
    f.write(block * 4)
print("blocks written:", i)
PY
	local want got server
	want=$(sha256sum <"$WORK/hold.want" | cut -d' ' -f1)
	echo 3 >/proc/sys/vm/drop_caches
	got=$(sha256sum <"$PNFS_MNT/$1" | cut -d' ' -f1)
	server=$(sha256sum <"$PNFS_EXPORT/$1" | cut -d' ' -f1)
	if [ "$got" = "$want" ] && [ "$server" = "$want" ]; then
		echo "identical $want"
	else
		echo "differ: want $want, client $got, server $server"
	fi
	umount "$PNFS_MNT"
}

# phase_exports EXPORT...: one file of 4 stripes on the root export and on
# each sub-export (mounted below the root); prints "DIR/f.bin MDS D1 D2 D3".
phase_exports() {
	mount_pnfs || { echo "mount failed"; return 1; }
	local d
	make_src f.bin $((4 * 64 * KIB))
	for d in root "$@"; do
		local dir=$PNFS_MNT
		[ "$d" = root ] || dir=$PNFS_MNT/$d
		pnfs_tx_mark
		cp "$WORK/f.bin" "$dir/f.bin"
		sync "$dir/f.bin"
		pnfs_tx_delta
		echo "$d/f.bin ${TX_DELTA[*]}"
	done
	umount -R "$PNFS_MNT"
}

# phase_create PROCS FILES: PROCS processes create FILES one-byte files in
# all (open, write, close: a LAYOUTGET and a LAYOUTRETURN each).
phase_create() {
	mount_pnfs || { ok 1 "mount -o vers=4.1"; return; }
	local procs=$1 per=$(($2 / $1)) p bad=0 n
	for p in $(seq "$procs"); do
		(
			d=$PNFS_MNT/scale/p$p
			mkdir -p "$d"
			e=0
			for ((i = 0; i < per; i++)); do
				echo >"$d/f$i" 2>/dev/null || e=$((e + 1))
			done
			echo "$e" >"$WORK/create.$p"
		) &
	done
	wait
	for p in $(seq "$procs"); do
		read -r n <"$WORK/create.$p" || n=$per
		bad=$((bad + n))
	done
	[ "$bad" = 0 ]
	ok $? "$((procs * per)) files created and closed by $procs processes: $bad failed"
	n=$(find "$PNFS_MNT/scale" -type f | wc -l)
	[ "$n" = $((procs * per)) ]
	ok $? "all $n files are there"
	umount "$PNFS_MNT"
}

# phase_churn DIR WRITERS BUDGET SEED: WRITERS processes write, rewrite and
# read back files in DIR (testbed/guest/storm-writer.py, BUDGET bytes each)
# until $WORK/DIR/stop exists; their manifests and counts are in $WORK/DIR.
phase_churn() {
	local dir=$1 n=$2 budget=$3 seed=$4 p pids=() bad=0
	mount_pnfs || { ok 1 "mount -o vers=4.1"; return; }
	mkdir -p "$PNFS_MNT/$dir" "$WORK/$dir"
	for p in $(seq "$n"); do
		python3 "$GUEST/storm-writer.py" "$PNFS_MNT/$dir" "$p" $((seed * 100 + p)) \
			"$budget" "$WORK/$dir" 2>"$WORK/$dir/w$p.err" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || bad=$((bad + 1)); done
	ok $bad "$n writers ran until told to stop ($bad died: their errors in $WORK/$dir/w*.err)"
	[ $bad = 0 ] || diag "$(cat "$WORK/$dir"/w*.err | tail -n 20)"
	umount "$PNFS_MNT"
}

# phase_sums LIST BYTES: LIST has "SHA256  PATH" lines (PATH from the
# export's root), BYTES the sum of their sizes; each file reads back with
# its checksum through a fresh mount with cold caches, and on the server.
phase_sums() {
	local list=$1 bytes=$2 n bad where
	mount_pnfs || { ok 1 "mount -o vers=4.1"; return; }
	n=$(wc -l <"$list")
	echo 3 >/proc/sys/vm/drop_caches
	for where in "$PNFS_MNT" "$PNFS_EXPORT"; do
		(cd "$where" && sha256sum -c --quiet "$list") >"$list.bad" 2>&1
		bad=$(grep -c ': FAILED' "$list.bad")
		if [ "$where" = "$PNFS_MNT" ]; then
			ok "$bad" "$bad files lost or corrupted ($n files, $bytes bytes): each reads back with its checksum through a fresh mount, cold caches"
		else
			ok "$bad" "$bad files lost or corrupted on the server's filesystem ($n files, $bytes bytes)"
		fi
		[ "$bad" = 0 ] || diag "$(head -n 20 "$list.bad")"
	done
	umount "$PNFS_MNT"
}

# Each phase is marked in the kernel log: the console's timestamps show where
# the time goes.
echo "guest: pnfs-client ${*:1:3}" >/dev/kmsg
"phase_$1" "${@:2}"
