# shellcheck shell=bash
# boot: run the built kernel under QEMU through virtme-ng, with the host's root
# filesystem over 9p, a hard timeout and the whole console log captured.

# KVM is used only when a short probe boot works; the answer is cached per host
# boot and kernel image.
kvm_probe() {
	local key cached out
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || {
		echo tcg
		return
	}
	key="$(cat /proc/sys/kernel/random/boot_id) $(stat -c %Y "$BZIMAGE")"
	cached=$(cat "$CACHE/kvm-probe" 2>/dev/null || true)
	if [ "${cached% *}" = "$key" ]; then
		echo "${cached##* }"
		return
	fi
	out=$(timeout -k 5 60 "$VNG" --run "$BZIMAGE" --force-9p --user root \
		--memory 512M --cpus 1 --exec 'echo lunatik-kvm-probe-ok' </dev/null 2>&1 || true)
	if grep -q lunatik-kvm-probe-ok <<<"$out"; then
		echo "$key kvm" >"$CACHE/kvm-probe"
		echo kvm
	else
		echo "$key tcg" >"$CACHE/kvm-probe"
		echo tcg
	fi
}

choose_accel() {
	case "${LUNATIK_KVM:-auto}" in
	0 | no | off | tcg) echo tcg ;;
	1 | yes | on | kvm) echo kvm ;;
	auto) kvm_probe ;;
	*) die "LUNATIK_KVM must be auto, 0 or 1 (is '$LUNATIK_KVM')" ;;
	esac
}

# vng_args ACCEL: the virtme-ng options common to every boot.
vng_args() {
	VNG_ARGS=(--run "$BZIMAGE" --force-9p --user root --memory "$MEM" --cpus "$CPUS"
		--append "printk.time=1 kmemleak=${GUEST_KMEMLEAK:-on}")
	[ "$1" = tcg ] && VNG_ARGS+=(--disable-kvm)
	return 0
}

# guest_run ACCEL RWDIR CONSOLE_LOG COMMAND: boot, run COMMAND as root, power
# off. The console (kernel log and command output) goes to CONSOLE_LOG.
guest_run() {
	local accel=$1 rw=$2 console=$3 cmd=$4 rc=0
	vng_args "$accel"
	timeout -k 20 "$GUEST_TIMEOUT" "$VNG" "${VNG_ARGS[@]}" --verbose --rwdir "$rw" \
		--exec "$cmd" </dev/null >"$console" 2>&1 || rc=$?
	if [ $rc = 124 ] || [ $rc = 137 ]; then
		echo "testbed: the guest run hit the hard timeout of ${GUEST_TIMEOUT}s" | tee -a "$console"
		return $rc
	fi
	# vng's own exit status does not carry the command's: the suites report
	# through the results folder (and its "done" marker).
	return 0
}

do_exec() {
	local accel rc=0
	step "setup" do_setup >/dev/null
	do_build
	accel=$(choose_accel)
	vng_args "$accel"
	note "booting ($accel) to run: $1"
	timeout -k 20 "$GUEST_TIMEOUT" "$VNG" "${VNG_ARGS[@]}" --exec "$1" || rc=$?
	return $rc
}

do_shell() {
	local accel
	step "setup" do_setup >/dev/null
	do_build
	accel=$(choose_accel)
	vng_args "$accel"
	note "booting ($accel): root shell in the guest, 'exit' or Ctrl-D powers off"
	"$VNG" "${VNG_ARGS[@]}"
}

do_demo() {
	local accel rc=0 tail_pid
	step "setup" do_setup
	do_build
	step "build the userspace tools (lunatik, layout-sim)" build_tools
	accel=$(choose_accel)
	new_run_dir
	note "booting ($accel) for the demo; the guest's kernel log goes to $RUN/console.log"
	: >"$RUN/demo.txt"
	tail -n +1 -f "$RUN/demo.txt" &
	tail_pid=$!
	guest_run "$accel" "$RUN" "$RUN/console.log" \
		"LUNATIK_KO=$MODULE_KO $TESTBED/guest/demo >$RUN/demo.txt 2>&1" || rc=$?
	sleep 1
	kill "$tail_pid" 2>/dev/null
	wait "$tail_pid" 2>/dev/null
	logscan "$RUN/console.log" || rc=1
	return $rc
}
