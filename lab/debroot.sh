# Debian 12 roots for the lab: debootstrap --variant=minbase bookworm,
# made once and cached as a tarball, then copied for each use. Used by
# lab/check-fresh (the set-up on a minimal machine) and lab/debian-root
# (Debian's own kernels with the project's packages installed). Source it
# after lab/lib.sh; needs root. Mounts made with debroot_mount are undone
# by debroot_umount_all, which the caller's EXIT trap should run.
# shellcheck shell=bash

DEBROOT_CACHE=${LAB_FRESH_DIR:-$LAB_BUILD/fresh}
DEBROOT_MIRROR=${LAB_FRESH_MIRROR:-http://deb.debian.org/debian}
DEBROOT_TARBALL=$DEBROOT_CACHE/minbase.tar
# Downloaded .debs, kept between runs (each root still installs them)
DEBROOT_ARCHIVES=$DEBROOT_CACHE/apt-archives
debroot_mounts=()

# The minimal system, made once (or again with DEBROOT_NEW=1).
debroot_tarball() {
	local tmp=$DEBROOT_CACHE/debootstrap
	[ "${DEBROOT_NEW:-0}" = 0 ] && [ -f "$DEBROOT_TARBALL" ] && return 0
	lab_step "debootstrap --variant=minbase bookworm (cached in $DEBROOT_TARBALL)"
	mkdir -p "$DEBROOT_CACHE"
	rm -rf "$tmp"
	debootstrap --variant=minbase bookworm "$tmp" "$DEBROOT_MIRROR" \
		> "$DEBROOT_CACHE/debootstrap.log" 2>&1 || {
		tail -20 "$DEBROOT_CACHE/debootstrap.log" >&2
		lab_die "debootstrap failed (log: $DEBROOT_CACHE/debootstrap.log)"
	}
	tar -C "$tmp" -cf "$DEBROOT_TARBALL.tmp" .
	mv "$DEBROOT_TARBALL.tmp" "$DEBROOT_TARBALL"
	rm -rf "$tmp"
}

# debroot_new ROOT: a fresh copy of the minimal system, with the machine's
# own archive configuration (as a new machine here has it).
debroot_new() {
	local root=$1
	debroot_tarball
	rm -rf "$root"
	mkdir -p "$root"
	tar -C "$root" -xf "$DEBROOT_TARBALL"
	cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
	rm -f "$root/etc/apt/sources.list"
	cp -a /etc/apt/sources.list "$root/etc/apt/" 2>/dev/null || true
	find /etc/apt/sources.list.d -maxdepth 1 \( -name '*.sources' -o -name '*.list' \) \
		-exec cp -a {} "$root/etc/apt/sources.list.d/" \;
	cp -a /etc/apt/apt.conf.d/. "$root/etc/apt/apt.conf.d/"
	# Archives whose keys minbase does not have
	{ grep -lE "nodesource|google" "$root"/etc/apt/sources.list.d/* 2>/dev/null || true; } |
		xargs -r rm -f
}

# debroot_bind ROOT HOST_DIR PATH_IN_ROOT
debroot_bind() {
	mkdir -p "$1$3"
	mount --bind "$2" "$1$3"
	debroot_mounts+=("$1$3")
}

# debroot_mount ROOT: /proc, /sys, /dev and the .deb cache
debroot_mount() {
	local root=$1
	mkdir -p "$DEBROOT_ARCHIVES/partial"
	mount -t proc proc "$root/proc"
	debroot_mounts+=("$root/proc")
	mount -t sysfs sysfs "$root/sys"
	debroot_mounts+=("$root/sys")
	mount --rbind /dev "$root/dev"
	mount --make-rslave "$root/dev"
	debroot_mounts+=("$root/dev")
	debroot_bind "$root" "$DEBROOT_ARCHIVES" /var/cache/apt/archives
}

debroot_umount_all() {
	local i
	for ((i = ${#debroot_mounts[@]} - 1; i >= 0; i--)); do
		umount -R -l "${debroot_mounts[i]}" 2>/dev/null || true
	done
	debroot_mounts=()
}

# debroot_run ROOT CMD: a shell command in the root, with the environment
# a root login there has and nothing of ours.
debroot_run() {
	env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		CCACHE_DIR=/root/.cache/ccache DEBIAN_FRONTEND=noninteractive \
		chroot "$1" /bin/bash -c "$2"
}
