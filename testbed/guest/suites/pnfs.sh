#!/usr/bin/env bash
# nfsd serves the pNFS FILES layout with itself as the data servers, and a
# stock client follows it (docs/pnfs.md).
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"

client() { ip netns exec client bash "$GUEST/pnfs-client.sh" "$@"; }

pnfs_server_up >"$RESULTS/pnfs-setup.log" 2>&1
if [ "$(cat /proc/fs/nfsd/threads 2>/dev/null)" -gt 0 ] && exportfs | grep -q "$PNFS_EXPORT"; then
	ok 0 "server up: nfsd, exports, data servers $(cat /proc/fs/nfsd/pnfs_dataservers)"
else
	ok 1 "server up: nfsd threads, exports and data servers"
	diag "$(cat "$RESULTS/pnfs-setup.log"; cat /proc/fs/nfsd/threads; exportfs -v)"
	tap_plan
	exit 1
fi

tap_renumber < <(client roundrobin)

# A test policy registered through the API by a C module.
insmod "$TEST_KMOD" || ok 1 "insmod pnfs_test_policy.ko"
before=$(nfsd_stat policy)
tap_renumber < <(client policy)
check "the policy decided the layout (policy count $before -> $(nfsd_stat policy))" [ "$(nfsd_stat policy)" -gt "$before" ]

for mode in zero_su bad_index too_many; do
	echo "$mode" >/sys/module/pnfs_test_policy/parameters/mode
	before=$(nfsd_stat rejected)
	tap_renumber < <(client reject "$mode")
	check "'$mode' counted as rejected ($before -> $(nfsd_stat rejected))" [ "$(nfsd_stat rejected)" -gt "$before" ]
done
rmmod pnfs_test_policy
ok $? "rmmod pnfs_test_policy"

# The data-server list, changed at run time, without a remount.
pnfs_dataservers "${PNFS_DS[1]}" "${PNFS_DS[2]}"
tap_renumber < <(client dslist)
pnfs_dataservers "${PNFS_DS[@]}"

tap_renumber < <(client bench)
# nfsd's own timing of proc_layoutget (server side), over this suite's
# layouts: those the C test policy decided and the built-in ones.
diag "bench: server-side LAYOUTGET (proc_layoutget): $(nfsd_stat layoutget_ns_builtin) ns average built-in ($(nfsd_stat builtin) layouts), $(nfsd_stat layoutget_ns_policy) ns by the test policy ($(nfsd_stat policy))"

pnfs_server_down >>"$RESULTS/pnfs-setup.log" 2>&1
tap_plan
