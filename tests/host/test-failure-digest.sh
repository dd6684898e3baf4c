#!/usr/bin/env bash
# tests/failure-digest on a guest log that hung: the digest is all a CI
# page may show, so it must name the blocked task and its kernel stack and
# the newest kernel warnings, even when a suite that injects faults on
# purpose logged many warnings before the hang.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The guest sends its hang report through the kernel log, so each line
# carries the kernel's timestamp on the console
write_hang_report() {
	echo "@@LAB-HANG-REPORT: the command has run 1680 s@@"
	echo "lab-hang: pid 1 tid 1 (init) S (sleeping), syscall: 61"
	echo "lab-hang: pid 90 tid 90 (sh) S (sleeping), syscall: 61"
	echo "lab-hang: pid 97 tid 97 (malformed_input) D (disk sleep), syscall: 16 0x3 0x3b76"
	echo "lab-hang:   task stack: [<0>] vfio_df_unbind_iommufd+0x4a/0x90"
	echo "lab-hang:   task stack: [<0>] vfio_device_fops_release+0x60/0x90"
	local i
	for i in $(seq 100); do
		echo "lab-hang: kernel: [   4$i.0] ACPI Error: injected failure $i"
	done
	echo "lab-hang: kernel: [ 1500.0] INFO: task malformed_input:97 blocked for more than 120 seconds."
}
write_hung_log() {
	echo "ok 163 malformed.bind_second_open.result"
	echo "not ok 164 malformed.bind_without_cap_sys_rawio.result"
	write_hang_report | sed 's/^/[ 1745.123456] /'
	echo "lab-hang: CPU 0: RIP ffffffff81d3b013 default_idle+0x13"
	echo "lab-hang:   stack: arch_cpu_idle+0x9"
	echo "lab: error: timed out after 1800s"
}
write_hung_log > "$work/guest-hung.log"
echo "FAIL case3-debug/malformed.bind_without_cap_sys_rawio.result" > "$work/results"

"$root/tests/failure-digest" "$work/results" "$work/guest-hung.log" \
	> "$work/digest" 2>&1
digest_has() { grep -qF -- "$1" "$work/digest" || { sed 's/^/# /' "$work/digest"; return 1; }; }
digest_lacks() { ! grep -qF -- "$1" "$work/digest"; }

plan 7
check "names the first failure" digest_has "not ok 164 malformed.bind_without_cap_sys_rawio"
check "names the blocked task" digest_has "(malformed_input) D (disk sleep)"
check "gives the blocked task's kernel stack" digest_has "task stack: [<0>] vfio_df_unbind_iommufd"
check "gives the newest kernel warning" digest_has "blocked for more than 120 seconds"
check "leaves out warnings older than the last eight" digest_lacks "injected failure 50"
check "leaves out the shell and init" digest_lacks "(sh) S"
check "leaves out the vCPUs' stacks (lab/hang-dump's)" digest_lacks "arch_cpu_idle"
done_testing
