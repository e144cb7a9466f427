// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <drm/drm_drv.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_pagemap.h"
#include "vxe_vram.h"

/**
 * DOC: vxe pagemap
 *
 * The &struct drm_pagemap of a device's VRAM, as Xe's xe_pagemap: made
 * when a user needs it (vxe_pagemap_get(): a fault-mode VM, for its life)
 * and kept in the device's &struct drm_pagemap_cache when the last user is
 * gone, where memory pressure (the device's pagemap shrinker) may destroy
 * it.  Every allocation of VRAM with process data in it holds a reference
 * too, and through it the DRM device and the vxe module: a process whose
 * data is in VRAM keeps them, and rmmod waits until the data is gone.
 *
 * Its &drm_pagemap_ops.populate_mm allocates an SVM buffer object in VRAM
 * (vxe_bo_create_svm()) and migrates the range into it.  Once the device
 * is unbound it refuses (-ENODEV), and the unbind itself migrates every
 * SVM allocation back to system memory (vxe_bo_evict_svm_all()): the
 * processes keep their data, the GPU mappings of it are invalidated, and
 * jobs still running fault and continue from system memory.
 *
 * The device maps its own VRAM pages at their VRAM offsets
 * (%DRM_INTERCONNECT_DRIVER); no other device reaches them.
 */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* The device of a vxe pagemap */
static struct vxe_device *vxe_pagemap_device(struct drm_pagemap *dpagemap)
{
	return to_vxe_device(dpagemap->drm);
}

static struct drm_pagemap_addr
vxe_pagemap_device_map(struct drm_pagemap *dpagemap, struct device *dev,
		       struct page *page, unsigned int order,
		       enum dma_data_direction dir)
{
	struct vxe_vram *vram = vxe_vram_of_page(page);

	/* No peer access: only the device itself reaches its VRAM. */
	if (dev != dpagemap->drm->dev)
		return drm_pagemap_addr_encode(DMA_MAPPING_ERROR,
					       DRM_INTERCONNECT_DRIVER, order,
					       dir);
	return drm_pagemap_addr_encode(vxe_vram_page_offset(vram, page),
				       DRM_INTERCONNECT_DRIVER, order, dir);
}

/*
 * Migrate [@start, @end) of @mm into a new SVM allocation.  Lock order:
 * the mmap lock (held), then the allocation's reservation.
 */
static int vxe_pagemap_populate_mm(struct drm_pagemap *dpagemap,
				   unsigned long start, unsigned long end,
				   struct mm_struct *mm,
				   unsigned long timeslice_ms)
{
	const struct drm_pagemap_migrate_details mdetails = {
		.timeslice_ms = timeslice_ms,
	};
	struct vxe_device *vxe = vxe_pagemap_device(dpagemap);
	struct vxe_bo *bo;
	int err, idx;

	if (!drm_dev_enter(&vxe->drm, &idx))
		return -ENODEV;
	bo = vxe_bo_create_svm(vxe, end - start, mm, dpagemap);
	if (IS_ERR(bo)) {
		err = PTR_ERR(bo);
		goto out;
	}
	/* The creation reference goes to the pages: keep one meanwhile. */
	drm_gem_object_get(&bo->ttm.base);
	err = drm_pagemap_migrate_to_devmem(&bo->devmem, mm, start, end,
					    &mdetails);
	ttm_bo_unreserve(&bo->ttm);
	drm_gem_object_put(&bo->ttm.base);
out:
	drm_dev_exit(idx);
	return err;
}

static const struct drm_pagemap_ops vxe_pagemap_ops = {
	.device_map = vxe_pagemap_device_map,
	.populate_mm = vxe_pagemap_populate_mm,
};

/**
 * vxe_pagemap_get() - the pagemap of a device's VRAM
 * @vxe: the device
 *
 * The cached pagemap, or a new one.
 *
 * Context: process context; may sleep.
 * Return: the pagemap with a reference (drm_pagemap_put() it); NULL when
 * the device has no VRAM; ERR_PTR(-ENOMEM), ERR_PTR(-EINTR) on a signal.
 */
struct drm_pagemap *vxe_pagemap_get(struct vxe_device *vxe)
{
	struct drm_pagemap_cache *cache = vxe->pagemap.cache;
	struct drm_pagemap *dpagemap;
	int err;

	if (!vxe->vram)
		return NULL;
	dpagemap = drm_pagemap_get_from_cache_if_active(cache);
	if (dpagemap)
		return dpagemap;

	err = drm_pagemap_cache_lock_lookup(cache);
	if (err)
		return ERR_PTR(err);
	dpagemap = drm_pagemap_get_from_cache(cache);
	if (!dpagemap) {
		dpagemap = drm_pagemap_create(&vxe->drm, &vxe->vram->pagemap,
					      &vxe_pagemap_ops);
		if (!IS_ERR(dpagemap))
			drm_pagemap_cache_set_pagemap(cache, dpagemap);
	}
	drm_pagemap_cache_unlock_lookup(cache);
	return dpagemap;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pagemap_get);

/*
 * The device goes (unbind, module unload, or the end of a KUnit test):
 * unplug it, so that populate_mm refuses and the cache, torn down next,
 * does not outlive a live pagemap's last put; give the processes their
 * data back.
 */
static void vxe_pagemap_remove(void *arg)
{
	struct vxe_device *vxe = arg;
	int err;

	if (!drm_dev_is_unplugged(&vxe->drm))
		drm_dev_unplug(&vxe->drm);
	err = vxe_bo_evict_svm_all(vxe);
	if (err)
		drm_warn(&vxe->drm, "vxe: data left in VRAM at removal: %d\n", err);
}

/**
 * vxe_pagemap_init() - set up the pagemap cache of a device's VRAM
 * @vxe: the device, with its VRAM and TTM set up
 *
 * The shrinker and the cache are device-managed, and so is the eviction
 * of the SVM allocations when the device goes.
 *
 * Return: 0 or a negative errno.
 */
int vxe_pagemap_init(struct vxe_device *vxe)
{
	struct drm_pagemap_shrinker *shrinker;
	struct drm_pagemap_cache *cache;

	if (!vxe->vram)
		return 0;
	shrinker = drm_pagemap_shrinker_create_devm(&vxe->drm);
	if (IS_ERR(shrinker))
		return PTR_ERR(shrinker);
	cache = drm_pagemap_cache_create_devm(shrinker);
	if (IS_ERR(cache))
		return PTR_ERR(cache);
	vxe->pagemap.shrinker = shrinker;
	vxe->pagemap.cache = cache;
	return devm_add_action_or_reset(vxe->drm.dev, vxe_pagemap_remove, vxe);
}

#else

struct drm_pagemap *vxe_pagemap_get(struct vxe_device *vxe)
{
	return NULL;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_pagemap_get);

int vxe_pagemap_init(struct vxe_device *vxe)
{
	return 0;
}

#endif
