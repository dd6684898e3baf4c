#!/usr/bin/env bash
# Tables in docs/ that a program generates must be that program's current
# output: docs/malformed-input.md ends with MALFORMED_TABLE as
# tests/guest/malformed_input prints it (MALFORMED_INPUT_MARKDOWN=1).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/lab/lib.sh"
. "$here/tap.sh"

need_kernel_tree "$root"
out=$LAB_BUILD/host/docs-tables
hdr=$LAB_BUILD/host/headers
mkdir -p "$out"
make -s -C "$LAB_TREE" O="$hdr" headers_install >/dev/null 2>&1

doc=$root/docs/malformed-input.md
table_in_doc() { sed -n '/^| # | row | ioctl |/,$p' "$doc"; }

plan 2
check "malformed_input builds on the host" \
	gcc -std=gnu11 -O0 -isystem "$hdr/usr/include" \
	-I"$LAB_TREE/tools/testing/selftests" -I"$root/lab/guest" \
	-o "$out/malformed_input" "$root/tests/guest/malformed_input.c" \
	"$root/lab/guest/lab_guest.c" -pthread
generated() { MALFORMED_INPUT_MARKDOWN=1 "$out/malformed_input"; }
table_matches() {
	diff <(table_in_doc) <(generated) > "$out/diff" && return 0
	sed 's/^/# /' "$out/diff" | head -20
	echo "# regenerate: see 'Keeping this file and the code in step' in $doc"
	return 1
}
check "docs/malformed-input.md has MALFORMED_TABLE as the binary prints it" \
	table_matches
done_testing
