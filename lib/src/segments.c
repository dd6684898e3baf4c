// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Segment lists: a DMA buffer described as the runs of bytes that are
 * contiguous for the device, built from GET_PA answers or pagemap entries,
 * and looked up by offset without a system call.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

#define PAGEMAP_PRESENT (1ULL << 63)
#define PAGEMAP_PFN_MASK ((1ULL << 55) - 1)

int nioi_segs_add(struct nioi_segs *s, size_t offset, uint64_t addr,
		  uint64_t len)
{
	struct nio_segment *last = s->n ? &s->v[s->n - 1] : NULL;

	if (last && last->offset + last->len == offset &&
	    last->addr + last->len == addr) {
		last->len += len;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct nio_segment *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct nio_segment){ offset, addr, len };
	return 0;
}

void nioi_segs_free(struct nioi_segs *s)
{
	free(s->v);
	*s = (struct nioi_segs){ 0 };
}

int nioi_segs_from_runs(struct nioi_segs *s, size_t size, nioi_run_query q,
			void *arg)
{
	size_t off = 0;

	while (off < size) {
		uint64_t addr, len;
		int ret = q(arg, off, size - off, &addr, &len);

		if (ret)
			return ret;
		/* A run longer than asked for, or empty, is a kernel bug:
		 * refuse it rather than loop or overrun. */
		if (len == 0 || len > size - off)
			return nioi_fail(EIO,
					 "address query returned a run of %llu bytes at offset %zu of %zu",
					 (unsigned long long)len, off, size);
		ret = nioi_segs_add(s, off, addr, len);
		if (ret)
			return nioi_fail(-ret, "out of memory building the segment list");
		off += len;
	}
	return 0;
}

int nioi_segs_from_pagemap(struct nioi_segs *s, const uint64_t *entries,
			   size_t npages)
{
	size_t i;

	for (i = 0; i < npages; i++) {
		uint64_t pfn = entries[i] & PAGEMAP_PFN_MASK;
		int ret;

		if (!(entries[i] & PAGEMAP_PRESENT))
			return nioi_fail(EFAULT,
					 "page %zu of the buffer is not present in memory", i);
		if (!pfn)
			return nioi_fail(EPERM,
					 "/proc/self/pagemap hides physical addresses: the legacy path needs CAP_SYS_ADMIN (run as root)");
		ret = nioi_segs_add(s, i * NIO_PAGE_4K, pfn * NIO_PAGE_4K,
				    NIO_PAGE_4K);
		if (ret)
			return nioi_fail(-ret, "out of memory building the segment list");
	}
	return 0;
}

uint64_t nioi_segs_lookup(const struct nio_segment *v, size_t n,
			  size_t offset, size_t *contig)
{
	const struct nio_segment *s = v;

	if (!n)
		return NIO_BAD_ADDR;
	/*
	 * The last segment starting at or before offset. Offsets come at
	 * random in a driver's I/O, so each step halves the range with a
	 * conditional move rather than a branch it would mispredict.
	 */
	while (n > 1) {
		size_t half = n / 2;

		s = s[half].offset <= offset ? s + half : s;
		n -= half;
	}
	if (offset < s->offset || offset - s->offset >= s->len)
		return NIO_BAD_ADDR;
	if (contig)
		*contig = s->len - (offset - s->offset);
	return s->addr + (offset - s->offset);
}
