// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/align.h>
#include <linux/bug.h>
#include <linux/export.h>
#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <drm/drm_pagemap.h>
#include <kunit/visibility.h>

#include "vxe_inject.h"
#include "vxe_pt.h"

/**
 * DOC: vxe page tables and TLB model
 *
 * The mock GPU translates its virtual addresses through software page
 * tables shaped like Xe's PPGTT: four levels of 512 entries; leaves map
 * 4K (level 0), 64K (16 consecutive level-0 entries with %VXE_PTE_PS64,
 * the 64K block aligned in both spaces) or 2M (a level-1 entry with
 * %VXE_PDE_PS_2M).  Leaves hold device addresses: DMA addresses for system
 * memory (and a peer's VRAM), VRAM offsets (%VXE_PTE_DM) for device memory.
 *
 * Every GPU access goes through the TLB model first.  It caches a leaf's
 * translation on first use and keeps serving it until vxe_pt_tlb_invalidate()
 * drops it, exactly like a hardware TLB: a driver that zaps entries but
 * forgets the TLB invalidation keeps reading the old pages, and a test sees
 * it.
 *
 * Updating the tables is split the way MMU-notifier-driven drivers need it:
 * vxe_pt_prepare() allocates the nodes a range needs (may sleep; under the
 * driver's VM lock), vxe_pt_commit() writes leaves and vxe_pt_zap() clears
 * them without allocating (under the drm_gpusvm notifier lock, including
 * from the invalidation callback).
 */

/**
 * struct vxe_pt_node - one page-table page
 * @level: 0 for leaf tables, up to %VXE_PT_LEVELS - 1 for the root
 * @pte: entries: leaves at level 0 and 2M leaves at level 1
 * @child: next-level tables, above level 0 only
 */
struct vxe_pt_node {
	unsigned int level;
	u64 pte[VXE_PT_ENTRIES];
	struct vxe_pt_node *child[];
};

static unsigned int vxe_pt_index(u64 va, unsigned int level)
{
	return (va >> vxe_pt_level_shift(level)) & (VXE_PT_ENTRIES - 1);
}

static struct vxe_pt_node *vxe_pt_node_alloc(struct vxe_pt *pt,
					     unsigned int level)
{
	struct vxe_pt_node *node;

	if (vxe_inject_check(pt->inj, VXE_INJECT_PT_ALLOC))
		return NULL;

	node = kzalloc(struct_size(node, child, level ? VXE_PT_ENTRIES : 0),
		       GFP_KERNEL);
	if (!node)
		return NULL;
	node->level = level;
	atomic_inc(&pt->nr_nodes);
	return node;
}

static void vxe_pt_node_free(struct vxe_pt *pt, struct vxe_pt_node *node)
{
	unsigned int i;

	if (node->level)
		for (i = 0; i < VXE_PT_ENTRIES; i++)
			if (node->child[i])
				vxe_pt_node_free(pt, node->child[i]);
	atomic_dec(&pt->nr_nodes);
	kfree(node);
}

/**
 * vxe_pt_init() - set up empty page tables
 * @pt: the page tables
 * @va_bits: size of the GPU VA space in bits, 22 to 48
 * @inj: fault injector, or NULL
 *
 * Return: 0, -EINVAL for a bad @va_bits or -ENOMEM.
 */
int vxe_pt_init(struct vxe_pt *pt, unsigned int va_bits,
		struct vxe_inject *inj)
{
	if (va_bits <= VXE_SHIFT_2M ||
	    va_bits > vxe_pt_level_shift(VXE_PT_LEVELS))
		return -EINVAL;

	memset(pt, 0, sizeof(*pt));
	spin_lock_init(&pt->lock);
	pt->inj = inj;
	pt->va_bits = va_bits;
	pt->root = vxe_pt_node_alloc(pt, VXE_PT_LEVELS - 1);
	return pt->root ? 0 : -ENOMEM;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_init);

/**
 * vxe_pt_fini() - free the page tables
 * @pt: the page tables
 *
 * Nothing may use @pt any more.
 */
void vxe_pt_fini(struct vxe_pt *pt)
{
	if (pt->root)
		vxe_pt_node_free(pt, pt->root);
	pt->root = NULL;
	WARN_ON(atomic_read(&pt->nr_nodes));
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_fini);

static bool vxe_pt_range_ok(struct vxe_pt *pt, u64 start, u64 end)
{
	return start < end && IS_ALIGNED(start, SZ_4K) &&
	       IS_ALIGNED(end, SZ_4K) && end <= BIT_ULL(pt->va_bits);
}

/**
 * vxe_pt_prepare() - allocate the tables a range needs
 * @pt: the page tables
 * @start: first GPU virtual address, page aligned
 * @end: end of the range (exclusive), page aligned
 *
 * After it, leaves of any size can be committed anywhere in the range
 * without allocating.  Nodes stay until vxe_pt_fini(); on failure the ones
 * already linked in are kept and reused by the next call.
 *
 * Context: may sleep.  Calls for overlapping ranges must be serialized by
 * the caller (the driver's VM lock); translations and zaps may run at the
 * same time.
 * Return: 0, -EINVAL for a bad range or -ENOMEM.
 */
int vxe_pt_prepare(struct vxe_pt *pt, u64 start, u64 end)
{
	u64 va = start;

	if (!vxe_pt_range_ok(pt, start, end))
		return -EINVAL;

	while (va < end) {
		struct vxe_pt_node *node = pt->root;
		unsigned int level;

		for (level = VXE_PT_LEVELS - 1; level > 0; level--) {
			unsigned int idx = vxe_pt_index(va, level);
			struct vxe_pt_node *child, *new = NULL;

			spin_lock(&pt->lock);
			child = node->child[idx];
			spin_unlock(&pt->lock);
			if (!child) {
				new = vxe_pt_node_alloc(pt, level - 1);
				if (!new)
					return -ENOMEM;
				spin_lock(&pt->lock);
				if (!node->child[idx]) {
					node->child[idx] = new;
					new = NULL;
				}
				child = node->child[idx];
				spin_unlock(&pt->lock);
				if (new)
					vxe_pt_node_free(pt, new);
			}
			node = child;
		}
		/* Level-0 table done: on to the next 2M block. */
		va = round_down(va, SZ_2M) + SZ_2M;
		if (!va)
			break;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_prepare);

/* The level-1 node above @va, or NULL when vxe_pt_prepare() did not run. */
static struct vxe_pt_node *vxe_pt_find_l1(struct vxe_pt *pt, u64 va)
{
	struct vxe_pt_node *node = pt->root;
	unsigned int level;

	lockdep_assert_held(&pt->lock);
	for (level = VXE_PT_LEVELS - 1; node && level > 1; level--)
		node = node->child[vxe_pt_index(va, level)];
	return node;
}

static unsigned int vxe_pt_leaf_shift(u64 va, u64 addr, u64 left)
{
	if (IS_ALIGNED(va | addr, SZ_2M) && left >= SZ_2M)
		return VXE_SHIFT_2M;
	if (IS_ALIGNED(va | addr, SZ_64K) && left >= SZ_64K)
		return VXE_SHIFT_64K;
	return VXE_SHIFT_4K;
}

/*
 * Write one leaf, or with @dry only check that it can be written.  A 2M leaf
 * hides the level-0 table below it, whose entries are cleared; a smaller leaf
 * inside a present 2M leaf is refused (splitting would need an allocation:
 * zap the 2M leaf first).
 */
static int vxe_pt_write_leaf(struct vxe_pt *pt, u64 va, u64 pte,
			     unsigned int shift, bool dry)
{
	struct vxe_pt_node *l1 = vxe_pt_find_l1(pt, va), *l0;
	unsigned int i1 = vxe_pt_index(va, 1), i0 = vxe_pt_index(va, 0), j;

	if (!l1 || !l1->child[i1])
		return -EINVAL;
	l0 = l1->child[i1];

	if (shift == VXE_SHIFT_2M) {
		if (!dry) {
			l1->pte[i1] = pte | VXE_PDE_PS_2M;
			memset(l0->pte, 0, sizeof(l0->pte));
		}
		return 0;
	}
	if (l1->pte[i1] & VXE_PTE_PRESENT)
		return -EEXIST;
	if (dry)
		return 0;
	if (shift == VXE_SHIFT_64K) {
		for (j = 0; j < SZ_64K / SZ_4K; j++)
			l0->pte[i0 + j] = (pte + j * SZ_4K) | VXE_PTE_PS64;
	} else {
		l0->pte[i0] = pte;
	}
	return 0;
}

/* Leaves of a NULL mapping: no device address, the largest that fit. */
static int vxe_pt_write_null(struct vxe_pt *pt, u64 start,
			     unsigned long npages, u64 bits, bool dry)
{
	u64 end = start + ((u64)npages << PAGE_SHIFT), va;
	unsigned int shift;
	int err;

	for (va = start; va < end; va += BIT_ULL(shift)) {
		shift = vxe_pt_leaf_shift(va, 0, end - va);
		err = vxe_pt_write_leaf(pt, va, bits, shift, dry);
		if (err)
			return err;
		if (!dry)
			pt->stats.leaves_written++;
	}
	return 0;
}

static int vxe_pt_write(struct vxe_pt *pt, u64 start,
			const struct drm_pagemap_addr *addrs,
			unsigned long npages, u64 bits, u32 flags, bool dry)
{
	unsigned long i, j;
	u64 size;
	int err;

	if (bits & VXE_PTE_NULL)
		return vxe_pt_write_null(pt, start, npages, bits, dry);

	for (i = 0, j = 0; i < npages; i += size >> PAGE_SHIFT) {
		const struct drm_pagemap_addr *a = &addrs[j];
		u64 va = start + ((u64)i << PAGE_SHIFT);
		u64 pte_bits = bits;
		u64 off = 0;

		/*
		 * Entries whose addresses follow on make one run, as Xe's
		 * resource cursor merges DMA segments: the device pages of one
		 * VRAM allocation (an entry each) map with 2M leaves.
		 */
		size = (u64)PAGE_SIZE << a->order;
		for (j++; i + (size >> PAGE_SHIFT) < npages &&
		     addrs[j].proto == a->proto &&
		     addrs[j].addr == a->addr + size; j++)
			size += (u64)PAGE_SIZE << addrs[j].order;
		if (a->proto == DRM_INTERCONNECT_DRIVER)
			pte_bits |= VXE_PTE_DM;
		if (flags & (pte_bits & VXE_PTE_DM ? VXE_PT_NO_ATOMIC_DM :
					       VXE_PT_NO_ATOMIC_SYS))
			pte_bits &= ~VXE_PTE_AE;
		while (off < size) {
			unsigned int shift = vxe_pt_leaf_shift(va + off,
							       a->addr + off,
							       size - off);

			err = vxe_pt_write_leaf(pt, va + off,
						((a->addr + off) & VXE_PTE_ADDR_MASK) |
						pte_bits, shift, dry);
			if (err)
				return err;
			if (!dry)
				pt->stats.leaves_written++;
			off += BIT_ULL(shift);
		}
	}
	return 0;
}

/**
 * vxe_pt_commit() - map device pages at a GPU virtual address
 * @pt: the page tables
 * @start: GPU virtual address of the first page, page aligned
 * @addrs: device addresses, one entry per mapped folio (chunk), in order:
 *	each entry maps the next (1 << order) pages
 * @npages: number of pages to map
 * @flags: %VXE_PT_READ_ONLY, %VXE_PT_NULL (@addrs is not used: the range
 *	reads as zeros and drops writes, as Xe's NULL PTEs),
 *	%VXE_PT_NO_ATOMIC_SYS, %VXE_PT_NO_ATOMIC_DM, or 0
 *
 * Entries whose device addresses follow on (same protocol) are one run, as
 * Xe's resource cursor merges DMA segments; in a run, picks the largest
 * leaf (2M, 64K, 4K) that the alignment of both the virtual and the device
 * address allows.  Entries of protocol %DRM_INTERCONNECT_DRIVER (the
 * device's VRAM offsets) are mapped as device memory; others (system
 * pages, a peer's VRAM over the interconnect) are DMA addresses.  Leaves
 * allow GPU atomics (%VXE_PTE_AE), unless @flags say otherwise for their
 * kind of memory (a GPU atomic through them faults, as on Xe).  All or
 * nothing: nothing is written when any leaf cannot be.  Translations
 * cached in the TLB are not touched: replacing a valid mapping needs a
 * vxe_pt_tlb_invalidate() by the caller.
 *
 * Context: does not sleep or allocate; takes &vxe_pt.lock.  Callers hold
 * the drm_gpusvm notifier lock and have re-checked that the pages are valid.
 * Return: 0; -EINVAL for a bad range or tables not prepared; -EEXIST when a
 * 4K/64K leaf would go inside a present 2M leaf; an injected error.
 */
int vxe_pt_commit(struct vxe_pt *pt, u64 start,
		  const struct drm_pagemap_addr *addrs,
		  unsigned long npages, u32 flags)
{
	u64 bits = VXE_PTE_PRESENT | VXE_PTE_AE;
	unsigned long i, j;
	int err;

	if (!npages || !vxe_pt_range_ok(pt, start,
					start + ((u64)npages << PAGE_SHIFT)))
		return -EINVAL;
	for (i = 0, j = 0; !(flags & VXE_PT_NULL) && i < npages;
	     i += 1UL << addrs[j++].order)
		if (i + (1UL << addrs[j].order) > npages)
			return -EINVAL;

	err = vxe_inject_check(pt->inj, VXE_INJECT_PT_BIND);
	if (err)
		return err;

	if (!(flags & VXE_PT_READ_ONLY))
		bits |= VXE_PTE_RW;
	if (flags & VXE_PT_NULL)
		bits |= VXE_PTE_NULL;

	spin_lock(&pt->lock);
	err = vxe_pt_write(pt, start, addrs, npages, bits, flags, true);
	if (!err)
		vxe_pt_write(pt, start, addrs, npages, bits, flags, false);
	spin_unlock(&pt->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_commit);

static unsigned long vxe_pt_zap_node(struct vxe_pt_node *node, u64 base,
				     u64 start, u64 end)
{
	unsigned int shift = vxe_pt_level_shift(node->level);
	unsigned long zapped = 0;
	unsigned int idx = start > base ? (start - base) >> shift : 0;

	for (; idx < VXE_PT_ENTRIES; idx++) {
		u64 va = base + ((u64)idx << shift);

		if (va >= end)
			break;
		if (node->level == 0) {
			u64 pte = node->pte[idx];

			if (!(pte & VXE_PTE_PRESENT))
				continue;
			if (pte & VXE_PTE_PS64) {
				/* A 64K leaf goes as a whole. */
				unsigned int first = round_down(idx, 16);

				memset(&node->pte[first], 0, 16 * sizeof(u64));
				idx = first + 15;
			} else {
				node->pte[idx] = 0;
			}
			zapped++;
			continue;
		}
		if (node->pte[idx] & VXE_PTE_PRESENT) {
			node->pte[idx] = 0;
			zapped++;
		}
		if (node->child[idx])
			zapped += vxe_pt_zap_node(node->child[idx], va,
						  start, end);
	}
	return zapped;
}

/**
 * vxe_pt_zap() - clear every leaf that maps part of a range
 * @pt: the page tables
 * @start: first GPU virtual address
 * @end: end of the range (exclusive)
 *
 * A 64K or 2M leaf that only overlaps the range is cleared whole, as
 * hardware would.  The TLB is not touched: follow with
 * vxe_pt_tlb_invalidate(), or the GPU keeps using the old translations.
 *
 * Context: does not sleep or allocate (safe in MMU notifier callbacks);
 * takes &vxe_pt.lock.
 * Return: the number of leaves cleared.
 */
unsigned long vxe_pt_zap(struct vxe_pt *pt, u64 start, u64 end)
{
	unsigned long zapped;

	end = min_t(u64, end, BIT_ULL(pt->va_bits));
	if (start >= end)
		return 0;

	spin_lock(&pt->lock);
	zapped = vxe_pt_zap_node(pt->root, 0, start, end);
	pt->stats.leaves_zapped += zapped;
	spin_unlock(&pt->lock);
	return zapped;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_zap);

/**
 * vxe_pt_fault_level() - the level at which a walk to an address stops
 * @pt: the page tables
 * @va: GPU virtual address
 *
 * What a GPU reports as the level of a page fault: 0 when the walk reaches
 * the 4K table (its entry is missing, or the leaf refused the access), 1
 * at a 2M entry that is neither a leaf nor a table (or a 2M leaf), and so
 * on up to the root.
 *
 * Context: takes &vxe_pt.lock.
 * Return: 0 to %VXE_PT_LEVELS - 1.
 */
unsigned int vxe_pt_fault_level(struct vxe_pt *pt, u64 va)
{
	struct vxe_pt_node *node;
	unsigned int level = VXE_PT_LEVELS - 1;

	spin_lock(&pt->lock);
	for (node = pt->root; node && level > 0; level--) {
		unsigned int i = vxe_pt_index(va, level);

		if ((level == 1 && (node->pte[i] & VXE_PTE_PRESENT)) ||
		    !node->child[i])
			break;
		node = node->child[i];
	}
	spin_unlock(&pt->lock);
	return level;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_fault_level);

/* Walk the tables for @va; fills @x with the leaf normalised to its page. */
static int vxe_pt_walk(struct vxe_pt *pt, u64 va, struct vxe_pt_xlate *x)
{
	struct vxe_pt_node *l1 = vxe_pt_find_l1(pt, va), *l0;
	unsigned int i1 = vxe_pt_index(va, 1);
	u64 pte, base;

	if (!l1)
		return -ENOENT;
	pte = l1->pte[i1];
	if (pte & VXE_PTE_PRESENT) {
		x->shift = VXE_SHIFT_2M;
		base = pte & VXE_PTE_ADDR_MASK;
	} else {
		l0 = l1->child[i1];
		pte = l0 ? l0->pte[vxe_pt_index(va, 0)] : 0;
		if (!(pte & VXE_PTE_PRESENT))
			return -ENOENT;
		x->shift = pte & VXE_PTE_PS64 ? VXE_SHIFT_64K : VXE_SHIFT_4K;
		/* Each entry of a 64K leaf holds the address of its 4K. */
		base = (pte & VXE_PTE_ADDR_MASK) -
		       (va & (BIT_ULL(x->shift) - 1) & ~(u64)(SZ_4K - 1));
	}
	x->pte = (pte & ~VXE_PTE_ADDR_MASK) | base;
	x->addr = base + (va & (BIT_ULL(x->shift) - 1));
	return 0;
}

/**
 * vxe_pt_lookup() - translate through the page tables only
 * @pt: the page tables
 * @va: GPU virtual address
 * @x: the translation
 *
 * What the tables say now, bypassing (and not filling) the TLB: for tests
 * and debugfs.
 *
 * Return: 0, or -ENOENT when no leaf maps @va.
 */
int vxe_pt_lookup(struct vxe_pt *pt, u64 va, struct vxe_pt_xlate *x)
{
	int err;

	if (va >= BIT_ULL(pt->va_bits))
		return -ENOENT;
	spin_lock(&pt->lock);
	err = vxe_pt_walk(pt, va, x);
	spin_unlock(&pt->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_lookup);

static struct vxe_tlb_entry *vxe_tlb_find(struct vxe_pt *pt, u64 va)
{
	struct vxe_tlb_entry *e;

	for (e = pt->tlb; e < pt->tlb + VXE_TLB_ENTRIES; e++)
		if (e->stamp && (va >> e->shift) == (e->va >> e->shift))
			return e;
	return NULL;
}

static struct vxe_tlb_entry *vxe_tlb_victim(struct vxe_pt *pt)
{
	struct vxe_tlb_entry *e, *victim = pt->tlb;

	for (e = pt->tlb; e < pt->tlb + VXE_TLB_ENTRIES; e++) {
		if (!e->stamp)
			return e;
		if (e->stamp < victim->stamp)
			victim = e;
	}
	return victim;
}

static int __vxe_pt_translate(struct vxe_pt *pt, u64 va, bool write,
			      struct vxe_pt_xlate *x)
{
	struct vxe_tlb_entry *e;
	int err;

	lockdep_assert_held(&pt->lock);
	if (va >= BIT_ULL(pt->va_bits))
		return -ENOENT;

	e = vxe_tlb_find(pt, va);
	if (e) {
		pt->stats.tlb_hits++;
	} else {
		pt->stats.tlb_misses++;
		err = vxe_pt_walk(pt, va, x);
		if (err) {
			pt->stats.tlb_faults++;
			return err;
		}
		e = vxe_tlb_victim(pt);
		e->shift = x->shift;
		e->va = round_down(va, BIT_ULL(x->shift));
		e->pte = x->pte;
	}
	e->stamp = ++pt->tlb_clock;
	x->shift = e->shift;
	x->pte = e->pte;
	x->addr = (e->pte & VXE_PTE_ADDR_MASK) + (va - e->va);
	if (write && !(e->pte & VXE_PTE_RW))
		return -EACCES;
	return 0;
}

/**
 * vxe_pt_translate() - translate a GPU access, as the hardware does
 * @pt: the page tables
 * @va: GPU virtual address accessed
 * @write: the access writes
 * @x: the translation
 *
 * Looks in the TLB first; on a miss walks the tables and caches the leaf.
 * A cached translation is used even if the tables changed since, until
 * vxe_pt_tlb_invalidate() drops it.
 *
 * Context: does not sleep; takes &vxe_pt.lock.
 * Return: 0; -ENOENT when no leaf maps @va (a GPU page fault); -EACCES for
 * a write through a read-only leaf.
 */
int vxe_pt_translate(struct vxe_pt *pt, u64 va, bool write,
		     struct vxe_pt_xlate *x)
{
	int err;

	spin_lock(&pt->lock);
	err = __vxe_pt_translate(pt, va, write, x);
	spin_unlock(&pt->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_translate);

/**
 * vxe_pt_access() - read or write memory at a GPU virtual address
 * @pt: the page tables
 * @va: GPU virtual address of the first byte
 * @buf: data to write, or where to read to
 * @len: number of bytes
 * @write: write rather than read
 * @copy: moves the bytes of one translated piece (never crossing a 4K page)
 * @priv: passed to @copy
 * @fault_va: on -ENOENT or -EACCES, the address that faulted
 *
 * Every piece is translated like vxe_pt_translate() (TLB first) and
 * copied with &vxe_pt.lock held, so a TLB invalidation waits for the
 * accesses that use the translations it drops, as hardware completes
 * in-flight accesses before acknowledging one.  Bytes before a fault have
 * been copied.
 * A NULL leaf (%VXE_PTE_NULL) reads as zeros and drops writes, without
 * calling @copy.
 *
 * Context: @copy must not sleep; takes &vxe_pt.lock.
 * Return: 0; -ENOENT on a GPU page fault (@fault_va says where); -EACCES
 * for a write through a read-only leaf; an error from @copy.
 */
int vxe_pt_access(struct vxe_pt *pt, u64 va, void *buf, size_t len,
		  bool write, vxe_pt_copy_fn copy, void *priv, u64 *fault_va)
{
	while (len) {
		size_t n = min_t(u64, len, SZ_4K - (va & (SZ_4K - 1)));
		struct vxe_pt_xlate x;
		int err;

		spin_lock(&pt->lock);
		err = __vxe_pt_translate(pt, va, write, &x);
		if (!err && x.pte & VXE_PTE_NULL) {
			/* No memory behind it: reads give zeros. */
			if (!write)
				memset(buf, 0, n);
		} else if (!err) {
			err = copy(priv, &x, buf, n, write);
		}
		spin_unlock(&pt->lock);
		if (err) {
			if ((err == -ENOENT || err == -EACCES) && fault_va)
				*fault_va = va;
			return err;
		}
		va += n;
		buf += n;
		len -= n;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_access);

/**
 * vxe_pt_tlb_invalidate() - drop cached translations of a range
 * @pt: the page tables
 * @start: first GPU virtual address
 * @end: end of the range (exclusive); U64_MAX with @start 0 drops all
 *
 * Context: does not sleep; takes &vxe_pt.lock.
 * Return: 0, or an injected error, in which case nothing was dropped (the
 * request was lost, as a timed-out invalidation on hardware).
 */
int vxe_pt_tlb_invalidate(struct vxe_pt *pt, u64 start, u64 end)
{
	struct vxe_tlb_entry *e;
	int err;

	err = vxe_inject_check(pt->inj, VXE_INJECT_TLB_INVAL);
	if (err)
		return err;

	spin_lock(&pt->lock);
	for (e = pt->tlb; e < pt->tlb + VXE_TLB_ENTRIES; e++) {
		if (!e->stamp || e->va >= end ||
		    e->va + BIT_ULL(e->shift) <= start)
			continue;
		e->stamp = 0;
		pt->stats.tlb_flushed++;
	}
	pt->stats.tlb_invalidations++;
	spin_unlock(&pt->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_tlb_invalidate);

/*
 * The highest level of @node's subtree (covering from @base) whose entries
 * an update of [@start, @end) writes; see vxe_pt_update_level().
 */
static unsigned int vxe_pt_node_update_level(const struct vxe_pt_node *node,
					     u64 base, u64 start, u64 end)
{
	unsigned int level = node->level, shift = vxe_pt_level_shift(level);
	unsigned int found = 0;
	u64 va;

	if (!level)
		return 0;
	for (va = start; va < end && found < level;) {
		u64 entry = round_down(va, BIT_ULL(shift));
		u64 next = entry + BIT_ULL(shift);
		const struct vxe_pt_node *child;

		child = node->child[(entry - base) >> shift];
		if (!child)
			return level;
		/* A whole 2M block: a 2M leaf (or the table under it) goes. */
		if (level == 1 && va == entry && end >= next)
			found = 1;
		else
			found = max(found, vxe_pt_node_update_level(child, entry,
								    va,
								    min(end, next)));
		va = next;
		if (!va)
			break;
	}
	return found;
}

/**
 * vxe_pt_update_level() - how high in the tables an update reaches
 * @pt: the page tables
 * @start: first GPU virtual address, page aligned
 * @end: end of the range (exclusive), page aligned
 *
 * The level of the highest table whose entries binding or unbinding
 * [@start, @end) writes, as Xe works it out for the interval of a bind job
 * (xe_pt_update_ops_rfence_interval()): where a table the range needs is
 * missing, the entry of its parent that will point to it; at least 1 where
 * the range covers a whole 2M block (a 2M leaf is written, or the table
 * under it dropped); else 0, the level-0 leaves.  Two updates whose
 * ranges, each rounded out to the size an entry of its level maps,
 * overlap, touch a table in common.
 *
 * Context: takes &vxe_pt.lock.  The answer holds while nothing prepares
 * tables (the caller's VM lock).
 * Return: 0 to %VXE_PT_LEVELS - 1; 0 for an empty or bad range.
 */
unsigned int vxe_pt_update_level(struct vxe_pt *pt, u64 start, u64 end)
{
	unsigned int level;

	if (!vxe_pt_range_ok(pt, start, end))
		return 0;
	spin_lock(&pt->lock);
	level = vxe_pt_node_update_level(pt->root, 0, start, end);
	spin_unlock(&pt->lock);
	return level;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_update_level);

/**
 * vxe_pt_get_stats() - read the counters
 * @pt: the page tables
 * @stats: where to copy them
 */
void vxe_pt_get_stats(struct vxe_pt *pt, struct vxe_pt_stats *stats)
{
	spin_lock(&pt->lock);
	*stats = pt->stats;
	spin_unlock(&pt->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pt_get_stats);
