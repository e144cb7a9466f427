/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_PT_H_
#define _VXE_PT_H_

#include <linux/bits.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct drm_pagemap_addr;
struct vxe_inject;
struct vxe_pt_node;

/* Leaf entry bits, laid out as in Xe's PPGTT entries. */
#define VXE_PTE_PRESENT		BIT_ULL(0)
#define VXE_PTE_RW		BIT_ULL(1)
#define VXE_PDE_PS_2M		BIT_ULL(7)
#define VXE_PTE_PS64		BIT_ULL(8)
#define VXE_PTE_NULL		BIT_ULL(9)	/* reads zero, writes dropped */
#define VXE_PTE_AE		BIT_ULL(10)	/* atomics allowed (Xe's USM AE) */
#define VXE_PTE_DM		BIT_ULL(11)
#define VXE_PTE_ADDR_MASK	GENMASK_ULL(51, 12)

#define VXE_PT_LEVELS		4
#define VXE_PT_ENTRY_SHIFT	9
#define VXE_PT_ENTRIES		BIT(VXE_PT_ENTRY_SHIFT)

/* Page sizes a leaf can map, as shifts. */
#define VXE_SHIFT_4K		12
#define VXE_SHIFT_64K		16
#define VXE_SHIFT_2M		21

/**
 * vxe_pt_level_shift() - log2 of the bytes an entry of a level maps
 * @level: 0 (4K leaves) to %VXE_PT_LEVELS - 1
 *
 * Return: 12 + 9 * @level.
 */
static inline unsigned int vxe_pt_level_shift(unsigned int level)
{
	return VXE_SHIFT_4K + level * VXE_PT_ENTRY_SHIFT;
}

/* vxe_pt_commit() flag: map without write permission */
#define VXE_PT_READ_ONLY	BIT(0)
/* vxe_pt_commit() flag: a NULL (sparse) mapping, no pages behind it */
#define VXE_PT_NULL		BIT(1)
/* vxe_pt_commit() flag: system memory leaves without %VXE_PTE_AE */
#define VXE_PT_NO_ATOMIC_SYS	BIT(2)
/* vxe_pt_commit() flag: device memory leaves without %VXE_PTE_AE */
#define VXE_PT_NO_ATOMIC_DM	BIT(3)

/* Number of translations the TLB model caches */
#define VXE_TLB_ENTRIES		32

/**
 * struct vxe_tlb_entry - one cached translation
 * @va: first GPU virtual address the entry translates, aligned to its size
 * @pte: the leaf entry, with the address of @va
 * @shift: log2 of the size the entry covers
 * @stamp: last use, for LRU replacement; 0 marks an empty entry
 */
struct vxe_tlb_entry {
	u64 va;
	u64 pte;
	u64 stamp;
	u8 shift;
};

/**
 * struct vxe_pt_stats - what the page tables and the TLB model did
 * @tlb_hits: translations served by the TLB
 * @tlb_misses: translations that walked the page tables
 * @tlb_faults: translations that found no valid leaf (GPU page faults)
 * @tlb_invalidations: TLB invalidation requests carried out
 * @tlb_flushed: TLB entries dropped by them
 * @leaves_written: leaf entries written by vxe_pt_commit()
 * @leaves_zapped: leaf entries cleared by vxe_pt_zap()
 */
struct vxe_pt_stats {
	u64 tlb_hits;
	u64 tlb_misses;
	u64 tlb_faults;
	u64 tlb_invalidations;
	u64 tlb_flushed;
	u64 leaves_written;
	u64 leaves_zapped;
};

/**
 * struct vxe_pt - software GPU page tables of one VM, with its TLB
 * @lock: protects the entries and links of the tree, the TLB model and
 *	@stats.  A spinlock, so it can be taken from MMU notifier callbacks and
 *	from the engines; nothing allocates under it.  Nests inside the
 *	drm_gpusvm notifier lock.
 * @root: top-level node
 * @inj: fault injector for the page-table operations, or NULL
 * @va_bits: size of the GPU virtual address space, in bits
 * @nr_nodes: number of allocated nodes (for leak checks)
 * @tlb: the TLB model: translations stay cached until invalidated
 * @tlb_clock: source of &vxe_tlb_entry.stamp
 * @stats: counters
 *
 * Nodes are allocated by vxe_pt_prepare() (which may sleep) and freed only
 * by vxe_pt_fini(): vxe_pt_commit() and vxe_pt_zap() never allocate or
 * free, so they are safe in the reclaim paths MMU notifiers run in.
 */
struct vxe_pt {
	spinlock_t lock; /* protects tree entries and links, TLB, stats */
	struct vxe_pt_node *root;
	struct vxe_inject *inj;
	unsigned int va_bits;
	atomic_t nr_nodes;
	struct vxe_tlb_entry tlb[VXE_TLB_ENTRIES];
	u64 tlb_clock;
	struct vxe_pt_stats stats;
};

/**
 * struct vxe_pt_xlate - result of a translation
 * @addr: the device address of the byte translated
 * @pte: the leaf entry used
 * @shift: log2 of the page size of that leaf
 */
struct vxe_pt_xlate {
	u64 addr;
	u64 pte;
	unsigned int shift;
};

/**
 * typedef vxe_pt_copy_fn - move bytes at a translated device address
 * @priv: the caller's data
 * @x: the translation of the first byte
 * @buf: the CPU-side buffer
 * @len: number of bytes, within one 4K page
 * @write: copy from @buf to the device address, not the other way
 *
 * Called with &vxe_pt.lock held: must not sleep.
 *
 * Return: 0 or a negative errno.
 */
typedef int (*vxe_pt_copy_fn)(void *priv, const struct vxe_pt_xlate *x,
			      void *buf, size_t len, bool write);

int vxe_pt_init(struct vxe_pt *pt, unsigned int va_bits,
		struct vxe_inject *inj);
void vxe_pt_fini(struct vxe_pt *pt);
int vxe_pt_prepare(struct vxe_pt *pt, u64 start, u64 end);
int vxe_pt_commit(struct vxe_pt *pt, u64 start,
		  const struct drm_pagemap_addr *addrs,
		  unsigned long npages, u32 flags);
unsigned long vxe_pt_zap(struct vxe_pt *pt, u64 start, u64 end);
unsigned int vxe_pt_fault_level(struct vxe_pt *pt, u64 va);
int vxe_pt_lookup(struct vxe_pt *pt, u64 va, struct vxe_pt_xlate *x);
int vxe_pt_translate(struct vxe_pt *pt, u64 va, bool write,
		     struct vxe_pt_xlate *x);
int vxe_pt_access(struct vxe_pt *pt, u64 va, void *buf, size_t len,
		  bool write, vxe_pt_copy_fn copy, void *priv, u64 *fault_va);
int vxe_pt_tlb_invalidate(struct vxe_pt *pt, u64 start, u64 end);
unsigned int vxe_pt_update_level(struct vxe_pt *pt, u64 start, u64 end);
void vxe_pt_get_stats(struct vxe_pt *pt, struct vxe_pt_stats *stats);

#endif
