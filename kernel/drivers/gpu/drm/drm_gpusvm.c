// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/hmm.h>
#include <linux/hugetlb_inline.h>
#include <linux/jiffies.h>
#include <linux/log2.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include <drm/drm_device.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_print.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

/**
 * DOC: Overview
 *
 * GPU Shared Virtual Memory (GPU SVM) lets a GPU use a process's ordinary
 * memory at the same virtual addresses as the CPU.  Nothing is pinned and
 * nothing is bound up front: the GPU faults on an address, the driver asks
 * drm_gpusvm for the range around it, collects and DMA-maps the CPU pages
 * with hmm_range_fault(), and writes GPU page-table entries.  When the CPU
 * side changes (munmap, mremap, fork's copy-on-write, madvise, migration,
 * reclaim), an MMU interval notifier tells the driver to zap those entries.
 *
 * drm_gpusvm keeps the bookkeeping generic:
 *
 * - **Notifiers** (&struct drm_gpusvm_notifier): one MMU interval notifier
 *   per &drm_gpusvm.notifier_size aligned window of the address space that
 *   holds ranges, created with its first range and removed with its last.
 * - **Ranges** (&struct drm_gpusvm_range): chunks of the address space the
 *   GPU maps.  A new range gets the largest of &drm_gpusvm.chunk_sizes that
 *   is aligned around the faulting address, lies inside the CPU VMA, the
 *   notifier's window, the GPU VA window given by the driver and the
 *   mirrored window of the GPU SVM, and overlaps no other range.
 * - **Pages**: drm_gpusvm_range_get_pages() faults in and DMA-maps a
 *   range's pages, as whole folios where the CPU maps them so (a 2M range
 *   backed by a transparent huge page is one mapping), and publishes them
 *   only if no invalidation raced with it.
 *
 * The driver provides the &drm_gpusvm_ops.invalidate callback (zap GPU
 * mappings, invalidate TLBs, unmap the pages) and a worker that removes
 * ranges the CPU has unmapped (a notifier callback must not remove them).
 */

/**
 * DOC: Locking
 *
 * Three locks are involved, always taken in this order:
 *
 * 1. **The driver's VM lock** (a mutex or rwsem of the driver's, named to
 *    lockdep with drm_gpusvm_driver_set_lock()): held around
 *    drm_gpusvm_range_find_or_insert(), drm_gpusvm_range_remove(), the
 *    lookups and iterators, and drm_gpusvm_range_get_pages().  It
 *    serializes changes to the notifier and range trees.  The invalidation
 *    callback never takes it.
 * 2. **The mmap lock** of &drm_gpusvm.mm: taken for reading inside
 *    drm_gpusvm only, around find_vma() and hmm_range_fault(); never held
 *    when calling into the driver.
 * 3. **The notifier lock** (&drm_gpusvm.notifier_lock, an rwsem): held for
 *    writing by the MMU notifier callback while the driver zaps GPU
 *    mappings; held for reading by the driver from
 *    drm_gpusvm_range_pages_valid() to the end of the GPU page-table commit
 *    (drm_gpusvm_notifier_lock()), and inside drm_gpusvm while it maps
 *    pages and changes the range trees.  Because MMU notifiers run in
 *    memory reclaim, nothing may allocate memory (other than atomically)
 *    while holding it; drm_gpusvm_init() teaches lockdep so.
 *
 * A range's pages are valid from the moment drm_gpusvm_range_get_pages()
 * publishes them until the driver's invalidation callback unmaps them; the
 * notifier lock makes "check valid, then commit GPU PTEs" atomic with
 * respect to invalidation.
 */

/**
 * DOC: Usage
 *
 * A GPU page-fault handler, with the VM lock held::
 *
 *	retry:
 *		range = drm_gpusvm_range_find_or_insert(gpusvm, addr,
 *							 va_start, va_end, &ctx);
 *		if (IS_ERR(range))
 *			return PTR_ERR(range);
 *		err = drm_gpusvm_range_get_pages(gpusvm, range, &ctx);
 *		if (err == -EFAULT || err == -EPERM)
 *			return err;			// no access: report it
 *		if (err)
 *			goto retry;			// raced: try again
 *		prepare_page_tables(range);		// may allocate
 *		drm_gpusvm_notifier_lock(gpusvm);
 *		if (!drm_gpusvm_range_pages_valid(gpusvm, range)) {
 *			drm_gpusvm_notifier_unlock(gpusvm);
 *			goto retry;			// invalidated meanwhile
 *		}
 *		commit_page_tables(range->dma_addr);	// must not allocate
 *		drm_gpusvm_notifier_unlock(gpusvm);
 *
 * The invalidation callback, with the notifier lock held for writing::
 *
 *	drm_gpusvm_for_each_range(range, notifier, start, end) {
 *		zap_page_tables(range);
 *		drm_gpusvm_range_unmap_pages(gpusvm, range, &in_notifier_ctx);
 *		if (mmu_range->event == MMU_NOTIFY_UNMAP) {
 *			drm_gpusvm_range_set_unmapped(range, mmu_range);
 *			queue_for_garbage_collection(range);
 *		}
 *	}
 *	invalidate_tlbs(start, end);
 *
 * And the garbage collector, a worker, with the VM lock held: unbind each
 * queued range and drm_gpusvm_range_remove() it.
 */

/*
 * The CPU and the GPU use mirrored pages at the same time, with no transfer
 * of ownership in between: a GPU that does SVM snoops the CPU caches, and
 * there is nothing for dma_sync_*() to do, at mapping time or later.  The
 * same page may also be mapped for several VMs of one device at once, which
 * the DMA API allows only without CPU syncs.
 */
#define DRM_GPUSVM_DMA_ATTRS	DMA_ATTR_SKIP_CPU_SYNC

#ifdef CONFIG_LOCKDEP
static void drm_gpusvm_driver_lock_held(struct drm_gpusvm *gpusvm)
{
	if (gpusvm->lock_dep_map)
		lockdep_assert(lock_is_held(gpusvm->lock_dep_map));
}
#else
static void drm_gpusvm_driver_lock_held(struct drm_gpusvm *gpusvm)
{
}
#endif

static unsigned long npages_in_range(unsigned long start, unsigned long end)
{
	return (end - start) >> PAGE_SHIFT;
}

/*
 * A migration this device started (to its memory, or of its pages back to
 * system memory) over ranges that map no pages: nothing for the driver to
 * zap, so it is not called.  Without this, every migration to device
 * memory of a range about to be faulted in would cost the driver a TLB
 * invalidation of nothing.  Migrations that do change pages a range maps
 * are passed on like any other invalidation.
 */
static bool drm_gpusvm_own_migration(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_notifier *notifier,
				     const struct mmu_notifier_range *mmu_range)
{
	struct drm_gpusvm_range *range = NULL;

	if (mmu_range->event != MMU_NOTIFY_MIGRATE ||
	    !gpusvm->device_private_page_owner ||
	    mmu_range->owner != gpusvm->device_private_page_owner)
		return false;

	drm_gpusvm_for_each_range(range, notifier, mmu_range->start,
				  mmu_range->end)
		if (drm_gpusvm_range_pages_valid(gpusvm, range))
			return false;
	return true;
}

static bool drm_gpusvm_notifier_invalidate(struct mmu_interval_notifier *mni,
					   const struct mmu_notifier_range *mmu_range,
					   unsigned long cur_seq)
{
	struct drm_gpusvm_notifier *notifier =
		container_of(mni, typeof(*notifier), notifier);
	struct drm_gpusvm *gpusvm = notifier->gpusvm;

	if (!mmu_notifier_range_blockable(mmu_range))
		return false;

	down_write(&gpusvm->notifier_lock);
	mmu_interval_set_seq(mni, cur_seq);
	if (!drm_gpusvm_own_migration(gpusvm, notifier, mmu_range))
		gpusvm->ops->invalidate(gpusvm, notifier, mmu_range);
	up_write(&gpusvm->notifier_lock);

	return true;
}

static const struct mmu_interval_notifier_ops drm_gpusvm_notifier_ops = {
	.invalidate = drm_gpusvm_notifier_invalidate,
};

/**
 * drm_gpusvm_init() - initialize a GPU SVM
 * @gpusvm: the GPU SVM, embedded in the driver's VM
 * @name: name, for messages
 * @drm: the DRM device (pages are DMA-mapped for its &drm_device.dev)
 * @mm: the address space to mirror; a reference is taken with mmgrab()
 * @device_private_page_owner: owner of the device-private pages the GPU
 *	maps directly
 * @mm_start: start of the mirrored window, page aligned
 * @mm_range: size of the mirrored window, page aligned
 * @notifier_size: size of the window of one notifier: a power of two, at
 *	least the largest chunk size
 * @ops: the driver's operations; &drm_gpusvm_ops.invalidate is required
 * @chunk_sizes: range sizes, powers of two in descending order, the last
 *	one PAGE_SIZE; the array must outlive @gpusvm
 * @num_chunks: number of @chunk_sizes
 *
 * Return: 0, or -EINVAL for a bad argument (with a message saying which).
 */
int drm_gpusvm_init(struct drm_gpusvm *gpusvm, const char *name,
		    struct drm_device *drm, struct mm_struct *mm,
		    void *device_private_page_owner,
		    unsigned long mm_start, unsigned long mm_range,
		    unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops,
		    const unsigned long *chunk_sizes, int num_chunks)
{
	int i;

	if (!drm || !mm || !ops || !ops->invalidate || !chunk_sizes ||
	    num_chunks <= 0) {
		pr_err("drm_gpusvm: %s: missing device, mm, ops->invalidate or chunk sizes\n",
		       name ?: "?");
		return -EINVAL;
	}
	for (i = 0; i < num_chunks; i++) {
		if (!is_power_of_2(chunk_sizes[i]) ||
		    chunk_sizes[i] < PAGE_SIZE ||
		    (i && chunk_sizes[i] >= chunk_sizes[i - 1])) {
			drm_err(drm, "gpusvm %s: chunk sizes must be descending powers of two >= PAGE_SIZE (entry %d is %#lx)\n",
				name, i, chunk_sizes[i]);
			return -EINVAL;
		}
	}
	if (chunk_sizes[num_chunks - 1] != PAGE_SIZE) {
		drm_err(drm, "gpusvm %s: the last chunk size must be PAGE_SIZE\n",
			name);
		return -EINVAL;
	}
	if (!is_power_of_2(notifier_size) || notifier_size < chunk_sizes[0]) {
		drm_err(drm, "gpusvm %s: notifier size %#lx must be a power of two >= the largest chunk %#lx\n",
			name, notifier_size, chunk_sizes[0]);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(mm_start) || !PAGE_ALIGNED(mm_range) || !mm_range ||
	    mm_start + mm_range - 1 < mm_start) {
		drm_err(drm, "gpusvm %s: bad window [%#lx, +%#lx)\n",
			name, mm_start, mm_range);
		return -EINVAL;
	}

	gpusvm->name = name;
	gpusvm->drm = drm;
	gpusvm->mm = mm;
	gpusvm->device_private_page_owner = device_private_page_owner;
	gpusvm->mm_start = mm_start;
	gpusvm->mm_range = mm_range;
	gpusvm->notifier_size = notifier_size;
	gpusvm->ops = ops;
	gpusvm->chunk_sizes = chunk_sizes;
	gpusvm->num_chunks = num_chunks;
	init_rwsem(&gpusvm->notifier_lock);
	gpusvm->root = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&gpusvm->notifier_list);
#ifdef CONFIG_LOCKDEP
	gpusvm->lock_dep_map = NULL;
#endif

	/* The notifier lock is taken in reclaim: tell lockdep up front. */
	fs_reclaim_acquire(GFP_KERNEL);
	might_lock(&gpusvm->notifier_lock);
	fs_reclaim_release(GFP_KERNEL);

	mmgrab(mm);
	return 0;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_init);

/**
 * drm_gpusvm_notifier_find() - the first notifier overlapping an interval
 * @gpusvm: the GPU SVM
 * @start: start of the interval
 * @end: end of the interval (exclusive)
 *
 * Context: the driver's VM lock.
 * Return: the notifier with the lowest address overlapping [@start, @end),
 * or NULL.
 */
struct drm_gpusvm_notifier *
drm_gpusvm_notifier_find(struct drm_gpusvm *gpusvm, unsigned long start,
			 unsigned long end)
{
	struct interval_tree_node *itree;

	itree = interval_tree_iter_first(&gpusvm->root, start, end - 1);
	return itree ? container_of(itree, struct drm_gpusvm_notifier, itree) :
		       NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_notifier_find);

/**
 * drm_gpusvm_range_find() - the first range of a notifier in an interval
 * @notifier: the notifier
 * @start: start of the interval
 * @end: end of the interval (exclusive)
 *
 * Context: the driver's VM lock, or the notifier lock.
 * Return: the range with the lowest address overlapping [@start, @end), or
 * NULL.
 */
struct drm_gpusvm_range *
drm_gpusvm_range_find(struct drm_gpusvm_notifier *notifier,
		      unsigned long start, unsigned long end)
{
	struct interval_tree_node *itree;

	itree = interval_tree_iter_first(&notifier->root, start, end - 1);
	return itree ? container_of(itree, struct drm_gpusvm_range, itree) :
		       NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_find);

/**
 * drm_gpusvm_has_mapping() - whether any range overlaps an interval
 * @gpusvm: the GPU SVM
 * @start: start of the interval
 * @end: end of the interval (exclusive)
 *
 * Context: the driver's VM lock.
 * Return: true if a range overlaps [@start, @end).
 */
bool drm_gpusvm_has_mapping(struct drm_gpusvm *gpusvm, unsigned long start,
			    unsigned long end)
{
	struct drm_gpusvm_notifier *notifier;

	drm_gpusvm_for_each_notifier(notifier, gpusvm, start, end)
		if (drm_gpusvm_range_find(notifier, start, end))
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_has_mapping);

static struct drm_gpusvm_notifier *
drm_gpusvm_notifier_alloc(struct drm_gpusvm *gpusvm, unsigned long addr)
{
	struct drm_gpusvm_notifier *notifier;

	if (gpusvm->ops->notifier_alloc)
		notifier = gpusvm->ops->notifier_alloc();
	else
		notifier = kzalloc(sizeof(*notifier), GFP_KERNEL);
	if (!notifier)
		return NULL;

	notifier->gpusvm = gpusvm;
	notifier->itree.start = ALIGN_DOWN(addr, gpusvm->notifier_size);
	notifier->itree.last = notifier->itree.start + gpusvm->notifier_size - 1;
	INIT_LIST_HEAD(&notifier->entry);
	notifier->root = RB_ROOT_CACHED;
	INIT_LIST_HEAD(&notifier->range_list);
	return notifier;
}

static void drm_gpusvm_notifier_free(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_notifier *notifier)
{
	WARN_ON(!RB_EMPTY_ROOT(&notifier->root.rb_root));
	if (gpusvm->ops->notifier_free)
		gpusvm->ops->notifier_free(notifier);
	else
		kfree(notifier);
}

/* The list follows the tree's order: link after the tree predecessor. */
static void drm_gpusvm_notifier_insert(struct drm_gpusvm *gpusvm,
				       struct drm_gpusvm_notifier *notifier)
{
	struct rb_node *prev;

	interval_tree_insert(&notifier->itree, &gpusvm->root);
	prev = rb_prev(&notifier->itree.rb);
	if (prev)
		list_add(&notifier->entry,
			 &rb_entry(prev, struct drm_gpusvm_notifier, itree.rb)->entry);
	else
		list_add(&notifier->entry, &gpusvm->notifier_list);
}

static void drm_gpusvm_notifier_remove(struct drm_gpusvm *gpusvm,
				       struct drm_gpusvm_notifier *notifier)
{
	interval_tree_remove(&notifier->itree, &gpusvm->root);
	list_del(&notifier->entry);
}

/* Remove the MMU notifier of an empty notifier and free it. */
static void drm_gpusvm_notifier_destroy(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_notifier *notifier)
{
	drm_gpusvm_notifier_remove(gpusvm, notifier);
	mmu_interval_notifier_remove(&notifier->notifier);
	drm_gpusvm_notifier_free(gpusvm, notifier);
}

static struct drm_gpusvm_range *
drm_gpusvm_range_alloc(struct drm_gpusvm *gpusvm,
		       struct drm_gpusvm_notifier *notifier,
		       unsigned long start, unsigned long size,
		       bool migrate_devmem)
{
	struct drm_gpusvm_range *range;

	if (gpusvm->ops->range_alloc)
		range = gpusvm->ops->range_alloc(gpusvm);
	else
		range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return NULL;

	kref_init(&range->refcount);
	range->gpusvm = gpusvm;
	range->notifier = notifier;
	range->itree.start = start;
	range->itree.last = start + size - 1;
	INIT_LIST_HEAD(&range->entry);
	range->notifier_seq = LONG_MAX;
	range->dma_addr = NULL;
	range->dpagemap = NULL;
	range->flags.__flags = 0;
	range->flags.migrate_devmem = migrate_devmem;
	return range;
}

/*
 * The trees change under the notifier lock (read mode: the VM lock already
 * serializes changes; this only keeps the invalidation callback, which
 * walks them, out).
 */
static void drm_gpusvm_range_insert(struct drm_gpusvm_notifier *notifier,
				    struct drm_gpusvm_range *range)
{
	struct rb_node *prev;

	drm_gpusvm_notifier_lock(notifier->gpusvm);
	interval_tree_insert(&range->itree, &notifier->root);
	prev = rb_prev(&range->itree.rb);
	if (prev)
		list_add(&range->entry,
			 &rb_entry(prev, struct drm_gpusvm_range, itree.rb)->entry);
	else
		list_add(&range->entry, &notifier->range_list);
	drm_gpusvm_notifier_unlock(notifier->gpusvm);
}

/*
 * Are all pages of [start, end) present in the CPU page tables (without
 * faulting anything in)?  Called with the mmap lock held for reading.
 */
static bool drm_gpusvm_check_pages(struct drm_gpusvm *gpusvm,
				   struct drm_gpusvm_notifier *notifier,
				   unsigned long start, unsigned long end)
{
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned long npages = npages_in_range(start, end), i;
	struct hmm_range hmm_range = {
		.default_flags = 0,
		.notifier = &notifier->notifier,
		.start = start,
		.end = end,
		.dev_private_owner = gpusvm->device_private_page_owner,
	};
	unsigned long *pfns;
	int err;

	mmap_assert_locked(gpusvm->mm);

	pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return false;
	hmm_range.hmm_pfns = pfns;

	do {
		hmm_range.notifier_seq = mmu_interval_read_begin(&notifier->notifier);
		err = hmm_range_fault(&hmm_range);
	} while (err == -EBUSY && time_before(jiffies, timeout));

	for (i = 0; !err && i < npages; i++)
		if (!(pfns[i] & HMM_PFN_VALID))
			err = -EFAULT;

	kvfree(pfns);
	return !err;
}

/*
 * The largest chunk size that fits around @fault_addr: aligned, inside the
 * VMA, the notifier, the GPU VA window and the mirrored window, not
 * overlapping another range and, up to the check threshold, fully present.
 * Returns 0 when none fits.
 */
static unsigned long
drm_gpusvm_range_chunk_size(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_notifier *notifier,
			    struct vm_area_struct *vma,
			    unsigned long fault_addr,
			    unsigned long gpuva_start, unsigned long gpuva_end,
			    const struct drm_gpusvm_ctx *ctx)
{
	/* Bounds as first and last (inclusive) addresses: no overflow at the top. */
	unsigned long lo = max3(vma->vm_start, gpuva_start, gpusvm->mm_start);
	unsigned long last = min3(vma->vm_end - 1, gpuva_end - 1,
				  gpusvm->mm_start + gpusvm->mm_range - 1);
	int i;

	lo = max(lo, drm_gpusvm_notifier_start(notifier));
	last = min(last, notifier->itree.last);

	for (i = 0; i < gpusvm->num_chunks; i++) {
		unsigned long size = gpusvm->chunk_sizes[i];
		unsigned long start = ALIGN_DOWN(fault_addr, size);
		unsigned long end = start + size;

		if (start < lo || end - 1 > last)
			continue;
		if (drm_gpusvm_range_find(notifier, start, end))
			continue;
		if (i < gpusvm->num_chunks - 1 &&
		    size <= ctx->check_pages_threshold &&
		    !drm_gpusvm_check_pages(gpusvm, notifier, start, end))
			continue;
		return size;
	}
	return 0;
}

/**
 * drm_gpusvm_range_find_or_insert() - the range around a faulting address
 * @gpusvm: the GPU SVM
 * @fault_addr: the address the GPU faulted on
 * @gpuva_start: start of the GPU VA window the range may use (the driver's
 *	VMA mirroring the CPU)
 * @gpuva_end: end of that window (exclusive)
 * @ctx: &drm_gpusvm_ctx.check_pages_threshold, &drm_gpusvm_ctx.read_only
 *	and &drm_gpusvm_ctx.devmem_possible are used
 *
 * Returns the range that contains @fault_addr, or creates one with the
 * largest chunk size that fits (see the overview), creating its notifier
 * when it is the first range of its window.  No reference is taken: the
 * range stays valid while the caller holds the VM lock.
 *
 * Context: the driver's VM lock; takes the mmap lock for reading.
 * Return: the range; ERR_PTR(-EINVAL) when @fault_addr is outside the
 * mirrored window or [@gpuva_start, @gpuva_end); ERR_PTR(-EFAULT) when it
 * is in no CPU VMA or the process has exited; ERR_PTR(-EPERM) for a
 * read-only VMA unless @ctx asks for read-only access; ERR_PTR(-ENOMEM).
 */
struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert(struct drm_gpusvm *gpusvm,
				unsigned long fault_addr,
				unsigned long gpuva_start,
				unsigned long gpuva_end,
				const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *range;
	struct mm_struct *mm = gpusvm->mm;
	struct vm_area_struct *vma;
	bool new_notifier = false;
	unsigned long size;
	int err = 0;

	drm_gpusvm_driver_lock_held(gpusvm);

	if (fault_addr < gpusvm->mm_start ||
	    fault_addr - gpusvm->mm_start >= gpusvm->mm_range ||
	    fault_addr < gpuva_start || fault_addr >= gpuva_end)
		return ERR_PTR(-EINVAL);

	if (!mmget_not_zero(mm))
		return ERR_PTR(-EFAULT);

	notifier = drm_gpusvm_notifier_find(gpusvm, fault_addr, fault_addr + 1);
	if (!notifier) {
		notifier = drm_gpusvm_notifier_alloc(gpusvm, fault_addr);
		if (!notifier) {
			err = -ENOMEM;
			goto out_mmput;
		}
		err = mmu_interval_notifier_insert(&notifier->notifier, mm,
						   drm_gpusvm_notifier_start(notifier),
						   drm_gpusvm_notifier_size(notifier),
						   &drm_gpusvm_notifier_ops);
		if (err) {
			drm_gpusvm_notifier_free(gpusvm, notifier);
			goto out_mmput;
		}
		new_notifier = true;
	}

	mmap_read_lock(mm);

	vma = vma_lookup(mm, fault_addr);
	if (!vma) {
		err = -EFAULT;
		goto out_unlock;
	}
	if (!ctx->read_only && !(vma->vm_flags & VM_WRITE)) {
		err = -EPERM;
		goto out_unlock;
	}

	range = drm_gpusvm_range_find(notifier, fault_addr, fault_addr + 1);
	if (range)
		goto out_unlock;

	size = drm_gpusvm_range_chunk_size(gpusvm, notifier, vma, fault_addr,
					   gpuva_start, gpuva_end, ctx);
	if (!size) {
		err = -EINVAL;
		goto out_unlock;
	}

	range = drm_gpusvm_range_alloc(gpusvm, notifier,
				       ALIGN_DOWN(fault_addr, size), size,
				       ctx->devmem_possible &&
				       vma_is_anonymous(vma) &&
				       !is_vm_hugetlb_page(vma));
	if (!range) {
		err = -ENOMEM;
		goto out_unlock;
	}
	drm_gpusvm_range_insert(notifier, range);
	if (new_notifier)
		drm_gpusvm_notifier_insert(gpusvm, notifier);
	new_notifier = false;

out_unlock:
	mmap_read_unlock(mm);
	if (new_notifier) {
		mmu_interval_notifier_remove(&notifier->notifier);
		drm_gpusvm_notifier_free(gpusvm, notifier);
	}
out_mmput:
	mmput(mm);
	return err ? ERR_PTR(err) : range;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_find_or_insert);

/*
 * Unmap the entries of &drm_gpusvm_range.dma_addr that cover the first
 * @npages pages of a range: system pages through the DMA API, device pages
 * through their pagemap.
 */
static void drm_gpusvm_unmap_addrs(struct drm_gpusvm *gpusvm,
				   struct drm_gpusvm_range *range,
				   unsigned long npages)
{
	struct device *dev = gpusvm->drm->dev;
	unsigned long i, j;

	for (i = 0, j = 0; i < npages; j++) {
		struct drm_pagemap_device_addr *addr = &range->dma_addr[j];

		if (addr->proto == DRM_INTERCONNECT_SYSTEM)
			dma_unmap_page_attrs(dev, addr->addr,
					     PAGE_SIZE << addr->order,
					     addr->dir, DRM_GPUSVM_DMA_ATTRS);
		else if (range->dpagemap->ops->device_unmap)
			range->dpagemap->ops->device_unmap(range->dpagemap, dev,
							   *addr);
		i += 1UL << addr->order;
	}
}

/* Unmap a range's pages; the notifier lock is held (either mode). */
static void __drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
					   struct drm_gpusvm_range *range)
{
	lockdep_assert_held(&gpusvm->notifier_lock);

	if (range->flags.has_dma_mapping)
		drm_gpusvm_unmap_addrs(gpusvm, range,
				       npages_in_range(drm_gpusvm_range_start(range),
						       drm_gpusvm_range_end(range)));
	range->flags.has_dma_mapping = false;
	range->flags.has_devmem_pages = false;
	range->dpagemap = NULL;
	range->notifier_seq = LONG_MAX;
}

/**
 * drm_gpusvm_range_unmap_pages() - unmap a range's pages
 * @gpusvm: the GPU SVM
 * @range: the range
 * @ctx: with &drm_gpusvm_ctx.in_notifier set when called from the
 *	invalidation callback
 *
 * The range's pages stop being valid.  The GPU must no longer use them:
 * zap its mappings of the range first.
 *
 * Context: from the invalidation callback (@ctx->in_notifier: the notifier
 * lock is held for writing), or with the driver's VM lock held (takes the
 * notifier lock).
 */
void drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range,
				  const struct drm_gpusvm_ctx *ctx)
{
	if (ctx->in_notifier) {
		lockdep_assert_held_write(&gpusvm->notifier_lock);
		__drm_gpusvm_range_unmap_pages(gpusvm, range);
		return;
	}

	drm_gpusvm_notifier_lock(gpusvm);
	__drm_gpusvm_range_unmap_pages(gpusvm, range);
	drm_gpusvm_notifier_unlock(gpusvm);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_unmap_pages);

static void drm_gpusvm_range_destroy(struct kref *refcount)
{
	struct drm_gpusvm_range *range =
		container_of(refcount, struct drm_gpusvm_range, refcount);
	struct drm_gpusvm *gpusvm = range->gpusvm;

	WARN_ON(range->flags.has_dma_mapping);
	kvfree(range->dma_addr);
	if (gpusvm->ops->range_free)
		gpusvm->ops->range_free(range);
	else
		kfree(range);
}

/**
 * drm_gpusvm_range_get() - take a reference on a range
 * @range: the range
 *
 * Return: @range.
 */
struct drm_gpusvm_range *drm_gpusvm_range_get(struct drm_gpusvm_range *range)
{
	kref_get(&range->refcount);
	return range;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_get);

/**
 * drm_gpusvm_range_put() - drop a reference on a range
 * @range: the range
 *
 * The last reference frees it (it must have been removed).
 */
void drm_gpusvm_range_put(struct drm_gpusvm_range *range)
{
	kref_put(&range->refcount, drm_gpusvm_range_destroy);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_put);

static void __drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
				      struct drm_gpusvm_range *range)
{
	struct drm_gpusvm_notifier *notifier = range->notifier;

	drm_gpusvm_notifier_lock(gpusvm);
	__drm_gpusvm_range_unmap_pages(gpusvm, range);
	interval_tree_remove(&range->itree, &notifier->root);
	list_del(&range->entry);
	drm_gpusvm_notifier_unlock(gpusvm);

	drm_gpusvm_range_put(range);

	if (RB_EMPTY_ROOT(&notifier->root.rb_root))
		drm_gpusvm_notifier_destroy(gpusvm, notifier);
}

/**
 * drm_gpusvm_range_remove() - remove a range
 * @gpusvm: the GPU SVM
 * @range: the range
 *
 * Unmaps its pages, takes it out of its notifier and drops the tree's
 * reference; the notifier goes with its last range.  The GPU must no longer
 * map the range.
 *
 * Context: the driver's VM lock; not from the invalidation callback.
 */
void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range)
{
	drm_gpusvm_driver_lock_held(gpusvm);
	__drm_gpusvm_range_remove(gpusvm, range);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_remove);

/**
 * drm_gpusvm_fini() - tear down a GPU SVM
 * @gpusvm: the GPU SVM
 *
 * Removes every remaining range and notifier and drops the reference on
 * the mm.  Nothing else may use @gpusvm any more; the GPU must no longer
 * map any range.
 */
void drm_gpusvm_fini(struct drm_gpusvm *gpusvm)
{
	struct drm_gpusvm_notifier *notifier, *next;

	drm_gpusvm_for_each_notifier_safe(notifier, next, gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *range, *next_range;

		drm_gpusvm_for_each_range_safe(range, next_range, notifier,
					       0, ULONG_MAX)
			__drm_gpusvm_range_remove(gpusvm, range);
	}

	WARN_ON(!RB_EMPTY_ROOT(&gpusvm->root.rb_root));
	mmdrop(gpusvm->mm);
	gpusvm->mm = NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fini);

/**
 * drm_gpusvm_range_pages_valid() - are a range's pages valid?
 * @gpusvm: the GPU SVM
 * @range: the range
 *
 * Valid means collected by drm_gpusvm_range_get_pages() and not unmapped
 * by an invalidation since.  Keep holding the lock until the GPU mappings
 * of the pages are committed.
 *
 * Context: the notifier lock (drm_gpusvm_notifier_lock()).
 * Return: true if the pages are valid.
 */
bool drm_gpusvm_range_pages_valid(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range)
{
	lockdep_assert_held(&gpusvm->notifier_lock);

	return range->flags.has_devmem_pages || range->flags.has_dma_mapping;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_pages_valid);

/**
 * drm_gpusvm_range_pages_valid_unlocked() - are a range's pages valid?
 * @gpusvm: the GPU SVM
 * @range: the range
 *
 * As drm_gpusvm_range_pages_valid(), taking the notifier lock: a hint
 * only, since the answer may change as soon as the lock is dropped.
 *
 * Context: not holding the notifier lock.
 * Return: true if the pages were valid.
 */
bool drm_gpusvm_range_pages_valid_unlocked(struct drm_gpusvm *gpusvm,
					   struct drm_gpusvm_range *range)
{
	bool valid;

	drm_gpusvm_notifier_lock(gpusvm);
	valid = drm_gpusvm_range_pages_valid(gpusvm, range);
	drm_gpusvm_notifier_unlock(gpusvm);
	return valid;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_pages_valid_unlocked);

/**
 * drm_gpusvm_hmm_fault() - the hmm_range_fault() step of page collection
 * @gpusvm: the GPU SVM
 * @hmm_range: the HMM range, with its notifier sequence number set
 *
 * A function of its own so that KUnit tests can make an invalidation race
 * with page collection at exactly this point.
 *
 * Context: takes the mmap lock for reading.
 * Return: what hmm_range_fault() returns.
 */
VISIBLE_IF_KUNIT int drm_gpusvm_hmm_fault(struct drm_gpusvm *gpusvm,
					  struct hmm_range *hmm_range)
{
	int err;

	KUNIT_STATIC_STUB_REDIRECT(drm_gpusvm_hmm_fault, gpusvm, hmm_range);

	mmap_read_lock(gpusvm->mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(gpusvm->mm);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_hmm_fault);

/*
 * The largest order, up to the CPU's mapping order @order, at which page
 * @i of @npages starts a naturally aligned block that fits in the range.
 */
static unsigned int drm_gpusvm_chunk_order(unsigned long i,
					   unsigned long npages,
					   unsigned int order)
{
	while (order && (!IS_ALIGNED(i, 1UL << order) ||
			 i + (1UL << order) > npages))
		order--;
	return order;
}

static int drm_gpusvm_devmem_map(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct page *page, unsigned long hmm_pfn,
				 enum dma_data_direction dir,
				 struct drm_pagemap_device_addr *addr);

/*
 * DMA-map the pages hmm_range_fault() found.  Called with the notifier lock
 * held and the sequence checked, so no invalidation can free them meanwhile.
 */
static int drm_gpusvm_map_pages(struct drm_gpusvm *gpusvm,
				struct drm_gpusvm_range *range,
				const unsigned long *pfns,
				unsigned long npages,
				enum dma_data_direction dir)
{
	struct device *dev = gpusvm->drm->dev;
	bool devmem_pages = false;
	unsigned long i, j;
	int err;

	range->dpagemap = NULL;
	for (i = 0, j = 0; i < npages; j++) {
		struct page *page = hmm_pfn_to_page(pfns[i]);
		unsigned int order = drm_gpusvm_chunk_order(i, npages,
							    hmm_pfn_to_map_order(pfns[i]));
		struct drm_pagemap_device_addr addr;

		if (is_device_private_page(page)) {
			err = drm_gpusvm_devmem_map(gpusvm, range, page,
						    pfns[i], dir, &addr);
			if (err)
				goto err_unmap;
			devmem_pages = true;
		} else {
			dma_addr_t dma;

			dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE << order,
						 dir, DRM_GPUSVM_DMA_ATTRS);
			if (dma_mapping_error(dev, dma)) {
				err = -EFAULT;
				goto err_unmap;
			}
			addr = drm_pagemap_device_addr_encode(dma,
							      DRM_INTERCONNECT_SYSTEM,
							      order, dir);
		}
		range->dma_addr[j] = addr;
		i += 1UL << addr.order;
	}
	range->flags.has_devmem_pages = devmem_pages;
	return 0;

err_unmap:
	drm_gpusvm_unmap_addrs(gpusvm, range, i);
	range->dpagemap = NULL;
	return err;
}

/**
 * drm_gpusvm_range_get_pages() - collect and DMA-map a range's pages
 * @gpusvm: the GPU SVM
 * @range: the range
 * @ctx: &drm_gpusvm_ctx.read_only: fault the pages for reading only and
 *	map them %DMA_TO_DEVICE; otherwise for writing, %DMA_BIDIRECTIONAL
 *
 * Faults the pages in with hmm_range_fault() under the notifier's sequence
 * number (retrying while the mm is busy, for at most
 * %HMM_RANGE_DEFAULT_TIMEOUT ms), then, under the notifier lock and only
 * if no invalidation happened since, DMA-maps them (one mapping per folio
 * chunk the CPU maps whole) and publishes them in &drm_gpusvm_range.dma_addr.
 * If an invalidation raced, it starts again.  Pages that are already valid
 * are left as they are.
 *
 * Context: the driver's VM lock; takes the mmap lock for reading.
 * Return: 0; -EFAULT when the process has exited, an address has no VMA or
 * a page cannot be mapped; -EPERM when writing to a read-only VMA; -EBUSY
 * when invalidations kept racing past the time-out; -ENOMEM.
 */
int drm_gpusvm_range_get_pages(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_range *range,
			       const struct drm_gpusvm_ctx *ctx)
{
	struct mmu_interval_notifier *notifier = &range->notifier->notifier;
	unsigned long npages = npages_in_range(drm_gpusvm_range_start(range),
					       drm_gpusvm_range_end(range));
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	enum dma_data_direction dir = ctx->read_only ? DMA_TO_DEVICE :
						       DMA_BIDIRECTIONAL;
	struct hmm_range hmm_range = {
		.default_flags = HMM_PFN_REQ_FAULT |
				 (ctx->read_only ? 0 : HMM_PFN_REQ_WRITE),
		.notifier = notifier,
		.start = drm_gpusvm_range_start(range),
		.end = drm_gpusvm_range_end(range),
		.dev_private_owner = gpusvm->device_private_page_owner,
	};
	struct mm_struct *mm = gpusvm->mm;
	unsigned long *pfns;
	int err;

	if (drm_gpusvm_range_pages_valid_unlocked(gpusvm, range))
		return 0;

	pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
	if (!pfns)
		return -ENOMEM;
	hmm_range.hmm_pfns = pfns;

	if (!range->dma_addr) {
		struct drm_pagemap_device_addr *dma_addr;

		dma_addr = kvmalloc_array(npages, sizeof(*dma_addr), GFP_KERNEL);
		if (!dma_addr) {
			err = -ENOMEM;
			goto out_free;
		}
		drm_gpusvm_notifier_lock(gpusvm);
		range->dma_addr = dma_addr;
		drm_gpusvm_notifier_unlock(gpusvm);
	}

	if (!mmget_not_zero(mm)) {
		err = -EFAULT;
		goto out_free;
	}

retry:
	hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
	err = drm_gpusvm_hmm_fault(gpusvm, &hmm_range);
	if (err == -EBUSY) {
		if (time_before(jiffies, timeout))
			goto retry;
		goto out_mmput;
	}
	if (err)
		goto out_mmput;

	drm_gpusvm_notifier_lock(gpusvm);
	if (mmu_interval_read_retry(notifier, hmm_range.notifier_seq)) {
		drm_gpusvm_notifier_unlock(gpusvm);
		if (time_before(jiffies, timeout))
			goto retry;
		err = -EBUSY;
		goto out_mmput;
	}
	/* Mappings an invalidation did not take down go first. */
	__drm_gpusvm_range_unmap_pages(gpusvm, range);
	err = drm_gpusvm_map_pages(gpusvm, range, pfns, npages, dir);
	if (!err) {
		range->flags.has_dma_mapping = true;
		range->notifier_seq = hmm_range.notifier_seq;
	}
	drm_gpusvm_notifier_unlock(gpusvm);
	if (err == -EAGAIN && hmm_range.dev_private_owner) {
		/*
		 * Device pages this device cannot use as they are (another
		 * pagemap's, or read-only after fork() when writing):
		 * fault them in again without owner, which migrates them
		 * to system memory.
		 */
		hmm_range.dev_private_owner = NULL;
		goto retry;
	}
	if (err == -EAGAIN)
		err = -EFAULT;

out_mmput:
	mmput(mm);
out_free:
	kvfree(pfns);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_get_pages);

/**
 * drm_gpusvm_range_set_unmapped() - mark a range unmapped by the CPU
 * @range: the range
 * @mmu_range: the %MMU_NOTIFY_UNMAP invalidation
 *
 * For the driver's invalidation callback: the range only waits to be
 * removed by the driver's worker.  When the unmapped part does not cover
 * the whole range, &drm_gpusvm_range_flags.partial_unmap is set too (what
 * remains mapped gets a new range at the next fault).
 *
 * Context: the notifier lock held for writing (the invalidation callback).
 */
void drm_gpusvm_range_set_unmapped(struct drm_gpusvm_range *range,
				   const struct mmu_notifier_range *mmu_range)
{
	lockdep_assert_held_write(&range->gpusvm->notifier_lock);

	range->flags.unmapped = true;
	if (drm_gpusvm_range_start(range) < mmu_range->start ||
	    drm_gpusvm_range_end(range) > mmu_range->end)
		range->flags.partial_unmap = true;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_set_unmapped);

/**
 * DOC: Device memory
 *
 * A range may migrate to device memory (VRAM), which the mm sees as
 * device-private pages (memremap_pages() with %MEMORY_DEVICE_PRIVATE and
 * &dev_pagemap.owner set to the GPU SVM's &drm_gpusvm.device_private_page_owner).
 * The driver allocates device memory in objects that embed a
 * &struct drm_gpusvm_devmem and hands one to drm_gpusvm_migrate_to_devmem(),
 * which moves the range's system pages into it.  Each device page then
 * points at its allocation, and the allocation lives as long as any of its
 * pages does: &drm_gpusvm_devmem_ops.devmem_release is called once, when
 * the last page is freed, however the pages went away (migrated back,
 * unmapped, the process exited).
 *
 * Device pages leave device memory three ways:
 *
 * - the CPU touches one: the page's &dev_pagemap_ops.migrate_to_ram (use
 *   drm_gpusvm_pagemap_ops_get() for the dev_pagemap) migrates its
 *   allocation's pages in that VMA back, under the page lock that
 *   do_swap_page() took, so many threads faulting on one page do not
 *   livelock;
 * - the driver needs the memory (eviction): drm_gpusvm_evict_to_ram()
 *   migrates every page of an allocation back with migrate_device_pfns(),
 *   whichever processes map it;
 * - the driver wants a range in system memory: drm_gpusvm_range_evict().
 *
 * drm_gpusvm_range_get_pages() maps device pages of this device through
 * their &struct drm_pagemap (&drm_pagemap_ops.device_map) and system pages
 * through the DMA API; a range may hold both (a partial migration).
 *
 * Locking: drm_gpusvm_migrate_to_devmem() runs with the mmap lock held for
 * reading and the allocation protected from eviction (e.g. its buffer
 * object reserved), in that order.  Eviction may hold the allocation's
 * reservation; it takes the page locks and, through the MMU notifiers,
 * the notifier lock.
 */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* How many times eviction goes over an allocation before giving up. */
#define DRM_GPUSVM_EVICT_TRIES	64

/**
 * drm_gpusvm_devmem_init() - set up a device memory allocation
 * @devmem: the allocation, embedded in the driver's object
 * @dev: the device whose memory it is
 * @ops: its operations; all four are required
 * @dpagemap: the provider of its pages
 * @size: its size in bytes, a multiple of PAGE_SIZE
 *
 * The allocation is then ready to be handed to
 * drm_gpusvm_migrate_to_devmem().
 */
void drm_gpusvm_devmem_init(struct drm_gpusvm_devmem *devmem,
			    struct device *dev,
			    const struct drm_gpusvm_devmem_ops *ops,
			    struct drm_pagemap *dpagemap, size_t size)
{
	devmem->dev = dev;
	devmem->ops = ops;
	devmem->dpagemap = dpagemap;
	devmem->size = size;
	atomic_set(&devmem->pages, 1);
	init_completion(&devmem->detached);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_devmem_init);

/* Drop a page (or the hand-over) reference; the last one releases. */
static void drm_gpusvm_devmem_put(struct drm_gpusvm_devmem *devmem)
{
	if (!atomic_dec_and_test(&devmem->pages))
		return;
	complete_all(&devmem->detached);
	devmem->ops->devmem_release(devmem);
}

static void drm_gpusvm_page_free(struct page *page)
{
	struct drm_gpusvm_devmem *devmem = page->zone_device_data;

	page->zone_device_data = NULL;
	drm_gpusvm_devmem_put(devmem);
}

/* A device page about to receive data: owned by @devmem, locked. */
static void drm_gpusvm_devmem_page_get(struct drm_gpusvm_devmem *devmem,
				       struct page *page)
{
	atomic_inc(&devmem->pages);
	page->zone_device_data = devmem;
	zone_device_page_init(page);
}

/* Map a device-private page of the range for the GPU (notifier lock). */
static int drm_gpusvm_devmem_map(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct page *page, unsigned long hmm_pfn,
				 enum dma_data_direction dir,
				 struct drm_pagemap_device_addr *addr)
{
	struct drm_gpusvm_devmem *devmem = page->zone_device_data;
	struct drm_pagemap *dpagemap = devmem->dpagemap;

	/* Shared read-only after fork(): writing needs a private copy. */
	if (dir != DMA_TO_DEVICE && !(hmm_pfn & HMM_PFN_WRITE))
		return -EAGAIN;
	if (range->dpagemap && range->dpagemap != dpagemap)
		return -EAGAIN;

	*addr = dpagemap->ops->device_map(dpagemap, gpusvm->drm->dev, page, 0,
					  dir);
	if (addr->addr == DMA_MAPPING_ERROR)
		return -EAGAIN;
	range->dpagemap = dpagemap;
	return 0;
}

/*
 * The arrays one migration works with, in one allocation: the migrate
 * source and destination pfns, the device pfns, the device pages and the
 * DMA addresses of the system pages.
 */
struct drm_gpusvm_migrate_buf {
	unsigned long *src;
	unsigned long *dst;
	unsigned long *pfns;
	struct page **pages;
	dma_addr_t *dma_addr;
};

static int drm_gpusvm_migrate_buf_alloc(struct drm_gpusvm_migrate_buf *buf,
					unsigned long npages)
{
	size_t each = 3 * sizeof(unsigned long) + sizeof(struct page *) +
		      sizeof(dma_addr_t);
	unsigned long i;

	buf->src = kvcalloc(npages, each, GFP_KERNEL);
	if (!buf->src)
		return -ENOMEM;
	buf->dst = buf->src + npages;
	buf->pfns = buf->dst + npages;
	buf->pages = (struct page **)(buf->pfns + npages);
	buf->dma_addr = (dma_addr_t *)(buf->pages + npages);
	for (i = 0; i < npages; i++)
		buf->dma_addr[i] = DMA_MAPPING_ERROR;
	return 0;
}

/* Clear the pfn and page arrays (drm_gpusvm_migrate_unmap() resets the rest). */
static void drm_gpusvm_migrate_buf_reset(struct drm_gpusvm_migrate_buf *buf,
					 unsigned long npages)
{
	memset(buf->src, 0, 3 * npages * sizeof(*buf->src) +
	       npages * sizeof(*buf->pages));
}

static void drm_gpusvm_migrate_buf_free(struct drm_gpusvm_migrate_buf *buf)
{
	kvfree(buf->src);
}

/* Unmap the system pages of a migration. */
static void drm_gpusvm_migrate_unmap(struct device *dev,
				     struct drm_gpusvm_migrate_buf *buf,
				     unsigned long npages,
				     enum dma_data_direction dir)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		if (buf->dma_addr[i] == DMA_MAPPING_ERROR)
			continue;
		dma_unmap_page(dev, buf->dma_addr[i], PAGE_SIZE, dir);
		buf->dma_addr[i] = DMA_MAPPING_ERROR;
	}
}

/* Give up a migration: every source page stays where it is. */
static void drm_gpusvm_migrate_cancel(unsigned long *src, unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		src[i] &= ~MIGRATE_PFN_MIGRATE;
}

/* Count the pages a migration moved. */
static unsigned long drm_gpusvm_migrated(const unsigned long *src,
					 unsigned long npages)
{
	unsigned long i, n = 0;

	for (i = 0; i < npages; i++)
		n += !!(src[i] & MIGRATE_PFN_MIGRATE);
	return n;
}

/**
 * drm_gpusvm_migrate_to_devmem() - migrate a range to device memory
 * @gpusvm: the GPU SVM
 * @range: the range; &drm_gpusvm_range_flags.migrate_devmem must be set
 * @devmem: the allocation to migrate into, from drm_gpusvm_devmem_init(),
 *	at least as large as @range
 * @ctx: not used yet (for future policy)
 *
 * Collects the range's system pages with migrate_vma_setup() (pages that
 * cannot migrate, e.g. pinned ones, are left out and stay in system
 * memory), DMA-maps them, lets the driver copy them into the allocation's
 * pages (&drm_gpusvm_devmem_ops.copy_to_devmem; pages the CPU never
 * populated are zero-filled), and switches the CPU mappings over with
 * migrate_vma_pages() and migrate_vma_finalize().  The range's GPU mappings
 * of the old pages are invalidated on the way; drm_gpusvm_range_get_pages()
 * then maps the device pages.
 *
 * @devmem is handed over, whatever the result: its
 * &drm_gpusvm_devmem_ops.devmem_release is called once its last page is
 * freed, at once when no page migrated.
 *
 * Context: the driver's VM lock and the mmap lock held for reading; the
 * allocation must not be evicted meanwhile (hold its reservation).
 * Return: the number of pages migrated (fewer than the range has when some
 * could not move; 0 when none could), or -EINVAL when the range may not
 * migrate or @devmem is too small, -EFAULT when the range is no longer
 * mapped by one CPU VMA, -ENOMEM, or the driver's error (no page migrated).
 */
int drm_gpusvm_migrate_to_devmem(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct drm_gpusvm_devmem *devmem,
				 const struct drm_gpusvm_ctx *ctx)
{
	unsigned long start = drm_gpusvm_range_start(range);
	unsigned long end = drm_gpusvm_range_end(range);
	unsigned long npages = npages_in_range(start, end), i;
	struct migrate_vma migrate = {
		.start = start,
		.end = end,
		.pgmap_owner = gpusvm->device_private_page_owner,
		.flags = MIGRATE_VMA_SELECT_SYSTEM,
	};
	struct drm_gpusvm_migrate_buf buf;
	int err;

	mmap_assert_locked(gpusvm->mm);

	if (!range->flags.migrate_devmem || devmem->size < end - start) {
		err = -EINVAL;
		goto out;
	}
	migrate.vma = vma_lookup(gpusvm->mm, start);
	if (!migrate.vma || end > migrate.vma->vm_end) {
		err = -EFAULT;
		goto out;
	}

	err = drm_gpusvm_migrate_buf_alloc(&buf, npages);
	if (err)
		goto out;
	migrate.src = buf.src;
	migrate.dst = buf.dst;

	err = migrate_vma_setup(&migrate);
	if (err)
		goto out_free;
	if (!migrate.cpages)
		goto out_finalize;

	err = devmem->ops->populate_devmem_pfn(devmem, npages, buf.pfns);
	if (err)
		goto out_finalize;

	for (i = 0; i < npages; i++) {
		struct page *src = migrate_pfn_to_page(buf.src[i]);

		if (!(buf.src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (src) {
			buf.dma_addr[i] = dma_map_page(devmem->dev, src, 0,
						       PAGE_SIZE, DMA_TO_DEVICE);
			if (dma_mapping_error(devmem->dev, buf.dma_addr[i])) {
				buf.dma_addr[i] = DMA_MAPPING_ERROR;
				err = -EFAULT;
				goto out_unmap;
			}
		}
		buf.pages[i] = pfn_to_page(buf.pfns[i]);
		drm_gpusvm_devmem_page_get(devmem, buf.pages[i]);
		buf.dst[i] = migrate_pfn(buf.pfns[i]);
	}

	err = devmem->ops->copy_to_devmem(buf.pages, buf.dma_addr, npages);
	if (err)
		goto out_unmap;
	migrate_vma_pages(&migrate);

out_unmap:
	drm_gpusvm_migrate_unmap(devmem->dev, &buf, npages, DMA_TO_DEVICE);
out_finalize:
	if (err)
		drm_gpusvm_migrate_cancel(buf.src, npages);
	else
		err = drm_gpusvm_migrated(buf.src, npages);
	migrate_vma_finalize(&migrate);
out_free:
	drm_gpusvm_migrate_buf_free(&buf);
out:
	drm_gpusvm_devmem_put(devmem);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_migrate_to_devmem);

/*
 * Allocate, lock and DMA-map system pages for the device pages of a
 * migration to RAM that belong to @devmem (the others stay), and let the
 * driver copy.  @vma is the VMA the pages are mapped in, NULL for
 * eviction.
 */
static int drm_gpusvm_copy_to_ram(struct drm_gpusvm_devmem *devmem,
				  struct drm_gpusvm_migrate_buf *buf,
				  unsigned long npages,
				  struct vm_area_struct *vma,
				  unsigned long start)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *src = migrate_pfn_to_page(buf->src[i]);
		struct page *dst;

		if (!src || !(buf->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		if (src->zone_device_data != devmem) {
			buf->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		if (vma)
			dst = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma,
					     start + i * PAGE_SIZE);
		else
			dst = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!dst)
			return -ENOMEM;
		lock_page(dst);
		buf->dst[i] = migrate_pfn(page_to_pfn(dst));
		buf->dma_addr[i] = dma_map_page(devmem->dev, dst, 0, PAGE_SIZE,
						DMA_FROM_DEVICE);
		if (dma_mapping_error(devmem->dev, buf->dma_addr[i])) {
			buf->dma_addr[i] = DMA_MAPPING_ERROR;
			return -EFAULT;
		}
		buf->pages[i] = src;
	}

	return devmem->ops->copy_to_ram(buf->pages, buf->dma_addr, npages);
}

/**
 * drm_gpusvm_migrate_vma_setup() - the migrate_vma_setup() of a CPU fault
 * @migrate: the migration
 *
 * A function of its own so that KUnit tests can widen the window between
 * a CPU fault on a device page and the collection of its pages (where
 * concurrent faults on the same page used to defeat each other).
 *
 * Return: what migrate_vma_setup() returns.
 */
VISIBLE_IF_KUNIT int drm_gpusvm_migrate_vma_setup(struct migrate_vma *migrate)
{
	KUNIT_STATIC_STUB_REDIRECT(drm_gpusvm_migrate_vma_setup, migrate);

	return migrate_vma_setup(migrate);
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_migrate_vma_setup);

/*
 * Migrate the pages of @fault_page's allocation that @vma maps in the
 * allocation-sized window around @addr back to system memory.
 */
static int __drm_gpusvm_migrate_to_ram(struct vm_area_struct *vma,
				       struct page *fault_page,
				       unsigned long addr)
{
	struct drm_gpusvm_devmem *devmem = fault_page->zone_device_data;
	unsigned long start, end, npages;
	struct migrate_vma migrate = {
		.vma = vma,
		.pgmap_owner = fault_page->pgmap->owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = fault_page,
	};
	struct drm_gpusvm_migrate_buf buf;
	int err;

	start = max(rounddown(addr, devmem->size), vma->vm_start);
	end = min(rounddown(addr, devmem->size) + devmem->size, vma->vm_end);
	npages = npages_in_range(start, end);
	migrate.start = start;
	migrate.end = end;

	err = drm_gpusvm_migrate_buf_alloc(&buf, npages);
	if (err)
		return err;
	migrate.src = buf.src;
	migrate.dst = buf.dst;

	err = drm_gpusvm_migrate_vma_setup(&migrate);
	if (err || !migrate.cpages)
		goto out_free;

	err = drm_gpusvm_copy_to_ram(devmem, &buf, npages, vma, start);
	if (err)
		drm_gpusvm_migrate_cancel(buf.src, npages);
	migrate_vma_pages(&migrate);
	drm_gpusvm_migrate_unmap(devmem->dev, &buf, npages, DMA_FROM_DEVICE);
	migrate_vma_finalize(&migrate);
out_free:
	drm_gpusvm_migrate_buf_free(&buf);
	return err;
}

/*
 * &dev_pagemap_ops.migrate_to_ram: a CPU fault on a device page.  Entered
 * with the page locked and referenced (do_swap_page()).
 */
static vm_fault_t drm_gpusvm_migrate_to_ram(struct vm_fault *vmf)
{
	int err;

	err = __drm_gpusvm_migrate_to_ram(vmf->vma, vmf->page, vmf->address);
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	return err ? VM_FAULT_SIGBUS : 0;
}

static const struct dev_pagemap_ops drm_gpusvm_pagemap_ops = {
	.page_free = drm_gpusvm_page_free,
	.migrate_to_ram = drm_gpusvm_migrate_to_ram,
};

/**
 * drm_gpusvm_pagemap_ops_get() - the dev_pagemap operations of SVM memory
 *
 * For the &dev_pagemap of the driver's device memory: device pages freed
 * drop their allocation's reference, CPU faults on them migrate them back.
 *
 * Return: the operations.
 */
const struct dev_pagemap_ops *drm_gpusvm_pagemap_ops_get(void)
{
	return &drm_gpusvm_pagemap_ops;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_pagemap_ops_get);

/**
 * drm_gpusvm_evict_to_ram() - migrate every page of an allocation to RAM
 * @devmem: the allocation
 *
 * Collects the allocation's pages in use wherever they are (with
 * migrate_device_pfns(): the pages need not be contiguous, and may be
 * mapped by several processes or already partly freed), copies them to
 * new system pages (&drm_gpusvm_devmem_ops.copy_to_ram) and switches every
 * CPU mapping over.  Pages another thread is migrating at the same time
 * are waited for.  The allocation is released (its last page freed) by
 * the time this returns 0.
 *
 * Context: may sleep; may hold the allocation's reservation; takes page
 * locks and, through the MMU notifiers, GPU SVM notifier locks.
 * Return: 0; -EBUSY when pages stayed in use (pinned) after repeated
 * attempts; -ENOMEM; or the driver's error (the pages stay in device
 * memory).
 */
int drm_gpusvm_evict_to_ram(struct drm_gpusvm_devmem *devmem)
{
	unsigned long npages = devmem->size >> PAGE_SHIFT;
	struct drm_gpusvm_migrate_buf buf;
	int tries, err;

	err = drm_gpusvm_migrate_buf_alloc(&buf, npages);
	if (err)
		return err;

	for (tries = 0; tries < DRM_GPUSVM_EVICT_TRIES; tries++) {
		if (completion_done(&devmem->detached))
			break;

		drm_gpusvm_migrate_buf_reset(&buf, npages);
		err = devmem->ops->populate_devmem_pfn(devmem, npages, buf.src);
		if (err)
			break;
		migrate_device_pfns(buf.src, npages);
		err = drm_gpusvm_copy_to_ram(devmem, &buf, npages, NULL, 0);
		if (err)
			drm_gpusvm_migrate_cancel(buf.src, npages);
		migrate_device_pages(buf.src, buf.dst, npages);
		drm_gpusvm_migrate_unmap(devmem->dev, &buf, npages,
					 DMA_FROM_DEVICE);
		migrate_device_finalize(buf.src, buf.dst, npages);
		if (err)
			break;
		/* Pages locked by concurrent migrations: let them finish. */
		wait_for_completion_timeout(&devmem->detached,
					    msecs_to_jiffies(tries));
	}
	if (!err && !completion_done(&devmem->detached))
		err = -EBUSY;

	drm_gpusvm_migrate_buf_free(&buf);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_evict_to_ram);

/**
 * drm_gpusvm_range_evict() - bring a range's pages back to system memory
 * @gpusvm: the GPU SVM
 * @range: the range
 *
 * Faults the range's pages in as the CPU would, so that every device page
 * in it (this device's or another's) migrates to system memory.  The
 * range's GPU mappings are invalidated on the way.
 *
 * Context: the driver's VM lock; takes the mmap lock for reading.
 * Return: 0; -EFAULT when the process has exited or an address has no
 * VMA; -EBUSY when the mm stayed busy; -ENOMEM.
 */
int drm_gpusvm_range_evict(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range)
{
	unsigned long npages = npages_in_range(drm_gpusvm_range_start(range),
					       drm_gpusvm_range_end(range));
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range hmm_range = {
		.default_flags = HMM_PFN_REQ_FAULT,
		.notifier = &range->notifier->notifier,
		.start = drm_gpusvm_range_start(range),
		.end = drm_gpusvm_range_end(range),
	};
	int err;

	if (!mmget_not_zero(gpusvm->mm))
		return -EFAULT;

	hmm_range.hmm_pfns = kvmalloc_array(npages, sizeof(*hmm_range.hmm_pfns),
					    GFP_KERNEL);
	if (!hmm_range.hmm_pfns) {
		err = -ENOMEM;
		goto out_mmput;
	}

	do {
		hmm_range.notifier_seq =
			mmu_interval_read_begin(hmm_range.notifier);
		err = drm_gpusvm_hmm_fault(gpusvm, &hmm_range);
	} while (err == -EBUSY && time_before(jiffies, timeout));

	kvfree(hmm_range.hmm_pfns);
out_mmput:
	mmput(gpusvm->mm);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_evict);

#else

void drm_gpusvm_devmem_init(struct drm_gpusvm_devmem *devmem,
			    struct device *dev,
			    const struct drm_gpusvm_devmem_ops *ops,
			    struct drm_pagemap *dpagemap, size_t size)
{
}
EXPORT_SYMBOL_GPL(drm_gpusvm_devmem_init);

int drm_gpusvm_migrate_to_devmem(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct drm_gpusvm_devmem *devmem,
				 const struct drm_gpusvm_ctx *ctx)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_migrate_to_devmem);

int drm_gpusvm_evict_to_ram(struct drm_gpusvm_devmem *devmem)
{
	return -EOPNOTSUPP;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_evict_to_ram);

int drm_gpusvm_range_evict(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range)
{
	return 0;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_evict);

const struct dev_pagemap_ops *drm_gpusvm_pagemap_ops_get(void)
{
	return NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_pagemap_ops_get);

static int drm_gpusvm_devmem_map(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct page *page, unsigned long hmm_pfn,
				 enum dma_data_direction dir,
				 struct drm_pagemap_device_addr *addr)
{
	return -EFAULT;
}

#endif

MODULE_DESCRIPTION("DRM GPU shared virtual memory");
MODULE_LICENSE("Dual MIT/GPL");
