#!/usr/bin/env bash
# Host unit tests of libnoiommu and the CLI (ASan + UBSan builds), and the
# library's fallback UAPI declarations checked against the series' headers.
# lab-suites: own
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
. "$root/lab/lib.sh"
"$root/lab/tree" >&2 || exit 1
out=$LAB_BUILD/host/unit
make -s -C "$root/tests/host/unit" KSFT="$LAB_TREE/tools/testing/selftests" \
	OUT="$out" >&2 || { echo "not ok 1 host unit tests build"; exit 1; }
make -s -C "$root/tools" OUT="$LAB_BUILD/host/tools" >&2 || exit 1
export NOIOMMU_CLI=$LAB_BUILD/host/tools/noiommu
rc=0
for t in $(make -s -C "$root/tests/host/unit" list-tests); do
	echo "@@SUITE $t@@"
	"$out/$t"
	s=$?
	echo "@@SUITE-EXIT $t $s@@"
	[ $s -eq 0 ] || rc=1
done

# The fallback declarations in lib/src/uapi.h against the series' headers
echo "@@SUITE uapi_compat@@"
echo "1..1"
hdr=$LAB_BUILD/host/headers
make -s -C "$LAB_TREE" O="$hdr" headers_install >/dev/null 2>&1
src=$root/tests/host/unit/uapi_layout.c
if gcc -std=gnu11 -Wall -Werror -isystem "$hdr/usr/include" -I"$root/lib/src" \
	-o "$out/uapi_series" "$src" &&
	gcc -std=gnu11 -Wall -Werror -DNIO_FORCE_COMPAT_UAPI -I"$root/lib/src" \
	-o "$out/uapi_compat" "$src" &&
	diff <("$out/uapi_series") <("$out/uapi_compat") | sed 's/^/# /' &&
	[ "$("$out/uapi_series" | wc -l)" -gt 30 ]; then
	echo "ok 1 uapi.compat_declarations_match_the_series_headers"
else
	echo "not ok 1 uapi.compat_declarations_match_the_series_headers"
	rc=1
fi
echo "@@SUITE-EXIT uapi_compat $rc@@"
exit $rc
