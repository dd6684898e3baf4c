#!/usr/bin/env bash
# Every patch of the kernel series: checkpatch --strict clean, a kernel-style
# subject (subsystem prefix) and a Signed-off-by.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/lab/lib.sh"
. "$here/tap.sh"

"$root/lab/tree" >/dev/null 2>&1 || { plan 1; check "kernel tree prepares" false; exit 1; }
mapfile -t patches < <(series_patches)
plan $((3 * ${#patches[@]}))
for p in "${patches[@]}"; do
	file=$LAB_SERIES_DIR/$p
	# checkpatch runs spdxcheck.py with python3: use Debian's, which has
	# python3-ply and python3-git (lab/setup), not whatever is first on PATH.
	out=$(PATH=/usr/bin:/bin:$PATH perl "$LAB_TREE/scripts/checkpatch.pl" --strict --terse --no-summary \
		--root="$LAB_TREE" "$file" 2>&1)
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /'
	check "$p: checkpatch --strict clean" test -z "$out"
	check "$p: subject has a subsystem prefix" \
		grep -qE '^Subject: \[PATCH[^]]*\] [a-z0-9_/.-]+(: [a-zA-Z0-9_/.-]+)*: [A-Z]' "$file"
	check "$p: Signed-off-by" grep -q '^Signed-off-by: .* <.*@.*>' "$file"
done
done_testing
