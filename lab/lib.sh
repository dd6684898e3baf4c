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

# ---- background jobs that must not outlive the script ------------------
#
# A long job a script runs in the background (QEMU, make) must stop when
# the script stops: on Ctrl-C, on kill, on any exit. A background job of a
# non-interactive bash ignores SIGINT, so a Ctrl-C never reaches it, and an
# EXIT trap that only removes files leaves it running. lab_spawn starts a
# job in a process group of its own, so that one signal reaches all of it
# (sub-makes, compilers, a pipeline) and nothing else, and records it;
# lab_trap_jobs makes INT, TERM, HUP and EXIT stop every recorded job.

LAB_JOBS=()
LAB_AT_EXIT=()

# lab_spawn CMD...: run CMD (a command or a function) in the background,
# in its own process group, whose ID (CMD's PID) goes to LAB_JOB.
lab_spawn() {
	set -m
	"$@" &
	LAB_JOB=$!
	set +m
	LAB_JOBS+=("$LAB_JOB")
}

# lab_wait PID: wait for a job of lab_spawn and forget it (its group ID
# may be reused once it is gone); returns the job's exit status.
lab_wait() {
	local rc=0 j kept=()
	wait "$1" || rc=$?
	for j in "${LAB_JOBS[@]}"; do
		[ "$j" = "$1" ] || kept+=("$j")
	done
	LAB_JOBS=(${kept[@]+"${kept[@]}"})
	return "$rc"
}

# lab_group_running PGID: whether a process of the group still runs (one
# that died and waits for its parent to reap it, a zombie, does not).
lab_group_running() {
	local f stat fields
	for f in /proc/[0-9]*/stat; do
		read -r stat 2>/dev/null < "$f" || continue
		# After "pid (comm) ": state ppid pgrp ...
		read -r -a fields <<< "${stat##*) }"
		[ "${fields[2]}" = "$1" ] && [ "${fields[0]}" != Z ] && return 0
	done
	return 1
}

# lab_stop_jobs: TERM every recorded job's process group, KILL what is left
# of them after 10 s (make removes its half-written targets on TERM), and
# reap them.
lab_stop_jobs() {
	local pgid running
	[ ${#LAB_JOBS[@]} -gt 0 ] || return 0
	for pgid in "${LAB_JOBS[@]}"; do
		kill -TERM -- "-$pgid" 2>/dev/null || true
	done
	for _ in $(seq 100); do
		running=0
		for pgid in "${LAB_JOBS[@]}"; do
			lab_group_running "$pgid" && running=1 && break
		done
		[ "$running" = 0 ] && break
		sleep 0.1
	done
	for pgid in "${LAB_JOBS[@]}"; do
		kill -KILL -- "-$pgid" 2>/dev/null || true
		wait "$pgid" 2>/dev/null || true
	done
	LAB_JOBS=()
}

# lab_at_exit CMD...: run CMD when the script exits, after its jobs are
# stopped (e.g. remove the directory they were writing to).
lab_at_exit() { LAB_AT_EXIT+=("$(printf '%q ' "$@")"); }

lab_exit_handler() {
	local cmd
	# A second Ctrl-C must not cut the clean-up short
	trap '' INT TERM HUP
	lab_stop_jobs
	for cmd in ${LAB_AT_EXIT[@]+"${LAB_AT_EXIT[@]}"}; do
		eval "$cmd" || true
	done
}

lab_signal_handler() {
	lab_say "interrupted (SIG$1): stopping what $(basename "$0") started"
	exit "$2"
}

# lab_trap_jobs: on exit stop the jobs and run the lab_at_exit commands;
# on SIGINT, SIGTERM or SIGHUP exit with 130, 143 or 129 after doing so.
lab_trap_jobs() {
	trap lab_exit_handler EXIT
	trap 'lab_signal_handler INT 130' INT
	trap 'lab_signal_handler TERM 143' TERM
	trap 'lab_signal_handler HUP 129' HUP
}

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
