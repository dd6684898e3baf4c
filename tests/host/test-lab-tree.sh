#!/usr/bin/env bash
# lab/tree and lab/export-patches against a small fake source tarball:
# pristine commit, series application, re-application when the series
# changes, loud failure naming a patch that does not apply, protection of
# unexported tree commits, and the export round trip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# As on a fresh machine: no git identity anywhere but where lab/tree sets
# one, and git may not guess one from the host name.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=user.useConfigOnly GIT_CONFIG_VALUE_0=true
export LAB_BUILD=$work/build LAB_TREE=$work/build/tree
export LAB_SERIES_DIR=$work/series LAB_TARBALL=$work/src.tar.xz
mkdir -p "$work/src/linux-source-6.12" "$LAB_SERIES_DIR"
printf 'hello\n' > "$work/src/linux-source-6.12/README"
printf 'int x;\n' > "$work/src/linux-source-6.12/a.c"
tar -C "$work/src" -cJf "$LAB_TARBALL" linux-source-6.12
: > "$LAB_SERIES_DIR/series"

tree() { "$root/lab/tree" > "$work/out" 2>&1; }
head_of() { git -C "$LAB_TREE" rev-parse HEAD; }
out_has() { grep -q -- "$1" "$work/out"; }

# A patch made the way the series is made: git format-patch.
make_patch() {
	local name=$1 file=$2 content=$3 scratch=$work/scratch
	rm -rf "$scratch"
	git clone -q "$LAB_TREE" "$scratch"
	git -C "$scratch" checkout -q pristine
	printf '%s\n' "$content" > "$scratch/$file"
	git -C "$scratch" add "$file"
	git -C "$scratch" -c user.name=T -c user.email=t@example.com \
		commit -q -m "test: $name" -m "Signed-off-by: T <t@example.com>"
	git -C "$scratch" format-patch -q -1 --stdout > "$LAB_SERIES_DIR/$name.patch"
}

plan 14
check "empty series makes a pristine tree" tree
check "pristine is the only commit" test "$(head_of)" = "$(git -C "$LAB_TREE" rev-parse pristine)"
check "the source version is printed" out_has "kernel source: Debian linux-source-6.12"
check "the tree has an identity of its own" \
	test "$(git -C "$LAB_TREE" config --local user.email)" = lab@vfio-noiommu.invalid

make_patch 0001-good a.c 'int y;'
echo 0001-good.patch > "$LAB_SERIES_DIR/series"
check "a changed series is applied" tree
check "one commit per patch" test "$(git -C "$LAB_TREE" log --format=%s pristine..HEAD)" = "test: 0001-good"
before=$(head_of)
tree
check "an unchanged series is not re-applied" test "$(head_of)" = "$before"

printf 'garbage that is not a patch\n--- a/nope\n+++ b/nope\n@@ -1 +1 @@\n-x\n+y\n' > "$LAB_SERIES_DIR/0002-bad.patch"
echo 0002-bad.patch >> "$LAB_SERIES_DIR/series"
check "a patch that does not apply fails" bash -c '! "$0/lab/tree" > "$1" 2>&1' "$root" "$work/out"
check "the failing patch is named" out_has "patch 2 of the series does not apply: 0002-bad.patch"

echo 0001-good.patch > "$LAB_SERIES_DIR/series"
check "the fixed series applies again" tree

echo 'int z;' > "$LAB_TREE/b.c"
git -C "$LAB_TREE" add b.c && git -C "$LAB_TREE" commit -q -m "tree: new work" -m "Signed-off-by: T <t@example.com>"
echo "# comment" >> "$LAB_SERIES_DIR/series"
check "unexported tree commits block re-application" bash -c '! "$0/lab/tree" > "$1" 2>&1' "$root" "$work/out"
sed -i '/# comment/d' "$LAB_SERIES_DIR/series"

"$root/lab/export-patches" > "$work/out" 2>&1
check "export writes one patch per commit" test "$(wc -l < "$LAB_SERIES_DIR/series")" = 2
head_before=$(head_of)
tree
check "the exported series matches the tree (no re-apply)" test "$(head_of)" = "$head_before"
LAB_FORCE=1 "$root/lab/tree" >/dev/null 2>&1
rm -rf "$LAB_TREE"
tree
check "the exported series rebuilds the same change" test "$(git -C "$LAB_TREE" show HEAD:b.c)" = "int z;"
done_testing
