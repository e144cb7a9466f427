/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * A mock driver for the drm_gpusvm and drm_pagemap KUnit suites: a DRM
 * device, a "GPU" that is nothing but the DMA addresses it was given, GPU
 * SVMs with their own notifier and range objects, and device-private
 * memory backed by kernel pages.  No vxe: the library on its own, as
 * lib/test_hmm.c is HMM's mock.
 *
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_GPUSVM_MOCK_H_
#define _DRM_GPUSVM_MOCK_H_

#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/kref.h>
#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>

/*
 * Each test case runs in a fresh KUnit thread with a fresh, empty mm (from
 * kunit_vm_mmap()), so tests place their mappings at fixed addresses and
 * the layout is the same on every run.
 */
#define GM_BASE		0x40000000UL	/* 1 GiB: 2M and 512M aligned */
#define GM_RW		(PROT_READ | PROT_WRITE)

/* How long the clean-up waits for the test thread's mm to let go. */
#define GM_DRAIN_TIMEOUT	(60 * HZ)

struct gm_dev;
struct gm_mem;

/**
 * struct gm_ctx - the mock driver of one test
 * @test: the test
 * @notifier_allocs: notifiers &drm_gpusvm_ops.notifier_alloc made
 * @notifier_frees: notifiers &drm_gpusvm_ops.notifier_free freed
 * @fail_notifier_alloc: make &drm_gpusvm_ops.notifier_alloc fail
 * @range_allocs: ranges &drm_gpusvm_ops.range_alloc made
 * @range_frees: ranges &drm_gpusvm_ops.range_free freed
 * @fail_range_alloc: make &drm_gpusvm_ops.range_alloc fail
 * @ndevs: devices made so far (they are numbered)
 * @priv: for the test's own static stubs
 *
 * test->priv points at it: &drm_gpusvm_ops.notifier_alloc has no other
 * way to find its driver.  At the end of the test every notifier and
 * range must have been freed.
 */
struct gm_ctx {
	struct kunit *test;
	atomic_t notifier_allocs;
	atomic_t notifier_frees;
	bool fail_notifier_alloc;
	atomic_t range_allocs;
	atomic_t range_frees;
	bool fail_range_alloc;
	int ndevs;
	void *priv;
};

/**
 * struct gm_dev - a mock DRM device
 * @ctx: the test's mock driver
 * @refs: references: the test's, and the DRM device's until it is freed
 * @dev: the parent device (a KUnit device, bound to a KUnit driver)
 * @drm: the DRM device (devm_drm_dev_alloc() on @dev)
 * @unregistered: @dev was unregistered already
 * @drm_released: completed when the last reference of @drm is gone
 * @shrinker: the pagemap shrinker of @drm, once gm_dev_cache() made it
 * @cache: the pagemap cache, once gm_dev_cache() made it
 * @pagemaps: mock pagemaps made with @drm
 * @destroys: &drm_pagemap_ops.destroy calls
 * @destroys_atomic: those of them with @is_atomic_or_reclaim set
 * @wq: woken at every release of a pagemap or an allocation
 *
 * Reference counted, so that it outlives everything the DRM device's
 * users may call (the pagemap destroy callback).
 */
struct gm_dev {
	struct gm_ctx *ctx;
	refcount_t refs;
	struct device *dev;
	struct drm_device *drm;
	bool unregistered;
	struct completion drm_released;
	struct drm_pagemap_shrinker *shrinker;
	struct drm_pagemap_cache *cache;
	atomic_t pagemaps;
	atomic_t destroys;
	atomic_t destroys_atomic;
	wait_queue_head_t wq;
};

/**
 * struct gm_mem - device-private memory of a mock device
 * @gdev: the device
 * @pagemap: the device-private pages (memremap_pages())
 * @res: the physical address range they take
 * @peer: its place in the mock's owner list (&dev_pagemap.owner)
 * @dpagemap: the mock's own reference on its &struct drm_pagemap, or NULL
 * @backing: the kernel page behind each device page: the data
 * @npages: its size in pages
 * @pfn_first: the pfn of its first device page
 * @dev_base: the device address of its first page
 *	(%DRM_INTERCONNECT_DRIVER addresses are @dev_base + offset)
 * @lock: protects @used (pages are freed in atomic context)
 * @used: which device pages an allocation holds
 * @link: in the mock's list of memories, to resolve device addresses
 * @mdetails: what &drm_pagemap_ops.populate_mm migrates with
 * @private_only: &drm_pagemap_ops.device_map refuses other devices
 * @fail_device_map: &drm_pagemap_ops.device_map fails
 * @fail_copy_to_devmem: errno &drm_pagemap_devmem_ops.copy_to_devmem
 *	returns (nothing copied), 0: none
 * @fail_copy_to_ram: the same for &drm_pagemap_devmem_ops.copy_to_ram
 * @fail_populate_pfn: the same for populate_devmem_pfn
 * @fail_populate_mm: the same for &drm_pagemap_ops.populate_mm
 * @allocs: allocations made
 * @releases: &drm_pagemap_devmem_ops.devmem_release calls
 * @device_maps: &drm_pagemap_ops.device_map calls
 * @device_unmaps: &drm_pagemap_ops.device_unmap calls
 * @copies_to_devmem: copy_to_devmem calls
 * @copies_to_ram: copy_to_ram calls
 * @pages_to_devmem: pages copy_to_devmem copied
 * @pages_to_ram: pages copy_to_ram copied
 * @peer_pages: pages copied from or to another memory's device pages
 * @populate_calls: &drm_pagemap_ops.populate_mm calls
 * @last_fence: the fence the last copy_to_devmem was given
 */
struct gm_mem {
	struct gm_dev *gdev;
	struct dev_pagemap pagemap;
	struct resource *res;
	struct drm_pagemap_peer peer;
	struct drm_pagemap *dpagemap;
	struct page **backing;
	unsigned long npages;
	unsigned long pfn_first;
	u64 dev_base;
	spinlock_t lock; /* see the kernel-doc above */
	unsigned long *used;
	struct list_head link;
	struct drm_pagemap_migrate_details mdetails;
	bool private_only;
	bool fail_device_map;
	int fail_copy_to_devmem;
	int fail_copy_to_ram;
	int fail_populate_pfn;
	int fail_populate_mm;
	atomic_t allocs;
	atomic_t releases;
	atomic_t device_maps;
	atomic_t device_unmaps;
	atomic_t copies_to_devmem;
	atomic_t copies_to_ram;
	atomic_t pages_to_devmem;
	atomic_t pages_to_ram;
	atomic_t peer_pages;
	atomic_t populate_calls;
	struct dma_fence *last_fence;
};

/**
 * struct gm_alloc - an allocation of mock device memory
 * @devmem: what drm_pagemap migrates into
 * @ref: references: the pages' (dropped by
 *	&drm_pagemap_devmem_ops.devmem_release) and the test's
 * @mem: the memory it is in
 * @released: &drm_pagemap_devmem_ops.devmem_release was called
 * @npages: its size in pages
 * @idx: the index in @mem of each of its pages (not contiguous)
 */
struct gm_alloc {
	struct drm_pagemap_devmem devmem;
	struct kref ref;
	struct gm_mem *mem;
	bool released;
	unsigned long npages;
	unsigned long idx[];
};

/**
 * struct gm_range - a range of a mock GPU SVM
 * @base: the library's range
 * @pages: its pages, mapped for the GPU SVM's device
 * @gc_link: in &gm_svm.gc_list while it waits to be removed
 */
struct gm_range {
	struct drm_gpusvm_range base;
	struct drm_gpusvm_pages pages;
	struct list_head gc_link;
};

/**
 * struct gm_svm_config - how a mock GPU SVM is set up
 * @chunk_sizes: range sizes
 * @num_chunks: their number
 * @mm_start: start of the mirrored window
 * @mm_range: its size
 * @notifier_size: the window of a notifier
 */
struct gm_svm_config {
	const unsigned long *chunk_sizes;
	int num_chunks;
	unsigned long mm_start;
	unsigned long mm_range;
	unsigned long notifier_size;
};

extern const struct gm_svm_config gm_svm_default_config;

/**
 * struct gm_svm - a mock GPU VM mirroring the test's mm
 * @gdev: its device
 * @gpusvm: the library's GPU SVM
 * @lock: the VM lock (drm_gpusvm_driver_set_lock())
 * @owner: its device-private page owner, for gm_svm_get_pages()
 * @invalidations: &drm_gpusvm_ops.invalidate calls
 * @events: those calls per &enum mmu_notifier_event
 * @last_start: start of the last invalidation
 * @last_end: its end
 * @last_event: its event
 * @unmapped_pages: drm_gpusvm_unmap_pages() calls from the callback
 *	that had live mappings to take down
 * @gc_lock: protects @gc_list
 * @gc_list: ranges unmapped by the CPU, waiting for @gc_work
 * @gc_work: the garbage collector: removes the ranges of @gc_list
 * @gc_removed: ranges it removed
 * @closed: the GPU SVM is being torn down; the collector stops
 */
struct gm_svm {
	struct gm_dev *gdev;
	struct drm_gpusvm gpusvm;
	struct mutex lock; /* the VM lock */
	void *owner;
	atomic_t invalidations;
	atomic_t events[8];
	unsigned long last_start;
	unsigned long last_end;
	enum mmu_notifier_event last_event;
	atomic_t unmapped_pages;
	spinlock_t gc_lock; /* see the kernel-doc above */
	struct list_head gc_list;
	struct work_struct gc_work;
	atomic_t gc_removed;
	bool closed;
};

/**
 * enum gm_where - where the CPU maps a page
 * @GM_NONE: nowhere (never populated, or unmapped)
 * @GM_SYSTEM: a system page
 * @GM_DEVICE: a device-private page
 */
enum gm_where {
	GM_NONE,
	GM_SYSTEM,
	GM_DEVICE,
};

struct gm_ctx *gm_init(struct kunit *test);
struct gm_dev *gm_dev_create(struct gm_ctx *ctx);
void gm_dev_unregister(struct gm_dev *gdev);
bool gm_dev_wait_drm_released(struct gm_dev *gdev);
int gm_require_devmem(struct kunit *test);

struct gm_svm *gm_svm_create(struct gm_dev *gdev,
			     const struct gm_svm_config *cfg);
void gm_svm_destroy(struct gm_svm *svm);
struct drm_gpusvm_range *gm_svm_fault(struct gm_svm *svm, unsigned long addr,
				      unsigned long win_start,
				      unsigned long win_end,
				      const struct drm_gpusvm_ctx *ctx);
struct gm_range *gm_svm_range(struct gm_svm *svm, unsigned long addr);
int gm_svm_get_pages(struct gm_svm *svm, struct gm_range *r,
		     const struct drm_gpusvm_ctx *ctx);
void gm_svm_unmap_pages(struct gm_svm *svm, struct gm_range *r);
void gm_svm_remove(struct gm_svm *svm, struct gm_range *r);
bool gm_svm_pages_valid(struct gm_svm *svm, struct drm_gpusvm_pages *pages);
void gm_svm_flush_gc(struct gm_svm *svm);
unsigned int gm_svm_count_notifiers(struct gm_svm *svm);
unsigned int gm_svm_count_ranges(struct gm_svm *svm);

/**
 * to_gm_range() - the mock range of a library range
 * @range: a range of a mock GPU SVM
 *
 * Return: the &struct gm_range around it.
 */
static inline struct gm_range *to_gm_range(struct drm_gpusvm_range *range)
{
	return container_of(range, struct gm_range, base);
}

/**
 * gm_range_npages() - the number of pages of a range
 * @r: the range
 *
 * Return: its size in pages.
 */
static inline unsigned long gm_range_npages(struct gm_range *r)
{
	return drm_gpusvm_range_size(&r->base) >> PAGE_SHIFT;
}

int gm_gpu_read(struct drm_gpusvm *gpusvm, struct drm_gpusvm_pages *pages,
		unsigned long pages_start, unsigned long addr, void *buf,
		size_t len);
int gm_gpu_write(struct drm_gpusvm *gpusvm, struct drm_gpusvm_pages *pages,
		 unsigned long pages_start, unsigned long addr,
		 const void *buf, size_t len);
unsigned long gm_gpu_check(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_pages *pages,
			   unsigned long pages_start, unsigned long addr,
			   unsigned long len, u32 seed);

unsigned long gm_mmap(struct kunit *test, unsigned long addr,
		      unsigned long len, unsigned long prot);
unsigned long gm_mmap_flags(struct kunit *test, unsigned long addr,
			    unsigned long len, unsigned long prot,
			    unsigned long flags);
void gm_munmap(struct kunit *test, unsigned long addr, unsigned long len);
void gm_zap(struct kunit *test, unsigned long addr, unsigned long len);
void gm_madvise(struct kunit *test, unsigned long addr, unsigned long len,
		int advice);
u32 gm_pattern(unsigned long addr, u32 seed);
void gm_pattern_fill(u32 *buf, unsigned long addr, unsigned long n, u32 seed);
unsigned long gm_pattern_bad(const u32 *buf, unsigned long addr,
			     unsigned long n, u32 seed);
void gm_cpu_fill(struct kunit *test, unsigned long addr, unsigned long len,
		 u32 seed);
unsigned long gm_cpu_check(struct kunit *test, unsigned long addr,
			   unsigned long len, u32 seed);
enum gm_where gm_cpu_where(struct kunit *test, unsigned long addr,
			   struct dev_pagemap **pgmap);
unsigned long gm_count_where(struct kunit *test, unsigned long addr,
			     unsigned long len, enum gm_where where,
			     const struct dev_pagemap *pgmap);
struct mm_struct *gm_dead_mm(struct kunit *test);

struct gm_mem *gm_mem_create(struct gm_dev *gdev, unsigned long size,
			     const void *group);
struct drm_pagemap *gm_pagemap_create(struct gm_mem *mem);
struct drm_pagemap *gm_pagemap_lookup(struct gm_dev *gdev, struct gm_mem *mem);
int gm_dev_cache(struct gm_dev *gdev);
unsigned long gm_mem_used(struct gm_mem *mem);
bool gm_mem_wait_idle(struct gm_mem *mem);
bool gm_dev_wait_destroys(struct gm_dev *gdev, int destroys);
struct gm_alloc *gm_alloc_create(struct gm_mem *mem, unsigned long size);
void gm_alloc_put(struct gm_alloc *alloc);
int gm_migrate(struct gm_alloc *alloc, unsigned long start, unsigned long end,
	       const struct drm_pagemap_migrate_details *mdetails);
int gm_migrate_new(struct gm_mem *mem, unsigned long start, unsigned long end,
		   const struct drm_pagemap_migrate_details *mdetails);
vm_fault_t gm_cpu_fault(struct kunit *test, unsigned long addr, bool write);

extern const struct drm_pagemap_ops gm_pagemap_ops;
extern const struct drm_pagemap_devmem_ops gm_devmem_ops;
extern struct drm_pagemap_owner_list gm_owner_list;

#endif
