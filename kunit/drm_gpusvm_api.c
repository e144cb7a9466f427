// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Upstream's API of drm_gpusvm and drm_pagemap, checked when it is built.
 *
 * Not a test that runs: every function that upstream Linux's
 * include/drm/drm_gpusvm.h, drm_pagemap.h and drm_pagemap_util.h declare
 * is assigned here to a pointer of upstream's exact type (return and
 * argument types), every macro is used as upstream documents it, every
 * structure member a driver uses has upstream's type (static_assert() of
 * __same_type(), or a write for bit fields), and the enums have upstream's
 * values.  The kernel builds with -Werror=incompatible-pointer-types: a
 * function or member that our headers name or type differently from
 * upstream fails the build of the test kernels and the W=1 build of
 * "make check".
 *
 * The reference is Linux mainline (torvalds/linux) as of 2026: drm_gpusvm.h
 * with &struct drm_gpusvm_pages (without the IOMMU IOVA state, which 6.12
 * does not have) and drm_gpusvm_get_pages() of one pages object,
 * drm_pagemap.h with the reference-counted &struct drm_pagemap and
 * &struct drm_pagemap_migrate_details, drm_pagemap_util.h with the pagemap
 * cache, its shrinker and the owner lists.  drm_gpusvm_free() is declared
 * by upstream's header but defined nowhere, so it is left out.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/build_bug.h>
#include <linux/compiler.h>
#include <linux/mutex.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>

/* The functions of include/drm/drm_gpusvm.h, with upstream's prototypes. */
static const struct {
	int (*init)(struct drm_gpusvm *gpusvm, const char *name,
		    struct mm_struct *mm, unsigned long mm_start,
		    unsigned long mm_range, unsigned long notifier_size,
		    const struct drm_gpusvm_ops *ops,
		    const unsigned long *chunk_sizes, int num_chunks);
	void (*fini)(struct drm_gpusvm *gpusvm);
	unsigned long (*find_vma_start)(struct drm_gpusvm *gpusvm,
					unsigned long start, unsigned long end);
	struct drm_gpusvm_range *(*range_find_or_insert)(struct drm_gpusvm *gpusvm,
							 unsigned long fault_addr,
							 unsigned long gpuva_start,
							 unsigned long gpuva_end,
							 const struct drm_gpusvm_ctx *ctx);
	void (*range_remove)(struct drm_gpusvm *gpusvm,
			     struct drm_gpusvm_range *range);
	int (*range_evict)(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_range *range);
	struct drm_gpusvm_range *(*range_get)(struct drm_gpusvm_range *range);
	void (*range_put)(struct drm_gpusvm_range *range);
	bool (*pages_valid)(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages);
	bool (*has_mapping)(struct drm_gpusvm *gpusvm, unsigned long start,
			    unsigned long end);
	struct drm_gpusvm_notifier *(*notifier_find)(struct drm_gpusvm *gpusvm,
						     unsigned long start,
						     unsigned long end);
	struct drm_gpusvm_range *(*range_find)(struct drm_gpusvm_notifier *notifier,
					       unsigned long start,
					       unsigned long end);
	void (*range_set_unmapped)(struct drm_gpusvm_range *range,
				   struct drm_gpusvm_pages *pages,
				   unsigned int pages_count,
				   const struct mmu_notifier_range *mmu_range);
	int (*get_pages)(struct drm_gpusvm *gpusvm,
			 struct drm_gpusvm_pages *svm_pages,
			 struct mm_struct *mm,
			 struct mmu_interval_notifier *notifier,
			 unsigned long pages_start, unsigned long pages_end,
			 const struct drm_gpusvm_ctx *ctx);
	void (*unmap_pages)(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_pages *svm_pages,
			    unsigned long npages,
			    const struct drm_gpusvm_ctx *ctx);
	void (*free_pages)(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_pages *svm_pages,
			   unsigned long npages);
	void (*init_pages)(struct drm_gpusvm_pages *svm_pages,
			   struct drm_device *drm);
	enum drm_gpusvm_scan_result (*scan_mm)(struct drm_gpusvm_range *range,
					       void *dev_private_owner,
					       const struct dev_pagemap *pagemap);
	unsigned long (*range_start)(struct drm_gpusvm_range *range);
	unsigned long (*range_end)(struct drm_gpusvm_range *range);
	unsigned long (*range_size)(struct drm_gpusvm_range *range);
	unsigned long (*notifier_start)(struct drm_gpusvm_notifier *notifier);
	unsigned long (*notifier_end)(struct drm_gpusvm_notifier *notifier);
	unsigned long (*notifier_size)(struct drm_gpusvm_notifier *notifier);
	struct drm_gpusvm_range *(*range_next)(struct drm_gpusvm_range *range);
	struct drm_gpusvm_notifier *(*notifier_next)(struct drm_gpusvm_notifier *notifier);
} api_gpusvm __used = {
	.init = drm_gpusvm_init,
	.fini = drm_gpusvm_fini,
	.find_vma_start = drm_gpusvm_find_vma_start,
	.range_find_or_insert = drm_gpusvm_range_find_or_insert,
	.range_remove = drm_gpusvm_range_remove,
	.range_evict = drm_gpusvm_range_evict,
	.range_get = drm_gpusvm_range_get,
	.range_put = drm_gpusvm_range_put,
	.pages_valid = drm_gpusvm_pages_valid,
	.has_mapping = drm_gpusvm_has_mapping,
	.notifier_find = drm_gpusvm_notifier_find,
	.range_find = drm_gpusvm_range_find,
	.range_set_unmapped = drm_gpusvm_range_set_unmapped,
	.get_pages = drm_gpusvm_get_pages,
	.unmap_pages = drm_gpusvm_unmap_pages,
	.free_pages = drm_gpusvm_free_pages,
	.init_pages = drm_gpusvm_init_pages,
	.scan_mm = drm_gpusvm_scan_mm,
	.range_start = drm_gpusvm_range_start,
	.range_end = drm_gpusvm_range_end,
	.range_size = drm_gpusvm_range_size,
	.notifier_start = drm_gpusvm_notifier_start,
	.notifier_end = drm_gpusvm_notifier_end,
	.notifier_size = drm_gpusvm_notifier_size,
	.range_next = __drm_gpusvm_range_next,
	.notifier_next = __drm_gpusvm_notifier_next,
};

/* Their structures, enums and macros. */
static void __used api_gpusvm_types(struct drm_gpusvm *gpusvm,
				    struct drm_gpusvm_pages *pages,
				    struct drm_gpusvm_range *range,
				    struct drm_gpusvm_ctx *ctx,
				    struct mutex *lock)
{
	const struct drm_gpusvm_ops *ops = gpusvm->ops;
	struct drm_gpusvm_notifier *notifier, *next_notifier;
	struct drm_gpusvm_range *r = NULL, *next_range;

	static_assert(__same_type(ops->notifier_alloc,
				  struct drm_gpusvm_notifier *(*)(void)));
	static_assert(__same_type(ops->notifier_free,
				  void (*)(struct drm_gpusvm_notifier *)));
	static_assert(__same_type(ops->range_alloc,
				  struct drm_gpusvm_range *(*)(struct drm_gpusvm *)));
	static_assert(__same_type(ops->range_free,
				  void (*)(struct drm_gpusvm_range *)));
	static_assert(__same_type(ops->invalidate,
				  void (*)(struct drm_gpusvm *,
					   struct drm_gpusvm_notifier *,
					   const struct mmu_notifier_range *)));
	static_assert(__same_type(range->notifier->gpusvm, struct drm_gpusvm *));
	static_assert(__same_type(range->notifier->notifier,
				  struct mmu_interval_notifier));
	static_assert(__same_type(range->notifier->itree,
				  struct interval_tree_node));
	static_assert(__same_type(range->notifier->entry, struct list_head));
	static_assert(__same_type(range->notifier->root, struct rb_root_cached));
	static_assert(__same_type(range->notifier->range_list,
				  struct list_head));
	static_assert(__same_type(pages->drm, struct drm_device *));
	static_assert(__same_type(pages->dma_addr, struct drm_pagemap_addr *));
	static_assert(__same_type(pages->dpagemap, struct drm_pagemap *));
	static_assert(__same_type(pages->notifier_seq, unsigned long));
	static_assert(__same_type(pages->flags, struct drm_gpusvm_pages_flags));
	static_assert(__same_type(pages->flags.__flags, u16));
	static_assert(__same_type(range->gpusvm, struct drm_gpusvm *));
	static_assert(__same_type(range->refcount, struct kref));
	static_assert(__same_type(range->itree, struct interval_tree_node));
	static_assert(__same_type(range->entry, struct list_head));
	static_assert(__same_type(range->flags, struct drm_gpusvm_range_flags));
	static_assert(__same_type(range->flags.__flags, u16));
	static_assert(__same_type(gpusvm->name, const char *));
	static_assert(__same_type(gpusvm->mm, struct mm_struct *));
	static_assert(__same_type(gpusvm->mm_start, unsigned long));
	static_assert(__same_type(gpusvm->mm_range, unsigned long));
	static_assert(__same_type(gpusvm->notifier_size, unsigned long));
	static_assert(__same_type(gpusvm->ops, const struct drm_gpusvm_ops *));
	static_assert(__same_type(gpusvm->chunk_sizes, const unsigned long *));
	static_assert(__same_type(gpusvm->num_chunks, int));
	static_assert(__same_type(gpusvm->notifier_lock, struct rw_semaphore));
	static_assert(__same_type(gpusvm->root, struct rb_root_cached));
	static_assert(__same_type(gpusvm->notifier_list, struct list_head));
	static_assert(__same_type(ctx->device_private_page_owner, void *));
	static_assert(__same_type(ctx->check_pages_threshold, unsigned long));
	static_assert(__same_type(ctx->timeslice_ms, unsigned long));
	static_assert(DRM_GPUSVM_SCAN_UNPOPULATED == 0);
	static_assert(DRM_GPUSVM_SCAN_EQUAL == 1);
	static_assert(DRM_GPUSVM_SCAN_OTHER == 2);
	static_assert(DRM_GPUSVM_SCAN_SYSTEM == 3);
	static_assert(DRM_GPUSVM_SCAN_MIXED_DEVICE == 4);
	static_assert(DRM_GPUSVM_SCAN_MIXED == 5);

	/* typeof() does not apply to bit fields: write them. */
	range->notifier->flags.removed = 1;
	pages->flags.unmapped = 1;
	pages->flags.has_devmem_pages = 1;
	pages->flags.has_dma_mapping = 1;
	range->flags.migrate_devmem = 1;
	range->flags.unmapped = 1;
	range->flags.partial_unmap = 1;
	ctx->in_notifier = 1;
	ctx->read_only = 1;
	ctx->devmem_possible = 1;
	ctx->devmem_only = 1;
	ctx->allow_mixed = 1;

	drm_gpusvm_driver_set_lock(gpusvm, lock);
	drm_gpusvm_notifier_lock(gpusvm);
	drm_gpusvm_notifier_unlock(gpusvm);
	drm_gpusvm_for_each_notifier(notifier, gpusvm, 0, ULONG_MAX)
		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX)
			;
	drm_gpusvm_for_each_notifier_safe(notifier, next_notifier, gpusvm, 0,
					  ULONG_MAX)
		drm_gpusvm_for_each_range_safe(r, next_range, notifier, 0,
					       ULONG_MAX)
			;
}

/* The functions of include/drm/drm_pagemap.h, with upstream's prototypes. */
static const struct {
	struct drm_pagemap_addr (*addr_encode)(dma_addr_t addr,
					       enum drm_interconnect_protocol proto,
					       unsigned int order,
					       enum dma_data_direction dir);
	int (*init)(struct drm_pagemap *dpagemap, struct dev_pagemap *pagemap,
		    struct drm_device *drm, const struct drm_pagemap_ops *ops);
	struct drm_pagemap *(*create)(struct drm_device *drm,
				      struct dev_pagemap *pagemap,
				      const struct drm_pagemap_ops *ops);
	struct drm_pagemap *(*page_to_dpagemap)(struct page *page);
	void (*put)(struct drm_pagemap *dpagemap);
	struct drm_pagemap *(*get)(struct drm_pagemap *dpagemap);
	struct drm_pagemap *(*get_unless_zero)(struct drm_pagemap *dpagemap);
	int (*migrate_to_devmem)(struct drm_pagemap_devmem *devmem_allocation,
				 struct mm_struct *mm,
				 unsigned long start, unsigned long end,
				 const struct drm_pagemap_migrate_details *mdetails);
	int (*evict_to_ram)(struct drm_pagemap_devmem *devmem_allocation);
	const struct dev_pagemap_ops *(*pagemap_ops_get)(void);
	void (*devmem_init)(struct drm_pagemap_devmem *devmem_allocation,
			    struct device *dev, struct mm_struct *mm,
			    const struct drm_pagemap_devmem_ops *ops,
			    struct drm_pagemap *dpagemap, size_t size,
			    struct dma_fence *pre_migrate_fence);
	int (*populate_mm)(struct drm_pagemap *dpagemap,
			   unsigned long start, unsigned long end,
			   struct mm_struct *mm, unsigned long timeslice_ms);
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
	/* Declared by upstream for device memory only, without stubs. */
	void (*destroy)(struct drm_pagemap *dpagemap, bool is_atomic_or_reclaim);
	int (*reinit)(struct drm_pagemap *dpagemap);
#endif
} api_pagemap __used = {
	.addr_encode = drm_pagemap_addr_encode,
	.init = drm_pagemap_init,
	.create = drm_pagemap_create,
	.page_to_dpagemap = drm_pagemap_page_to_dpagemap,
	.put = drm_pagemap_put,
	.get = drm_pagemap_get,
	.get_unless_zero = drm_pagemap_get_unless_zero,
	.migrate_to_devmem = drm_pagemap_migrate_to_devmem,
	.evict_to_ram = drm_pagemap_evict_to_ram,
	.pagemap_ops_get = drm_pagemap_pagemap_ops_get,
	.devmem_init = drm_pagemap_devmem_init,
	.populate_mm = drm_pagemap_populate_mm,
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
	.destroy = drm_pagemap_destroy,
	.reinit = drm_pagemap_reinit,
#endif
};

/* Their structures and enums. */
static void __used api_pagemap_types(struct drm_pagemap *dpagemap,
				     struct drm_pagemap_devmem *devmem,
				     struct drm_pagemap_addr *addr,
				     struct drm_pagemap_migrate_details *md)
{
	const struct drm_pagemap_devmem_ops *dops = devmem->ops;
	const struct drm_pagemap_ops *ops = dpagemap->ops;

	static_assert(__same_type(addr->addr, dma_addr_t));
	static_assert(__same_type(ops->device_map,
				  struct drm_pagemap_addr (*)(struct drm_pagemap *,
							      struct device *,
							      struct page *,
							      unsigned int,
							      enum dma_data_direction)));
	static_assert(__same_type(ops->device_unmap,
				  void (*)(struct drm_pagemap *, struct device *,
					   struct drm_pagemap_addr)));
	static_assert(__same_type(ops->populate_mm,
				  int (*)(struct drm_pagemap *, unsigned long,
					  unsigned long, struct mm_struct *,
					  unsigned long)));
	static_assert(__same_type(ops->destroy,
				  void (*)(struct drm_pagemap *, bool)));
	static_assert(__same_type(dpagemap->ops, const struct drm_pagemap_ops *));
	static_assert(__same_type(dpagemap->ref, struct kref));
	static_assert(__same_type(dpagemap->drm, struct drm_device *));
	static_assert(__same_type(dpagemap->pagemap, struct dev_pagemap *));
	static_assert(__same_type(dpagemap->dev_hold,
				  struct drm_pagemap_dev_hold *));
	static_assert(__same_type(dpagemap->cache, struct drm_pagemap_cache *));
	static_assert(__same_type(dpagemap->shrink_link, struct list_head));
	static_assert(__same_type(dops->devmem_release,
				  void (*)(struct drm_pagemap_devmem *)));
	static_assert(__same_type(dops->populate_devmem_pfn,
				  int (*)(struct drm_pagemap_devmem *,
					  unsigned long, unsigned long *)));
	static_assert(__same_type(dops->copy_to_devmem,
				  int (*)(struct page **,
					  struct drm_pagemap_addr *,
					  unsigned long, struct dma_fence *)));
	static_assert(__same_type(dops->copy_to_ram,
				  int (*)(struct page **,
					  struct drm_pagemap_addr *,
					  unsigned long, struct dma_fence *)));
	static_assert(__same_type(devmem->dev, struct device *));
	static_assert(__same_type(devmem->mm, struct mm_struct *));
	static_assert(__same_type(devmem->detached, struct completion));
	static_assert(__same_type(devmem->ops,
				  const struct drm_pagemap_devmem_ops *));
	static_assert(__same_type(devmem->dpagemap, struct drm_pagemap *));
	static_assert(__same_type(devmem->size, size_t));
	static_assert(__same_type(devmem->timeslice_expiration, u64));
	static_assert(__same_type(devmem->pre_migrate_fence,
				  struct dma_fence *));
	static_assert(__same_type(md->timeslice_ms, unsigned long));
	static_assert(DRM_INTERCONNECT_SYSTEM == 0);
	static_assert(DRM_INTERCONNECT_DRIVER == 1);
	static_assert(NR_PAGES(9) == 512);

	addr->proto = DRM_INTERCONNECT_DRIVER;
	addr->order = 0;
	addr->dir = DMA_BIDIRECTIONAL;
	md->can_migrate_same_pagemap = 1;
	md->source_peer_migrates = 1;
}

/* The functions of include/drm/drm_pagemap_util.h, with upstream's prototypes. */
static const struct {
	void (*shrinker_add)(struct drm_pagemap *dpagemap);
	int (*cache_lock_lookup)(struct drm_pagemap_cache *cache);
	void (*cache_unlock_lookup)(struct drm_pagemap_cache *cache);
	struct drm_pagemap_shrinker *(*shrinker_create_devm)(struct drm_device *drm);
	struct drm_pagemap_cache *(*cache_create_devm)(struct drm_pagemap_shrinker *shrinker);
	struct drm_pagemap *(*get_from_cache)(struct drm_pagemap_cache *cache);
	void (*cache_set_pagemap)(struct drm_pagemap_cache *cache,
				  struct drm_pagemap *dpagemap);
	struct drm_pagemap *(*get_from_cache_if_active)(struct drm_pagemap_cache *cache);
	void (*shrinker_might_lock)(struct drm_pagemap *dpagemap);
	void (*release_owner)(struct drm_pagemap_peer *peer);
	int (*acquire_owner)(struct drm_pagemap_peer *peer,
			     struct drm_pagemap_owner_list *owner_list,
			     bool (*has_interconnect)(struct drm_pagemap_peer *peer1,
						      struct drm_pagemap_peer *peer2));
} api_pagemap_util __used = {
	.shrinker_add = drm_pagemap_shrinker_add,
	.cache_lock_lookup = drm_pagemap_cache_lock_lookup,
	.cache_unlock_lookup = drm_pagemap_cache_unlock_lookup,
	.shrinker_create_devm = drm_pagemap_shrinker_create_devm,
	.cache_create_devm = drm_pagemap_cache_create_devm,
	.get_from_cache = drm_pagemap_get_from_cache,
	.cache_set_pagemap = drm_pagemap_cache_set_pagemap,
	.get_from_cache_if_active = drm_pagemap_get_from_cache_if_active,
	.shrinker_might_lock = drm_pagemap_shrinker_might_lock,
	.release_owner = drm_pagemap_release_owner,
	.acquire_owner = drm_pagemap_acquire_owner,
};

static __maybe_unused DRM_PAGEMAP_OWNER_LIST_DEFINE(api_owner_list);

/* Their structures. */
static void __used api_pagemap_util_types(struct drm_pagemap_peer *peer)
{
	static_assert(__same_type(peer->list, struct drm_pagemap_owner_list *));
	static_assert(__same_type(peer->link, struct list_head));
	static_assert(__same_type(peer->owner, struct drm_pagemap_owner *));
	static_assert(__same_type(peer->private, void *));
	static_assert(__same_type(peer->list->lock, struct mutex));
	static_assert(__same_type(peer->list->peers, struct list_head));
}
