/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_GPUSVM_H_
#define _DRM_GPUSVM_H_

#include <linux/completion.h>
#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/lockdep.h>
#include <linux/mmu_notifier.h>
#include <linux/rwsem.h>
#include <linux/types.h>

struct drm_device;
struct drm_gpusvm;
struct drm_gpusvm_devmem;
struct drm_gpusvm_notifier;
struct drm_gpusvm_range;
struct drm_pagemap;
struct drm_pagemap_device_addr;
struct dev_pagemap_ops;

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
	 * &struct drm_gpusvm_range in its own structure.
	 * @gpusvm: the GPU SVM
	 *
	 * Return: the range, or NULL when out of memory.
	 */
	struct drm_gpusvm_range *(*range_alloc)(struct drm_gpusvm *gpusvm);

	/**
	 * @range_free: free a range from @range_alloc.
	 * @range: the range
	 */
	void (*range_free)(struct drm_gpusvm_range *range);

	/**
	 * @invalidate: the CPU mappings of part of a notifier changed: zap
	 * the GPU's page-table entries there and invalidate its TLBs, and
	 * unmap the pages of the ranges concerned (drm_gpusvm_range_unmap_pages()
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
 * struct drm_gpusvm_devmem_ops - a device memory allocation's operations
 *
 * The copy operations take arrays of @npages entries; entry i is skipped
 * when @pages[i] is NULL.  The copy is complete and visible to the CPU when
 * they return.
 */
struct drm_gpusvm_devmem_ops {
	/**
	 * @devmem_release: the last page of the allocation was freed: drop
	 * the driver's object (e.g. the buffer object reference).
	 * @devmem: the allocation
	 *
	 * Called exactly once per drm_gpusvm_migrate_to_devmem() hand-over.
	 *
	 * Context: any, including atomic (pages are freed under page table
	 * locks): must not sleep; defer sleeping work to a worker.
	 */
	void (*devmem_release)(struct drm_gpusvm_devmem *devmem);

	/**
	 * @populate_devmem_pfn: the device pfns of the allocation's pages.
	 * @devmem: the allocation
	 * @npages: number of pages wanted: the first @npages of the
	 *	allocation (at most &drm_gpusvm_devmem.size / PAGE_SIZE)
	 * @pfn: filled with the pfn of each of them, in allocation order
	 *
	 * Return: 0 or a negative errno.
	 */
	int (*populate_devmem_pfn)(struct drm_gpusvm_devmem *devmem,
				   unsigned long npages, unsigned long *pfn);

	/**
	 * @copy_to_devmem: copy system pages into device pages.
	 * @pages: the destination device pages
	 * @dma_addr: the DMA addresses of the source system pages;
	 *	%DMA_MAPPING_ERROR for a page the CPU never populated, whose
	 *	device page must then read as zeroes
	 * @npages: number of entries
	 *
	 * Return: 0 or a negative errno (nothing is migrated then).
	 */
	int (*copy_to_devmem)(struct page **pages, dma_addr_t *dma_addr,
			      unsigned long npages);

	/**
	 * @copy_to_ram: copy device pages into system pages.
	 * @pages: the source device pages
	 * @dma_addr: the DMA addresses of the destination system pages
	 * @npages: number of entries
	 *
	 * Return: 0 or a negative errno (nothing is migrated then).
	 */
	int (*copy_to_ram)(struct page **pages, dma_addr_t *dma_addr,
			   unsigned long npages);
};

/**
 * struct drm_gpusvm_devmem - an allocation of device memory for SVM
 * @dev: the device whose memory it is
 * @ops: its operations
 * @dpagemap: the provider of its pages
 * @size: its size in bytes, a multiple of PAGE_SIZE
 * @pages: device pages of the allocation in use, plus one while it is
 *	handed over to drm_gpusvm_migrate_to_devmem(); the allocation is
 *	released when it drops to zero
 * @detached: completed when the allocation has no page in use any more
 *
 * Embedded in the driver's allocation object (a buffer object) and set up
 * with drm_gpusvm_devmem_init().  Its device-private pages point at it
 * (&page.zone_device_data): their lifetime, not any range's, decides when
 * the allocation is released.
 */
struct drm_gpusvm_devmem {
	struct device *dev;
	const struct drm_gpusvm_devmem_ops *ops;
	struct drm_pagemap *dpagemap;
	size_t size;
	atomic_t pages;
	struct completion detached;
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
};

/**
 * struct drm_gpusvm_range_flags - the state of a range
 * @migrate_devmem: the range may migrate to device memory (set at creation)
 * @unmapped: the CPU unmapped all or part of the range; it only waits to be
 *	removed (set under the notifier lock)
 * @partial_unmap: only part of it was unmapped (set with @unmapped)
 * @has_devmem_pages: some of its pages are device memory (notifier lock)
 * @has_dma_mapping: @dma_addr holds live mappings (notifier lock)
 * @__flags: all flags, for READ_ONCE()
 */
struct drm_gpusvm_range_flags {
	union {
		struct {
			u16 migrate_devmem : 1;
			u16 unmapped : 1;
			u16 partial_unmap : 1;
			u16 has_devmem_pages : 1;
			u16 has_dma_mapping : 1;
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
 * @notifier_seq: notifier sequence number the pages were collected at;
 *	%LONG_MAX while no pages are mapped
 * @dma_addr: device addresses of the pages, one entry per mapped folio
 *	chunk (see &struct drm_pagemap_device_addr), or NULL
 * @dpagemap: the &struct drm_pagemap whose device pages are mapped, if any
 * @flags: state, see &struct drm_gpusvm_range_flags
 *
 * The start, end and size of a range never change; use
 * drm_gpusvm_range_start(), drm_gpusvm_range_end() and
 * drm_gpusvm_range_size().
 */
struct drm_gpusvm_range {
	struct drm_gpusvm *gpusvm;
	struct drm_gpusvm_notifier *notifier;
	struct kref refcount;
	struct interval_tree_node itree;
	struct list_head entry;
	unsigned long notifier_seq;
	struct drm_pagemap_device_addr *dma_addr;
	struct drm_pagemap *dpagemap;
	struct drm_gpusvm_range_flags flags;
};

/**
 * struct drm_gpusvm - the shared virtual memory of one GPU VM
 * @name: name, for messages
 * @drm: the DRM device; its &drm_device.dev is what pages are DMA-mapped for
 * @mm: the process address space mirrored (a reference from mmgrab())
 * @device_private_page_owner: owner of the device-private pages this GPU
 *	can map directly (hmm_range_fault() leaves them in place)
 * @mm_start: start of the mirrored window of the CPU address space
 * @mm_range: size of that window
 * @notifier_size: size (power of two) of the window one notifier covers
 * @ops: the driver's operations
 * @chunk_sizes: range sizes to try, powers of two in descending order, the
 *	last one PAGE_SIZE
 * @num_chunks: number of @chunk_sizes
 * @notifier_lock: the notifier lock.  Held for write by the invalidation
 *	callback while it zaps GPU mappings; held for read (through
 *	drm_gpusvm_notifier_lock()) to check that a range's pages are still
 *	valid and to commit GPU mappings of them.  Protects the range flags
 *	marked so, &drm_gpusvm_range.notifier_seq and &drm_gpusvm_range.dma_addr.
 * @root: the notifiers, an interval tree
 * @notifier_list: the notifiers in address order
 * @lock_dep_map: the driver lock that must be held around range insertion
 *	and removal, see drm_gpusvm_driver_set_lock() (lockdep only)
 *
 * Embedded in the driver's VM, which provides the reference counting.
 */
struct drm_gpusvm {
	const char *name;
	struct drm_device *drm;
	struct mm_struct *mm;
	void *device_private_page_owner;
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
	struct lockdep_map *lock_dep_map;
#endif
};

/**
 * struct drm_gpusvm_ctx - how to carry out one drm_gpusvm operation
 * @check_pages_threshold: for chunk sizes up to this size, only use a chunk
 *	when the CPU has all its pages present (so sparse memory does not
 *	fault in a whole chunk of zero pages); 0 never checks
 * @in_notifier: called from the invalidation callback (the notifier lock
 *	is held for write)
 * @read_only: map the pages read-only and do not fault them for write
 * @devmem_possible: device memory may be used for the range
 */
struct drm_gpusvm_ctx {
	unsigned long check_pages_threshold;
	unsigned int in_notifier : 1;
	unsigned int read_only : 1;
	unsigned int devmem_possible : 1;
};

int drm_gpusvm_init(struct drm_gpusvm *gpusvm, const char *name,
		    struct drm_device *drm, struct mm_struct *mm,
		    void *device_private_page_owner,
		    unsigned long mm_start, unsigned long mm_range,
		    unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops,
		    const unsigned long *chunk_sizes, int num_chunks);
void drm_gpusvm_fini(struct drm_gpusvm *gpusvm);

struct drm_gpusvm_range *
drm_gpusvm_range_find_or_insert(struct drm_gpusvm *gpusvm,
				unsigned long fault_addr,
				unsigned long gpuva_start,
				unsigned long gpuva_end,
				const struct drm_gpusvm_ctx *ctx);
void drm_gpusvm_range_remove(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range);
struct drm_gpusvm_range *drm_gpusvm_range_get(struct drm_gpusvm_range *range);
void drm_gpusvm_range_put(struct drm_gpusvm_range *range);

int drm_gpusvm_range_get_pages(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_range *range,
			       const struct drm_gpusvm_ctx *ctx);
void drm_gpusvm_range_unmap_pages(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range,
				  const struct drm_gpusvm_ctx *ctx);
bool drm_gpusvm_range_pages_valid(struct drm_gpusvm *gpusvm,
				  struct drm_gpusvm_range *range);
bool drm_gpusvm_range_pages_valid_unlocked(struct drm_gpusvm *gpusvm,
					   struct drm_gpusvm_range *range);
void drm_gpusvm_range_set_unmapped(struct drm_gpusvm_range *range,
				   const struct mmu_notifier_range *mmu_range);

void drm_gpusvm_devmem_init(struct drm_gpusvm_devmem *devmem,
			    struct device *dev,
			    const struct drm_gpusvm_devmem_ops *ops,
			    struct drm_pagemap *dpagemap, size_t size);
int drm_gpusvm_migrate_to_devmem(struct drm_gpusvm *gpusvm,
				 struct drm_gpusvm_range *range,
				 struct drm_gpusvm_devmem *devmem,
				 const struct drm_gpusvm_ctx *ctx);
int drm_gpusvm_evict_to_ram(struct drm_gpusvm_devmem *devmem);
int drm_gpusvm_range_evict(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range);
const struct dev_pagemap_ops *drm_gpusvm_pagemap_ops_get(void);

bool drm_gpusvm_has_mapping(struct drm_gpusvm *gpusvm, unsigned long start,
			    unsigned long end);
struct drm_gpusvm_notifier *
drm_gpusvm_notifier_find(struct drm_gpusvm *gpusvm, unsigned long start,
			 unsigned long end);
struct drm_gpusvm_range *
drm_gpusvm_range_find(struct drm_gpusvm_notifier *notifier,
		      unsigned long start, unsigned long end);

#if IS_ENABLED(CONFIG_KUNIT)
struct hmm_range;
/* For KUnit tests only: see drm_gpusvm.c. */
int drm_gpusvm_hmm_fault(struct drm_gpusvm *gpusvm, struct hmm_range *hmm_range);
struct migrate_vma;
int drm_gpusvm_migrate_vma_setup(struct migrate_vma *migrate);
#endif

#ifdef CONFIG_LOCKDEP
/**
 * __drm_gpusvm_driver_set_lock() - see drm_gpusvm_driver_set_lock()
 * @gpusvm: the GPU SVM
 * @map: the lockdep map of the driver lock
 */
static inline void __drm_gpusvm_driver_set_lock(struct drm_gpusvm *gpusvm,
						struct lockdep_map *map)
{
	if (!WARN(gpusvm->lock_dep_map, "drm_gpusvm: driver lock set twice\n"))
		gpusvm->lock_dep_map = map;
}

/**
 * drm_gpusvm_driver_set_lock() - name the driver lock around range changes
 * @gpusvm: the GPU SVM
 * @lock: the lock (any lock type with a &dep_map), e.g. the VM's mutex
 *
 * drm_gpusvm_range_find_or_insert() and drm_gpusvm_range_remove() then
 * assert, under lockdep, that it is held.  Set it once, before use.
 */
#define drm_gpusvm_driver_set_lock(gpusvm, lock) \
	__drm_gpusvm_driver_set_lock(gpusvm, &(lock)->dep_map)
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
