/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libnoiommu: MMIO accessors and memory barriers for userspace drivers.
 * Included by noiommu.h; also usable on its own. Everything here is static
 * inline: nothing is exported from the library. C (gnu11, c11) and C++.
 *
 * A driver talks to two kinds of memory:
 *   - BARs, which VFIO maps uncached (x86-64: UC-, arm64: Device-nGnRnE);
 *   - DMA buffers: ordinary cacheable memory that the device reads and
 *     writes coherently (always on x86-64; on arm64 only behind an
 *     I/O-coherent interconnect: userspace cannot clean caches for a
 *     device that is not, so such devices are not supported).
 *
 * What each call guarantees, and what it costs:
 *
 * nio_mmio_write8/16/32/64(base, offset, value)
 *	Every load and store to memory before it is complete, as the device
 *	sees memory, before this write reaches the device. Ring a doorbell
 *	with it right after filling a descriptor, or after reading the
 *	completion whose slot the doorbell hands back to the device.
 *	x86-64: compiler barrier, mov (stores to UC memory are not reordered
 *	with earlier loads or stores). arm64: dmb osh, str. (Linux's writel()
 *	orders only earlier stores, with dmb oshst.)
 * nio_mmio_read8/16/32/64(base, offset)
 *	Complete before any later load or store to memory: read a register
 *	that says the device finished its DMA, then read the data. Earlier
 *	stores to memory are NOT ordered before it: nio_mb() between them.
 *	x86-64: mov, compiler barrier. arm64: ldr, dmb oshld.
 * nio_mmio_read*_relaxed(), nio_mmio_write*_relaxed()
 *	Ordered only with other accesses to the same BAR, which uncached
 *	mappings keep in program order, and not with memory: for setting up
 *	registers while no DMA is involved. x86-64: mov. arm64: ldr/str.
 * nio_dma_wmb()
 *	Stores to DMA memory before it are seen by the device before stores
 *	to DMA memory after it: write a descriptor's body, then the bit that
 *	hands it to a device that polls the ring. x86-64: compiler barrier.
 *	arm64: dmb oshst.
 * nio_dma_rmb()
 *	Loads from DMA memory before it complete before loads after it: read
 *	a completion's phase or valid bit, then its body and the data.
 *	x86-64: compiler barrier. arm64: dmb oshld.
 * nio_wmb(), nio_rmb(), nio_mb()
 *	All earlier stores (wmb), loads (rmb) or both (mb), to memory and to
 *	MMIO of any mapping type (write-combining too) and non-temporal
 *	stores, complete before all later ones; nio_mb() also orders earlier
 *	stores before later loads. x86-64: sfence, lfence, mfence. arm64:
 *	dsb st, dsb ld, dsb sy.
 *
 * Each access is one instruction of its width at base + offset, which must
 * be aligned to the width: nio_mmio_read64() is one 64-bit load (for a
 * device that wants two 32-bit halves, make two 32-bit calls). Values are
 * in CPU byte order; PCI registers are little-endian, as are x86-64 and
 * arm64 Linux.
 *
 * Other architectures get plain volatile accesses and
 * __atomic_thread_fence(__ATOMIC_SEQ_CST) for every barrier. That is what
 * the compiler offers, not a guarantee about device memory: it has not
 * been checked there.
 */
#ifndef NOIOMMU_MMIO_H
#define NOIOMMU_MMIO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#define NIO__PTR(type, p) (static_cast<type>(p))
#else
#define NIO__PTR(type, p) ((type)(p))
#endif

/* ---- barriers ------------------------------------------------------------ */

/* Keeps the compiler from moving memory accesses across it; no CPU fence. */
static inline void nio__compiler_barrier(void)
{
	__asm__ __volatile__("" ::: "memory");
}

#if defined(__x86_64__)

static inline void nio_mb(void)
{
	__asm__ __volatile__("mfence" ::: "memory");
}

static inline void nio_rmb(void)
{
	__asm__ __volatile__("lfence" ::: "memory");
}

static inline void nio_wmb(void)
{
	__asm__ __volatile__("sfence" ::: "memory");
}

/* x86-64 keeps stores in order and loads in order for write-back memory */
static inline void nio_dma_wmb(void)
{
	nio__compiler_barrier();
}

static inline void nio_dma_rmb(void)
{
	nio__compiler_barrier();
}

/* UC accesses are not reordered with earlier or later memory accesses */
static inline void nio__before_mmio_write(void)
{
	nio__compiler_barrier();
}

static inline void nio__after_mmio_read(void)
{
	nio__compiler_barrier();
}

#elif defined(__aarch64__)

static inline void nio_mb(void)
{
	__asm__ __volatile__("dsb sy" ::: "memory");
}

static inline void nio_rmb(void)
{
	__asm__ __volatile__("dsb ld" ::: "memory");
}

static inline void nio_wmb(void)
{
	__asm__ __volatile__("dsb st" ::: "memory");
}

/* The device is an observer in the outer shareable domain: osh, not ish */
static inline void nio_dma_wmb(void)
{
	__asm__ __volatile__("dmb oshst" ::: "memory");
}

static inline void nio_dma_rmb(void)
{
	__asm__ __volatile__("dmb oshld" ::: "memory");
}

static inline void nio__before_mmio_write(void)
{
	__asm__ __volatile__("dmb osh" ::: "memory");
}

static inline void nio__after_mmio_read(void)
{
	__asm__ __volatile__("dmb oshld" ::: "memory");
}

#else

static inline void nio__fence(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static inline void nio_mb(void) { nio__fence(); }
static inline void nio_rmb(void) { nio__fence(); }
static inline void nio_wmb(void) { nio__fence(); }
static inline void nio_dma_wmb(void) { nio__fence(); }
static inline void nio_dma_rmb(void) { nio__fence(); }
static inline void nio__before_mmio_write(void) { nio__fence(); }
static inline void nio__after_mmio_read(void) { nio__fence(); }

#endif

/* ---- single accesses ------------------------------------------------------ */

#if defined(__aarch64__)
/*
 * One load or store instruction with a plain register address: a
 * hypervisor that traps the access (e.g. KVM for an emulated BAR) can only
 * decode such instructions, and a volatile dereference may become a
 * load pair or a post-indexed load.
 */
static inline uint8_t nio__raw_read8(const volatile void *addr)
{
	uint8_t v;

	__asm__ __volatile__("ldrb %w0, [%1]" : "=r"(v) : "r"(addr));
	return v;
}

static inline uint16_t nio__raw_read16(const volatile void *addr)
{
	uint16_t v;

	__asm__ __volatile__("ldrh %w0, [%1]" : "=r"(v) : "r"(addr));
	return v;
}

static inline uint32_t nio__raw_read32(const volatile void *addr)
{
	uint32_t v;

	__asm__ __volatile__("ldr %w0, [%1]" : "=r"(v) : "r"(addr));
	return v;
}

static inline uint64_t nio__raw_read64(const volatile void *addr)
{
	uint64_t v;

	__asm__ __volatile__("ldr %x0, [%1]" : "=r"(v) : "r"(addr));
	return v;
}

static inline void nio__raw_write8(volatile void *addr, uint8_t v)
{
	__asm__ __volatile__("strb %w0, [%1]" : : "r"(v), "r"(addr));
}

static inline void nio__raw_write16(volatile void *addr, uint16_t v)
{
	__asm__ __volatile__("strh %w0, [%1]" : : "r"(v), "r"(addr));
}

static inline void nio__raw_write32(volatile void *addr, uint32_t v)
{
	__asm__ __volatile__("str %w0, [%1]" : : "r"(v), "r"(addr));
}

static inline void nio__raw_write64(volatile void *addr, uint64_t v)
{
	__asm__ __volatile__("str %x0, [%1]" : : "r"(v), "r"(addr));
}

#else /* a volatile access of a naturally aligned scalar is one mov */

static inline uint8_t nio__raw_read8(const volatile void *addr)
{
	return *NIO__PTR(const volatile uint8_t *, addr);
}

static inline uint16_t nio__raw_read16(const volatile void *addr)
{
	return *NIO__PTR(const volatile uint16_t *, addr);
}

static inline uint32_t nio__raw_read32(const volatile void *addr)
{
	return *NIO__PTR(const volatile uint32_t *, addr);
}

static inline uint64_t nio__raw_read64(const volatile void *addr)
{
	return *NIO__PTR(const volatile uint64_t *, addr);
}

static inline void nio__raw_write8(volatile void *addr, uint8_t v)
{
	*NIO__PTR(volatile uint8_t *, addr) = v;
}

static inline void nio__raw_write16(volatile void *addr, uint16_t v)
{
	*NIO__PTR(volatile uint16_t *, addr) = v;
}

static inline void nio__raw_write32(volatile void *addr, uint32_t v)
{
	*NIO__PTR(volatile uint32_t *, addr) = v;
}

static inline void nio__raw_write64(volatile void *addr, uint64_t v)
{
	*NIO__PTR(volatile uint64_t *, addr) = v;
}

#endif

static inline volatile void *nio__reg(volatile void *base, size_t offset)
{
	return NIO__PTR(volatile char *, base) + offset;
}

static inline const volatile void *nio__creg(const volatile void *base,
					     size_t offset)
{
	return NIO__PTR(const volatile char *, base) + offset;
}

/* ---- MMIO, ordered with memory (see the top of this file) ----------------- */

static inline uint8_t nio_mmio_read8(const volatile void *base, size_t offset)
{
	uint8_t v = nio__raw_read8(nio__creg(base, offset));

	nio__after_mmio_read();
	return v;
}

static inline uint16_t nio_mmio_read16(const volatile void *base,
				       size_t offset)
{
	uint16_t v = nio__raw_read16(nio__creg(base, offset));

	nio__after_mmio_read();
	return v;
}

static inline uint32_t nio_mmio_read32(const volatile void *base,
				       size_t offset)
{
	uint32_t v = nio__raw_read32(nio__creg(base, offset));

	nio__after_mmio_read();
	return v;
}

static inline uint64_t nio_mmio_read64(const volatile void *base,
				       size_t offset)
{
	uint64_t v = nio__raw_read64(nio__creg(base, offset));

	nio__after_mmio_read();
	return v;
}

static inline void nio_mmio_write8(volatile void *base, size_t offset,
				   uint8_t value)
{
	nio__before_mmio_write();
	nio__raw_write8(nio__reg(base, offset), value);
}

static inline void nio_mmio_write16(volatile void *base, size_t offset,
				    uint16_t value)
{
	nio__before_mmio_write();
	nio__raw_write16(nio__reg(base, offset), value);
}

static inline void nio_mmio_write32(volatile void *base, size_t offset,
				    uint32_t value)
{
	nio__before_mmio_write();
	nio__raw_write32(nio__reg(base, offset), value);
}

static inline void nio_mmio_write64(volatile void *base, size_t offset,
				    uint64_t value)
{
	nio__before_mmio_write();
	nio__raw_write64(nio__reg(base, offset), value);
}

/* ---- MMIO, ordered only with the same BAR's accesses ---------------------- */

static inline uint8_t nio_mmio_read8_relaxed(const volatile void *base,
					     size_t offset)
{
	return nio__raw_read8(nio__creg(base, offset));
}

static inline uint16_t nio_mmio_read16_relaxed(const volatile void *base,
					       size_t offset)
{
	return nio__raw_read16(nio__creg(base, offset));
}

static inline uint32_t nio_mmio_read32_relaxed(const volatile void *base,
					       size_t offset)
{
	return nio__raw_read32(nio__creg(base, offset));
}

static inline uint64_t nio_mmio_read64_relaxed(const volatile void *base,
					       size_t offset)
{
	return nio__raw_read64(nio__creg(base, offset));
}

static inline void nio_mmio_write8_relaxed(volatile void *base, size_t offset,
					   uint8_t value)
{
	nio__raw_write8(nio__reg(base, offset), value);
}

static inline void nio_mmio_write16_relaxed(volatile void *base,
					    size_t offset, uint16_t value)
{
	nio__raw_write16(nio__reg(base, offset), value);
}

static inline void nio_mmio_write32_relaxed(volatile void *base,
					    size_t offset, uint32_t value)
{
	nio__raw_write32(nio__reg(base, offset), value);
}

static inline void nio_mmio_write64_relaxed(volatile void *base,
					    size_t offset, uint64_t value)
{
	nio__raw_write64(nio__reg(base, offset), value);
}

#undef NIO__PTR

#ifdef __cplusplus
}
#endif

#endif
