#!/usr/bin/env bash
# The library's section-3 pages: generated from the headers' kernel-doc
# (lib/gen-man), committed, complete and clean for man(1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/lab/lib.sh"
. "$here/tap.sh"

need_kernel_tree "$root"
plan 3
check "lib/man/man3 is what lib/gen-man makes of the headers" \
	"$root/lib/gen-man" --check

# Every function the library exports has a page
exported() { sed -n 's/^\t\t\(nio_[a-z0-9_]*\);$/\1/p' "$root/lib/libnoiommu.map" | sort; }
missing=$(comm -23 <(exported) <(ls "$root/lib/man/man3" | sed 's/\.3$//' | sort))
[ -z "$missing" ] || printf '# no page: %s\n' $missing
check "every exported function has a page" test -z "$missing"

# What lintian runs on pages: man with warnings on; any output is a defect
warnings() {
	local f
	for f in "$root"/lib/man/man3/*.3; do
		LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 \
			man --warnings -E UTF-8 -l -Tutf8 -Z "$f" 2>&1 >/dev/null
	done
}
out=$(warnings)
[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/# /' | head -20
check "man reports no warning on any page" test -z "$out"
done_testing
