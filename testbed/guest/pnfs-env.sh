# shellcheck shell=bash
# The pNFS topology of the guest (docs/pnfs.md): nfsd in the guest's first
# network namespace, a stock client in namespace "client", one veth link per
# server address so that each link's kernel counters count one address:
#
#   link  server side        client side
#   0     nfs0 10.99.0.1     cl0 10.99.0.2     metadata server (MDS)
#   1     nfs1 10.99.1.1     cl1 10.99.1.2     data server 1
#   2     nfs2 10.99.2.1     cl2 10.99.2.2     data server 2
#   3     nfs3 10.99.3.1     cl3 10.99.3.2     data server 3
#
# All addresses live inside the guest.

PNFS_MDS=10.99.0.1
PNFS_DS=(10.99.1.1 10.99.2.1 10.99.3.1)
PNFS_EXPORT=/srv/pnfs
PNFS_PLAIN=/srv/pnfs/plain
PNFS_MNT=/tmp/pnfs-mnt
PNFS_PLAIN_MNT=/tmp/plain-mnt
PNFS_IMG=/tmp/pnfs-ext4.img

pnfs_log() { echo "# pnfs: $*"; }

# pnfs_dataservers ADDR...: the data-server list of nfsd, at run time.
pnfs_dataservers() {
	local IFS=,
	echo "$*" >/proc/fs/nfsd/pnfs_dataservers
}

pnfs_server_up() {
	local i
	ip link set lo up
	ip netns add client
	ip netns exec client ip link set lo up
	for i in 0 1 2 3; do
		ip link add "nfs$i" type veth peer name "cl$i"
		ip link set "cl$i" netns client
		ip addr add "10.99.$i.1/24" dev "nfs$i"
		ip link set "nfs$i" up
		ip netns exec client ip addr add "10.99.$i.2/24" dev "cl$i"
		ip netns exec client ip link set "cl$i" up
	done

	truncate -s 512M "$PNFS_IMG"
	mkfs.ext4 -q -F "$PNFS_IMG"
	mkdir -p "$PNFS_EXPORT"
	mount -o loop "$PNFS_IMG" "$PNFS_EXPORT"
	chmod 1777 "$PNFS_EXPORT"
	mkdir -p "$PNFS_PLAIN"

	mountpoint -q /proc/fs/nfsd || mount -t nfsd nfsd /proc/fs/nfsd
	# The shortest lease and grace period (PNFS_LEASE: a longer lease, for
	# tests that need one): the first OPEN waits out grace.
	echo "${PNFS_LEASE:-10}" >/proc/fs/nfsd/nfsv4leasetime
	echo 10 >/proc/fs/nfsd/nfsv4gracetime
	pnfs_dataservers "${PNFS_DS[@]}"
	mkdir -p /var/lib/nfs/v4recovery
	# The pNFS export is the NFSv4 root (fsid=0): the guest's own root is
	# 9p, which nfsd cannot export, so no pseudo root may sit above it.
	# The same filesystem, exported again below it without "pnfs", is the
	# plain NFSv4.1 comparison.
	cat >/etc/exports <<EXPORTS
$PNFS_EXPORT 10.99.0.0/16(rw,sync,no_root_squash,no_subtree_check,insecure,pnfs,fsid=0)
$PNFS_PLAIN 10.99.0.0/16(rw,sync,no_root_squash,no_subtree_check,insecure,fsid=2)
EXPORTS
	exportfs -ra
	rpc.mountd -N 2 -N 3 --no-udp
	rpc.nfsd -N 3 --no-udp 8
	# End the grace period now (nfsd's v4_end_grace) rather than waiting it
	# out: the first OPEN would wait for it. Its state reads back Y once the
	# laundromat has ended it; the grace time (10 s) bounds the wait.
	echo Y >/proc/fs/nfsd/v4_end_grace
	for i in $(seq 110); do
		[ "$(cat /proc/fs/nfsd/v4_end_grace)" = Y ] && break
		sleep 0.1
	done
}

pnfs_server_down() {
	rpc.nfsd 0 2>/dev/null
	pkill rpc.mountd 2>/dev/null
	exportfs -ua 2>/dev/null
	umount "$PNFS_EXPORT" 2>/dev/null
	ip netns del client 2>/dev/null
	for i in 0 1 2 3; do ip link del "nfs$i" 2>/dev/null; done
	rm -f "$PNFS_IMG"
}

# pnfs_link_read ARRAY LINK COUNTER: COUNTER (tx_bytes, rx_bytes) of the
# links LINK0..LINK3 (mds ds1 ds2 ds3) into ARRAY: kernel counters that nfsd
# and the engine know nothing of. Read with builtins: under TCG every
# process started costs tens of ms.
pnfs_link_read() {
	local i
	for i in 0 1 2 3; do
		read -r "$1[i]" <"/sys/class/net/$2$i/statistics/$3"
	done
}
# In the client namespace: bytes sent on each link (cl0..cl3).
# pnfs_tx_mark notes them; pnfs_tx_delta puts the bytes sent since into
# TX_DELTA (mds ds1 ds2 ds3).
pnfs_tx_mark() { pnfs_link_read TX_MARK cl tx_bytes; }
pnfs_tx_delta() {
	local i now
	pnfs_link_read now cl tx_bytes
	for i in 0 1 2 3; do
		TX_DELTA[i]=$((now[i] - TX_MARK[i]))
	done
}

# pnfs_stall_report PID...: where these processes wait (stacks of their
# tasks, their pNFS mount's statistics) and nfsd's side (tasks in D state,
# nfsd threads, states, counters, operations), then every blocked task's
# stack into the kernel log: a suite writes it when I/O does not go on.
pnfs_stall_report() {
	local p t
	for p in "$@"; do
		[ -d "/proc/$p" ] || continue
		echo "== process $p: $(tr '\0' ' ' <"/proc/$p/cmdline")"
		for t in /proc/"$p"/task/*; do
			echo "-- task $t: $(cat "$t/wchan"; echo) $(awk '/^State/ {print $2 $3}' "$t/status")"
			cat "$t/stack"
		done
		grep -A30 "$PNFS_MNT" "/proc/$p/mountstats" | head -40
	done
	echo "== tasks in D state"
	ps -eo pid,stat,wchan:40,comm | awk '$2 ~ /D/'
	echo "== nfsd threads"
	for p in $(pgrep -x nfsd); do echo "-- $p"; cat "/proc/$p/stack"; done
	echo "== nfsd's states"
	cat /proc/fs/nfsd/clients/*/states
	echo "== nfsd's counters"
	cat /proc/fs/nfsd/pnfs_stats
	echo "== nfsd ops"
	grep proc4ops /proc/net/rpc/nfsd
	echo w >/proc/sysrq-trigger
}

# stat_in FILE KEY: the value after KEY in FILE's "key value key value ..."
# line (the engine's pnfs_stats).
stat_in() { tr ' ' '\n' <"$1" | awk -v k="$2" 'p == k {print; exit} {p = $0}'; }
# nfsd_stat KEY: one of nfsd's policy counters or timings ("key: value"
# lines of /proc/fs/nfsd/pnfs_stats).
nfsd_stat() { awk -v k="$1:" '$1 == k {print $2; exit}' /proc/fs/nfsd/pnfs_stats; }

# pnfs_mountstat FIELD: from /proc/self/mountstats of the pNFS mount.
#   pnfs     the layout type line (pnfs=...)
#   OP       the operation count of OP (LAYOUTGET, GETDEVICEINFO, ...)
#   events   fields 25 and 26 of "events:": pNFS READs and WRITEs
pnfs_mountstat() {
	awk -v want="$1" -v mnt="$PNFS_MNT" '
		$1 == "device" { on = ($5 == mnt) }
		!on { next }
		want == "pnfs" && match($0, /pnfs=[A-Za-z0-9_]+/) { print substr($0, RSTART + 5, RLENGTH - 5) }
		want == "events" && $1 == "events:" { print $27, $28 }
		$1 == want ":" { print $2 }
	' /proc/self/mountstats
}
