#!/usr/bin/env bash
# lab/setup: cheap when everything is installed; without root and with a
# package missing it prints the exact install line and fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
out=$(mktemp)
trap 'rm -f "$out"' EXIT

plan 4
check "installed packages: succeeds" "$root/lab/setup"
start=$(date +%s%N)
"$root/lab/setup"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# lab/setup with everything present took ${elapsed_ms} ms"
check "installed packages: prints nothing" test -z "$("$root/lab/setup" 2>&1)"
as_nobody() {
	LAB_PACKAGES="bash lab-no-such-package" setpriv --reuid=65534 \
		--regid=65534 --clear-groups "$root/lab/setup" > "$out" 2>&1
}
as_nobody
rc=$?
check "missing package as non-root fails" test "$rc" -ne 0
check "and prints the exact apt-get line" grep -q "run: apt-get update && apt-get install -y --no-install-recommends lab-no-such-package" "$out"
done_testing
