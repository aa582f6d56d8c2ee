# shellcheck shell=bash
# build: unpack, patch, overlay, configure and build the kernel and the module.
#
# Incremental by content: a hash of the kernel inputs (source package, patch
# series, config fragment, module Kconfig glue) and one of the module inputs
# (module/, lua/, the Lua core) decide what runs. Files are synced into the
# tree with rsync --checksum, so unchanged files keep their mtimes and make
# rebuilds only what really changed.

LUA_SRC_VERSION_DIR=lua-5.4.9

# The lua-src crate's source folder, as pinned by Cargo.lock.
lua_src_dir() {
	local manifest
	manifest=$(cd "$REPO" && cargo metadata --format-version 1 --locked --filter-platform x86_64-unknown-linux-gnu 2>/dev/null |
		python3 -c 'import json,sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "lua-src":
        print(p["manifest_path"])' | head -n1)
	[ -n "$manifest" ] || die "lua-src not found in Cargo.lock (cargo metadata failed)"
	local dir
	dir=$(dirname "$manifest")/$LUA_SRC_VERSION_DIR
	[ -f "$dir/lua.h" ] || die "no Lua core at $dir"
	echo "$dir"
}

kernel_inputs_hash() {
	{
		echo "$KERNEL_PKG_VERSION"
		[ -z "$VARIANT" ] || echo "$VARIANT ${KMAKE[*]}"
		hash_inputs "$REPO/nfsd-patches" "${KFRAGS[@]}" \
			"$REPO/module/Kconfig" "$TESTBED/lib/build.sh"
	} | sha256sum | cut -d' ' -f1
}

module_inputs_hash() {
	{
		hash_inputs "$REPO/module" "$REPO/lua"
		lua_src_dir
	} | sha256sum | cut -d' ' -f1
}

# Pristine source, unpacked once per source package version.
ensure_pristine() {
	local pristine=$CACHE/linux-pristine
	if [ "$(cat "$pristine/.lunatik-version" 2>/dev/null)" = "$KERNEL_PKG_VERSION" ]; then
		return 0
	fi
	[ -f "$KERNEL_TARBALL" ] || die "$KERNEL_TARBALL missing: run testbed/run setup"
	rm -rf "$pristine" "$pristine.tmp"
	mkdir -p "$pristine.tmp"
	tar -C "$pristine.tmp" --strip-components=1 -xJf "$KERNEL_TARBALL"
	echo "$KERNEL_PKG_VERSION" >"$pristine.tmp/.lunatik-version"
	mv "$pristine.tmp" "$pristine"
}

# The module and the Lua core as they go into lib/lunatik of the tree.
stage_module() {
	local dest=$1 luadir core=$KDIR/lua-core-staging p
	luadir=$(lua_src_dir)
	mkdir -p "$dest"
	rsync -rlc --delete --exclude=lua/ "$REPO/module/" "$dest/"
	mkdir -p "$dest/lua"
	rsync -rlc --delete --exclude=Cargo.toml --exclude=build.rs --exclude=src/ \
		--exclude=tests/ --exclude=core/ "$REPO/lua/" "$dest/lua/"
	# The Lua core, minus its own luaconf.h (ours comes from lua/) and the
	# standalone interpreter and compiler, with lua/patches applied. Synced
	# by content, so unchanged core files are not recompiled.
	rm -rf "$core"
	mkdir -p "$core"
	rsync -rl --exclude=luaconf.h --exclude=lua.c --exclude=luac.c \
		--include='*.c' --include='*.h' --exclude='*' "$luadir/" "$core/"
	for p in "$REPO"/lua/patches/*.patch; do
		[ -e "$p" ] || continue
		patch -d "$core" -p1 -s -N --no-backup-if-mismatch -r - <"$p" ||
			die "Lua patch $(basename "$p") does not apply to $(basename "$luadir")"
	done
	mkdir -p "$dest/lua/core"
	rsync -rlc --delete "$core/" "$dest/lua/core/"
	rm -rf "$core"
}

# Apply the series to a fresh copy of the pristine tree and sync it in.
prepare_tree() {
	local staging=$KDIR/linux-staging p
	rm -rf "$staging"
	cp -a "$CACHE/linux-pristine" "$staging"
	for p in "$REPO"/nfsd-patches/*.patch; do
		[ -e "$p" ] || continue
		is_cover_letter "$p" && continue
		if ! (cd "$staging" && patch -p1 -N -s --no-backup-if-mismatch -r - <"$p") \
			>"$KDIR/patch.log" 2>&1; then
			cat "$KDIR/patch.log" >&2
			die "patch $(basename "$p") does not apply to linux $KERNEL_PKG_VERSION"
		fi
		note "applied $(basename "$p")"
	done
	# Hook the module into "Library routines" (lib/Kconfig, lib/Makefile).
	grep -q 'lib/lunatik/Kconfig' "$staging/lib/Kconfig" ||
		printf '\nsource "lib/lunatik/Kconfig"\n' >>"$staging/lib/Kconfig"
	grep -q 'lunatik/' "$staging/lib/Makefile" ||
		printf '\nobj-$(CONFIG_LUNATIK_NG) += lunatik/\n' >>"$staging/lib/Makefile"
	stage_module "$staging/lib/lunatik"
	mkdir -p "$SRC"
	rsync -rlc --delete "$staging/" "$SRC/"
	rm -rf "$staging"
}

configure_kernel() {
	local frag=$KDIR/lunatik.config
	{
		cat "${KFRAGS[@]}"
		echo "CONFIG_LUNATIK_NG=m"
	} >"$frag"
	mkdir -p "$OBJ"
	kmake -s tinyconfig >/dev/null
	(cd "$OBJ" && "$SRC/scripts/kconfig/merge_config.sh" -m -O "$OBJ" "$OBJ/.config" "$frag" >/dev/null)
	kmake -s olddefconfig >/dev/null
	verify_config "$frag" "$OBJ/.config"
}

# verify_config FRAGMENT CONFIG: every option of the fragment is set as asked
# (where fragments name an option twice, the last one, as merge_config).
verify_config() {
	local frag=$1 config=$2 line opt val got bad=0 n=0
	local -A want=()
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) opt=${line%%=*} val=${line#*=} ;;
		"# CONFIG_"*" is not set") opt=${line#\# } opt=${opt%% *} val=n ;;
		*) continue ;;
		esac
		want[$opt]=$val
	done <"$frag"
	for opt in "${!want[@]}"; do
		val=${want[$opt]}
		n=$((n + 1))
		got=$(grep -E "^$opt=" "$config" | tail -n1 | cut -d= -f2-)
		[ -n "$got" ] || got=n
		if [ "$got" != "$val" ]; then
			echo "testbed: Kconfig dropped $opt=$val (got $opt=$got)" >&2
			bad=1
		fi
	done
	[ $bad = 0 ] || die "kernel configuration does not hold the requested options (see above)"
	note "kernel config: all $n requested options set"
}

# kmake ARGS...: make in the variant's tree and build folder, with its flags.
kmake() {
	make -C "$SRC" O="$OBJ" "${KMAKE[@]}" "$@"
}

check_rust_toolchain() {
	kmake -s rustavailable >"$KDIR/rustavailable.log" 2>&1 || {
		cat "$KDIR/rustavailable.log" >&2
		die "the kernel cannot use this Rust toolchain: run testbed/run setup"
	}
}

# Progress: the milestones of the build, not every object.
MAKE_PROGRESS='^  (RUSTC|LD|BINDGEN|MODPOST|OBJCOPY|BUILD) .*(vmlinux|bzImage|\.ko|lunatik|bindings|rust/)|^  CC +[a-z]+/built-in|error|Error'

make_kernel() {
	local rc
	kmake -j"$JOBS" bzImage modules 2>&1 | tee "$KDIR/make.log" |
		grep --line-buffered -E "$MAKE_PROGRESS"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || die "kernel build failed; the full log is $KDIR/make.log"
}

make_module() {
	local rc
	kmake -j"$JOBS" lib/lunatik/lunatik_ng.ko 2>&1 | tee "$KDIR/make-module.log" |
		grep -vE '^ *(\||= |[0-9]+ \||-->|\.\.\.)|^$|^warning: unreachable|^ +-+\^|help: consider|or consider exporting'
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || die "module build failed; the log is $KDIR/make-module.log"
}

# The testbed's own test modules (testbed/kmod), built out of tree in the
# cache against the kernel build (TEST_KMOD), so the repository stays clean.
make_test_kmod() {
	local rc
	mkdir -p "$KDIR/kmod"
	rsync -rlc "$TESTBED/kmod/" "$KDIR/kmod/"
	make -C "$OBJ" "${KMAKE[@]}" M="$KDIR/kmod" modules >"$KDIR/make-kmod.log" 2>&1
	rc=$?
	[ "$rc" = 0 ] || { cat "$KDIR/make-kmod.log"; die "test module build failed"; }
}

do_build() {
	local khash mhash
	mkdir -p "$STAMPS"
	step "unpack $KERNEL_PKG $KERNEL_PKG_VERSION" ensure_pristine
	khash=$(kernel_inputs_hash)
	mhash=$(module_inputs_hash)
	if [ "$(cat "$STAMPS/kernel" 2>/dev/null)" = "$khash" ] && [ -f "$BZIMAGE" ]; then
		note "kernel: inputs unchanged, nothing to build"
		if [ "$(cat "$STAMPS/kmod" 2>/dev/null)" != "$(hash_inputs "$TESTBED/kmod")" ] ||
			[ ! -f "$TEST_KMOD" ]; then
			step "build the testbed's test modules" make_test_kmod
			hash_inputs "$TESTBED/kmod" >"$STAMPS/kmod"
		fi
		if [ "$(cat "$STAMPS/module" 2>/dev/null)" = "$mhash" ] && [ -f "$MODULE_KO" ]; then
			note "module: inputs unchanged, nothing to build"
			return 0
		fi
		step "overlay module/ and lua/" stage_module "$SRC/lib/lunatik"
		step "build the lunatik module only" make_module
		echo "$mhash" >"$STAMPS/module"
		return 0
	fi
	rm -f "$STAMPS/kernel" "$STAMPS/module"
	step "patch the tree and overlay module/ and lua/" prepare_tree
	step "configure (tinyconfig + testbed/kernel.config)" configure_kernel
	step "check the Rust toolchain" check_rust_toolchain
	step "build the kernel and modules (first build: 6 to 10 minutes)" make_kernel
	step "build the testbed's test modules" make_test_kmod
	hash_inputs "$TESTBED/kmod" >"$STAMPS/kmod"
	echo "$khash" >"$STAMPS/kernel"
	echo "$mhash" >"$STAMPS/module"
}

# is_cover_letter PATCH: the series' 0000 message, which changes nothing.
is_cover_letter() { case $(basename "$1") in 0000-cover-letter.patch) return 0 ;; esac; return 1; }

# check-patches: the cover letter names every patch; each patch of the
# series, applied in order to a scratch copy of the pristine tree, must pass
# checkpatch (no ERROR or WARNING but those nfsd-patches/checkpatch-allowed.txt
# lists, with why) and build the C it touches (fs/nfsd/, the
# syscall stub) with the testbed's configuration.
do_check_patches() {
	local w=$CACHE/patchcheck p f k=0 k0 bad=0 start subject cover issues line type allowed
	cover=$REPO/nfsd-patches/0000-cover-letter.patch
	allowed=$REPO/nfsd-patches/checkpatch-allowed.txt
	ensure_pristine
	[ -f "$OBJ/.config" ] || die "build the kernel first: testbed/run build"
	[ -f "$cover" ] || die "no cover letter: nfsd-patches/0000-cover-letter.patch"
	rm -rf "$w"
	mkdir -p "$w/obj"
	cp -al "$CACHE/linux-pristine" "$w/src"
	for p in "$REPO"/nfsd-patches/*.patch; do
		is_cover_letter "$p" && continue
		k=$((k + 1))
		k0=$(basename "$p" | cut -c1-4)
		# the subject, unfolded, without its [PATCH n/m]
		subject=$(awk '/^Subject:/ { s = $0; getline; while ($0 ~ /^ /) { s = s $0; getline } print s; exit }' "$p" |
			sed 's/^Subject: \[PATCH[^]]*\] //; s/  */ /g')
		if ! tr '\n' ' ' <"$cover" | sed 's/  */ /g' | grep -qF -- "$subject"; then
			note "$(basename "$p"): NOT NAMED in the cover letter: $subject"
			bad=1
		fi
		# break the hard links of the files the patch changes
		for f in $(sed -n 's|^+++ b/||p' "$p"); do
			[ -f "$w/src/$f" ] && cp --remove-destination "$w/src/$f" "$w/src/$f.tmp" &&
				mv "$w/src/$f.tmp" "$w/src/$f"
		done
		(cd "$w/src" && patch -p1 -s -N --no-backup-if-mismatch <"$p") ||
			die "$(basename "$p") does not apply"
		issues=$("$SRC/scripts/checkpatch.pl" --no-tree -q --show-types "$p" | grep -E '^(ERROR|WARNING|CHECK)')
		while IFS= read -r line; do
			[ -n "$line" ] || continue
			type=$(cut -d: -f2 <<<"$line")
			if grep -q "^${k0} $type " "$allowed"; then
				note "$(basename "$p"): allowed ($allowed): $line"
			else
				echo "    $(basename "$p"): $line"
				bad=1
			fi
		done <<<"$issues"
		cp "$OBJ/.config" "$w/obj/.config"
		make -s -C "$w/src" O="$w/obj" olddefconfig >/dev/null 2>&1
		start=$(date +%s)
		if make -s -C "$w/src" O="$w/obj" -j"$JOBS" fs/nfsd/ lib/lunatik_syscall.o \
			kernel/sys_ni.o >"$w/make-$k.log" 2>&1; then
			note "$(basename "$p"): builds ($(($(date +%s) - start)) s)"
		else
			tail -n 20 "$w/make-$k.log"
			note "$(basename "$p"): BUILD FAILED (log: $w/make-$k.log)"
			bad=1
		fi
	done
	[ $bad = 0 ]
}

# The package variant: the same patched tree and module, with the server
# fragment, built as Debian packages by the kernel's own `make bindeb-pkg`
# (linux-image, linux-headers, linux-libc-dev), which land in $KDIR.
KDEB_REVISION=1lunatikng

kernel_debs() {
	ls "$KDIR"/linux-image-*_amd64.deb "$KDIR"/linux-headers-*_amd64.deb \
		"$KDIR"/linux-libc-dev_*_amd64.deb 2>/dev/null
}

make_kernel_debs() {
	local rc
	rm -f "$KDIR"/*.deb "$KDIR"/*.buildinfo "$KDIR"/*.changes
	kmake -j"$JOBS" KDEB_PKGVERSION="${KERNEL_PKG_VERSION%%-*}-$KDEB_REVISION" bindeb-pkg 2>&1 |
		tee "$KDIR/make.log" | grep --line-buffered -E "$MAKE_PROGRESS|dpkg-deb: building"
	rc=${PIPESTATUS[0]}
	[ "$rc" = 0 ] || die "kernel package build failed; the full log is $KDIR/make.log"
	[ "$(kernel_debs | wc -l)" = 3 ] || die "make bindeb-pkg left no linux-image/headers/libc-dev packages in $KDIR"
}

do_build_package() {
	local hash
	mkdir -p "$STAMPS"
	step "unpack $KERNEL_PKG $KERNEL_PKG_VERSION" ensure_pristine
	hash=$({
		kernel_inputs_hash
		module_inputs_hash
	} | sha256sum | cut -d' ' -f1)
	if [ "$(cat "$STAMPS/package" 2>/dev/null)" = "$hash" ] && [ "$(kernel_debs | wc -l)" = 3 ]; then
		note "kernel packages: inputs unchanged, nothing to build"
	else
		rm -f "$STAMPS/package"
		step "patch the tree and overlay module/ and lua/" prepare_tree
		step "configure (tinyconfig + testbed/kernel.config + testbed/kernel-server.config)" configure_kernel
		step "check the Rust toolchain" check_rust_toolchain
		step "build the kernel packages (make bindeb-pkg; first build: about 25 minutes on 2 cores)" make_kernel_debs
		echo "$hash" >"$STAMPS/package"
	fi
	if [ "$(cat "$STAMPS/kmod" 2>/dev/null)" != "$(hash_inputs "$TESTBED/kmod")" ] || [ ! -f "$TEST_KMOD" ]; then
		step "build the testbed's test modules" make_test_kmod
		hash_inputs "$TESTBED/kmod" >"$STAMPS/kmod"
	fi
}
