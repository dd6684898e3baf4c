#!/usr/bin/env bash
# Every patch of the kernel series: checkpatch --strict clean, a kernel-style
# subject (subsystem prefix) and a Signed-off-by.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/lab/lib.sh"
. "$here/tap.sh"

need_kernel_tree "$root"
mapfile -t patches < <(series_patches)

# Two checkpatch findings depend on the tree, not the patch, and are
# checked here instead:
# - UNKNOWN_COMMIT_ID: the tree is a release tarball without upstream
#   history, so no Fixes: commit can be found in it. Each Fixes: tag must
#   name a commit listed below, checked against upstream by hand.
# - FILE_PATH_CHANGES asks whether a new file needs a MAINTAINERS entry.
#   The series adds none on purpose: every new file must fall under an
#   existing subsystem entry (get_maintainer.pl names its maintainer).
known_fixes=(
	'99f98a7c0d69 ("iommufd: IOMMUFD_DESTROY should not increase the refcount")'
)
fixes_are_known() {
	local tag known ok
	while read -r tag; do
		ok=1
		for known in "${known_fixes[@]}"; do
			[ "$tag" = "Fixes: $known" ] && ok=0
		done
		[ "$ok" = 0 ] || { echo "# unknown $tag"; return 1; }
	done < <(grep '^Fixes: ' "$1")
}
new_files_have_maintainers() {
	local f
	while read -r f; do
		(cd "$LAB_TREE" && PATH=/usr/bin:/bin:$PATH perl scripts/get_maintainer.pl \
			--no-git --no-git-fallback -f "$f" 2>/dev/null) |
			grep -q '(maintainer:' ||
			{ echo "# no MAINTAINERS entry covers $f"; return 1; }
	done < <(awk '/^--- \/dev\/null$/ { added = 1; next }
		added && /^\+\+\+ b\// { print substr($0, 7) } { added = 0 }' "$1")
}

plan $((5 * ${#patches[@]}))
for p in "${patches[@]}"; do
	file=$LAB_SERIES_DIR/$p
	# checkpatch runs spdxcheck.py with python3: use Debian's, which has
	# python3-ply and python3-git (lab/setup), not whatever is first on PATH.
	out=$(PATH=/usr/bin:/bin:$PATH perl "$LAB_TREE/scripts/checkpatch.pl" --strict --terse --no-summary \
		--ignore UNKNOWN_COMMIT_ID,FILE_PATH_CHANGES \
		--root="$LAB_TREE" "$file" 2>&1)
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /'
	check "$p: checkpatch --strict clean" test -z "$out"
	check "$p: every Fixes: tag names a known upstream commit" fixes_are_known "$file"
	check "$p: every new file has a maintainer in MAINTAINERS" \
		new_files_have_maintainers "$file"
	check "$p: subject has a subsystem prefix" \
		grep -qE '^Subject: \[PATCH[^]]*\] [a-z0-9_/.-]+(: [a-zA-Z0-9_/.-]+)*: [A-Z]' "$file"
	check "$p: Signed-off-by" grep -q '^Signed-off-by: .* <.*@.*>' "$file"
done
done_testing
