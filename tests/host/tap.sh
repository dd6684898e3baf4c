# Minimal TAP for host tests written in bash. Source it, call plan N, then
# check "description" command... ; finish with done_testing.
# shellcheck shell=bash
TAP_N=0
TAP_FAILED=0
plan() { echo "TAP version 13"; echo "1..$1"; }
# check DESCRIPTION CMD...: passes when CMD exits 0.
check() {
	local desc=$1
	shift
	TAP_N=$((TAP_N + 1))
	if "$@"; then
		echo "ok $TAP_N $desc"
	else
		echo "not ok $TAP_N $desc"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}
done_testing() { [ "$TAP_FAILED" -eq 0 ]; }
# need_kernel_tree ROOT: prepare the lab's kernel tree (lab/tree), or
# report one failed test that says it could not and exit.
need_kernel_tree() {
	"$1/lab/tree" >/dev/null 2>&1 && return 0
	plan 1
	check "kernel tree prepares" false
	exit 1
}
