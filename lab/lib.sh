# Shared paths and helpers for the lab scripts. Source it; do not run it.
# shellcheck shell=bash

LAB_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LAB_BUILD=${LAB_BUILD:-$LAB_ROOT/build}
LAB_TARBALL=${LAB_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
LAB_SOURCE_PKG=linux-source-6.12
LAB_TREE=${LAB_TREE:-$LAB_BUILD/linux-6.12}
LAB_SERIES_DIR=${LAB_SERIES_DIR:-$LAB_ROOT/patches/linux-6.12}
LAB_CONFIGS=$LAB_ROOT/kernel/configs

lab_say() { printf 'lab: %s\n' "$*" >&2; }
lab_die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# lab_usage: the calling script's usage, which is its header comment (from
# line 2 to the first line that is not a comment).
lab_usage() { awk 'NR == 1 { next } !/^#/ { exit } { sub(/^# ?/, ""); print }' "$0"; }

# lab_usage_error MESSAGE: a command line the script cannot use. The usage,
# then what is wrong, on stderr; exit status 2.
lab_usage_error() {
	lab_usage >&2
	printf 'lab: error: %s\n' "$*" >&2
	exit 2
}

# lab_need_value "$@": in an option loop, at an option that takes a value:
# a usage error naming the option unless a value follows it.
lab_need_value() { [ $# -ge 2 ] || lab_usage_error "$1 needs a value"; }

# Progress line for long steps, so a newcomer sees what is happening.
lab_step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Kernel build directory name for a case and flavour, e.g. case3,
# case3-debug, case3-debug-pristine (the tree without our series).
lab_config_name() {
	local case=$1 debug=$2 pristine=${3:-0} name=case$1
	[ "$debug" = 1 ] && name=$name-debug
	[ "$pristine" = 1 ] && name=$name-pristine
	echo "$name"
}

# Point LAB_TREE at a checkout of the pristine Debian source (tag
# "pristine" of the series tree, as a git worktree), for builds that
# measure the kernel without our series. Call after lab/tree ran.
lab_use_pristine_tree() {
	local dir=$LAB_BUILD/linux-6.12-pristine
	local want
	want=$(git -C "$LAB_TREE" rev-parse pristine)
	if [ "$(git -C "$dir" rev-parse HEAD 2>/dev/null)" != "$want" ]; then
		lab_step "checking out the pristine tree in $dir"
		rm -rf "$dir"
		git -C "$LAB_TREE" worktree prune
		git -C "$LAB_TREE" worktree add -q --detach "$dir" pristine
	fi
	LAB_TREE=$dir
	export LAB_TREE
}

# The series file lists patch files, one per line; # starts a comment.
series_patches() {
	local f=$LAB_SERIES_DIR/series
	[ -f "$f" ] || return 0
	sed -e 's/#.*//' -e 's/[[:space:]]*$//' -e '/^$/d' "$f"
}

# Hash of the series file and every patch it lists: the tree is stale
# whenever this changes.
series_hash() {
	{
		cat "$LAB_SERIES_DIR/series" 2>/dev/null || true
		local p
		while read -r p; do
			[ -f "$LAB_SERIES_DIR/$p" ] ||
				lab_die "series lists $p but $LAB_SERIES_DIR/$p does not exist"
			cat "$LAB_SERIES_DIR/$p"
		done < <(series_patches)
	} | sha256sum | cut -d' ' -f1
}

LAB_NVME_SERIAL=LABNVME0001
