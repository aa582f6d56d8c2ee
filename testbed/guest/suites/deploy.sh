#!/usr/bin/env bash
# The administrator's commands (issue 15, docs/deploy.md): `lunatik-ng
# apply` makes the server match its configuration file (engine loaded,
# data servers, policy), again after the module is reloaded, and leaves
# nfsd on its built-in layout when the policy does not load; `status` and
# `pnfs show --json` print what is there. Placement is checked with
# per-link bytes.
. "$GUEST/tap.sh"
. "$GUEST/pnfs-env.sh"
. "$GUEST/bin.sh"
WORK=/tmp/pnfs-work
mkdir -p "$WORK"

client() { ip netns exec client bash "$GUEST/pnfs-client.sh" "$@"; }
dslist() { cat /proc/fs/nfsd/pnfs_dataservers; }
# placement DESC WANT: a new 4-stripe file's bytes went to the links of
# WANT ("3": data server 3 only; "1 2 3": all three).
placement() {
	local d1 d2 d3
	read -r _ _ d1 d2 d3 < <(client exports 2>/dev/null | grep '^root/')
	if [ "$2" = 3 ]; then
		[ "${d3:-0}" -ge 262144 ] && [ "${d1:-1}" -lt 65536 ] && [ "${d2:-1}" -lt 65536 ]
	else
		[ "${d1:-0}" -ge 65536 ] && [ "${d2:-0}" -ge 65536 ] && [ "${d3:-0}" -ge 65536 ]
	fi
	ok $? "$1 (bytes: ds1 ${d1:-?} ds2 ${d2:-?} ds3 ${d3:-?})"
}

pnfs_server_up >"$RESULTS/deploy-setup.log" 2>&1
printf 'pnfs.register(function(f) return {stripe_unit = 65536, servers = {3}} end)\n' >"$WORK/on3.lua"
printf 'pnfs.register(function(f) return {servers = {1}\n' >"$WORK/broken.lua"
cat >"$WORK/pnfs.conf" <<CONF
# as /etc/lunatik-ng/pnfs.conf
module = $LUNATIK_KO
module_params = max_call_ms=5000
dataservers = ${PNFS_DS[0]}, ${PNFS_DS[1]}, ${PNFS_DS[2]}
policy = $WORK/on3.lua
CONF
sed "s|^policy = .*|policy = $WORK/broken.lua|" "$WORK/pnfs.conf" >"$WORK/broken.conf"

pnfs_dataservers "${PNFS_DS[0]}"
out=$("$LUNATIK" apply "$WORK/pnfs.conf" 2>&1)
check "apply: the engine loaded, the data servers set, the policy loaded" \
	[ $? = 0 -a -d /sys/module/lunatik_ng ]
diag "$out"
check "apply: nfsd's data servers are the configured ones ($(dslist))" \
	[ "$(dslist)" = "${PNFS_DS[0]}:2049,${PNFS_DS[1]}:2049,${PNFS_DS[2]}:2049" ]
placement "placement follows the configured policy: every stripe on data server 3" 3
check "status: the engine and its policy" bash -c "'$LUNATIK' status | grep -qx 'policy on3.lua'"
"$LUNATIK" status --json >"$WORK/status.json"
check "status --json: one JSON document with the engine's limits" \
	python3 -c "import json; d = json.load(open('$WORK/status.json')); assert d['engine']['loaded'] and d['engine']['limits']['max_call_ms'] == 5000 and d['policy']['name'] == 'on3.lua', d"

rmmod lunatik_ng
placement "module unloaded: the built-in layout" "1 2 3"
out=$("$LUNATIK" apply "$WORK/pnfs.conf" 2>&1)
check "apply after the module was unloaded: loads it and the policy again" [ $? = 0 ]
diag "$out"
placement "placement follows the policy again" 3

err=$("$LUNATIK" apply "$WORK/broken.conf" 2>&1 >/dev/null)
status=$?
diag "$err"
check "a config naming a broken policy: apply exits non-zero (1, a Lua error: $status)" [ "$status" = 1 ]
check "and says which policy and why, and that nfsd uses its built-in layout" \
	bash -c "grep -q 'the policy $WORK/broken.lua did not load: .*expected' <<<\"\$0\" && grep -q 'built-in layout' <<<\"\$0\"" "$err"
check "no policy is left loaded" bash -c "'$LUNATIK' pnfs show | grep -q '^policy none'"
placement "placement: the built-in layout" "1 2 3"
check "a config with an unknown key: exit 2, the line named" \
	bash -c "echo 'colour = blue' >'$WORK/bad.conf'; out=\$('$LUNATIK' apply '$WORK/bad.conf' 2>&1); [ \$? = 2 ] && grep -q 'line 1: unknown key' <<<\"\$out\""

rmmod lunatik_ng
pnfs_server_down >>"$RESULTS/deploy-setup.log" 2>&1
tap_plan
