/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_PAGEMAP_H_
#define _DRM_PAGEMAP_H_

#include <linux/completion.h>
#include <linux/dma-direction.h>
#include <linux/err.h>
#include <linux/hmm.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/types.h>

/**
 * NR_PAGES() - the number of pages of a folio order
 * @order: the order
 */
#define NR_PAGES(order) (1U << (order))

struct dev_pagemap;
struct dev_pagemap_ops;
struct device;
struct dma_fence;
struct drm_device;
struct drm_pagemap;
struct drm_pagemap_cache;
struct drm_pagemap_dev_hold;
struct drm_pagemap_zdd;
struct mm_struct;
struct page;

/**
 * enum drm_interconnect_protocol - how a device reaches a page
 * @DRM_INTERCONNECT_SYSTEM: through the DMA API (system memory, or device
 *	memory exposed to the DMA API)
 * @DRM_INTERCONNECT_DRIVER: through a path only the driver knows, e.g. the
 *	device's own local memory; the address is the driver's
 *
 * A driver may define private protocols after %DRM_INTERCONNECT_DRIVER.
 */
enum drm_interconnect_protocol {
	DRM_INTERCONNECT_SYSTEM,
	DRM_INTERCONNECT_DRIVER,
};

/**
 * struct drm_pagemap_addr - a device address of a (huge) page
 * @addr: the address, in the space @proto names
 * @proto: the &enum drm_interconnect_protocol the address belongs to
 * @order: the mapping covers PAGE_SIZE << @order bytes
 * @dir: the &enum dma_data_direction the mapping was made with
 *
 * One entry describes one mapped folio (or part of one) of a range; the
 * next entry of an array of them follows NR_PAGES(@order) entries later.
 */
struct drm_pagemap_addr {
	dma_addr_t addr;
	u64 proto : 54;
	u64 order : 8;
	u64 dir : 2;
};

/**
 * drm_pagemap_addr_encode() - make a &struct drm_pagemap_addr
 * @addr: the address
 * @proto: its protocol
 * @order: its order
 * @dir: its DMA direction
 *
 * Return: the encoded address.
 */
static inline struct drm_pagemap_addr
drm_pagemap_addr_encode(dma_addr_t addr,
			enum drm_interconnect_protocol proto,
			unsigned int order,
			enum dma_data_direction dir)
{
	return (struct drm_pagemap_addr) {
		.addr = addr,
		.proto = proto,
		.order = order,
		.dir = dir,
	};
}

/**
 * struct drm_pagemap_ops - what a device memory provider does for its users
 */
struct drm_pagemap_ops {
	/**
	 * @device_map: the address at which a device reaches one (huge)
	 * page of the provider's memory.
	 * @dpagemap: the provider
	 * @dev: the device that will access the page
	 * @page: the device-private page
	 * @order: the page covers PAGE_SIZE << @order bytes
	 * @dir: the direction of the accesses
	 *
	 * Context: may be called with the GPU SVM notifier lock held: must
	 * not sleep or allocate memory in a way that recurses into reclaim.
	 * Return: the address and its protocol; an address for which
	 * dma_mapping_error(@dev, addr) is true when @dev cannot reach the
	 * page.
	 */
	struct drm_pagemap_addr (*device_map)(struct drm_pagemap *dpagemap,
					      struct device *dev,
					      struct page *page,
					      unsigned int order,
					      enum dma_data_direction dir);

	/**
	 * @device_unmap: undo @device_map.
	 * @dpagemap: the provider
	 * @dev: the device that accessed the page
	 * @addr: what @device_map returned
	 *
	 * Context: as @device_map.
	 */
	void (*device_unmap)(struct drm_pagemap *dpagemap,
			     struct device *dev,
			     struct drm_pagemap_addr addr);

	/**
	 * @populate_mm: put part of an address space in the provider's
	 * memory, migrating the data that is there.
	 * @dpagemap: the provider
	 * @start: first address of the part
	 * @end: its end (exclusive)
	 * @mm: the address space; the caller holds an mmget() reference and
	 *	its mmap lock at least for reading
	 * @timeslice_ms: how long the pages should stay in the provider's
	 *	memory before a CPU fault may take them back
	 *
	 * Best effort: the memory may be reclaimed (the data migrated back
	 * to system memory) at any time afterwards.  Once the device is
	 * unbound, the implementation returns -ENODEV.
	 *
	 * Return: 0 or a negative errno.
	 */
	int (*populate_mm)(struct drm_pagemap *dpagemap,
			   unsigned long start, unsigned long end,
			   struct mm_struct *mm,
			   unsigned long timeslice_ms);

	/**
	 * @destroy: free the pagemap (optional: kfree() of @dpagemap
	 * otherwise).
	 * @dpagemap: the pagemap, whose last reference is gone
	 * @is_atomic_or_reclaim: called from atomic or reclaim context (the
	 *	last reference went with a freed device page): defer what may
	 *	sleep to a worker, and flush that worker before module exit
	 *
	 * May be called after the device was unbound: resources released by
	 * devm actions are gone then.  If it runs after the provider's
	 * remove callback, the provider's module and DRM device are held
	 * across the call.
	 */
	void (*destroy)(struct drm_pagemap *dpagemap,
			bool is_atomic_or_reclaim);
};

/**
 * struct drm_pagemap - a provider of device memory, reference counted
 * @ops: its operations
 * @ref: references: its users (GPU VMs that may migrate to it, the
 *	allocations of device memory whose pages are in use); the last
 *	drm_pagemap_put() caches or destroys it
 * @drm: the DRM device whose memory it is; held (with its driver's
 *	module) as long as @ref is not zero
 * @pagemap: the &struct dev_pagemap of the device-private pages
 * @dev_hold: the hold on @drm and its module, released by a worker after
 *	the last reference is gone
 * @cache: the &struct drm_pagemap_cache the pagemap lives in, or NULL
 * @shrink_link: in the shrinker's list of unused pagemaps, while @ref is
 *	zero and the pagemap is cached
 *
 * Set up with drm_pagemap_init() (embedded in a driver structure) or
 * drm_pagemap_create(); its device-private pages point at it through
 * their allocation (drm_pagemap_page_to_dpagemap()), so that the pages of
 * one device can be mapped for a peer device too.
 */
struct drm_pagemap {
	const struct drm_pagemap_ops *ops;
	struct kref ref;
	struct drm_device *drm;
	struct dev_pagemap *pagemap;
	struct drm_pagemap_dev_hold *dev_hold;
	struct drm_pagemap_cache *cache;
	struct list_head shrink_link;
};

struct drm_pagemap_devmem;

/**
 * struct drm_pagemap_devmem_ops - a device memory allocation's operations
 *
 * The copy operations take arrays of @npages entries; entry i is skipped
 * when @pages[i] is NULL.  The copy is complete and visible to the CPU when
 * they return.
 */
struct drm_pagemap_devmem_ops {
	/**
	 * @devmem_release: the last page of the allocation was freed: drop
	 * the driver's object (e.g. the buffer object reference) (optional).
	 * @devmem_allocation: the allocation
	 *
	 * Context: any, including atomic (pages are freed under page table
	 * locks): must not sleep; defer sleeping work to a worker.
	 */
	void (*devmem_release)(struct drm_pagemap_devmem *devmem_allocation);

	/**
	 * @populate_devmem_pfn: the device pfns of the allocation's pages.
	 * @devmem_allocation: the allocation
	 * @npages: number of pages wanted: the first @npages of the
	 *	allocation (at most &drm_pagemap_devmem.size / PAGE_SIZE)
	 * @pfn: filled with the pfn of each of them, in allocation order
	 *
	 * Return: 0 or a negative errno.
	 */
	int (*populate_devmem_pfn)(struct drm_pagemap_devmem *devmem_allocation,
				   unsigned long npages, unsigned long *pfn);

	/**
	 * @copy_to_devmem: copy into device pages.
	 * @pages: the destination device pages
	 * @pagemap_addr: the addresses of the sources: DMA addresses of
	 *	system pages (%DRM_INTERCONNECT_SYSTEM), or addresses of a
	 *	peer's device pages as that peer's &drm_pagemap_ops.device_map
	 *	gave them; an address of 0 for a page the CPU never populated,
	 *	whose device page must then read as zeroes
	 * @npages: number of entries
	 * @pre_migrate_fence: a fence to wait for before copying, or NULL
	 *
	 * Return: 0 or a negative errno (nothing is migrated then).
	 */
	int (*copy_to_devmem)(struct page **pages,
			      struct drm_pagemap_addr *pagemap_addr,
			      unsigned long npages,
			      struct dma_fence *pre_migrate_fence);

	/**
	 * @copy_to_ram: copy out of device pages.
	 * @pages: the source device pages
	 * @pagemap_addr: the addresses of the destinations: DMA addresses of
	 *	system pages, or (a migration to a peer) addresses of the
	 *	peer's device pages as its &drm_pagemap_ops.device_map gave
	 *	them for this device
	 * @npages: number of entries
	 * @pre_migrate_fence: a fence to wait for before copying, or NULL
	 *
	 * Return: 0 or a negative errno (nothing is migrated then).
	 */
	int (*copy_to_ram)(struct page **pages,
			   struct drm_pagemap_addr *pagemap_addr,
			   unsigned long npages,
			   struct dma_fence *pre_migrate_fence);
};

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

int drm_pagemap_init(struct drm_pagemap *dpagemap,
		     struct dev_pagemap *pagemap,
		     struct drm_device *drm,
		     const struct drm_pagemap_ops *ops);

struct drm_pagemap *drm_pagemap_create(struct drm_device *drm,
				       struct dev_pagemap *pagemap,
				       const struct drm_pagemap_ops *ops);

struct drm_pagemap *drm_pagemap_page_to_dpagemap(struct page *page);

void drm_pagemap_put(struct drm_pagemap *dpagemap);

#else

/**
 * drm_pagemap_page_to_dpagemap() - without device memory: no pagemap
 * @page: a page
 *
 * Return: NULL.
 */
static inline struct drm_pagemap *drm_pagemap_page_to_dpagemap(struct page *page)
{
	return NULL;
}

/**
 * drm_pagemap_put() - without device memory: nothing to put
 * @dpagemap: NULL
 */
static inline void drm_pagemap_put(struct drm_pagemap *dpagemap)
{
}

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

/**
 * drm_pagemap_get() - take a reference on a pagemap
 * @dpagemap: the pagemap, or NULL
 *
 * Return: @dpagemap.
 */
static inline struct drm_pagemap *
drm_pagemap_get(struct drm_pagemap *dpagemap)
{
	if (likely(dpagemap))
		kref_get(&dpagemap->ref);

	return dpagemap;
}

/**
 * drm_pagemap_get_unless_zero() - take a reference on a pagemap that is
 *	still in use
 * @dpagemap: the pagemap, or NULL
 *
 * Return: @dpagemap with a new reference; NULL when @dpagemap is NULL or
 * its last reference is gone already.
 */
static inline struct drm_pagemap * __must_check
drm_pagemap_get_unless_zero(struct drm_pagemap *dpagemap)
{
	return (dpagemap && kref_get_unless_zero(&dpagemap->ref)) ? dpagemap : NULL;
}

/**
 * struct drm_pagemap_devmem - an allocation of device memory for SVM
 * @dev: the device whose memory it is (the copies' DMA mappings are made
 *	for it)
 * @mm: the address space the allocation's pages are migrated into
 * @detached: completed when no page of the allocation is in use any more
 * @ops: its operations
 * @dpagemap: the provider of its pages
 * @size: its size in bytes, a multiple of PAGE_SIZE
 * @timeslice_expiration: until when (jiffies64) a CPU fault leaves the
 *	pages where they are (see &drm_pagemap_migrate_details.timeslice_ms)
 * @pre_migrate_fence: a fence the copy into the allocation waits for (for
 *	instance the clearing of the memory), or NULL; its reference is
 *	dropped once a migration into the allocation succeeded
 *
 * Embedded in the driver's allocation object (a buffer object) and set up
 * with drm_pagemap_devmem_init().  Its device-private pages point at it:
 * their lifetime, not any GPU SVM range's, decides when the allocation is
 * released (&drm_pagemap_devmem_ops.devmem_release).
 */
struct drm_pagemap_devmem {
	struct device *dev;
	struct mm_struct *mm;
	struct completion detached;
	const struct drm_pagemap_devmem_ops *ops;
	struct drm_pagemap *dpagemap;
	size_t size;
	u64 timeslice_expiration;
	struct dma_fence *pre_migrate_fence;
};

/**
 * struct drm_pagemap_migrate_details - how to migrate
 * @timeslice_ms: how long the migrated pages stay in device memory before
 *	a CPU fault may take them back (so that CPU and GPU cannot bounce a
 *	page between them for ever); 0 for no minimum
 * @can_migrate_same_pagemap: the copy functions can move pages within one
 *	&struct drm_pagemap: pages already in the destination pagemap are
 *	moved into the new allocation too (otherwise such pages abort the
 *	migration with -EBUSY, unless all pages are there already)
 * @source_peer_migrates: pages in a peer's device memory are copied by the
 *	peer (its &drm_pagemap_devmem_ops.copy_to_ram into this device's
 *	pages), rather than by this device's
 *	&drm_pagemap_devmem_ops.copy_to_devmem from the peer's pages
 */
struct drm_pagemap_migrate_details {
	unsigned long timeslice_ms;
	u32 can_migrate_same_pagemap : 1;
	u32 source_peer_migrates : 1;
};

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

int drm_pagemap_migrate_to_devmem(struct drm_pagemap_devmem *devmem_allocation,
				  struct mm_struct *mm,
				  unsigned long start, unsigned long end,
				  const struct drm_pagemap_migrate_details *mdetails);

int drm_pagemap_evict_to_ram(struct drm_pagemap_devmem *devmem_allocation);

const struct dev_pagemap_ops *drm_pagemap_pagemap_ops_get(void);

void drm_pagemap_devmem_init(struct drm_pagemap_devmem *devmem_allocation,
			     struct device *dev, struct mm_struct *mm,
			     const struct drm_pagemap_devmem_ops *ops,
			     struct drm_pagemap *dpagemap, size_t size,
			     struct dma_fence *pre_migrate_fence);

int drm_pagemap_populate_mm(struct drm_pagemap *dpagemap,
			    unsigned long start, unsigned long end,
			    struct mm_struct *mm,
			    unsigned long timeslice_ms);

void drm_pagemap_destroy(struct drm_pagemap *dpagemap, bool is_atomic_or_reclaim);

int drm_pagemap_reinit(struct drm_pagemap *dpagemap);

#else

/*
 * Without CONFIG_DEVICE_PRIVATE there is no device-private memory: nothing
 * migrates, and no pagemap can be made.
 */

/**
 * drm_pagemap_init() - without device memory: no pagemap
 * @dpagemap: the pagemap
 * @pagemap: its dev_pagemap
 * @drm: its DRM device
 * @ops: its operations
 *
 * Return: -EOPNOTSUPP.
 */
static inline int drm_pagemap_init(struct drm_pagemap *dpagemap,
				   struct dev_pagemap *pagemap,
				   struct drm_device *drm,
				   const struct drm_pagemap_ops *ops)
{
	return -EOPNOTSUPP;
}

/**
 * drm_pagemap_create() - without device memory: no pagemap
 * @drm: its DRM device
 * @pagemap: its dev_pagemap
 * @ops: its operations
 *
 * Return: ERR_PTR(-EOPNOTSUPP).
 */
static inline struct drm_pagemap *drm_pagemap_create(struct drm_device *drm,
						     struct dev_pagemap *pagemap,
						     const struct drm_pagemap_ops *ops)
{
	return ERR_PTR(-EOPNOTSUPP);
}

/**
 * drm_pagemap_migrate_to_devmem() - without device memory: no migration
 * @devmem_allocation: the allocation
 * @mm: the address space
 * @start: start of the range
 * @end: its end
 * @mdetails: how to migrate
 *
 * Return: -EOPNOTSUPP.
 */
static inline int
drm_pagemap_migrate_to_devmem(struct drm_pagemap_devmem *devmem_allocation,
			      struct mm_struct *mm,
			      unsigned long start, unsigned long end,
			      const struct drm_pagemap_migrate_details *mdetails)
{
	return -EOPNOTSUPP;
}

/**
 * drm_pagemap_evict_to_ram() - without device memory: nothing to evict
 * @devmem_allocation: the allocation
 *
 * Return: -EOPNOTSUPP.
 */
static inline int drm_pagemap_evict_to_ram(struct drm_pagemap_devmem *devmem_allocation)
{
	return -EOPNOTSUPP;
}

/**
 * drm_pagemap_pagemap_ops_get() - without device memory: no operations
 *
 * Return: NULL.
 */
static inline const struct dev_pagemap_ops *drm_pagemap_pagemap_ops_get(void)
{
	return NULL;
}

/**
 * drm_pagemap_devmem_init() - without device memory: nothing to set up
 * @devmem_allocation: the allocation
 * @dev: its device
 * @mm: its address space
 * @ops: its operations
 * @dpagemap: its pagemap
 * @size: its size
 * @pre_migrate_fence: its fence
 */
static inline void
drm_pagemap_devmem_init(struct drm_pagemap_devmem *devmem_allocation,
			struct device *dev, struct mm_struct *mm,
			const struct drm_pagemap_devmem_ops *ops,
			struct drm_pagemap *dpagemap, size_t size,
			struct dma_fence *pre_migrate_fence)
{
}

/**
 * drm_pagemap_populate_mm() - without device memory: nothing to populate
 * @dpagemap: the pagemap
 * @start: start of the range
 * @end: its end
 * @mm: the address space
 * @timeslice_ms: the timeslice
 *
 * Return: -EOPNOTSUPP.
 */
static inline int drm_pagemap_populate_mm(struct drm_pagemap *dpagemap,
					  unsigned long start, unsigned long end,
					  struct mm_struct *mm,
					  unsigned long timeslice_ms)
{
	return -EOPNOTSUPP;
}

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

#if IS_ENABLED(CONFIG_KUNIT) && IS_ENABLED(CONFIG_DEVICE_PRIVATE)
struct migrate_vma;
/* For KUnit tests only: see drm_pagemap.c. */
int drm_pagemap_migrate_vma_setup(struct migrate_vma *migrate);
#endif

#endif
