#!/usr/bin/env bash
# lab/run and lab/kernel stop everything they started when they are
# interrupted, and the lab scripts' command lines say what is wrong.
#
# No kernel is built or booted: a stub qemu-system-x86_64 and a stub make
# come first on PATH (each records its PID and a child's, then waits), a
# fake kernel build directory is enough for lab/run (LAB_REUSE_INITRAMFS=1
# keeps lab/initramfs from building the real one) and a small fake source
# tarball for lab/kernel's lab/tree. Each script is started as a job of
# its own, as from an interactive shell (a background job of this script
# would ignore SIGINT), then sent SIGINT as a Ctrl-C does (to its process
# group) or SIGTERM as kill does (to it alone): it must exit 130 or
# 143 within seconds, the stub and its child must be gone, and so must
# every process that inherited the run's marker in its environment; lab/run
# must leave neither its run directory nor its monitor socket's directory.
# A stub guest that reports its status and powers off checks that the
# normal path still gives the command's status and a complete log.
#
# Every option that takes a value, of the lab scripts and of tests/run,
# benchmarks/run and packaging/make-debs (which use lab/lib.sh), given
# without it must print the usage and "OPTION needs a value" and exit 2,
# instead of bash's "unbound variable".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"

work=$(mktemp -d)
export LAB_BUILD=$work/build LAB_TREE=$work/build/tree
export LAB_SERIES_DIR=$work/series LAB_TARBALL=$work/src.tar.xz
# lab/setup: only what is surely installed
export LAB_PACKAGES=bash LAB_REUSE_INITRAMFS=1
export STUB_DIR=$work
mark=lab-signals-$$-$RANDOM
bin=$work/bin
mkdir -p "$bin" "$LAB_SERIES_DIR"
: > "$LAB_SERIES_DIR/series"

# ---- stubs ----

# A guest that runs until it is killed, or with STUB_GUEST=exit one that
# reports status 7 and powers off.
cat > "$bin/qemu-system-x86_64" <<'EOF'
#!/bin/sh
printf '%s\n' "$@" > "$STUB_DIR/qemu.args"
echo "stub QEMU: booting"
if [ "${STUB_GUEST:-}" = exit ]; then
	echo "@@LAB-EXIT-STATUS=7@@"
	exit 0
fi
sleep 600 &
echo $! > "$STUB_DIR/qemu-child.pid"
echo $$ > "$STUB_DIR/qemu.pid"
wait
EOF
# A kernel build that never ends (a child stands for the compilers)
cat > "$bin/make" <<'EOF'
#!/bin/sh
sleep 600 &
echo $! > "$STUB_DIR/make-child.pid"
echo $$ > "$STUB_DIR/make.pid"
wait
EOF
printf '#!/bin/sh\nexec "$@"\n' > "$bin/ccache"
chmod +x "$bin"/*

# lab/run --no-build: a built kernel with its initramfs, and what
# lab/run's overlay and disk need
kout=$LAB_BUILD/kernel/case3
mkdir -p "$kout/arch/x86/boot" "$kout/lab"
: > "$kout/arch/x86/boot/bzImage"
: > "$kout/lab/initramfs.cpio"
: > "$LAB_BUILD/nvme.img"
printf '#!/bin/sh\nexit 0\n' > "$LAB_BUILD/gen_init_cpio"
chmod +x "$LAB_BUILD/gen_init_cpio"

# lab/kernel: a source tree with the fragments it merges and a
# merge_config.sh that writes an empty .config
src=$work/src/linux-source-6.12
mkdir -p "$src/kernel/configs" "$src/scripts/kconfig"
: > "$src/kernel/configs/tiny-base.config"
: > "$src/kernel/configs/tiny.config"
cat > "$src/scripts/kconfig/merge_config.sh" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
	case $1 in -O) out=$2; shift 2 ;; *) shift ;; esac
done
: > "$out/.config"
EOF
chmod +x "$src/scripts/kconfig/merge_config.sh"
tar -C "$work/src" -cJf "$LAB_TARBALL" linux-source-6.12

# ---- helpers ----

# running PID: the process exists and is not a zombie
running() {
	local stat
	read -r stat 2>/dev/null < "/proc/$1/stat" || return 1
	stat=${stat##*) }
	[ "${stat%% *}" != Z ]
}

# Processes (not zombies) that inherited this run's marker
marked() {
	local f pid
	for f in /proc/[0-9]*/environ; do
		pid=${f#/proc/}
		pid=${pid%/environ}
		grep -qz "^LAB_SIGNALS_MARK=$mark\$" "$f" 2>/dev/null &&
			running "$pid" && echo "$pid"
	done
}

# The names of the marked processes, counted: "2 bash 1 sed ..."
describe_marked() {
	local pid
	for pid in $(marked); do
		cat "/proc/$pid/comm" 2>/dev/null
	done | sort | uniq -c | xargs
}

# What a failed check left running, so that the next starts clean
kill_leftovers() {
	local pid
	for pid in $(marked); do
		kill -KILL "$pid" 2>/dev/null
	done
}
trap 'kill_leftovers; rm -rf "$work"' EXIT

# wait_for FILE: up to 60 s
wait_for() {
	for _ in $(seq 600); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# start SCRIPT ARGS...: as a job of its own; its PID in $job
start() {
	kill_leftovers
	rm -f "$work"/*.pid "$work/qemu.args"
	set -m
	LAB_SIGNALS_MARK=$mark PATH="$bin:$PATH" "$root/$1" "${@:2}" \
		> "$work/out" 2>&1 &
	job=$!
	set +m
}

# finish: wait up to 30 s for $job to end (then kill it); its exit status
# in $rc
finish() {
	for _ in $(seq 300); do
		kill -0 "$job" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$job" 2>/dev/null && { echo "# $job does not end: killed"; kill -KILL -- "-$job"; }
	rc=0
	wait "$job" || rc=$?
}

# interrupt SIGNAL: SIGINT as a Ctrl-C sends it, to the job's process
# group (the script and what it runs in the foreground); any other signal
# as kill sends it, to the script alone. $rc the exit status, $took the
# seconds it took.
interrupt() {
	local t0=$SECONDS
	echo "# running before SIG$1: $(describe_marked)"
	if [ "$1" = INT ]; then
		kill -INT -- "-$job"
	else
		kill -"$1" "$job"
	fi
	finish
	took=$((SECONDS - t0))
}

# never_started WHAT: a stub never ran; say so and stop the script
never_started() {
	echo "# $1 never started"
	interrupt TERM
	show_out
	return 1
}

show_out() { sed 's/^/# /' "$work/out"; }

# The argument of QEMU's option $1 (from the stub's record)
qemu_arg() { grep -A1 -x -- "$1" "$work/qemu.args" | tail -n1; }

# ---- checks ----

# lab_run_interrupted SIGNAL STATUS: lab/run stops QEMU and cleans up
lab_run_interrupted() {
	local sig=$1 want=$2 run_dir mon_dir left
	start lab/run --no-build --timeout 300 -- true
	wait_for "$work/qemu.pid" || { never_started "the stub QEMU"; return 1; }
	interrupt "$sig"
	run_dir=$(dirname "$(qemu_arg -initrd)")
	mon_dir=$(qemu_arg -monitor)
	mon_dir=${mon_dir#unix:}
	mon_dir=$(dirname "${mon_dir%%,*}")
	left=$(marked)
	echo "# lab/run: SIG$sig, exit status $rc after ${took}s; run dir $run_dir, monitor $mon_dir"
	[ "$rc" = "$want" ] || { echo "# want exit status $want"; show_out; return 1; }
	[ "$took" -le 15 ] || { echo "# took too long"; return 1; }
	! running "$(cat "$work/qemu.pid")" || { echo "# the stub QEMU still runs"; return 1; }
	! running "$(cat "$work/qemu-child.pid")" || { echo "# QEMU's child still runs"; return 1; }
	[ -z "$left" ] || { echo "# still running: $(describe_marked)"; return 1; }
	[ -n "$run_dir" ] && [ ! -e "$run_dir" ] || { echo "# $run_dir is left"; return 1; }
	[ -n "$mon_dir" ] && [ ! -e "$mon_dir" ] || { echo "# $mon_dir is left"; return 1; }
	grep -q "interrupted (SIG$sig)" "$work/out" || { show_out; return 1; }
}

# lab_kernel_interrupted SIGNAL STATUS: lab/kernel stops make
lab_kernel_interrupted() {
	local sig=$1 want=$2 left
	LAB_PROGRESS=1 start lab/kernel --case 3
	wait_for "$work/make.pid" || { never_started "the stub make"; return 1; }
	interrupt "$sig"
	left=$(marked)
	echo "# lab/kernel: SIG$sig, exit status $rc after ${took}s"
	[ "$rc" = "$want" ] || { echo "# want exit status $want"; show_out; return 1; }
	[ "$took" -le 15 ] || { echo "# took too long"; return 1; }
	! running "$(cat "$work/make.pid")" || { echo "# the stub make still runs"; return 1; }
	! running "$(cat "$work/make-child.pid")" || { echo "# make's child still runs"; return 1; }
	[ -z "$left" ] || { echo "# still running: $(describe_marked)"; return 1; }
}

# A guest that reports status 7 and powers off: lab/run exits 7, the log
# has the whole console, nothing is left.
lab_run_normal_exit() {
	local log=$work/console.log run_dir
	STUB_GUEST="exit" start lab/run --no-build --timeout 60 --log "$log" -- true
	finish
	run_dir=$(dirname "$(qemu_arg -initrd)")
	echo "# lab/run with a guest that powers off: exit status $rc"
	[ "$rc" = 7 ] || { show_out; return 1; }
	grep -q '^stub QEMU: booting$' "$log" && grep -q '^@@LAB-EXIT-STATUS=7@@$' "$log" ||
		{ sed 's/^/# log: /' "$log"; return 1; }
	[ ! -e "$run_dir" ] && [ -z "$(marked)" ]
}

# usage_error_names SCRIPT OPTION USAGE: SCRIPT OPTION, without the value,
# exits 2 with its usage (a line of it: USAGE) and "OPTION needs a value".
usage_error_names() {
	local script=$1 opt=$2 usage=$3 rc=0
	"$root/$script" "$opt" > "$work/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "# $script $opt: exit status $rc"; show_out; return 1; }
	grep -qF -- "lab: error: $opt needs a value" "$work/out" &&
		grep -qF -- "$usage" "$work/out" &&
		! grep -q 'unbound variable' "$work/out" ||
		{ show_out; return 1; }
}

lab_run_unknown() {
	local rc=0
	"$root/lab/run" --bogus > "$work/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] && grep -q 'unknown argument --bogus' "$work/out"
}

run_options=(--case --debian --version --noiommu --add --qemu-arg --mem
	--hugepages --edu --smp --timeout --log)
others=("lab/kernel --case" "lab/check-series --cases"
	"lab/debian-root --flavour" "lab/debian-root --version"
	"lab/debian-root --debs" "lab/check-fresh --drop-package"
	"tests/run --cases" "benchmarks/run --out" "packaging/make-debs --version"
	"packaging/make-debs --kernel" "packaging/make-debs --out")

plan $((5 + ${#run_options[@]} + ${#others[@]} + 1))
check "lab/run, Ctrl-C: exits 130, QEMU and its console reader gone, no run directory" \
	lab_run_interrupted INT 130
check "lab/run, kill: exits 143, QEMU and its console reader gone, no run directory" \
	lab_run_interrupted TERM 143
check "lab/run, a guest that powers off: its status, the whole log, nothing left" \
	lab_run_normal_exit
check "lab/kernel, Ctrl-C: exits 130, make and the progress report gone" \
	lab_kernel_interrupted INT 130
check "lab/kernel, kill: exits 143, make and the progress report gone" \
	lab_kernel_interrupted TERM 143
for opt in "${run_options[@]}"; do
	check "lab/run $opt without a value: usage, exit 2" \
		usage_error_names lab/run "$opt" "lab/run [options] -- CMD [ARGS...]"
done
for o in "${others[@]}"; do
	read -r script opt <<< "$o"
	check "$script $opt without a value: usage, exit 2" \
		usage_error_names "$script" "$opt" "$script"
done
check "lab/run with an unknown option: usage, exit 2" lab_run_unknown
done_testing
