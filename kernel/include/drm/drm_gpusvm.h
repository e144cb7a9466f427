/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_GPUSVM_H_
#define _DRM_GPUSVM_H_

#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mmu_notifier.h>
#include <linux/rwsem.h>
#include <linux/string.h>
#include <linux/types.h>
#include <drm/drm_pagemap.h>

struct dev_pagemap;
struct drm_device;
struct drm_gpusvm;
struct drm_gpusvm_notifier;
struct drm_gpusvm_range;
struct drm_pagemap;

/**
 * struct drm_gpusvm_ops - what a driver provides to drm_gpusvm
 *
 * All but @invalidate are optional.
 */
struct drm_gpusvm_ops {
	/**
	 * @notifier_alloc: allocate a notifier, so a driver can embed
	 * &struct drm_gpusvm_notifier in its own structure.
	 *
	 * Return: the notifier, or NULL when out of memory.
	 */
	struct drm_gpusvm_notifier *(*notifier_alloc)(void);

	/**
	 * @notifier_free: free a notifier from @notifier_alloc.
	 * @notifier: the notifier
	 */
	void (*notifier_free)(struct drm_gpusvm_notifier *notifier);

	/**
	 * @range_alloc: allocate a range, so a driver can embed
	 * &struct drm_gpusvm_range (and the &struct drm_gpusvm_pages of
	 * it, set up with drm_gpusvm_init_pages()) in its own structure.
	 * @gpusvm: the GPU SVM
	 *
	 * Return: the range, or NULL when out of memory.
	 */
	struct drm_gpusvm_range *(*range_alloc)(struct drm_gpusvm *gpusvm);

	/**
	 * @range_free: free a range from @range_alloc, once its last
	 * reference is gone; drm_gpusvm_free_pages() its pages here.
	 * @range: the range
	 */
	void (*range_free)(struct drm_gpusvm_range *range);

	/**
	 * @invalidate: the CPU mappings of part of a notifier changed: zap
	 * the GPU's page-table entries there, invalidate its TLBs, and
	 * unmap the pages of the ranges concerned (drm_gpusvm_unmap_pages()
	 * with &drm_gpusvm_ctx.in_notifier).  On %MMU_NOTIFY_UNMAP, mark the
	 * ranges with drm_gpusvm_range_set_unmapped() and leave their removal
	 * to a worker: ranges are never removed from this callback.
	 * @gpusvm: the GPU SVM
	 * @notifier: the notifier whose interval changed
	 * @mmu_range: what changed, and why (&mmu_notifier_range.event)
	 *
	 * Called with the notifier lock held in write mode; may walk the
	 * notifier's ranges; must not allocate memory in a way that can
	 * recurse into reclaim, nor take the driver's VM lock.
	 */
	void (*invalidate)(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_notifier *notifier,
			   const struct mmu_notifier_range *mmu_range);
};

/**
 * struct drm_gpusvm_notifier - the ranges of one notifier-sized window
 * @gpusvm: the GPU SVM it belongs to
 * @notifier: the MMU interval notifier watching the window
 * @itree: node in &drm_gpusvm.root (the window)
 * @entry: node in &drm_gpusvm.notifier_list, in address order
 * @root: the notifier's ranges, an interval tree
 * @range_list: the same ranges in address order, for iteration while the
 *	tree changes
 * @flags: state
 * @flags.removed: the MMU interval notifier is removed already
 *	(drm_gpusvm_fini() removes it before the ranges)
 *
 * Created on demand when the first range of its window is inserted and
 * destroyed with its last range.
 */
struct drm_gpusvm_notifier {
	struct drm_gpusvm *gpusvm;
	struct mmu_interval_notifier notifier;
	struct interval_tree_node itree;
	struct list_head entry;
	struct rb_root_cached root;
	struct list_head range_list;
	struct {
		u32 removed : 1;
	} flags;
};

/**
 * struct drm_gpusvm_pages_flags - the state of a set of pages
 * @unmapped: the CPU unmapped them: drm_gpusvm_get_pages() refuses them
 *	with -EFAULT (set with drm_gpusvm_range_set_unmapped())
 * @has_devmem_pages: some of the pages are device memory
 * @has_dma_mapping: &drm_gpusvm_pages.dma_addr holds live mappings
 * @__flags: all flags, for READ_ONCE()
 *
 * All flags are set and cleared under the notifier lock.
 */
struct drm_gpusvm_pages_flags {
	union {
		struct {
			u16 unmapped : 1;
			u16 has_devmem_pages : 1;
			u16 has_dma_mapping : 1;
		};
		u16 __flags;
	};
};

/**
 * struct drm_gpusvm_pages - the mirrored pages of a piece of an address
 *	space, mapped for one device
 * @drm: the DRM device the pages are DMA-mapped for (its &drm_device.dev)
 * @dma_addr: the device addresses of the pages, one entry per mapped folio
 *	chunk (see &struct drm_pagemap_addr), or NULL
 * @dpagemap: the &struct drm_pagemap whose device pages are mapped, if any;
 *	referenced while mapped
 * @notifier_seq: notifier sequence number the pages were collected at;
 *	%LONG_MAX while none are mapped
 * @flags: state, see &struct drm_gpusvm_pages_flags
 *
 * Embedded by users of drm_gpusvm_get_pages(): a GPU SVM range of the
 * driver (in the structure its &drm_gpusvm_ops.range_alloc returns), a
 * userptr binding, anything with an MMU interval notifier of its own.
 * Set up with drm_gpusvm_init_pages().
 *
 * Upstream also keeps the state of an IOMMU IOVA allocation here (the
 * dma_iova_*() API, which Linux 6.12 does not have): pages are mapped one
 * folio at a time with dma_map_page() instead.
 */
struct drm_gpusvm_pages {
	struct drm_device *drm;
	struct drm_pagemap_addr *dma_addr;
	struct drm_pagemap *dpagemap;
	unsigned long notifier_seq;
	struct drm_gpusvm_pages_flags flags;
};

/**
 * struct drm_gpusvm_range_flags - the state of a range
 * @migrate_devmem: the range may migrate to device memory (set at creation)
 * @unmapped: the CPU unmapped all or part of the range; it only waits to be
 *	removed (set under the notifier lock)
 * @partial_unmap: only part of it was unmapped (set with @unmapped)
 * @__flags: all flags, for READ_ONCE()
 */
struct drm_gpusvm_range_flags {
	union {
		struct {
			u16 migrate_devmem : 1;
			u16 unmapped : 1;
			u16 partial_unmap : 1;
		};
		u16 __flags;
	};
};

/**
 * struct drm_gpusvm_range - a chunk of the CPU address space the GPU maps
 * @gpusvm: the GPU SVM it belongs to
 * @notifier: the notifier it lives in
 * @refcount: references; the notifier's tree holds one
 * @itree: node in &drm_gpusvm_notifier.root
 * @entry: node in &drm_gpusvm_notifier.range_list
 * @flags: state, see &struct drm_gpusvm_range_flags
 *
 * The start, end and size of a range never change; use
 * drm_gpusvm_range_start(), drm_gpusvm_range_end() and
 * drm_gpusvm_range_size().  Its pages are a &struct drm_gpusvm_pages the
 * driver embeds next to it.
 */
struct drm_gpusvm_range {
	struct drm_gpusvm *gpusvm;
	struct drm_gpusvm_notifier *notifier;
	struct kref refcount;
	struct interval_tree_node itree;
	struct list_head entry;
	struct drm_gpusvm_range_flags flags;
};

/**
 * struct drm_gpusvm - the shared virtual memory of one GPU VM
 * @name: name, for messages
 * @mm: the process address space mirrored (a reference from mmgrab()),
 *	or NULL for a GPU SVM that only serves drm_gpusvm_get_pages() users
 *	(see drm_gpusvm_init())
 * @mm_start: start of the mirrored window of the CPU address space
 * @mm_range: size of that window
 * @notifier_size: size (power of two) of the window one notifier covers
 * @ops: the driver's operations
 * @chunk_sizes: range sizes to try, powers of two in descending order, the
 *	last one PAGE_SIZE
 * @num_chunks: number of @chunk_sizes
 * @notifier_lock: the notifier lock.  Held for write by the invalidation
 *	callbacks while they zap GPU mappings; held for read (through
 *	drm_gpusvm_notifier_lock()) to check that pages are still valid and
 *	to commit GPU mappings of them.  Protects the flags marked so, and
 *	the mapped state of every &struct drm_gpusvm_pages used with this
 *	GPU SVM.
 * @root: the notifiers, an interval tree
 * @notifier_list: the notifiers in address order
 *
 * Embedded in the driver's VM, which provides the reference counting.
 */
struct drm_gpusvm {
	const char *name;
	struct mm_struct *mm;
	unsigned long mm_start;
	unsigned long mm_range;
	unsigned long notifier_size;
	const struct drm_gpusvm_ops *ops;
	const unsigned long *chunk_sizes;
	int num_chunks;
	struct rw_semaphore notifier_lock;
	struct rb_root_cached root;
	struct list_head notifier_list;
#ifdef CONFIG_LOCKDEP
	/**
	 * @lock_dep_map: the driver lock that must be held around range
	 * insertion and removal, see drm_gpusvm_driver_set_lock()
	 */
	struct lockdep_map *lock_dep_map;
#endif
};

/**
 * struct drm_gpusvm_ctx - how to carry out one drm_gpusvm operation
 * @device_private_page_owner: owner of the device-private pages the device
 *	can map directly (hmm_range_fault() leaves them in place; those of
 *	other owners are migrated to system memory); NULL: none
 * @check_pages_threshold: for chunk sizes up to this size, only use a chunk
 *	when the CPU has all its pages present (so sparse memory does not
 *	fault in a whole chunk of zero pages); 0 never checks
 * @timeslice_ms: how long pages migrated to device memory by this
 *	operation stay there before a CPU fault may take them back (drivers
 *	pass it on to drm_pagemap_populate_mm())
 * @in_notifier: called from the invalidation callback (the notifier lock
 *	is held for writing)
 * @read_only: map the pages read-only and do not fault them for write
 * @devmem_possible: device memory may be used for the range
 * @devmem_only: all pages must be device memory: drm_gpusvm_get_pages()
 *	fails with -EFAULT on a system page
 * @allow_mixed: drm_gpusvm_get_pages() may map system pages and device
 *	pages of one pagemap, of any number of allocations, together;
 *	otherwise the pages must be all system pages, or all device pages of
 *	one allocation (-EOPNOTSUPP)
 */
struct drm_gpusvm_ctx {
	void *device_private_page_owner;
	unsigned long check_pages_threshold;
	unsigned long timeslice_ms;
	unsigned int in_notifier : 1;
	unsigned int read_only : 1;
	unsigned int devmem_possible : 1;
	unsigned int devmem_only : 1;
	unsigned int allow_mixed : 1;
};

int drm_gpusvm_init(struct drm_gpusvm *gpusvm,
		    const char *name,
		    struct mm_struct *mm,
		    unsigned long mm_start, unsigned long mm_range,
		    unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops,
		    const unsigned long *chunk_sizes, int num_chunks);

void drm_gpusvm_fini(struct drm_gpusvm *gpusvm);

unsigned long
drm_gpusvm_find_vma_start(struct drm_gpusvm *gpusvm,
			  unsigned long start,
			  unsigned long end);

struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert(struct drm_gpusvm *gpusvm,
				unsigned long fault_addr,
				unsigned long gpuva_start,
				unsigned long gpuva_end,
				const struct drm_gpusvm_ctx *ctx);

void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range);

int drm_gpusvm_range_evict(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range);

struct drm_gpusvm_range *
drm_gpusvm_range_get(struct drm_gpusvm_range *range);

void drm_gpusvm_range_put(struct drm_gpusvm_range *range);

bool drm_gpusvm_pages_valid(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages);

bool drm_gpusvm_has_mapping(struct drm_gpusvm *gpusvm, unsigned long start,
			    unsigned long end);

struct drm_gpusvm_notifier *
drm_gpusvm_notifier_find(struct drm_gpusvm *gpusvm, unsigned long start,
			 unsigned long end);

struct drm_gpusvm_range *
drm_gpusvm_range_find(struct drm_gpusvm_notifier *notifier, unsigned long start,
		      unsigned long end);

void drm_gpusvm_range_set_unmapped(struct drm_gpusvm_range *range,
				   struct drm_gpusvm_pages *pages,
				   unsigned int pages_count,
				   const struct mmu_notifier_range *mmu_range);

int drm_gpusvm_get_pages(struct drm_gpusvm *gpusvm,
			 struct drm_gpusvm_pages *svm_pages,
			 struct mm_struct *mm,
			 struct mmu_interval_notifier *notifier,
			 unsigned long pages_start, unsigned long pages_end,
			 const struct drm_gpusvm_ctx *ctx);

void drm_gpusvm_unmap_pages(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages,
			    unsigned long npages,
			    const struct drm_gpusvm_ctx *ctx);

void drm_gpusvm_free_pages(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_pages *svm_pages,
			   unsigned long npages);

/**
 * drm_gpusvm_init_pages() - set up a &struct drm_gpusvm_pages
 * @svm_pages: the pages, freshly allocated
 * @drm: the DRM device the pages will be DMA-mapped for
 *
 * Call once on each &struct drm_gpusvm_pages before its first
 * drm_gpusvm_get_pages(), drm_gpusvm_unmap_pages() or
 * drm_gpusvm_free_pages().
 */
static inline void drm_gpusvm_init_pages(struct drm_gpusvm_pages *svm_pages,
					 struct drm_device *drm)
{
	memset(svm_pages, 0, sizeof(*svm_pages));
	svm_pages->drm = drm;
	svm_pages->notifier_seq = LONG_MAX;
}

/**
 * enum drm_gpusvm_scan_result - where the pages of a range are
 *	(drm_gpusvm_scan_mm())
 * @DRM_GPUSVM_SCAN_UNPOPULATED: at least one page is not present, or not
 *	accessible
 * @DRM_GPUSVM_SCAN_EQUAL: all pages belong to the &struct dev_pagemap
 *	passed as @pagemap
 * @DRM_GPUSVM_SCAN_OTHER: all pages belong to one &struct dev_pagemap,
 *	not @pagemap, of the device-private page owner given
 * @DRM_GPUSVM_SCAN_SYSTEM: all pages are present system pages
 * @DRM_GPUSVM_SCAN_MIXED_DEVICE: all pages are device pages of the owner
 *	given, of at least two &struct dev_pagemap
 * @DRM_GPUSVM_SCAN_MIXED: the pages are present, system pages and device
 *	pages of the owner given
 */
enum drm_gpusvm_scan_result {
	DRM_GPUSVM_SCAN_UNPOPULATED,
	DRM_GPUSVM_SCAN_EQUAL,
	DRM_GPUSVM_SCAN_OTHER,
	DRM_GPUSVM_SCAN_SYSTEM,
	DRM_GPUSVM_SCAN_MIXED_DEVICE,
	DRM_GPUSVM_SCAN_MIXED,
};

enum drm_gpusvm_scan_result drm_gpusvm_scan_mm(struct drm_gpusvm_range *range,
					       void *dev_private_owner,
					       const struct dev_pagemap *pagemap);

#if IS_ENABLED(CONFIG_KUNIT)
struct hmm_range;
/* For KUnit tests only: see drm_gpusvm.c. */
int drm_gpusvm_hmm_fault(struct drm_gpusvm *gpusvm, struct mm_struct *mm,
			 struct hmm_range *hmm_range);
#endif

#ifdef CONFIG_LOCKDEP
/**
 * drm_gpusvm_driver_set_lock() - name the driver lock around range changes
 * @gpusvm: the GPU SVM
 * @lock: the lock (any lock type with a &dep_map), e.g. the VM's mutex
 *
 * drm_gpusvm_range_find_or_insert() and drm_gpusvm_range_remove() then
 * assert, under lockdep, that it is held.  Set it once, before use.
 */
#define drm_gpusvm_driver_set_lock(gpusvm, lock) \
	do { \
		if (!WARN((gpusvm)->lock_dep_map, \
			  "drm_gpusvm: driver lock set twice\n")) \
			(gpusvm)->lock_dep_map = &(lock)->dep_map; \
	} while (0)
#else
#define drm_gpusvm_driver_set_lock(gpusvm, lock) \
	do { (void)(gpusvm); (void)(lock); } while (0)
#endif

/**
 * drm_gpusvm_notifier_lock() - take the notifier lock for reading
 * @gpusvm__: the GPU SVM
 *
 * Hold it from the pages-valid check to the end of the GPU page-table
 * commit of those pages.
 */
#define drm_gpusvm_notifier_lock(gpusvm__) \
	down_read(&(gpusvm__)->notifier_lock)

/**
 * drm_gpusvm_notifier_unlock() - drop the notifier lock
 * @gpusvm__: the GPU SVM
 */
#define drm_gpusvm_notifier_unlock(gpusvm__) \
	up_read(&(gpusvm__)->notifier_lock)

/**
 * drm_gpusvm_range_start() - first address of a range
 * @range: the range
 *
 * Return: the start address.
 */
static inline unsigned long
drm_gpusvm_range_start(struct drm_gpusvm_range *range)
{
	return range->itree.start;
}

/**
 * drm_gpusvm_range_end() - end of a range (exclusive)
 * @range: the range
 *
 * Return: the end address.
 */
static inline unsigned long
drm_gpusvm_range_end(struct drm_gpusvm_range *range)
{
	return range->itree.last + 1;
}

/**
 * drm_gpusvm_range_size() - size of a range
 * @range: the range
 *
 * Return: the size in bytes.
 */
static inline unsigned long
drm_gpusvm_range_size(struct drm_gpusvm_range *range)
{
	return drm_gpusvm_range_end(range) - drm_gpusvm_range_start(range);
}

/**
 * drm_gpusvm_notifier_start() - first address a notifier covers
 * @notifier: the notifier
 *
 * Return: the start address.
 */
static inline unsigned long
drm_gpusvm_notifier_start(struct drm_gpusvm_notifier *notifier)
{
	return notifier->itree.start;
}

/**
 * drm_gpusvm_notifier_end() - end of what a notifier covers (exclusive)
 * @notifier: the notifier
 *
 * Return: the end address.
 */
static inline unsigned long
drm_gpusvm_notifier_end(struct drm_gpusvm_notifier *notifier)
{
	return notifier->itree.last + 1;
}

/**
 * drm_gpusvm_notifier_size() - size of what a notifier covers
 * @notifier: the notifier
 *
 * Return: the size in bytes.
 */
static inline unsigned long
drm_gpusvm_notifier_size(struct drm_gpusvm_notifier *notifier)
{
	return drm_gpusvm_notifier_end(notifier) -
	       drm_gpusvm_notifier_start(notifier);
}

/**
 * __drm_gpusvm_range_next() - the next range of the same notifier
 * @range: a range, or NULL
 *
 * Return: the range after @range in address order, or NULL.
 */
static inline struct drm_gpusvm_range *
__drm_gpusvm_range_next(struct drm_gpusvm_range *range)
{
	if (range && !list_is_last(&range->entry, &range->notifier->range_list))
		return list_next_entry(range, entry);
	return NULL;
}

/**
 * drm_gpusvm_for_each_range() - iterate over the ranges of a notifier
 * @range__: the iterator; when NULL, starts at drm_gpusvm_range_find()
 * @notifier__: the notifier
 * @start__: start of the interval
 * @end__: end of the interval (exclusive)
 *
 * Visits, in address order, the ranges of @notifier__ that overlap
 * [@start__, @end__).  Hold the driver's VM lock or the notifier lock, and
 * do not remove ranges in the loop (use drm_gpusvm_for_each_range_safe()).
 */
#define drm_gpusvm_for_each_range(range__, notifier__, start__, end__) \
	for ((range__) = (range__) ?: \
		drm_gpusvm_range_find((notifier__), (start__), (end__)); \
	     (range__) && drm_gpusvm_range_start(range__) < (end__); \
	     (range__) = __drm_gpusvm_range_next(range__))

/**
 * drm_gpusvm_for_each_range_safe() - iterate, allowing removal
 * @range__: the iterator
 * @next__: a temporary
 * @notifier__: the notifier
 * @start__: start of the interval
 * @end__: end of the interval (exclusive)
 *
 * As drm_gpusvm_for_each_range(), but @range__ may be removed in the loop.
 * Hold the driver's VM lock.
 */
#define drm_gpusvm_for_each_range_safe(range__, next__, notifier__, start__, end__) \
	for ((range__) = drm_gpusvm_range_find((notifier__), (start__), (end__)), \
	     (next__) = __drm_gpusvm_range_next(range__); \
	     (range__) && drm_gpusvm_range_start(range__) < (end__); \
	     (range__) = (next__), (next__) = __drm_gpusvm_range_next(range__))

/**
 * __drm_gpusvm_notifier_next() - the next notifier
 * @notifier: a notifier, or NULL
 *
 * Return: the notifier after @notifier in address order, or NULL.
 */
static inline struct drm_gpusvm_notifier *
__drm_gpusvm_notifier_next(struct drm_gpusvm_notifier *notifier)
{
	if (notifier && !list_is_last(&notifier->entry,
				      &notifier->gpusvm->notifier_list))
		return list_next_entry(notifier, entry);
	return NULL;
}

/**
 * drm_gpusvm_for_each_notifier() - iterate over notifiers
 * @notifier__: the iterator
 * @gpusvm__: the GPU SVM
 * @start__: start of the interval
 * @end__: end of the interval (exclusive)
 *
 * Visits, in address order, the notifiers overlapping [@start__, @end__).
 * Hold the driver's VM lock.
 */
#define drm_gpusvm_for_each_notifier(notifier__, gpusvm__, start__, end__) \
	for ((notifier__) = drm_gpusvm_notifier_find((gpusvm__), (start__), (end__)); \
	     (notifier__) && drm_gpusvm_notifier_start(notifier__) < (end__); \
	     (notifier__) = __drm_gpusvm_notifier_next(notifier__))

/**
 * drm_gpusvm_for_each_notifier_safe() - iterate, allowing removal
 * @notifier__: the iterator
 * @next__: a temporary
 * @gpusvm__: the GPU SVM
 * @start__: start of the interval
 * @end__: end of the interval (exclusive)
 *
 * As drm_gpusvm_for_each_notifier(), but @notifier__ may go away in the
 * loop (when its last range is removed).
 */
#define drm_gpusvm_for_each_notifier_safe(notifier__, next__, gpusvm__, start__, end__) \
	for ((notifier__) = drm_gpusvm_notifier_find((gpusvm__), (start__), (end__)), \
	     (next__) = __drm_gpusvm_notifier_next(notifier__); \
	     (notifier__) && drm_gpusvm_notifier_start(notifier__) < (end__); \
	     (notifier__) = (next__), (next__) = __drm_gpusvm_notifier_next(notifier__))

#endif
