# shellcheck shell=bash
# package: the Debian packages a server installs with `apt install ./*.deb`
# (docs/deploy.md). lunatik-ng-tools is built here with dpkg-deb, installed
# into a fresh Debian root to be checked there, and every package (the tools
# and the kernel's) is checked against the paths modern Lunatik installs.
# Sourced after common.sh (REPO, CACHE, die, note); as_root comes from
# setup.sh when it is sourced too.
#
#   build_tools_deb OUTDIR       -> OUTDIR/lunatik-ng-tools_VERSION_amd64.deb
#   make_debian_root DIR         a minimal Debian 12 root in DIR (cached)
#   tools_install_test DEB       install DEB in a fresh root and check it
#   package_contents_test DEB... no path of modern Lunatik's in any DEB
#
# The tests print TAP-like lines (`ok N - ...`, `not ok N - ...`, `# ...`
# for details) and return non-zero when a check failed. They need root
# (chroot; as_root's sudo otherwise). Without testbed/run and the kernel,
# from the repository's top:
#
#   bash -c 'set -euo pipefail; REPO=$PWD TESTBED=$PWD/testbed
#     . testbed/lib/common.sh; . testbed/lib/package.sh
#     build_tools_deb /tmp/debs; package_contents_test /tmp/debs/*.deb
#     tools_install_test /tmp/debs/lunatik-ng-tools_*.deb'

TOOLS_PKG=lunatik-ng-tools
TOOLS_BINS=(lunatik-ng layout-sim)
DEBIAN_SUITE=bookworm
# man-db for the man-page checks; systemd for `systemd-analyze verify`.
DEBIAN_ROOT_INCLUDE=man-db,systemd
DEBIAN_ROOT_TAR=$CACHE/debian-root.tar
# Empty: debootstrap's default mirror.
DEBIAN_MIRROR=${LUNATIK_DEBIAN_MIRROR:-}
LUNATIK_PATHS=$REPO/packaging/lunatik-paths.txt

# pkg_root CMD...: as root (as_root from setup.sh, which may use sudo).
pkg_root() {
	if declare -F as_root >/dev/null; then
		as_root "$@"
	elif [ "$(id -u)" = 0 ]; then
		"$@"
	else
		die "need root to run: $*"
	fi
}

# The version of every crate and of the packages: Cargo.toml's
# [workspace.package] version.
workspace_version() {
	awk '/^\[/ { s = ($0 == "[workspace.package]") }
		s && $1 == "version" { gsub(/"/, "", $3); print $3; exit }' "$REPO/Cargo.toml"
}

# TAP-like results of the package tests.
PKG_N=0
PKG_FAILED=0
pkg_ok() { # pkg_ok STATUS DESCRIPTION
	local status=$1
	shift
	PKG_N=$((PKG_N + 1))
	if [ "$status" = 0 ]; then
		echo "ok $PKG_N - $*"
	else
		echo "not ok $PKG_N - $*"
		PKG_FAILED=$((PKG_FAILED + 1))
	fi
}
pkg_diag() { [ -z "$*" ] || printf '%s\n' "$*" | sed 's/^/# /'; }

# ---------------------------------------------------------------- the tools

# The Rust crates linked into the binaries, with their licenses, for the
# copyright file (proc-macro crates run at build time only and are left out).
crate_licenses() {
	(cd "$REPO" && nice -n 19 cargo metadata --format-version 1 --locked \
		--filter-platform x86_64-unknown-linux-gnu 2>/dev/null) | python3 -c '
import json, sys
m = json.load(sys.stdin)
pkgs = {p["id"]: p for p in m["packages"]}
deps = {n["id"]: n["deps"] for n in m["resolve"]["nodes"]}
macro = lambda i: any("proc-macro" in t["kind"] for t in pkgs[i]["targets"])
todo = [i for i in m["workspace_members"] if pkgs[i]["name"] in sys.argv[1:]]
seen = set()
while todo:
    i = todo.pop()
    if i in seen or macro(i):
        continue
    seen.add(i)
    todo += [d["pkg"] for d in deps[i] if any(k["kind"] is None for k in d["dep_kinds"])]
for p in sorted((pkgs[i] for i in seen if pkgs[i]["source"]), key=lambda p: p["name"]):
    print("  %s %s: %s" % (p["name"], p["version"], p["license"]))
' "${TOOLS_BINS[@]}"
}

# Depends of the binaries: dpkg-shlibdeps, which reads the libraries' symbol
# files (libc6 at the newest symbol version used). Without it (no dpkg-dev),
# libc6 at the newest GLIBC_ version objdump finds and libgcc-s1 when linked.
shlib_depends() { # shlib_depends STAGE (with debian/control and debian/PKG)
	local stage=$1 bins=() b v
	for b in "${TOOLS_BINS[@]}"; do bins+=("debian/$TOOLS_PKG/usr/bin/$b"); done
	if command -v dpkg-shlibdeps >/dev/null; then
		(cd "$stage" && dpkg-shlibdeps -O "${bins[@]}" 2>/dev/null) |
			sed -n 's/^shlibs:Depends=//p'
		return
	fi
	v=$(cd "$stage" && objdump -T "${bins[@]}" | grep -o 'GLIBC_[0-9.]*' |
		sed 's/GLIBC_//' | sort -uV | tail -n 1)
	printf 'libc6 (>= %s)' "$v"
	if (cd "$stage" && objdump -p "${bins[@]}") | grep -q 'NEEDED.*libgcc_s'; then
		printf ', libgcc-s1'
	fi
	echo
}

# stage_tools STAGE VERSION: the package's tree in STAGE/debian/PKG (as
# dpkg-shlibdeps wants it), DEBIAN/ included; non-zero at the first failure.
stage_tools() {
	local stage=$1 version=$2 root=$1/debian/$TOOLS_PKG bin sh page f depends
	local doc=$1/debian/$TOOLS_PKG/usr/share/doc/$TOOLS_PKG
	install -d "$root/DEBIAN" "$root/usr/bin" "$root/usr/share/man/man1" \
		"$root/usr/share/lunatik-ng/layouts" "$root/lib/systemd/system" \
		"$root/etc/lunatik-ng" "$doc" "$stage/man" \
		"$root/usr/share/bash-completion/completions" \
		"$root/usr/share/zsh/vendor-completions" \
		"$root/usr/share/fish/vendor_completions.d" || return 1
	for bin in "${TOOLS_BINS[@]}"; do
		install -m 755 "$REPO/target/release/$bin" "$root/usr/bin/$bin" &&
			strip --strip-unneeded --remove-section=.comment "$root/usr/bin/$bin" &&
			# the pages of the program and of each subcommand (clap_mangen)
			"$root/usr/bin/$bin" man --dir "$stage/man" || return 1
		for sh in bash zsh fish; do
			case $sh in
			bash) f=usr/share/bash-completion/completions/$bin ;;
			zsh) f=usr/share/zsh/vendor-completions/_$bin ;;
			fish) f=usr/share/fish/vendor_completions.d/$bin.fish ;;
			esac
			"$root/usr/bin/$bin" completions "$sh" >"$root/$f" || return 1
		done
	done
	for page in "$stage"/man/*.1; do
		f=$root/usr/share/man/man1/${page##*/}.gz
		gzip -9n <"$page" >"$f" || return 1
	done
	install -m 644 "$REPO"/layouts/*.lua "$root/usr/share/lunatik-ng/layouts/" &&
		install -m 644 "$REPO/packaging/lunatik-ng-pnfs.service" "$root/lib/systemd/system/" &&
		install -m 644 "$REPO/packaging/pnfs.conf" "$root/etc/lunatik-ng/pnfs.conf" &&
		echo /etc/lunatik-ng/pnfs.conf >"$root/DEBIAN/conffiles" &&
		install -m 755 "$REPO/packaging/$TOOLS_PKG.postinst" "$root/DEBIAN/postinst" &&
		install -m 755 "$REPO/packaging/$TOOLS_PKG.prerm" "$root/DEBIAN/prerm" || return 1
	{
		cat "$REPO/LICENSE" &&
			echo &&
			echo "Rust crates compiled into /usr/bin/lunatik-ng and /usr/bin/layout-sim" &&
			echo "(from crates.io; Apache-2.0: /usr/share/common-licenses/Apache-2.0):" &&
			echo &&
			crate_licenses
	} >"$doc/copyright" || return 1
	gzip -9n <"$REPO/CHANGELOG.md" >"$doc/changelog.gz" || return 1

	printf 'Source: %s\n\nPackage: %s\nArchitecture: amd64\n' "$TOOLS_PKG" "$TOOLS_PKG" \
		>"$stage/debian/control" || return 1
	depends=$(shlib_depends "$stage")
	[ -n "$depends" ] || { echo "the binaries' library dependencies not found" >&2 && return 1; }
	cat >"$root/DEBIAN/control" <<EOF || return 1
Package: $TOOLS_PKG
Version: $version
Architecture: amd64
Maintainer: ${DEBFULLNAME:-$(git -C "$REPO" log -1 --format=%an)} <${DEBEMAIL:-$(git -C "$REPO" log -1 --format=%ae)}>
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: nfs-kernel-server
Section: admin
Priority: optional
Description: Lua layout policies for the Linux NFS server's pNFS (lunatik-ng)
 lunatik-ng lets an NFS administrator decide, with a small Lua script loaded
 at run time, how the Linux NFS server stripes each file over its pNFS data
 servers. This package has the user-space half:
  - lunatik-ng: runs Lua in the kernel through the lua system call; loads,
    shows and unloads nfsd's layout policies; applies
    /etc/lunatik-ng/pnfs.conf (lunatik-ng-pnfs.service does at boot);
  - layout-sim: runs and checks layout policies on the engine's user-space
    twin before they are loaded;
  - the layout policies, in /usr/share/lunatik-ng/layouts.
 The engine module and the patched nfsd are in the lunatik-ng kernel
 package (linux-image-*).
EOF
	(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' |
		LC_ALL=C sort -z | xargs -0 md5sum) >"$root/DEBIAN/md5sums" &&
		chmod 644 "$root/DEBIAN/control" "$root/DEBIAN/conffiles" "$root/DEBIAN/md5sums"
}

# build_tools_deb OUTDIR: build the release binaries and package them, with
# the layouts, the man pages and completions the binaries generate, the
# systemd unit and the example configuration (a conffile). Prints the
# package built; TOOLS_DEB is its path.
build_tools_deb() {
	local out=${1:?usage: build_tools_deb OUTDIR} version stage deb epoch rc=0
	version=$(workspace_version)
	[ -n "$version" ] || die "no [workspace.package] version in $REPO/Cargo.toml"
	mkdir -p "$out" || die "cannot create $out"
	out=$(cd "$out" && pwd)
	deb=$out/${TOOLS_PKG}_${version}_amd64.deb
	note "building ${TOOLS_BINS[*]} (release)"
	(cd "$REPO" && nice -n 19 cargo build -q --release --locked -p lunatik-ng -p layout-sim) ||
		die "cargo build --release failed"
	stage=$(mktemp -d "${TMPDIR:-/tmp}/lunatik-ng-deb.XXXXXX")
	# the same sources, the same package: every time the last commit's
	epoch=$(git -C "$REPO" log -1 --format=%ct)
	(umask 022 && stage_tools "$stage" "$version") &&
		find "$stage/debian/$TOOLS_PKG" -exec touch -h -d "@$epoch" {} + &&
		SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build \
			"$stage/debian/$TOOLS_PKG" "$deb" >/dev/null || rc=$?
	rm -rf "$stage"
	[ $rc = 0 ] || die "packaging $TOOLS_PKG failed"
	# shellcheck disable=SC2034 # for the caller (testbed/run package)
	TOOLS_DEB=$deb
	note "built $deb: $(dpkg-deb -c "$deb" | grep -vc '^d') files, $(du -k "$deb" | cut -f1) KiB, Depends: $(dpkg-deb -f "$deb" Depends)"
}

# ----------------------------------------------------------- a Debian root

# make_debian_root DIR: a minimal Debian 12 root (debootstrap minbase, plus
# DEBIAN_ROOT_INCLUDE) in DIR, which must not exist or be empty. The first
# call runs debootstrap (installed when missing) and keeps the root as
# $CACHE/debian-root.tar; later calls unpack that.
make_debian_root() {
	local dir=${1:?usage: make_debian_root DIR} key log=$CACHE/debootstrap.log
	key="$DEBIAN_SUITE minbase $DEBIAN_ROOT_INCLUDE ${DEBIAN_MIRROR:-default}"
	[ ! -e "$dir" ] || [ -z "$(ls -A "$dir")" ] || die "make_debian_root: $dir is not empty"
	pkg_root mkdir -p "$dir"
	if [ -f "$DEBIAN_ROOT_TAR" ] && [ "$(cat "$DEBIAN_ROOT_TAR.key" 2>/dev/null)" = "$key" ]; then
		pkg_root tar --numeric-owner -xpf "$DEBIAN_ROOT_TAR" -C "$dir" ||
			die "cannot unpack $DEBIAN_ROOT_TAR"
		return
	fi
	if ! command -v debootstrap >/dev/null && [ ! -x /usr/sbin/debootstrap ]; then
		note "installing debootstrap"
		pkg_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null ||
			die "cannot install debootstrap"
	fi
	note "debootstrap --variant=minbase $DEBIAN_SUITE (+ $DEBIAN_ROOT_INCLUDE), once; log: $log"
	mkdir -p "$CACHE"
	# shellcheck disable=SC2086 # DEBIAN_MIRROR: empty for debootstrap's own
	if ! pkg_root env PATH="/usr/sbin:/sbin:$PATH" debootstrap --variant=minbase \
		--include="$DEBIAN_ROOT_INCLUDE" "$DEBIAN_SUITE" "$dir" $DEBIAN_MIRROR >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "debootstrap failed; the log is $log"
	fi
	pkg_root chroot "$dir" apt-get clean
	if ! pkg_root tar --numeric-owner -cf "$DEBIAN_ROOT_TAR.tmp" -C "$dir" . ||
		! pkg_root mv "$DEBIAN_ROOT_TAR.tmp" "$DEBIAN_ROOT_TAR"; then
		die "cannot keep the root as $DEBIAN_ROOT_TAR"
	fi
	echo "$key" | pkg_root tee "$DEBIAN_ROOT_TAR.key" >/dev/null
	note "kept as $DEBIAN_ROOT_TAR ($(du -m "$DEBIAN_ROOT_TAR" | cut -f1) MiB)"
}

# ------------------------------------------------------ the install test

# in_root CMD...: a command in the test root, in the C locale (plain ASCII
# from man), with the output and status of CMD.
in_root() {
	pkg_root chroot "$ROOT" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C MANWIDTH=80 DEBIAN_FRONTEND=noninteractive "$@"
}

# root_packages: the names of the packages installed in the test root.
root_packages() {
	# shellcheck disable=SC2016 # ${Package} is dpkg-query's
	in_root dpkg-query -W -f='${Package}\n' | LC_ALL=C sort
}

# root_check DESCRIPTION PATTERN CMD...: ok when CMD succeeds in the root
# and its output matches the extended regular expression PATTERN (when
# PATTERN is not empty).
root_check() {
	local desc=$1 pattern=$2 out rc=0
	shift 2
	out=$(in_root "$@" 2>&1) || rc=$?
	[ $rc != 0 ] || [ -z "$pattern" ] || grep -qE -- "$pattern" <<<"$out" || rc=1
	pkg_ok $rc "$desc"
	[ $rc = 0 ] || pkg_diag "$(head -n 20 <<<"$out")"
	return 0
}

# tools_install_test DEB: install DEB in a fresh Debian root with apt (its
# Depends and Recommends from the network; with dpkg -i when the root has no
# network, the Depends being there already) and check what it installed;
# then purge it and check nothing is left. The root is removed at the end.
tools_install_test() (
	deb=${1:?usage: tools_install_test DEB}
	[ -f "$deb" ] || die "no package $deb"
	start=$(date +%s.%N)
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/lunatik-ng-root.XXXXXX")
	ROOT=$tmp/root
	# shellcheck disable=SC2317 # run by the EXIT trap
	cleanup() {
		if mountpoint -q "$ROOT/proc" 2>/dev/null; then pkg_root umount "$ROOT/proc"; fi
		if findmnt -rno TARGET | grep -q "^$ROOT/"; then
			echo "# $ROOT: still mounted, left in place" >&2
		else
			pkg_root rm -rf --one-file-system "$tmp"
		fi
	}
	trap cleanup EXIT

	t=$(date +%s.%N)
	make_debian_root "$ROOT"
	note "Debian root ready in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)") s"
	pkg_root cp "$deb" "$ROOT/tmp/"
	pkg_root cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
	# no service starts in the root (nfs-kernel-server's postinst asks)
	printf '#!/bin/sh\nexit 101\n' | pkg_root tee "$ROOT/usr/sbin/policy-rc.d" >/dev/null
	pkg_root chmod 755 "$ROOT/usr/sbin/policy-rc.d"

	name=$(basename "$deb")
	t=$(date +%s.%N)
	root_packages >"$tmp/before"
	if in_root apt-get update -qq >"$tmp/apt.log" 2>&1; then
		root_check "apt-get install ./$name (Depends and Recommends from the mirror)" "" \
			apt-get install -y -q "/tmp/$name"
	else
		note "no network in the root: dpkg -i (Recommends not installed)"
		root_check "dpkg -i $name (no network in the root)" "" dpkg -i "/tmp/$name"
	fi
	note "installed in $(printf '%.1f' "$(echo "$(date +%s.%N) - $t" | bc)") s"
	pkg_diag "installed with it: $(root_packages | comm -13 "$tmp/before" - |
		grep -vx "$TOOLS_PKG" | tr '\n' ' ')"

	version=$(dpkg-deb -f "$deb" Version)
	for bin in "${TOOLS_BINS[@]}"; do
		root_check "$bin --version" "^$bin $version\$" "$bin" --version
		root_check "$bin --help" "^Usage: $bin " "$bin" --help
	done

	pages=$(in_root dpkg -L "$TOOLS_PKG" | sed -n 's|^/usr/share/man/man1/\(.*\)\.1\.gz$|\1|p')
	[ -n "$pages" ] || pkg_ok 1 "man pages in the package"
	for page in $pages; do
		case $page in layout-sim*) prog=layout-sim ;; *) prog=lunatik-ng ;; esac
		# the title line names the page, the text the program
		rc=0
		out=$(in_root man -P cat "$page" 2>&1) || rc=$?
		[ $rc != 0 ] || { head -n 1 <<<"$out" | grep -q "^$page(1) " && grep -q "$prog" <<<"$out"; } || rc=1
		pkg_ok $rc "man $page: a page about $prog"
		[ $rc = 0 ] || pkg_diag "$(head -n 5 <<<"$out")"
	done

	root_check "bash completion of lunatik-ng" "complete .* lunatik-ng\$" \
		bash -c '. /usr/share/bash-completion/completions/lunatik-ng && complete -p lunatik-ng'
	root_check "bash completion of layout-sim" "complete .* layout-sim\$" \
		bash -c '. /usr/share/bash-completion/completions/layout-sim && complete -p layout-sim'
	root_check "zsh and fish completions in place" "" test -s /usr/share/zsh/vendor-completions/_lunatik-ng \
		-a -s /usr/share/zsh/vendor-completions/_layout-sim \
		-a -s /usr/share/fish/vendor_completions.d/lunatik-ng.fish \
		-a -s /usr/share/fish/vendor_completions.d/layout-sim.fish
	# shellcheck disable=SC2016 # ${Conffiles} is dpkg-query's
	root_check "/etc/lunatik-ng/pnfs.conf installed as a conffile" "^ /etc/lunatik-ng/pnfs.conf [0-9a-f]{32}" \
		dpkg-query -W -f='${Conffiles}\n' "$TOOLS_PKG"
	root_check "layout-sim check /usr/share/lunatik-ng/layouts/default.lua" "" \
		layout-sim check /usr/share/lunatik-ng/layouts/default.lua
	unit=/lib/systemd/system/lunatik-ng-pnfs.service
	root_check "the unit's ExecStart and ExecStop are installed programs" "" sh -c \
		"sed -n 's/^Exec[A-Za-z]*=\\([^ ]*\\).*/\\1/p' $unit | while read -r p; do test -x \"\$p\" || { echo \"\$p: not installed\"; exit 1; }; done"
	if ! in_root sh -c 'command -v systemd-analyze' >/dev/null; then
		echo "ok $((PKG_N += 1)) - systemd-analyze verify lunatik-ng-pnfs.service # SKIP no systemd in the root"
	elif [ ! -e "$ROOT/lib/systemd/system/nfs-server.service" ]; then
		# the unit Requires= it
		echo "ok $((PKG_N += 1)) - systemd-analyze verify lunatik-ng-pnfs.service # SKIP no nfs-server.service (nfs-kernel-server) in the root"
	else
		# also runs man for each Documentation= page
		root_check "systemd-analyze verify lunatik-ng-pnfs.service" "" systemd-analyze verify "$unit"
	fi
	if in_root sh -c 'command -v systemctl' >/dev/null; then
		# as the administrator does (docs/deploy.md); the purge must undo it
		root_check "systemctl enable lunatik-ng-pnfs.service" "" \
			systemctl enable lunatik-ng-pnfs.service
	fi

	# purge: every file of the package gone, the conffile too
	in_root dpkg -L "$TOOLS_PKG" >"$tmp/files"
	root_check "dpkg --purge $TOOLS_PKG" "" dpkg --purge "$TOOLS_PKG"
	left=$(
		while read -r f; do
			[ -d "$ROOT$f" ] || [ ! -e "$ROOT$f" ] || echo "$f"
		done <"$tmp/files"
		# the links systemctl enable made (the prerm disables the unit)
		find "$ROOT/etc/systemd/system" -name lunatik-ng-pnfs.service -printf '/etc/systemd/system/%P\n' 2>/dev/null
	)
	pkg_ok "$([ -z "$left" ] && echo 0 || echo 1)" "nothing left after the purge (files, the conffile, the unit's links)"
	pkg_diag "$left"

	echo "# tools install test: $PKG_N checks, $PKG_FAILED failed ($(printf '%.1f' "$(echo "$(date +%s.%N) - $start" | bc)") s)"
	[ "$PKG_FAILED" = 0 ]
)

# ------------------------------------------------- modern Lunatik's paths

# lunatik_collisions LIST: read paths (one a line) and print each that
# breaks a rule of LIST (packaging/lunatik-paths.txt), with the rule. Paths
# compare as on a merged-/usr system: /lib/modules is /usr/lib/modules.
lunatik_collisions() {
	python3 -c '
import fnmatch, re, sys

def usr(p):
    return "/usr" + p if re.match(r"/(bin|sbin|lib|lib32|lib64|libx32)/", p) else p

rules = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].split()
    if line:
        rules.append(line)
for p in sys.stdin.read().split("\n"):
    if not p:
        continue
    q = usr(p)
    d, _, base = q.rpartition("/")
    for r in rules:
        if r[0] == "module":
            # modprobe NAME finds NAME.ko anywhere under /lib/modules; to it
            # - and _ are one
            m = re.fullmatch(r"(.*)\.ko(\.(gz|xz|zst))?", base)
            hit = (q.startswith("/usr/lib/modules/") and m is not None
                   and m[1].replace("-", "_") == r[1].replace("-", "_"))
        elif r[0] == "command":
            hit = base == r[1] and d in ("/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")
        elif r[0].endswith("/"):
            hit = fnmatch.fnmatchcase(q + "/", usr(r[0]) + "*")
        else:
            hit = fnmatch.fnmatchcase(q, usr(r[0]))
        if hit:
            print(p + "\t" + " ".join(r))
            break
' "$1"
}

# package_contents_test DEB...: list every package's paths (dpkg-deb -c, kept
# in $CACHE/package-contents/) and fail for any path of modern Lunatik's.
package_contents_test() {
	local deb list paths hits failed=0
	[ $# -gt 0 ] || die "usage: package_contents_test DEB..."
	[ -f "$LUNATIK_PATHS" ] || die "no $LUNATIK_PATHS"
	mkdir -p "$CACHE/package-contents"
	for deb in "$@"; do
		list=$CACHE/package-contents/$(basename "$deb" .deb).txt
		if ! dpkg-deb -c "$deb" >"$list"; then
			pkg_ok 1 "$(basename "$deb"): dpkg-deb -c"
			failed=1
			continue
		fi
		# the path: from the sixth field on, without a link's target
		paths=$(awk '{ $1 = $2 = $3 = $4 = $5 = ""; sub(/^ +/, ""); sub(/ -> .*/, "");
			sub(/^\./, ""); sub(/\/$/, ""); if ($0 != "") print }' "$list")
		hits=$(lunatik_collisions "$LUNATIK_PATHS" <<<"$paths" |
			awk -F '\t' '{ print $1 " (modern Lunatik: " $2 ")" }')
		pkg_ok "$([ -z "$hits" ] && echo 0 || echo 1)" \
			"$(basename "$deb"): $(grep -c . <<<"$paths") paths checked against modern Lunatik's (list: $list)"
		pkg_diag "$hits"
		[ -z "$hits" ] || failed=1
	done
	return $failed
}
