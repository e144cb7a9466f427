// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-mapping.h>
#include <linux/file.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
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
 * (%VXE_INTERCONNECT_VRAM), a peer on the interconnect at the DMA address
 * of their backing memory (%VXE_INTERCONNECT_P2P, vxe_vram.c); a migration
 * from a peer's VRAM is the peer's copy into this VRAM.  Another device's
 * file and region name its pagemap (vxe_pagemap_from_fd(), MADVISE).
 */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* The device of a vxe pagemap */
static struct vxe_device *vxe_pagemap_device(struct drm_pagemap *dpagemap)
{
	return to_vxe_device(dpagemap->drm);
}

/*
 * The device maps its own VRAM pages at their VRAM offsets; a peer on the
 * interconnect maps them at the DMA address of their backing memory, as Xe
 * maps a peer's VRAM through its PCIe BAR (dma_map_resource()).
 */
static struct drm_pagemap_addr
vxe_pagemap_device_map(struct drm_pagemap *dpagemap, struct device *dev,
		       struct page *page, unsigned int order,
		       enum dma_data_direction dir)
{
	struct vxe_vram *vram = vxe_vram_of_page(page);
	u64 offset = vxe_vram_page_offset(vram, page);
	dma_addr_t addr;

	if (dev == dpagemap->drm->dev)
		return drm_pagemap_addr_encode(offset, VXE_INTERCONNECT_VRAM,
					       order, dir);
	/* Device pages are 4K (6.12 has no device-private folios). */
	if (WARN_ON_ONCE(order))
		addr = DMA_MAPPING_ERROR;
	else
		addr = dma_map_resource(dev, vxe_vram_peer_address(vram, offset),
					PAGE_SIZE, dir, DMA_ATTR_SKIP_CPU_SYNC);
	return drm_pagemap_addr_encode(addr, VXE_INTERCONNECT_P2P, order, dir);
}

static void vxe_pagemap_device_unmap(struct drm_pagemap *dpagemap,
				     struct device *dev,
				     struct drm_pagemap_addr addr)
{
	if (addr.proto != VXE_INTERCONNECT_P2P)
		return;
	dma_unmap_resource(dev, addr.addr, PAGE_SIZE << addr.order, addr.dir,
			   DMA_ATTR_SKIP_CPU_SYNC);
}

/*
 * Migrate [@start, @end) of @mm into a new SVM allocation.  Pages in a
 * peer's VRAM are copied by the peer, straight into this device's VRAM
 * over the interconnect (&drm_pagemap_migrate_details.source_peer_migrates),
 * as Xe has its source GPU write to the destination.  Lock order: the mmap
 * lock (held), then the allocation's reservation.
 */
static int vxe_pagemap_populate_mm(struct drm_pagemap *dpagemap,
				   unsigned long start, unsigned long end,
				   struct mm_struct *mm,
				   unsigned long timeslice_ms)
{
	const struct drm_pagemap_migrate_details mdetails = {
		.timeslice_ms = timeslice_ms,
		.source_peer_migrates = 1,
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
	.device_unmap = vxe_pagemap_device_unmap,
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

/**
 * vxe_pagemap_from_fd() - the pagemap of a device memory region, named by
 *	a file of its device
 * @fd: a file descriptor of a vxe device, in the calling process
 * @region_instance: the instance of a VRAM region of that device
 *
 * As Xe's xe_drm_pagemap_from_fd(): how MADVISE names a preferred
 * location on any device, this one or a peer.
 *
 * Context: process context; may sleep.
 * Return: the pagemap, with a reference (drm_pagemap_put() it);
 * ERR_PTR(-EINVAL) for an @fd of 0 or less; ERR_PTR(-ENOENT) when @fd is
 * not open, is not a vxe device's file, or @region_instance is not VRAM of
 * that device; ERR_PTR(-ENODEV) when the device is gone (unbound);
 * ERR_PTR(-ENOMEM) or ERR_PTR(-EINTR).
 */
struct drm_pagemap *vxe_pagemap_from_fd(int fd, u32 region_instance)
{
	struct drm_pagemap *dpagemap;
	struct drm_file *fpriv;
	struct vxe_device *vxe;
	struct file *file;
	int idx;

	if (fd <= 0)
		return ERR_PTR(-EINVAL);
	file = fget(fd);
	if (!file)
		return ERR_PTR(-ENOENT);
	if (!vxe_is_vxe_file(file)) {
		dpagemap = ERR_PTR(-ENOENT);
		goto out;
	}
	fpriv = file->private_data;
	vxe = to_vxe_device(fpriv->minor->dev);
	if (!drm_dev_enter(&vxe->drm, &idx)) {
		dpagemap = ERR_PTR(-ENODEV);
		goto out;
	}
	if (region_instance != VXE_MEM_REGION_VRAM || !vxe->vram)
		dpagemap = ERR_PTR(-ENOENT);
	else
		dpagemap = vxe_pagemap_get(vxe);
	drm_dev_exit(idx);
out:
	fput(file);
	return dpagemap;
}

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

struct drm_pagemap *vxe_pagemap_from_fd(int fd, u32 region_instance)
{
	return ERR_PTR(fd <= 0 ? -EINVAL : -ENOENT);
}

int vxe_pagemap_init(struct vxe_device *vxe)
{
	return 0;
}

#endif
