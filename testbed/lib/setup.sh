# shellcheck shell=bash
# setup: install what a fresh Debian 12 machine lacks. Idempotent, no prompts.

DEB_PACKAGES=(
	"$KERNEL_PKG=$KERNEL_PKG_VERSION"
	qemu-system-x86 clang libclang-dev llvm lld flex bison bc libelf-dev
	libssl-dev cpio xz-utils rsync kmod python3-venv
	nfs-kernel-server nfs-common iproute2 e2fsprogs util-linux
	procps iputils-ping patch
	# the kernel's make bindeb-pkg (testbed/run package)
	dpkg-dev fakeroot debhelper
)
BINDGEN_VERSION=0.71.1
VIRTME_NG_VERSION=1.42

as_root() {
	if [ "$(id -u)" = 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		die "need root to run: $* (run as root or install sudo)"
	fi
}

missing_debs() {
	local spec name want have
	for spec in "${DEB_PACKAGES[@]}"; do
		name=${spec%%=*}
		want=${spec#*=}
		[ "$want" = "$spec" ] && want=
		have=$(dpkg-query -W -f='${Status} ${Version}' "$name" 2>/dev/null || true)
		case "$have" in
		"install ok installed"*)
			[ -z "$want" ] || [ "${have##* }" = "$want" ] || echo "$spec"
			;;
		*) echo "$spec" ;;
		esac
	done
}

do_setup() {
	local missing
	missing=$(missing_debs | tr '\n' ' ')
	if [ -n "${missing// /}" ]; then
		note "installing Debian packages: $missing"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		# shellcheck disable=SC2086
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends -o Dpkg::Options::=--force-confdef \
			-o Dpkg::Options::=--force-confold $missing
	else
		note "Debian packages: all present"
	fi
	# Debian starts the NFS server units on install; the host must not serve NFS.
	if systemctl is-active --quiet nfs-server 2>/dev/null; then
		as_root systemctl disable --now nfs-server >/dev/null 2>&1 || true
	fi

	command -v rustup >/dev/null || die "rustup not found: install Rust with rustup first"
	if ! rustup component list --installed 2>/dev/null | grep -q '^rust-src'; then
		note "installing the rust-src component"
		rustup component add rust-src
	else
		note "rust-src: present"
	fi

	if [ "$(bindgen --version 2>/dev/null)" != "bindgen $BINDGEN_VERSION" ]; then
		note "installing bindgen-cli $BINDGEN_VERSION (a few minutes)"
		cargo install --locked --force bindgen-cli --version "$BINDGEN_VERSION"
	else
		note "bindgen-cli $BINDGEN_VERSION: present"
	fi

	if [ "$("$VNG" --version 2>/dev/null | awk '{print $2}')" != "$VIRTME_NG_VERSION" ]; then
		note "installing virtme-ng $VIRTME_NG_VERSION in $VENV"
		mkdir -p "$CACHE"
		python3 -m venv "$VENV"
		"$VENV/bin/pip" install -q --disable-pip-version-check \
			"virtme-ng==$VIRTME_NG_VERSION"
	else
		note "virtme-ng $VIRTME_NG_VERSION: present"
	fi
}
