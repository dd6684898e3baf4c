// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Structs the caller allocates begin with their size (since 2.3), so that
 * the library can grow them without a new soname. The rules follow the
 * kernel's copy_struct_from_user(): an older caller's shorter struct is
 * read as if its missing fields were zero, a newer caller's longer one is
 * accepted only when the fields this library does not know are zero.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static size_t size_of(const void *s)
{
	size_t size;

	memcpy(&size, s, sizeof(size));
	return size;
}

/* No struct will ever be this large: a size beyond is garbage, unset */
#define SIZED_MAX 65536

static int bad_size(size_t size, size_t min, const char *name)
{
	if (size < min)
		return nioi_fail(EINVAL,
				 "struct %s has size %zu, less than the %zu bytes of its first version: set .size = sizeof(struct %s) (NIO_SIZED_INIT)",
				 name, size, min, name);
	if (size > SIZED_MAX)
		return nioi_fail(E2BIG,
				 "struct %s has size %zu, which no version has: set .size = sizeof(struct %s) (NIO_SIZED_INIT)",
				 name, size, name);
	return 0;
}

int nioi_sized_in(void *known, size_t known_size, const void *s, size_t min,
		  const char *name)
{
	const unsigned char *bytes = s;
	size_t size = size_of(s), i;
	int ret = bad_size(size, min, name);

	if (ret)
		return ret;
	for (i = known_size; i < size; i++)
		if (bytes[i])
			return nioi_fail(E2BIG,
					 "struct %s sets a field at byte %zu that libnoiommu %s does not know (it knows %zu bytes): the program was built for a newer library",
					 name, i, NIO_VERSION, known_size);
	memset(known, 0, known_size);
	memcpy(known, s, size < known_size ? size : known_size);
	return 0;
}

int nioi_sized_out_check(const void *s, size_t min, const char *name)
{
	return bad_size(size_of(s), min, name);
}

void nioi_sized_out_copy(void *s, const void *full, size_t known)
{
	size_t size = size_of(s), n = size < known ? size : known;

	memcpy(s, full, n);
	memset((unsigned char *)s + n, 0, size - n);
	memcpy(s, &n, sizeof(n));
}
