#!/usr/bin/env bash
# make install PREFIX=... installs a library a program can build against
# with pkg-config, linked shared and static, and the CLI with its man page.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$here/tap.sh"

prefix=$(mktemp -d /tmp/nio-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
plan 7
check "make install PREFIX=$prefix" \
	make -s -C "$root" install PREFIX="$prefix"
for f in include/noiommu.h include/noiommu/mmio.h lib/libnoiommu.a \
	lib/libnoiommu.so.2 lib/pkgconfig/noiommu.pc bin/noiommu \
	share/man/man1/noiommu.1; do
	[ -e "$prefix/$f" ] || echo "# missing $prefix/$f"
done
check "installed files present" test -e "$prefix/lib/libnoiommu.so.2" -a \
	-e "$prefix/bin/noiommu" -a -e "$prefix/share/man/man1/noiommu.1" -a \
	-e "$prefix/include/noiommu.h" -a -e "$prefix/include/noiommu/mmio.h"

cat > "$prefix/user.c" <<'C'
#include <noiommu.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
	char bdf[NIO_BDF_LEN];
	uint32_t reg[2] = { 0, 0 };

	if (nio_bdf_normalize("3:0.1", bdf) || strcmp(bdf, "0000:03:00.1"))
		return 1;
	/* noiommu/mmio.h came along, and its inline functions compile */
	nio_mmio_write32(reg, 4, 0x11e8);
	if (nio_mmio_read32(reg, 4) != 0x11e8 || reg[1] != 0x11e8)
		return 1;
	printf("%s %s\n", nio_path_name(NIO_PATH_NOIOMMU_CDEV), bdf);
	return 0;
}
C
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
shared() {
	gcc -std=c11 -Wall -Werror -o "$prefix/user-shared" "$prefix/user.c" \
		$(pkg-config --cflags --libs noiommu) &&
		LD_LIBRARY_PATH=$prefix/lib "$prefix/user-shared" | grep -qx 'noiommu-cdev 0000:03:00.1'
}
static_link() {
	gcc -std=c11 -Wall -Werror -o "$prefix/user-static" "$prefix/user.c" \
		$(pkg-config --static --cflags --libs noiommu) -static &&
		"$prefix/user-static" | grep -qx 'noiommu-cdev 0000:03:00.1'
}
only_api_exported() {
	local bad
	bad=$(nm -D --defined-only "$prefix/lib/libnoiommu.so.2" | awk '{print $3}' |
		grep -v '^nio_' | grep -v '^LIBNOIOMMU_')
	[ -z "$bad" ] || echo "# exported: $bad"
	[ -z "$bad" ]
}
check "a program builds with pkg-config and runs against the shared library" shared
check "a program links the static library (pkg-config --static)" static_link
check "the shared library exports the nio_ API only" only_api_exported
check "the installed CLI runs" "$prefix/bin/noiommu" --version
# Each focused header stands alone, in C11 and in C++
headers_stand_alone() {
	local h rel ok=0
	for h in "$prefix"/include/noiommu.h "$prefix"/include/noiommu/*.h; do
		rel=${h#"$prefix"/include/}
		echo "#include <$rel>" | gcc -std=c11 -Wall -Wextra -Werror -fsyntax-only \
			-x c -I"$prefix/include" - || { echo "# $rel: not C11 on its own"; ok=1; }
		echo "#include <$rel>" | g++ -Wall -Wextra -Werror -fsyntax-only \
			-x c++ -I"$prefix/include" - || { echo "# $rel: not C++ on its own"; ok=1; }
	done
	return $ok
}
check "every installed header compiles on its own, as C11 and as C++" headers_stand_alone
done_testing
