# shellcheck shell=bash
# Shared helpers and settings of the testbed (sourced by testbed/run).

DEFAULT_CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lunatik-ng
DEFAULT_MEM=2G
DEFAULT_CPUS=2
# One boot runs every suite: about 15 minutes under TCG on 2 cores, more on
# a loaded machine.
DEFAULT_TIMEOUT=2700
DEFAULT_JOBS=$(($(nproc) + 1))

CACHE=${LUNATIK_CACHE:-$DEFAULT_CACHE}
MEM=${LUNATIK_MEM:-$DEFAULT_MEM}
CPUS=${LUNATIK_CPUS:-$DEFAULT_CPUS}
GUEST_TIMEOUT=${LUNATIK_TIMEOUT:-$DEFAULT_TIMEOUT}
# pynfs (when PYNFS_DIR is set) adds two runs of up to PYNFS_TIMEOUT each.
if [ -n "${PYNFS_DIR:-}" ] && [ -z "${LUNATIK_TIMEOUT:-}" ]; then
	GUEST_TIMEOUT=$((GUEST_TIMEOUT + 2 * ${PYNFS_TIMEOUT:-1500} + 300))
fi
JOBS=${LUNATIK_JOBS:-$DEFAULT_JOBS}
# Guests booted at once by `test` (1 or 2): two from 4 host cores on.
DEFAULT_GUESTS=$(($(nproc) >= 4 ? 2 : 1))
GUESTS=${LUNATIK_GUESTS:-$DEFAULT_GUESTS}

# The kernel the whole project is written against (Debian's linux-source-6.12).
KERNEL_PKG=linux-source-6.12
KERNEL_PKG_VERSION=6.12.117-1~deb12u1
KERNEL_TARBALL=/usr/src/linux-source-6.12.tar.xz

VENV=$CACHE/venv
VNG=$VENV/bin/vng

# set_variant NAME: the kernel variant the build, boot and test steps use,
# each in a cache folder of its own (source, build, stamps), so switching
# between built variants costs nothing:
#   ""       the testbed kernel: tinyconfig + testbed/kernel.config, GCC
#   debug    + testbed/kernel-debug.config (KASAN, lockdep, UBSAN, ...),
#            built with LLVM=1: the kernel allows Rust with KASAN only
#            under clang (init/Kconfig: "depends on !KASAN || CC_IS_CLANG")
#   package  + testbed/kernel-server.config (drivers a real server boots
#            with), built as Debian packages (make bindeb-pkg)
set_variant() {
	VARIANT=$1
	KFRAGS=("$TESTBED/kernel.config")
	KMAKE=()
	case "$VARIANT" in
	"") KDIR=$CACHE ;;
	debug)
		KDIR=$CACHE/debug
		KFRAGS+=("$TESTBED/kernel-debug.config")
		KMAKE=(LLVM=1)
		# KASAN and lockdep under TCG: every step takes about 3 times longer
		[ -n "${LUNATIK_TIMEOUT:-}" ] || GUEST_TIMEOUT=$((GUEST_TIMEOUT * 3))
		SUITE_TIMEOUT=${SUITE_TIMEOUT:-2700}
		;;
	package)
		KDIR=$CACHE/package
		KFRAGS+=("$TESTBED/kernel-server.config")
		;;
	*) die "unknown kernel variant '$VARIANT'" ;;
	esac
	SRC=$KDIR/linux   # patched source tree with module/ and lua/ overlaid
	OBJ=$KDIR/build   # kernel build output (make O=)
	STAMPS=$KDIR/stamps
	BZIMAGE=$OBJ/arch/x86/boot/bzImage
	MODULE_KO=$OBJ/lib/lunatik/lunatik_ng.ko
	TEST_KMOD=$KDIR/kmod/pnfs_test_policy.ko
}

export PATH=$VENV/bin:$HOME/.cargo/bin:$PATH

die() {
	echo "testbed: error: $*" >&2
	exit 1
}

note() {
	echo "testbed: $*"
}

# step NAME CMD...: run a long step, saying what it does and the time it took.
step() {
	local name=$1 start rc=0
	shift
	start=$(date +%s.%N)
	echo "==> $name"
	"$@" || rc=$?
	printf '<== %s: %s (%.1f s)\n' "$name" "$([ $rc = 0 ] && echo done || echo "FAILED rc=$rc")" \
		"$(echo "$(date +%s.%N) - $start" | bc)"
	return $rc
}

# hash_inputs PATH...: one sha256 over the names and contents of files.
hash_inputs() {
	local p
	for p in "$@"; do
		if [ -d "$p" ]; then
			(cd "$p" && find . -type f ! -name '*~' -print0 | LC_ALL=C sort -z |
				xargs -0r sha256sum)
		elif [ -e "$p" ]; then
			sha256sum "$p" | sed "s|  .*|  $(basename "$p")|"
		else
			echo "absent $p"
		fi
	done | sha256sum | cut -d' ' -f1
}
