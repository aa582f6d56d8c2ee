# shellcheck shell=bash
# The project's programs in the guest (sourced by the suites and the demo).
# They are copied once per boot from the host's tree into the guest's tmpfs:
# started from the 9p root, the debug `lunatik` takes about 0.4 s under TCG,
# from tmpfs 0.14 s, and the suites start them hundreds of times.
BIN=/tmp/lunatik-bin
if [ ! -x "$BIN/layout-sim" ]; then
	mkdir -p "$BIN.new"
	cp "$REPO/target/debug/lunatik-ng" "$REPO/target/debug/lunatik-guest-tests" \
		"$REPO/target/debug/layout-sim" "$BIN.new/"
	mv -T "$BIN.new" "$BIN"
fi
LUNATIK=$BIN/lunatik-ng
TOOLS=$BIN/lunatik-guest-tests
SIM=$BIN/layout-sim
