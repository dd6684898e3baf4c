#!/usr/bin/env bash
# noiommu kconfig-check on the configs Debian really ships for 6.12
# (amd64 and cloud-amd64, from the newest linux-config-6.12 in the archive,
# downloaded here, never committed): a stock Debian kernel has no no-IOMMU
# mode at all, and the verdict names everything path 1 lacks at once; with
# VFIO_NOIOMMU it would have the legacy path only; with what the
# vfio-noiommu-dkms modules add (packaging/dkms/Kbuild) it has path 1.
# Exit status (noiommu.1): 0 path 1, 1 no no-IOMMU mode, 4 legacy only.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"
. "$root/lab/lib.sh"

work=$LAB_BUILD/host/debian-configs
cli=$LAB_BUILD/host/tools/noiommu
mkdir -p "$work"
plan 9

fetch_configs() {
	local deb
	rm -rf "$work/x" "$work"/*.deb
	(cd "$work" && apt-get download -q linux-config-6.12 > "$work/download.log" 2>&1) ||
		{ sed 's/^/# /' "$work/download.log"; return 1; }
	deb=$(ls "$work"/linux-config-6.12_*.deb) &&
		echo "# $(basename "$deb")" &&
		dpkg-deb -x "$deb" "$work/x" &&
		for f in amd64 cloud-amd64; do
			xz -dc "$work/x/usr/src/linux-config-6.12/config.amd64_none_$f.xz" \
				> "$work/$f.config" || return 1
		done
}
check "Debian's linux-config-6.12 downloaded, amd64 and cloud-amd64 configs extracted" \
	fetch_configs
check "the CLI builds" make -s -C "$root/tools" OUT="$LAB_BUILD/host/tools" \
	NIO_OUT="$LAB_BUILD/host/lib"

# verdict CONFIG WANT_STATUS TEXT...: kconfig-check exits WANT_STATUS and
# says every TEXT
verdict() {
	local config=$1 want=$2 out rc t
	shift 2
	out=$("$cli" kconfig-check "$config" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	[ "$rc" = "$want" ] || { echo "# exit $rc, want $want"; return 1; }
	for t in "$@"; do
		grep -qF -- "$t" <<< "$out" || { echo "# missing: $t"; return 1; }
	done
}
for f in amd64 cloud-amd64; do
	check "$f stock: no no-IOMMU mode (exit 1), all four missing options named" \
		verdict "$work/$f.config" 1 "CONFIG_VFIO_NOIOMMU is off" \
		"also needs CONFIG_VFIO_NOIOMMU, CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV, CONFIG_IOMMUFD_NOIOMMU"
	{ echo "CONFIG_VFIO_NOIOMMU=y"; cat "$work/$f.config"; } > "$work/$f-noiommu.config"
	check "$f with VFIO_NOIOMMU only: the legacy path only (exit 4)" \
		verdict "$work/$f-noiommu.config" 4 "legacy group only" \
		"also needs CONFIG_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV, CONFIG_IOMMUFD_NOIOMMU"
	{
		sed -n 's/^export \(CONFIG_[A-Z_]*\) := \(.*\)$/\1=\2/p' "$root/packaging/dkms/Kbuild"
		cat "$work/$f.config"
	} > "$work/$f-dkms.config"
	check "$f with vfio-noiommu-dkms's options: path 1 (exit 0)" \
		verdict "$work/$f-dkms.config" 0 "(path 1)" "no-IOMMU mode: available"
done
check "--json says the same: usable false, noiommu_cdev false on the stock config" \
	bash -c '"$1" --json kconfig-check "$2" | grep -q "\"usable\": false.*" &&
		"$1" --json kconfig-check "$2" | grep -q "\"noiommu_cdev\": false"' _ "$cli" "$work/amd64.config"
done_testing
