#!/usr/bin/env bash
# The lab scripts' command lines: every option that takes a value says so
# when the value is missing (usage, exit status 2), instead of bash's
# "unbound variable". Nothing is built or booted.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LAB_BUILD=$work/build

# usage_error_names SCRIPT OPTION USAGE: SCRIPT OPTION, without the value,
# exits 2 with its usage (a line of it: USAGE) and "OPTION needs a value".
usage_error_names() {
	local script=$1 opt=$2 usage=$3 rc=0
	"$root/$script" "$opt" > "$work/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] || { echo "# $script $opt: exit status $rc"; sed 's/^/# /' "$work/out"; return 1; }
	grep -qF -- "lab: error: $opt needs a value" "$work/out" &&
		grep -qF -- "$usage" "$work/out" &&
		! grep -q 'unbound variable' "$work/out" ||
		{ sed 's/^/# /' "$work/out"; return 1; }
}

run_options=(--case --debian --version --noiommu --add --qemu-arg --mem
	--hugepages --edu --smp --timeout --log)
others=("lab/kernel --case" "lab/check-series --cases"
	"lab/debian-root --flavour" "lab/debian-root --version"
	"lab/debian-root --debs" "lab/check-fresh --drop-package")

plan $((${#run_options[@]} + ${#others[@]} + 1))
for opt in "${run_options[@]}"; do
	check "lab/run $opt without a value: usage, exit 2" \
		usage_error_names lab/run "$opt" "lab/run [options] -- CMD [ARGS...]"
done
for o in "${others[@]}"; do
	read -r script opt <<< "$o"
	check "$script $opt without a value: usage, exit 2" \
		usage_error_names "$script" "$opt" "$script"
done
lab_run_unknown() {
	local rc=0
	"$root/lab/run" --bogus > "$work/out" 2>&1 || rc=$?
	[ "$rc" = 2 ] && grep -q 'unknown argument --bogus' "$work/out"
}
check "lab/run with an unknown option: usage, exit 2" lab_run_unknown
done_testing
