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
 * - **Pages** (&struct drm_gpusvm_pages, which the driver embeds next to
 *   its range, or in anything else with an MMU interval notifier of its
 *   own, such as a userptr binding): drm_gpusvm_get_pages() faults in and
 *   DMA-maps pages, as whole folios where the CPU maps them so (a 2M range
 *   backed by a transparent huge page is one mapping), and publishes them
 *   only if no invalidation raced with it.
 *
 * A GPU SVM initialized without an mm (see drm_gpusvm_init()) serves the
 * pages API only: it has no ranges, and its notifier lock is the one the
 * users of its pages take.
 *
 * The driver provides the &drm_gpusvm_ops.invalidate callback (zap GPU
 * mappings, invalidate TLBs, unmap the pages) and a worker that removes
 * ranges the CPU has unmapped (a notifier callback must not remove them).
 * Device memory (migration to and from it) is drm_pagemap's.
 */

/**
 * DOC: Locking
 *
 * Three locks are involved, always taken in this order:
 *
 * 1. **The driver's VM lock** (a mutex or rwsem of the driver's, named to
 *    lockdep with drm_gpusvm_driver_set_lock()): held around
 *    drm_gpusvm_range_find_or_insert(), drm_gpusvm_range_remove(),
 *    drm_gpusvm_fini(), the lookups and iterators.  It serializes changes
 *    to the notifier and range trees, and the users of one
 *    &struct drm_gpusvm_pages (drm_gpusvm_get_pages() of it).  The
 *    invalidation callback never takes it.
 * 2. **The mmap lock** of the address space: taken for reading inside
 *    drm_gpusvm only, around find_vma() and hmm_range_fault(); never held
 *    when calling into the driver.
 * 3. **The notifier lock** (&drm_gpusvm.notifier_lock, an rwsem): held for
 *    writing by the MMU notifier callbacks while the driver zaps GPU
 *    mappings; held for reading by the driver from drm_gpusvm_pages_valid()
 *    to the end of the GPU page-table commit (drm_gpusvm_notifier_lock()),
 *    and inside drm_gpusvm while it maps pages and changes the range
 *    trees.  Because MMU notifiers run in memory reclaim, nothing may
 *    allocate memory (other than atomically) while holding it;
 *    drm_gpusvm_init() teaches lockdep so.
 *
 * Pages are valid from the moment drm_gpusvm_get_pages() publishes them
 * until an invalidation callback unmaps them; the notifier lock makes
 * "check valid, then commit GPU PTEs" atomic with respect to invalidation.
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
 *		pages = &to_driver_range(range)->pages;
 *		err = drm_gpusvm_get_pages(gpusvm, pages, gpusvm->mm,
 *					   &range->notifier->notifier,
 *					   drm_gpusvm_range_start(range),
 *					   drm_gpusvm_range_end(range), &ctx);
 *		if (err == -EOPNOTSUPP) {		// pages it cannot map
 *			drm_gpusvm_range_evict(gpusvm, range);
 *			goto retry;
 *		}
 *		if (err)
 *			return err;
 *		prepare_page_tables(range);		// may allocate
 *		drm_gpusvm_notifier_lock(gpusvm);
 *		if (!drm_gpusvm_pages_valid(gpusvm, pages)) {
 *			drm_gpusvm_notifier_unlock(gpusvm);
 *			goto retry;			// invalidated meanwhile
 *		}
 *		commit_page_tables(pages->dma_addr);	// must not allocate
 *		drm_gpusvm_notifier_unlock(gpusvm);
 *
 * The invalidation callback, with the notifier lock held for writing::
 *
 *	drm_gpusvm_for_each_range(range, notifier, start, end) {
 *		zap_page_tables(range);
 *		drm_gpusvm_unmap_pages(gpusvm, pages, npages, &in_notifier_ctx);
 *		if (mmu_range->event == MMU_NOTIFY_UNMAP) {
 *			drm_gpusvm_range_set_unmapped(range, pages, 1, mmu_range);
 *			queue_for_garbage_collection(range);
 *		}
 *	}
 *	invalidate_tlbs(start, end);
 *
 * And the garbage collector, a worker, with the VM lock held: unbind each
 * queued range, drm_gpusvm_unmap_pages() and drm_gpusvm_range_remove() it;
 * its &drm_gpusvm_ops.range_free calls drm_gpusvm_free_pages().
 */

/*
 * The CPU and the GPU use mirrored pages at the same time, with no transfer
 * of ownership in between: a GPU that does SVM snoops the CPU caches, and
 * there is nothing for dma_sync_*() to do, at mapping time or later.  The
 * same page may also be mapped for several VMs of one device at once, which
 * the DMA API allows only without CPU syncs.
 */
#define DRM_GPUSVM_DMA_ATTRS	DMA_ATTR_SKIP_CPU_SYNC

/*
 * drm_gpusvm_get_pages() keeps the pfns of up to this many pages on the stack
 * (a 64K range: 128 bytes), and allocates them for larger ones.
 */
#define DRM_GPUSVM_PFNS_ONSTACK	16

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
	gpusvm->ops->invalidate(gpusvm, notifier, mmu_range);
	up_write(&gpusvm->notifier_lock);

	return true;
}

static const struct mmu_interval_notifier_ops drm_gpusvm_notifier_ops = {
	.invalidate = drm_gpusvm_notifier_invalidate,
};

/* The arguments of a GPU SVM with ranges; messages say what is wrong. */
static int drm_gpusvm_check_args(const char *name, struct mm_struct *mm,
				 unsigned long mm_start, unsigned long mm_range,
				 unsigned long notifier_size,
				 const struct drm_gpusvm_ops *ops,
				 const unsigned long *chunk_sizes,
				 int num_chunks)
{
	int i;

	if (!ops || !ops->invalidate || !chunk_sizes || num_chunks <= 0) {
		pr_err("drm_gpusvm: %s: missing ops->invalidate or chunk sizes\n",
		       name);
		return -EINVAL;
	}
	for (i = 0; i < num_chunks; i++) {
		if (!is_power_of_2(chunk_sizes[i]) ||
		    chunk_sizes[i] < PAGE_SIZE ||
		    (i && chunk_sizes[i] >= chunk_sizes[i - 1])) {
			pr_err("drm_gpusvm: %s: chunk sizes must be descending powers of two >= PAGE_SIZE (entry %d is %#lx)\n",
			       name, i, chunk_sizes[i]);
			return -EINVAL;
		}
	}
	if (chunk_sizes[num_chunks - 1] != PAGE_SIZE) {
		pr_err("drm_gpusvm: %s: the last chunk size must be PAGE_SIZE\n",
		       name);
		return -EINVAL;
	}
	if (!is_power_of_2(notifier_size) || notifier_size < chunk_sizes[0]) {
		pr_err("drm_gpusvm: %s: notifier size %#lx must be a power of two >= the largest chunk %#lx\n",
		       name, notifier_size, chunk_sizes[0]);
		return -EINVAL;
	}
	if (!PAGE_ALIGNED(mm_start) || !PAGE_ALIGNED(mm_range) || !mm_range ||
	    mm_start + mm_range - 1 < mm_start) {
		pr_err("drm_gpusvm: %s: bad window [%#lx, +%#lx)\n",
		       name, mm_start, mm_range);
		return -EINVAL;
	}
	return 0;
}

/**
 * drm_gpusvm_init() - initialize a GPU SVM
 * @gpusvm: the GPU SVM, embedded in the driver's VM
 * @name: name, for messages
 * @mm: the address space to mirror (a reference is taken with mmgrab());
 *	NULL for a GPU SVM that only serves drm_gpusvm_get_pages() users
 *	(userptr bindings, say): then @mm_range, @notifier_size, @ops and
 *	@num_chunks must be 0 (or NULL)
 * @mm_start: start of the mirrored window, page aligned
 * @mm_range: size of the mirrored window, page aligned
 * @notifier_size: size of the window of one notifier: a power of two, at
 *	least the largest chunk size
 * @ops: the driver's operations; &drm_gpusvm_ops.invalidate is required
 * @chunk_sizes: range sizes, powers of two in descending order, the last
 *	one PAGE_SIZE; the array must outlive @gpusvm
 * @num_chunks: number of @chunk_sizes
 *
 * The device pages are DMA-mapped for is each &struct drm_gpusvm_pages'
 * own (drm_gpusvm_init_pages()), as is the device-private page owner of
 * each operation (&drm_gpusvm_ctx.device_private_page_owner).
 *
 * Return: 0, or -EINVAL for a bad argument (with a message saying which).
 */
int drm_gpusvm_init(struct drm_gpusvm *gpusvm,
		    const char *name,
		    struct mm_struct *mm,
		    unsigned long mm_start, unsigned long mm_range,
		    unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops,
		    const unsigned long *chunk_sizes, int num_chunks)
{
	int err;

	name = name ?: "?";
	if (!mm && (mm_range || notifier_size || ops || num_chunks)) {
		pr_err("drm_gpusvm: %s: without an mm, a GPU SVM has no window, notifiers, ops or chunks\n",
		       name);
		return -EINVAL;
	}
	if (mm) {
		err = drm_gpusvm_check_args(name, mm, mm_start, mm_range,
					    notifier_size, ops, chunk_sizes,
					    num_chunks);
		if (err)
			return err;
	}

	gpusvm->name = name;
	gpusvm->mm = mm;
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

	if (mm)
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

/**
 * drm_gpusvm_find_vma_start() - where the first CPU VMA of an interval
 *	starts
 * @gpusvm: the GPU SVM
 * @start: start of the interval
 * @end: end of the interval (exclusive)
 *
 * Context: takes the mmap lock for reading.
 * Return: the start of the first VMA that intersects [@start, @end) (it
 * may begin before @start), or ULONG_MAX when none does or the process
 * has exited.
 */
unsigned long
drm_gpusvm_find_vma_start(struct drm_gpusvm *gpusvm,
			  unsigned long start,
			  unsigned long end)
{
	struct mm_struct *mm = gpusvm->mm;
	struct vm_area_struct *vma;
	unsigned long addr = ULONG_MAX;

	if (!mm || !mmget_not_zero(mm))
		return ULONG_MAX;
	mmap_read_lock(mm);
	vma = find_vma_intersection(mm, start, end);
	if (vma)
		addr = vma->vm_start;
	mmap_read_unlock(mm);
	mmput(mm);
	return addr;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_find_vma_start);

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
	notifier->flags.removed = false;
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

/* Remove the MMU notifier of an empty notifier (if still there) and free it. */
static void drm_gpusvm_notifier_destroy(struct drm_gpusvm *gpusvm,
					struct drm_gpusvm_notifier *notifier)
{
	drm_gpusvm_notifier_remove(gpusvm, notifier);
	if (!notifier->flags.removed)
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
				   unsigned long start, unsigned long end,
				   const struct drm_gpusvm_ctx *ctx)
{
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	unsigned long npages = npages_in_range(start, end), i;
	struct hmm_range hmm_range = {
		.default_flags = 0,
		.notifier = &notifier->notifier,
		.start = start,
		.end = end,
		.dev_private_owner = ctx->device_private_page_owner,
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
		/*
		 * The caller found no range at @fault_addr: no range (ranges
		 * are whole pages) can overlap its page, the smallest chunk.
		 */
		if (size > PAGE_SIZE &&
		    drm_gpusvm_range_find(notifier, start, end))
			continue;
		if (i < gpusvm->num_chunks - 1 &&
		    size <= ctx->check_pages_threshold &&
		    !drm_gpusvm_check_pages(gpusvm, notifier, start, end, ctx))
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
 * @ctx: &drm_gpusvm_ctx.check_pages_threshold (with
 *	&drm_gpusvm_ctx.device_private_page_owner), &drm_gpusvm_ctx.read_only
 *	and &drm_gpusvm_ctx.devmem_possible are used
 *
 * Returns the range that contains @fault_addr, or creates one with the
 * largest chunk size that fits (see the overview), creating its notifier
 * when it is the first range of its window.  No reference is taken: the
 * range stays valid while the caller holds the VM lock.
 *
 * Context: the driver's VM lock; takes the mmap lock for reading.
 * Return: the range; ERR_PTR(-EINVAL) when @fault_addr is outside the
 * mirrored window or [@gpuva_start, @gpuva_end), or no chunk size fits;
 * ERR_PTR(-EFAULT) when the process has exited; ERR_PTR(-ENOENT) when
 * @fault_addr is in no CPU VMA; ERR_PTR(-EPERM) for a read-only VMA unless
 * @ctx asks for read-only access; ERR_PTR(-EIO) for I/O or PFN mappings
 * (no struct page to mirror); ERR_PTR(-ENOMEM).
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
		err = -ENOENT;
		goto out_unlock;
	}
	if (!ctx->read_only && !(vma->vm_flags & VM_WRITE)) {
		err = -EPERM;
		goto out_unlock;
	}
	if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
		err = -EIO;
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
 * Unmap the first @npages pages of @svm_pages: system pages through the
 * DMA API, device pages through their pagemap.
 */
static void drm_gpusvm_unmap_addrs(struct drm_gpusvm_pages *svm_pages,
				   unsigned long npages)
{
	struct drm_pagemap *dpagemap = svm_pages->dpagemap;
	struct device *dev = svm_pages->drm->dev;
	unsigned long i, j;

	for (i = 0, j = 0; i < npages; j++) {
		struct drm_pagemap_addr *addr = &svm_pages->dma_addr[j];

		if (addr->proto == DRM_INTERCONNECT_SYSTEM)
			dma_unmap_page_attrs(dev, addr->addr,
					     PAGE_SIZE << addr->order,
					     addr->dir, DRM_GPUSVM_DMA_ATTRS);
		else if (dpagemap && dpagemap->ops->device_unmap)
			dpagemap->ops->device_unmap(dpagemap, dev, *addr);
		i += NR_PAGES(addr->order);
	}
}

/* Unmap pages; the notifier lock is held (either mode). */
static void __drm_gpusvm_unmap_pages(struct drm_gpusvm *gpusvm,
				     struct drm_gpusvm_pages *svm_pages,
				     unsigned long npages)
{
	struct drm_gpusvm_pages_flags flags = {
		.__flags = svm_pages->flags.__flags,
	};

	lockdep_assert_held(&gpusvm->notifier_lock);

	if (!svm_pages->drm || !flags.has_dma_mapping)
		return;
	drm_gpusvm_unmap_addrs(svm_pages, npages);
	flags.has_devmem_pages = false;
	flags.has_dma_mapping = false;
	WRITE_ONCE(svm_pages->flags.__flags, flags.__flags);
	drm_pagemap_put(svm_pages->dpagemap);
	svm_pages->dpagemap = NULL;
	svm_pages->notifier_seq = LONG_MAX;
}

/**
 * drm_gpusvm_unmap_pages() - unmap pages
 * @gpusvm: the GPU SVM whose notifier lock protects the pages
 * @svm_pages: the pages
 * @npages: how many pages they are (the size of what was collected)
 * @ctx: with &drm_gpusvm_ctx.in_notifier set when called from an
 *	invalidation callback
 *
 * The pages stop being valid; their address array is kept for the next
 * drm_gpusvm_get_pages().  The device must no longer use them: zap its
 * mappings first.  Unmapping from the invalidation callback itself is what
 * keeps an IOMMU from letting the device reach pages the CPU gave up.
 *
 * Context: from an invalidation callback (@ctx->in_notifier: the notifier
 * lock is held for writing), or with the driver's lock of @svm_pages held
 * (takes the notifier lock).
 */
void drm_gpusvm_unmap_pages(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages,
			    unsigned long npages,
			    const struct drm_gpusvm_ctx *ctx)
{
	if (ctx->in_notifier) {
		lockdep_assert_held_write(&gpusvm->notifier_lock);
		__drm_gpusvm_unmap_pages(gpusvm, svm_pages, npages);
		return;
	}

	drm_gpusvm_notifier_lock(gpusvm);
	__drm_gpusvm_unmap_pages(gpusvm, svm_pages, npages);
	drm_gpusvm_notifier_unlock(gpusvm);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_unmap_pages);

/**
 * drm_gpusvm_free_pages() - unmap pages and free their address array
 * @gpusvm: the GPU SVM whose notifier lock protects the pages
 * @svm_pages: the pages
 * @npages: how many pages they are
 *
 * For the end of the user of @svm_pages (a range's
 * &drm_gpusvm_ops.range_free, a userptr's removal); safe when they are
 * unmapped already.
 *
 * Context: not holding the notifier lock (takes it).
 */
void drm_gpusvm_free_pages(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_pages *svm_pages,
			   unsigned long npages)
{
	struct drm_pagemap_addr *dma_addr;

	drm_gpusvm_notifier_lock(gpusvm);
	__drm_gpusvm_unmap_pages(gpusvm, svm_pages, npages);
	dma_addr = svm_pages->dma_addr;
	svm_pages->dma_addr = NULL;
	drm_gpusvm_notifier_unlock(gpusvm);
	kvfree(dma_addr);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_free_pages);

static void drm_gpusvm_range_destroy(struct kref *refcount)
{
	struct drm_gpusvm_range *range =
		container_of(refcount, struct drm_gpusvm_range, refcount);
	struct drm_gpusvm *gpusvm = range->gpusvm;

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
 * The last reference frees it (it must have been removed):
 * &drm_gpusvm_ops.range_free, or kfree().
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
 * Takes it out of its notifier and drops the tree's reference; the
 * notifier goes with its last range.  The GPU must no longer map the
 * range, and its pages must be unmapped (drm_gpusvm_unmap_pages()): the
 * range's &struct drm_gpusvm_pages are the driver's.
 *
 * Context: the driver's VM lock; not from the invalidation callback.
 */
void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range)
{
	drm_gpusvm_driver_lock_held(gpusvm);
	if (WARN_ON_ONCE(drm_gpusvm_range_find(range->notifier,
					       drm_gpusvm_range_start(range),
					       drm_gpusvm_range_end(range)) != range))
		return;
	__drm_gpusvm_range_remove(gpusvm, range);
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_remove);

/**
 * drm_gpusvm_fini() - tear down a GPU SVM
 * @gpusvm: the GPU SVM
 *
 * Removes every MMU interval notifier (so no invalidation comes any
 * more), then every remaining range and notifier, and drops the reference
 * on the mm.  Nothing else may use @gpusvm any more; the GPU must no longer
 * map any range, and the driver must have unmapped the ranges' pages.
 *
 * Context: the driver's VM lock.
 */
void drm_gpusvm_fini(struct drm_gpusvm *gpusvm)
{
	struct drm_gpusvm_notifier *notifier, *next;

	drm_gpusvm_driver_lock_held(gpusvm);
	drm_gpusvm_for_each_notifier_safe(notifier, next, gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *range, *next_range;

		mmu_interval_notifier_remove(&notifier->notifier);
		notifier->flags.removed = true;
		drm_gpusvm_for_each_range_safe(range, next_range, notifier,
					       0, ULONG_MAX)
			__drm_gpusvm_range_remove(gpusvm, range);
	}

	WARN_ON(!RB_EMPTY_ROOT(&gpusvm->root.rb_root));
	if (gpusvm->mm)
		mmdrop(gpusvm->mm);
	gpusvm->mm = NULL;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_fini);

/**
 * drm_gpusvm_pages_valid() - are pages valid?
 * @gpusvm: the GPU SVM whose notifier lock protects the pages
 * @svm_pages: the pages
 *
 * Valid means collected by drm_gpusvm_get_pages() and not unmapped by an
 * invalidation since.  Keep holding the lock until the GPU mappings of the
 * pages are committed.
 *
 * Context: the notifier lock (drm_gpusvm_notifier_lock()).
 * Return: true if the pages are valid.
 */
bool drm_gpusvm_pages_valid(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages)
{
	lockdep_assert_held(&gpusvm->notifier_lock);

	return svm_pages->flags.has_devmem_pages ||
	       svm_pages->flags.has_dma_mapping;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_pages_valid);

/* As drm_gpusvm_pages_valid(), taking the notifier lock: a hint only. */
static bool drm_gpusvm_pages_valid_unlocked(struct drm_gpusvm *gpusvm,
					    struct drm_gpusvm_pages *svm_pages)
{
	bool valid;

	if (!svm_pages->dma_addr)
		return false;
	drm_gpusvm_notifier_lock(gpusvm);
	valid = drm_gpusvm_pages_valid(gpusvm, svm_pages);
	drm_gpusvm_notifier_unlock(gpusvm);
	return valid;
}

/**
 * drm_gpusvm_hmm_fault() - the hmm_range_fault() step of page collection
 * @gpusvm: the GPU SVM
 * @mm: the address space
 * @hmm_range: the HMM range, with its notifier sequence number set
 *
 * A function of its own so that KUnit tests can make an invalidation race
 * with page collection at exactly this point.
 *
 * Context: takes the mmap lock of @mm for reading.
 * Return: what hmm_range_fault() returns.
 */
VISIBLE_IF_KUNIT int drm_gpusvm_hmm_fault(struct drm_gpusvm *gpusvm,
					  struct mm_struct *mm,
					  struct hmm_range *hmm_range)
{
	int err;

	KUNIT_STATIC_STUB_REDIRECT(drm_gpusvm_hmm_fault, gpusvm, mm, hmm_range);

	mmap_read_lock(mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(mm);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(drm_gpusvm_hmm_fault);

/*
 * The order of the chunk one DMA mapping covers from page @i of @npages on:
 * the pages the CPU maps with the same (huge) mapping as page @i, from
 * @i to the end of that mapping (its pfns are contiguous, and a huge
 * mapping is naturally aligned in pfns), within the @npages, rounded down
 * to a power of two.  The collection need not be aligned to the mapping
 * (a userptr may start anywhere in a transparent huge page).
 */
static unsigned int drm_gpusvm_hmm_pfn_order(unsigned long hmm_pfn,
					     unsigned long i,
					     unsigned long npages)
{
	unsigned long size = 1UL << hmm_pfn_to_map_order(hmm_pfn);

	size -= page_to_pfn(hmm_pfn_to_page(hmm_pfn)) & (size - 1);
	return ilog2(min(size, npages - i));
}

/*
 * What drm_gpusvm_map_pages() has seen so far: the zone-device data (the
 * allocation) of the last device page, and the one &struct dev_pagemap.
 */
struct drm_gpusvm_map_state {
	void *zdd;
	struct dev_pagemap *pagemap;
};

/*
 * Map device-private page @i for the device (notifier lock held).  Its
 * pagemap becomes the pages' (one &struct dev_pagemap per
 * &struct drm_gpusvm_pages); without &drm_gpusvm_ctx.allow_mixed, the
 * pages must all be device pages of one allocation.
 */
static int drm_gpusvm_map_device_page(struct drm_gpusvm_pages *svm_pages,
				      struct page *page, unsigned long i,
				      unsigned long hmm_pfn, unsigned int order,
				      enum dma_data_direction dir,
				      const struct drm_gpusvm_ctx *ctx,
				      struct drm_gpusvm_map_state *state,
				      struct drm_pagemap_addr *addr)
{
	struct device *dev = svm_pages->drm->dev;
	struct drm_pagemap *dpagemap;

	/*
	 * hmm_range_fault() hands out a device page the CPU maps read-only
	 * (shared after fork()) even when asked for write access: the GPU
	 * must not write it.  The caller faults it in again without owner,
	 * which migrates it to a private system page.
	 */
	if (dir != DMA_TO_DEVICE && !(hmm_pfn & HMM_PFN_WRITE))
		return -EAGAIN;

	if (!ctx->allow_mixed && i && state->zdd != page->zone_device_data)
		return -EOPNOTSUPP;
	state->zdd = page->zone_device_data;
	if (state->pagemap != page->pgmap) {
		if (state->pagemap)
			return -EOPNOTSUPP;	/* one pagemap per pages */
		dpagemap = drm_pagemap_page_to_dpagemap(page);
		if (WARN_ON_ONCE(!dpagemap))
			return -EAGAIN;
		state->pagemap = page->pgmap;
		drm_pagemap_get(dpagemap);
		drm_pagemap_put(svm_pages->dpagemap);
		svm_pages->dpagemap = dpagemap;
	}
	dpagemap = svm_pages->dpagemap;

	*addr = dpagemap->ops->device_map(dpagemap, dev, page, order, dir);
	if (dma_mapping_error(dev, addr->addr))
		return -EFAULT;
	return 0;
}

/*
 * DMA-map the pages hmm_range_fault() found.  Called with the notifier lock
 * held and the sequence checked, so no invalidation can free them meanwhile.
 * On error, what was mapped is unmapped again.
 */
static int drm_gpusvm_map_pages(struct drm_gpusvm *gpusvm,
				struct drm_gpusvm_pages *svm_pages,
				const unsigned long *pfns,
				unsigned long npages,
				const struct drm_gpusvm_ctx *ctx)
{
	enum dma_data_direction dir = ctx->read_only ? DMA_TO_DEVICE :
						       DMA_BIDIRECTIONAL;
	struct drm_gpusvm_pages_flags flags = {
		.__flags = svm_pages->flags.__flags,
	};
	struct device *dev = svm_pages->drm->dev;
	struct drm_gpusvm_map_state state = {};
	unsigned long i, j;
	int err = 0;

	for (i = 0, j = 0; i < npages; j++) {
		struct page *page = hmm_pfn_to_page(pfns[i]);
		unsigned int order = drm_gpusvm_hmm_pfn_order(pfns[i], i,
							       npages);
		struct drm_pagemap_addr addr;

		if (is_device_private_page(page)) {
			err = drm_gpusvm_map_device_page(svm_pages, page, i,
							 pfns[i], order, dir,
							 ctx, &state, &addr);
			if (err)
				break;
			flags.has_devmem_pages = true;
		} else {
			dma_addr_t dma;

			if (is_zone_device_page(page) ||
			    (state.pagemap && !ctx->allow_mixed)) {
				err = -EOPNOTSUPP;
				break;
			}
			if (ctx->devmem_only) {
				err = -EFAULT;
				break;
			}
			dma = dma_map_page_attrs(dev, page, 0, PAGE_SIZE << order,
						 dir, DRM_GPUSVM_DMA_ATTRS);
			if (dma_mapping_error(dev, dma)) {
				err = -EFAULT;
				break;
			}
			addr = drm_pagemap_addr_encode(dma,
						       DRM_INTERCONNECT_SYSTEM,
						       order, dir);
		}
		svm_pages->dma_addr[j] = addr;
		i += NR_PAGES(addr.order);
	}

	if (err) {
		drm_gpusvm_unmap_addrs(svm_pages, i);
		drm_pagemap_put(svm_pages->dpagemap);
		svm_pages->dpagemap = NULL;
		return err;
	}
	flags.has_dma_mapping = true;
	WRITE_ONCE(svm_pages->flags.__flags, flags.__flags);
	return 0;
}

/**
 * drm_gpusvm_get_pages() - collect and DMA-map pages
 * @gpusvm: the GPU SVM whose notifier lock protects the pages
 * @svm_pages: the pages, set up with drm_gpusvm_init_pages()
 * @mm: the address space
 * @notifier: the MMU interval notifier covering [@pages_start, @pages_end)
 *	(a range's &drm_gpusvm_notifier.notifier, a userptr's own)
 * @pages_start: first address, page aligned
 * @pages_end: end (exclusive), page aligned
 * @ctx: &drm_gpusvm_ctx.read_only: fault the pages for reading only and
 *	map them %DMA_TO_DEVICE, otherwise for writing, %DMA_BIDIRECTIONAL;
 *	&drm_gpusvm_ctx.device_private_page_owner: device pages left in
 *	place; &drm_gpusvm_ctx.devmem_only, &drm_gpusvm_ctx.allow_mixed
 *
 * Faults the pages in with hmm_range_fault() under the notifier's sequence
 * number (retrying while the mm is busy, for at most
 * %HMM_RANGE_DEFAULT_TIMEOUT ms), then, under the notifier lock and only
 * if no invalidation happened since, DMA-maps them (one mapping per folio
 * chunk the CPU maps whole; device pages through their pagemap's
 * &drm_pagemap_ops.device_map) and publishes them.  If an invalidation
 * raced, it starts again.  Pages that are valid already are left as they
 * are.  A device page the CPU maps read-only, for a writable mapping, is
 * faulted in again without owner (migrated to a system page).
 *
 * Context: the driver's lock of @svm_pages (its VM lock); takes the mmap
 * lock for reading and the notifier lock.
 * Return: 0; -EFAULT when the process has exited, an address has no VMA,
 * a page cannot be mapped, the pages were unmapped by the CPU
 * (&drm_gpusvm_pages_flags.unmapped) or a system page was found with
 * &drm_gpusvm_ctx.devmem_only; -EPERM when writing to a read-only VMA;
 * -EOPNOTSUPP when the pages mix what one &struct drm_gpusvm_pages cannot
 * hold (see &drm_gpusvm_ctx.allow_mixed; the driver evicts the range and
 * retries); -EBUSY when invalidations kept racing past the time-out;
 * -ENOMEM.
 */
int drm_gpusvm_get_pages(struct drm_gpusvm *gpusvm,
			 struct drm_gpusvm_pages *svm_pages,
			 struct mm_struct *mm,
			 struct mmu_interval_notifier *notifier,
			 unsigned long pages_start, unsigned long pages_end,
			 const struct drm_gpusvm_ctx *ctx)
{
	unsigned long npages = npages_in_range(pages_start, pages_end);
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range hmm_range = {
		.default_flags = HMM_PFN_REQ_FAULT |
				 (ctx->read_only ? 0 : HMM_PFN_REQ_WRITE),
		.notifier = notifier,
		.start = pages_start,
		.end = pages_end,
		.dev_private_owner = ctx->device_private_page_owner,
	};
	unsigned long pfns_onstack[DRM_GPUSVM_PFNS_ONSTACK];
	struct drm_pagemap_addr *dma_addr = NULL;
	unsigned long *pfns = pfns_onstack;
	int err;

	if (drm_gpusvm_pages_valid_unlocked(gpusvm, svm_pages))
		return 0;

	/* The pfns of a small range (a 4K or 64K GPU fault) stay on the stack. */
	if (npages > ARRAY_SIZE(pfns_onstack)) {
		pfns = kvmalloc_array(npages, sizeof(*pfns), GFP_KERNEL);
		if (!pfns)
			return -ENOMEM;
	}
	hmm_range.hmm_pfns = pfns;

	/*
	 * The address array is allocated here, outside the notifier lock
	 * (the invalidation callback takes it from reclaim), and published
	 * under it together with the mappings.
	 */
	if (!READ_ONCE(svm_pages->dma_addr)) {
		dma_addr = kvmalloc_array(npages, sizeof(*dma_addr), GFP_KERNEL);
		if (!dma_addr) {
			err = -ENOMEM;
			goto out_free;
		}
	}

	if (!mmget_not_zero(mm)) {
		err = -EFAULT;
		goto out_free;
	}

retry:
	hmm_range.notifier_seq = mmu_interval_read_begin(notifier);
	err = drm_gpusvm_hmm_fault(gpusvm, mm, &hmm_range);
	if (err == -EBUSY) {
		if (time_before(jiffies, timeout))
			goto retry;
		goto out_mmput;
	}
	if (err)
		goto out_mmput;

	drm_gpusvm_notifier_lock(gpusvm);
	if (svm_pages->flags.unmapped) {
		drm_gpusvm_notifier_unlock(gpusvm);
		err = -EFAULT;
		goto out_mmput;
	}
	if (mmu_interval_read_retry(notifier, hmm_range.notifier_seq)) {
		drm_gpusvm_notifier_unlock(gpusvm);
		if (time_before(jiffies, timeout))
			goto retry;
		err = -EBUSY;
		goto out_mmput;
	}
	if (dma_addr && !svm_pages->dma_addr) {
		svm_pages->dma_addr = dma_addr;
		dma_addr = NULL;
	}
	/* Mappings an invalidation did not take down go first. */
	__drm_gpusvm_unmap_pages(gpusvm, svm_pages, npages);
	err = drm_gpusvm_map_pages(gpusvm, svm_pages, pfns, npages, ctx);
	if (!err)
		svm_pages->notifier_seq = hmm_range.notifier_seq;
	drm_gpusvm_notifier_unlock(gpusvm);
	if (err == -EAGAIN && hmm_range.dev_private_owner) {
		hmm_range.dev_private_owner = NULL;
		goto retry;
	}
	if (err == -EAGAIN)
		err = -EFAULT;

out_mmput:
	mmput(mm);
out_free:
	kvfree(dma_addr);
	if (pfns != pfns_onstack)
		kvfree(pfns);
	return err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_get_pages);

/**
 * drm_gpusvm_range_set_unmapped() - mark a range unmapped by the CPU
 * @range: the range
 * @pages: the range's pages (an array of them, one per device that maps
 *	it), marked too: drm_gpusvm_get_pages() refuses them from now on
 * @pages_count: number of @pages
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
				   struct drm_gpusvm_pages *pages,
				   unsigned int pages_count,
				   const struct mmu_notifier_range *mmu_range)
{
	unsigned int i;

	lockdep_assert_held_write(&range->gpusvm->notifier_lock);

	range->flags.unmapped = true;
	if (drm_gpusvm_range_start(range) < mmu_range->start ||
	    drm_gpusvm_range_end(range) > mmu_range->end)
		range->flags.partial_unmap = true;
	for (i = 0; i < pages_count; i++) {
		struct drm_gpusvm_pages_flags flags = {
			.__flags = pages[i].flags.__flags,
		};

		flags.unmapped = true;
		WRITE_ONCE(pages[i].flags.__flags, flags.__flags);
	}
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_set_unmapped);

/*
 * hmm_range_fault() over all of @range with @flags (0: only look) and
 * @owner's device pages left in place, retried while the mm changes under
 * it, up to %HMM_RANGE_DEFAULT_TIMEOUT.  The pfns go to *@pfns, which the
 * caller kvfree()s whatever the result.  Return: 0; -EFAULT when the process
 * has exited; -ENOMEM; -EBUSY when the mm stayed busy; else
 * hmm_range_fault()'s error.
 */
static int drm_gpusvm_range_hmm_walk(struct drm_gpusvm_range *range,
				     unsigned long flags, void *owner,
				     unsigned long **pfns)
{
	struct drm_gpusvm *gpusvm = range->gpusvm;
	unsigned long timeout = jiffies +
		msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	struct hmm_range hmm_range = {
		.default_flags = flags,
		.notifier = &range->notifier->notifier,
		.start = drm_gpusvm_range_start(range),
		.end = drm_gpusvm_range_end(range),
		.dev_private_owner = owner,
	};
	struct mm_struct *mm = gpusvm->mm;
	int err;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	*pfns = kvmalloc_array(npages_in_range(hmm_range.start, hmm_range.end),
			       sizeof(**pfns), GFP_KERNEL);
	if (*pfns) {
		hmm_range.hmm_pfns = *pfns;
		do {
			hmm_range.notifier_seq =
				mmu_interval_read_begin(hmm_range.notifier);
			err = drm_gpusvm_hmm_fault(gpusvm, mm, &hmm_range);
		} while (err == -EBUSY && time_before(jiffies, timeout));
	} else {
		err = -ENOMEM;
	}
	mmput(mm);
	return err;
}

/**
 * drm_gpusvm_range_evict() - bring a range's pages back to system memory
 * @gpusvm: the GPU SVM
 * @range: the range
 *
 * Faults the range's pages in as the CPU would, so that every device page
 * in it (this device's or another's) migrates to system memory (subject to
 * its allocation's timeslice, as a CPU fault is).  The range's GPU mappings
 * are invalidated on the way.
 *
 * Context: the driver's VM lock; takes the mmap lock for reading.
 * Return: 0; -EFAULT when the process has exited or an address has no
 * VMA; -ETIME when the mm stayed busy past %HMM_RANGE_DEFAULT_TIMEOUT;
 * -ENOMEM.
 */
int drm_gpusvm_range_evict(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range)
{
	unsigned long *pfns = NULL;
	int err;

	err = drm_gpusvm_range_hmm_walk(range, HMM_PFN_REQ_FAULT, NULL, &pfns);
	kvfree(pfns);
	return err == -EBUSY ? -ETIME : err;
}
EXPORT_SYMBOL_GPL(drm_gpusvm_range_evict);

/* Where one page is, for drm_gpusvm_scan_mm(). */
static enum drm_gpusvm_scan_result
drm_gpusvm_scan_page(unsigned long hmm_pfn, const struct dev_pagemap *pagemap,
		     const struct dev_pagemap **other)
{
	struct page *page;

	if (!(hmm_pfn & HMM_PFN_VALID))
		return DRM_GPUSVM_SCAN_UNPOPULATED;
	page = hmm_pfn_to_page(hmm_pfn);
	if (!is_zone_device_page(page))
		return DRM_GPUSVM_SCAN_SYSTEM;
	if (page->pgmap == pagemap)
		return DRM_GPUSVM_SCAN_EQUAL;
	if (!*other)
		*other = page->pgmap;
	return page->pgmap == *other ? DRM_GPUSVM_SCAN_OTHER :
				       DRM_GPUSVM_SCAN_MIXED_DEVICE;
}

/* Combine the state of the pages so far with that of the next one. */
static enum drm_gpusvm_scan_result
drm_gpusvm_scan_merge(enum drm_gpusvm_scan_result sofar,
		      enum drm_gpusvm_scan_result page)
{
	if (sofar == page)
		return sofar;
	if (sofar == DRM_GPUSVM_SCAN_MIXED || page == DRM_GPUSVM_SCAN_SYSTEM ||
	    sofar == DRM_GPUSVM_SCAN_SYSTEM)
		return DRM_GPUSVM_SCAN_MIXED;
	return DRM_GPUSVM_SCAN_MIXED_DEVICE;
}

/**
 * drm_gpusvm_scan_mm() - where the pages of a range are
 * @range: the range
 * @dev_private_owner: the device-private page owner to see device pages
 *	of (those of other owners count as not present)
 * @pagemap: the &struct dev_pagemap to compare with (the one a driver
 *	would migrate to), or NULL
 *
 * Looks at the CPU page tables without faulting anything in.  Advisory:
 * the answer may be stale as soon as it is returned.  A driver skips a
 * migration when the pages are all in the target already
 * (%DRM_GPUSVM_SCAN_EQUAL).
 *
 * Context: takes the mmap lock for reading; not the notifier lock.
 * Return: the &enum drm_gpusvm_scan_result of the range's pages;
 * %DRM_GPUSVM_SCAN_UNPOPULATED also when the process has exited or
 * memory is short.
 */
enum drm_gpusvm_scan_result drm_gpusvm_scan_mm(struct drm_gpusvm_range *range,
					       void *dev_private_owner,
					       const struct dev_pagemap *pagemap)
{
	unsigned long npages = npages_in_range(drm_gpusvm_range_start(range),
					       drm_gpusvm_range_end(range));
	enum drm_gpusvm_scan_result state = DRM_GPUSVM_SCAN_UNPOPULATED;
	const struct dev_pagemap *other = NULL;
	unsigned long *pfns = NULL, i;

	if (drm_gpusvm_range_hmm_walk(range, 0, dev_private_owner, &pfns))
		npages = 0;
	for (i = 0; i < npages; i++) {
		enum drm_gpusvm_scan_result page =
			drm_gpusvm_scan_page(pfns[i], pagemap, &other);

		if (page == DRM_GPUSVM_SCAN_UNPOPULATED) {
			state = page;
			break;
		}
		state = i ? drm_gpusvm_scan_merge(state, page) : page;
	}
	kvfree(pfns);
	return state;
}
EXPORT_SYMBOL(drm_gpusvm_scan_mm);

MODULE_DESCRIPTION("DRM GPU shared virtual memory");
MODULE_LICENSE("Dual MIT/GPL");
