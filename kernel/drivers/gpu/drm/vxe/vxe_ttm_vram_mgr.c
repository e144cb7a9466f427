// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/slab.h>
#include <drm/drm_buddy.h>
#include <drm/drm_print.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_device.h>
#include <drm/ttm/ttm_placement.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_ttm_vram_mgr.h"
#include "vxe_vram.h"

/**
 * DOC: vxe VRAM manager
 *
 * TTM places buffer objects in VRAM through this %TTM_PL_VRAM resource
 * manager: a buddy allocator over the VRAM offsets, as Xe's
 * xe_ttm_vram_mgr.c.  An allocation that does not fit fails with -ENOSPC,
 * on which TTM evicts the least recently used BOs of the placement and
 * tries again.  Resources need not be contiguous (unless the placement
 * says %TTM_PL_FLAG_CONTIGUOUS): vxe_vram_resource_offsets() lists the
 * offset of each page.
 */

static struct vxe_ttm_vram_mgr *to_vram_mgr(struct ttm_resource_manager *man)
{
	return container_of(man, struct vxe_ttm_vram_mgr, manager);
}

static struct vxe_vram_resource *to_vram_res(struct ttm_resource *res)
{
	return container_of(res, struct vxe_vram_resource, base);
}

static int vxe_vram_mgr_alloc(struct ttm_resource_manager *man,
			      struct ttm_buffer_object *tbo,
			      const struct ttm_place *place,
			      struct ttm_resource **res)
{
	struct vxe_ttm_vram_mgr *mgr = to_vram_mgr(man);
	u64 size = PAGE_ALIGN(tbo->base.size);
	u64 start = (u64)place->fpfn << PAGE_SHIFT;
	u64 end = place->lpfn ? (u64)place->lpfn << PAGE_SHIFT : mgr->mm.size;
	struct vxe_vram_resource *vres;
	unsigned long flags = 0;
	int err;

	if (place->flags & TTM_PL_FLAG_CONTIGUOUS)
		flags |= GPU_BUDDY_CONTIGUOUS_ALLOCATION;
	if (place->flags & TTM_PL_FLAG_TOPDOWN)
		flags |= GPU_BUDDY_TOPDOWN_ALLOCATION;
	if (start || end != mgr->mm.size)
		flags |= GPU_BUDDY_RANGE_ALLOCATION;

	vres = kzalloc(sizeof(*vres), GFP_KERNEL);
	if (!vres)
		return -ENOMEM;
	ttm_resource_init(tbo, place, &vres->base);
	INIT_LIST_HEAD(&vres->blocks);

	mutex_lock(&mgr->lock);
	err = gpu_buddy_alloc_blocks(&mgr->mm, start, end, size, PAGE_SIZE,
				     &vres->blocks, flags);
	mutex_unlock(&mgr->lock);
	if (err) {
		ttm_resource_fini(man, &vres->base);
		kfree(vres);
		/* -ENOSPC makes TTM evict and retry. */
		return err == -ENOMEM ? -ENOMEM : -ENOSPC;
	}

	vres->base.start = gpu_buddy_block_offset(list_first_entry(&vres->blocks,
								   struct gpu_buddy_block,
								   link)) >> PAGE_SHIFT;
	*res = &vres->base;
	return 0;
}

static void vxe_vram_mgr_free(struct ttm_resource_manager *man,
			      struct ttm_resource *res)
{
	struct vxe_ttm_vram_mgr *mgr = to_vram_mgr(man);
	struct vxe_vram_resource *vres = to_vram_res(res);

	mutex_lock(&mgr->lock);
	gpu_buddy_free_list(&mgr->mm, &vres->blocks, 0);
	mutex_unlock(&mgr->lock);
	ttm_resource_fini(man, res);
	kfree(vres);
}

/* Does a block of the resource lie in [@fpfn, @lpfn)? */
/* The VRAM manager a resource was allocated from. */
static struct vxe_ttm_vram_mgr *res_vram_mgr(struct ttm_resource *res)
{
	return to_vram_mgr(ttm_manager_type(res->bo->bdev, res->mem_type));
}

static bool vxe_vram_res_in(struct vxe_ttm_vram_mgr *mgr,
			    struct ttm_resource *res, const struct ttm_place *place,
			    bool all)
{
	u64 start = (u64)place->fpfn << PAGE_SHIFT;
	u64 end = place->lpfn ? (u64)place->lpfn << PAGE_SHIFT : U64_MAX;
	struct gpu_buddy_block *block;

	list_for_each_entry(block, &to_vram_res(res)->blocks, link) {
		u64 bstart = gpu_buddy_block_offset(block);
		u64 bend = bstart + gpu_buddy_block_size(&mgr->mm, block);
		bool in = all ? bstart >= start && bend <= end :
				bstart < end && bend > start;

		if (in != all)
			return in;
	}
	return all;
}

static bool vxe_vram_mgr_intersects(struct ttm_resource_manager *man,
				    struct ttm_resource *res,
				    const struct ttm_place *place, size_t size)
{
	return vxe_vram_res_in(to_vram_mgr(man), res, place, false);
}

static bool vxe_vram_mgr_compatible(struct ttm_resource_manager *man,
				    struct ttm_resource *res,
				    const struct ttm_place *place, size_t size)
{
	return vxe_vram_res_in(to_vram_mgr(man), res, place, true);
}

static void vxe_vram_mgr_debug(struct ttm_resource_manager *man,
			       struct drm_printer *printer)
{
	struct vxe_ttm_vram_mgr *mgr = to_vram_mgr(man);

	mutex_lock(&mgr->lock);
	drm_printf(printer, "vram: %llu of %llu bytes free\n", mgr->mm.avail,
		   mgr->mm.size);
	drm_buddy_print(&mgr->mm, printer);
	mutex_unlock(&mgr->lock);
}

static const struct ttm_resource_manager_func vxe_vram_mgr_func = {
	.alloc = vxe_vram_mgr_alloc,
	.free = vxe_vram_mgr_free,
	.intersects = vxe_vram_mgr_intersects,
	.compatible = vxe_vram_mgr_compatible,
	.debug = vxe_vram_mgr_debug,
};

/**
 * vxe_ttm_vram_mgr_init() - put a device's VRAM under TTM
 * @vxe: the device, with VRAM (&vxe_device.vram)
 *
 * Return: 0, -ENOMEM.
 */
int vxe_ttm_vram_mgr_init(struct vxe_device *vxe)
{
	struct vxe_ttm_vram_mgr *mgr = &vxe->vram_mgr;
	int err;

	mutex_init(&mgr->lock);
	err = gpu_buddy_init(&mgr->mm, vxe->vram->size, PAGE_SIZE);
	if (err)
		return err;
	mgr->manager.func = &vxe_vram_mgr_func;
	ttm_resource_manager_init(&mgr->manager, &vxe->ttm,
				  vxe->vram->size >> PAGE_SHIFT);
	ttm_set_driver_manager(&vxe->ttm, TTM_PL_VRAM, &mgr->manager);
	ttm_resource_manager_set_used(&mgr->manager, true);
	return 0;
}

/**
 * vxe_ttm_vram_mgr_fini() - take a device's VRAM away from TTM
 * @vxe: the device
 *
 * Evicts every BO still in VRAM first: SVM allocations that pages of a
 * process still hold (the device goes while a process keeps data in its
 * VRAM) go back to system memory.  The manager goes out of use once its
 * LRU is empty (ttm_resource_manager_set_used() warns otherwise).
 */
void vxe_ttm_vram_mgr_fini(struct vxe_device *vxe)
{
	struct vxe_ttm_vram_mgr *mgr = &vxe->vram_mgr;

	if (ttm_resource_manager_evict_all(&vxe->ttm, &mgr->manager))
		drm_err(&vxe->drm, "vxe: VRAM still in use at teardown\n");
	ttm_resource_manager_set_used(&mgr->manager, false);
	ttm_resource_manager_cleanup(&mgr->manager);
	ttm_set_driver_manager(&vxe->ttm, TTM_PL_VRAM, NULL);
	gpu_buddy_fini(&mgr->mm);
	mutex_destroy(&mgr->lock);
}

/**
 * vxe_ttm_vram_mgr_free() - how much VRAM is free
 * @vxe: the device, with VRAM
 *
 * Return: free bytes.
 */
u64 vxe_ttm_vram_mgr_free(struct vxe_device *vxe)
{
	struct vxe_ttm_vram_mgr *mgr = &vxe->vram_mgr;
	u64 avail;

	mutex_lock(&mgr->lock);
	avail = mgr->mm.avail;
	mutex_unlock(&mgr->lock);
	return avail;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_ttm_vram_mgr_free);

/**
 * vxe_vram_resource_offsets() - the VRAM offset of each page of a resource
 * @res: a %TTM_PL_VRAM resource
 * @offsets: filled with @npages offsets
 * @npages: pages wanted, from the start of the resource
 *
 * Return: 0, or -EINVAL when the resource has fewer pages.
 */
int vxe_vram_resource_offsets(struct ttm_resource *res, u64 *offsets,
			      unsigned long npages)
{
	struct vxe_ttm_vram_mgr *mgr = res_vram_mgr(res);
	struct gpu_buddy_block *block;
	unsigned long i = 0;

	list_for_each_entry(block, &to_vram_res(res)->blocks, link) {
		u64 off = gpu_buddy_block_offset(block);
		u64 end = off + gpu_buddy_block_size(&mgr->mm, block);

		for (; off < end && i < npages; off += PAGE_SIZE)
			offsets[i++] = off;
		if (i == npages)
			return 0;
	}
	return -EINVAL;
}

/**
 * vxe_vram_resource_offset() - the VRAM offset of one page of a resource
 * @res: a %TTM_PL_VRAM resource
 * @pgoff: the page, from the start of the resource
 * @offset: set to its VRAM offset
 *
 * Return: 0, or -EINVAL beyond the resource.
 */
int vxe_vram_resource_offset(struct ttm_resource *res, unsigned long pgoff,
			     u64 *offset)
{
	struct vxe_ttm_vram_mgr *mgr = res_vram_mgr(res);
	u64 skip = (u64)pgoff << PAGE_SHIFT;
	struct gpu_buddy_block *block;

	list_for_each_entry(block, &to_vram_res(res)->blocks, link) {
		u64 size = gpu_buddy_block_size(&mgr->mm, block);

		if (skip < size) {
			*offset = gpu_buddy_block_offset(block) + skip;
			return 0;
		}
		skip -= size;
	}
	return -EINVAL;
}
