// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-direct.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_gem_ttm_helper.h>
#include <drm/drm_gpuvm.h>
#include <drm/drm_managed.h>
#include <drm/drm_pagemap.h>
#include <drm/ttm/ttm_range_manager.h>
#include <drm/ttm/ttm_tt.h>
#include <kunit/visibility.h>

#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_ttm_vram_mgr.h"
#include "vxe_vm.h"
#include "vxe_vram.h"

/**
 * DOC: vxe buffer objects
 *
 * GEM objects of vxe are TTM buffer objects, as Xe's are.  The device's
 * &ttm_device has a system-memory placement: %TTM_PL_TT, pages from the
 * TTM page pool, DMA-mapped for the device (the mock GPU reaches them at
 * those DMA addresses, through its page tables).  A BO is populated in
 * %TTM_PL_TT when it is created, as in Xe, unless created with
 * %DRM_XE_GEM_CREATE_FLAG_DEFER_BACKING (then when it is first validated:
 * a GPU bind, a CPU fault of an mmap); TTM may move it back to
 * %TTM_PL_SYSTEM (swap-out), and then the
 * GPU mappings of the BO are zapped (vxe_vm_bo_invalidate()), once the
 * dma-fence jobs that may use it are done: the next EXEC of a dma-fence VM
 * binds it again before its job runs (vxe_vm_exec_lock(), as Xe's EXEC
 * revalidates), a job of an LR VM faults and binds it again.
 *
 * With VRAM, a BO may be placed in %TTM_PL_VRAM (vxe_ttm_vram_mgr.c).  The
 * copy engine moves its data between VRAM and TT; evicted from VRAM, it
 * goes to TT.  The CPU maps a VRAM BO at its backing pages.
 *
 * SVM allocations are BOs too (vxe_bo_create_svm()), VRAM only, with a
 * &struct drm_pagemap_devmem inside: their pages are process memory that
 * drm_pagemap migrated, so evicting one from VRAM migrates its pages back
 * to the processes (drm_pagemap_evict_to_ram()) and keeps nothing.  The
 * last device page freed drops the allocation's BO reference (deferred to
 * a worker: pages are freed in atomic context).
 *
 * A BO created for a VM (&drm_xe_gem_create.vm_id) shares that VM's
 * reservation object and can only be bound into it, as in Xe.
 */

static const struct ttm_place vxe_sys_place = {
	.mem_type = TTM_PL_SYSTEM,
};

static struct ttm_placement vxe_sys_placement = {
	.num_placement = 1,
	.placement = &vxe_sys_place,
};

static const struct ttm_place vxe_tt_place = {
	.mem_type = TTM_PL_TT,
};

static struct ttm_placement vxe_tt_placement = {
	.num_placement = 1,
	.placement = &vxe_tt_place,
};

static struct vxe_bo *to_vxe_bo(struct ttm_buffer_object *tbo)
{
	return container_of(tbo, struct vxe_bo, ttm);
}

static struct ttm_tt *vxe_ttm_tt_create(struct ttm_buffer_object *tbo,
					u32 page_flags)
{
	struct vxe_bo *bo = container_of(tbo, struct vxe_bo, ttm);
	enum ttm_caching caching = ttm_cached;
	struct ttm_tt *tt;

	tt = kzalloc(sizeof(*tt), GFP_KERNEL);
	if (!tt)
		return NULL;
	if (bo->cpu_caching == DRM_XE_GEM_CPU_CACHING_WC)
		caching = ttm_write_combined;
	/* With DMA addresses: the pool maps every page for the device. */
	if (ttm_sg_tt_init(tt, tbo, page_flags, caching)) {
		kfree(tt);
		return NULL;
	}
	return tt;
}

static int vxe_ttm_tt_populate(struct ttm_device *bdev, struct ttm_tt *tt,
			       struct ttm_operation_ctx *ctx)
{
	return ttm_pool_alloc(&bdev->pool, tt, ctx);
}

static void vxe_ttm_tt_unpopulate(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_pool_free(&bdev->pool, tt);
}

static void vxe_ttm_tt_destroy(struct ttm_device *bdev, struct ttm_tt *tt)
{
	ttm_tt_fini(tt);
	kfree(tt);
}

/*
 * Evicted from VRAM, a BO's data goes to TT; an SVM allocation's goes back
 * to the processes, so it keeps nothing (SYSTEM).  Out of TT, to SYSTEM.
 */
static void vxe_ttm_evict_flags(struct ttm_buffer_object *tbo,
				struct ttm_placement *placement)
{
	if (tbo->resource->mem_type == TTM_PL_VRAM && !to_vxe_bo(tbo)->svm)
		*placement = vxe_tt_placement;
	else
		*placement = vxe_sys_placement;
}

/*
 * Copy a BO between VRAM and system memory with the copy engine: @vram is
 * its VRAM resource, @tt its pages (to VRAM: NULL, or unpopulated, for
 * zeroes).
 */
static int vxe_bo_copy(struct vxe_bo *bo, struct ttm_resource *vram,
		       struct ttm_tt *tt, bool to_vram)
{
	struct vxe_device *vxe = to_vxe_device(bo->ttm.base.dev);
	unsigned long npages = PFN_UP(bo->ttm.base.size);
	bool zero = !tt || !ttm_tt_is_populated(tt);
	u64 *off;
	int err;

	off = kvmalloc_array(npages, sizeof(*off), GFP_KERNEL);
	if (!off)
		return -ENOMEM;
	err = vxe_vram_resource_offsets(vram, off, npages);
	if (!err)
		err = vxe_vram_copy(vxe->vram, off, zero ? NULL : tt->pages,
				    npages, to_vram);
	kvfree(off);
	return err;
}

/*
 * How long eviction waits for an exiting process to free the pages of an
 * SVM allocation (its address space is gone already).
 */
#define VXE_BO_SVM_EXIT_WAIT	(10 * HZ)

/*
 * Give an SVM allocation's pages back to the processes.  A process that
 * is exiting frees them itself: wait for that.  Context: the BO reserved.
 */
static int vxe_bo_evict_svm(struct vxe_bo *bo)
{
	int err = drm_pagemap_evict_to_ram(&bo->devmem);

	if (err == -EFAULT &&
	    wait_for_completion_timeout(&bo->devmem.detached,
					VXE_BO_SVM_EXIT_WAIT))
		err = 0;
	return err;
}

/* Moves into or out of VRAM. */
static int vxe_ttm_move_vram(struct vxe_bo *bo, struct ttm_resource *new_mem,
			     struct ttm_place *hop)
{
	struct ttm_buffer_object *tbo = &bo->ttm;
	struct ttm_resource *old = tbo->resource;
	int err;

	if (bo->svm) {
		/* The pages are the processes': give them back. */
		if (old && old->mem_type == TTM_PL_VRAM) {
			err = vxe_bo_evict_svm(bo);
			if (err)
				return err;
		}
		ttm_bo_move_null(tbo, new_mem);
		return 0;
	}

	if (new_mem->mem_type == TTM_PL_SYSTEM) {
		/* Out of VRAM through TT, where the data can live. */
		*hop = vxe_tt_place;
		hop->flags = TTM_PL_FLAG_TEMPORARY;
		return -EMULTIHOP;
	}
	if (new_mem->mem_type == TTM_PL_VRAM)
		err = vxe_bo_copy(bo, new_mem, tbo->ttm, true);
	else
		err = vxe_bo_copy(bo, old, tbo->ttm, false);
	if (err)
		return err;
	ttm_bo_move_sync_cleanup(tbo, new_mem);
	return 0;
}

static int vxe_ttm_move(struct ttm_buffer_object *tbo, bool evict,
			struct ttm_operation_ctx *ctx,
			struct ttm_resource *new_mem, struct ttm_place *hop)
{
	struct ttm_resource *old = tbo->resource;
	int err;

	/*
	 * Leaving TT or VRAM (evicted, or swapped out: TTM moves a BO to
	 * SYSTEM before it swaps it): the GPU must not use the pages any more.
	 * The jobs of dma-fence VMs that may use them (their fences are in
	 * the BO's reservation object) finish first, as Xe's moves wait for
	 * them: such a job is never made to fault.  Jobs of LR VMs leave no
	 * fence: they fault, and the BO is bound again.
	 */
	if (old && (old->mem_type == TTM_PL_TT || old->mem_type == TTM_PL_VRAM) &&
	    !to_vxe_bo(tbo)->svm) {
		err = ttm_bo_wait_ctx(tbo, ctx);
		if (err)
			return err;
		vxe_vm_bo_invalidate(to_vxe_bo(tbo));
	}

	if ((old && old->mem_type == TTM_PL_VRAM) ||
	    new_mem->mem_type == TTM_PL_VRAM)
		return vxe_ttm_move_vram(to_vxe_bo(tbo), new_mem, hop);

	/* SYSTEM and TT share the same pages: nothing to copy. */
	if (!old || old->mem_type == TTM_PL_SYSTEM ||
	    new_mem->mem_type == TTM_PL_SYSTEM) {
		ttm_bo_move_null(tbo, new_mem);
		return 0;
	}
	return ttm_bo_move_memcpy(tbo, ctx, new_mem);
}

/* The CPU maps a VRAM BO at its backing pages: "I/O memory" to TTM. */
static int vxe_ttm_io_mem_reserve(struct ttm_device *bdev,
				  struct ttm_resource *mem)
{
	switch (mem->mem_type) {
	case TTM_PL_SYSTEM:
	case TTM_PL_TT:
		return 0;
	case TTM_PL_VRAM:
		mem->bus.is_iomem = true;
		mem->bus.caching = ttm_cached;
		return 0;
	default:
		return -EINVAL;
	}
}

static unsigned long vxe_ttm_io_mem_pfn(struct ttm_buffer_object *tbo,
					unsigned long page_offset)
{
	struct vxe_device *vxe = to_vxe_device(tbo->base.dev);
	u64 off;

	if (vxe_vram_resource_offset(tbo->resource, page_offset, &off))
		return 0;
	return page_to_pfn(vxe_vram_backing(vxe->vram, off));
}

static const struct ttm_device_funcs vxe_ttm_funcs = {
	.ttm_tt_create = vxe_ttm_tt_create,
	.ttm_tt_populate = vxe_ttm_tt_populate,
	.ttm_tt_unpopulate = vxe_ttm_tt_unpopulate,
	.ttm_tt_destroy = vxe_ttm_tt_destroy,
	.eviction_valuable = ttm_bo_eviction_valuable,
	.evict_flags = vxe_ttm_evict_flags,
	.move = vxe_ttm_move,
	.io_mem_reserve = vxe_ttm_io_mem_reserve,
	.io_mem_pfn = vxe_ttm_io_mem_pfn,
};

/* Drop the BO references released SVM allocations left behind. */
static void vxe_bo_put_work(struct work_struct *work)
{
	struct vxe_device *vxe = container_of(work, struct vxe_device,
					      bo_put_work);
	struct vxe_bo *bo, *next;

	llist_for_each_entry_safe(bo, next, llist_del_all(&vxe->bo_puts),
				  put_node)
		drm_gem_object_put(&bo->ttm.base);
}

static void vxe_ttm_release(struct drm_device *drm, void *arg)
{
	struct vxe_device *vxe = to_vxe_device(drm);

	if (vxe->vram)
		vxe_ttm_vram_mgr_fini(vxe);
	flush_work(&vxe->bo_put_work);
	ttm_range_man_fini(&vxe->ttm, TTM_PL_TT);
	ttm_device_fini(&vxe->ttm);
}

/**
 * vxe_ttm_init() - set up the TTM device of a vxe device
 * @vxe: the device
 *
 * The TT placement covers all of system memory; TTM's own limits (and its
 * shrinker) decide how much of it BOs may hold.  Torn down with the DRM
 * device (drmm).
 *
 * Return: 0 or a negative errno.
 */
int vxe_ttm_init(struct vxe_device *vxe)
{
	struct drm_device *drm = &vxe->drm;
	int err;

	err = ttm_device_init(&vxe->ttm, &vxe_ttm_funcs, drm->dev,
			      drm->anon_inode->i_mapping,
			      drm->vma_offset_manager, false, false);
	if (err)
		return err;
	init_llist_head(&vxe->bo_puts);
	INIT_WORK(&vxe->bo_put_work, vxe_bo_put_work);
	spin_lock_init(&vxe->svm_bos_lock);
	INIT_LIST_HEAD(&vxe->svm_bos);
	err = ttm_range_man_init(&vxe->ttm, TTM_PL_TT, true, totalram_pages());
	if (err)
		goto err_device;
	if (vxe->vram) {
		err = vxe_ttm_vram_mgr_init(vxe);
		if (err)
			goto err_tt;
	}
	return drmm_add_action_or_reset(drm, vxe_ttm_release, NULL);

err_tt:
	ttm_range_man_fini(&vxe->ttm, TTM_PL_TT);
err_device:
	ttm_device_fini(&vxe->ttm);
	return err;
}

static void vxe_gem_object_free(struct drm_gem_object *obj)
{
	ttm_bo_put(&gem_to_vxe_bo(obj)->ttm);
}

static const struct vm_operations_struct vxe_gem_vm_ops = {
	.fault = ttm_bo_vm_fault,
	.open = ttm_bo_vm_open,
	.close = ttm_bo_vm_close,
	.access = ttm_bo_vm_access,
};

static const struct drm_gem_object_funcs vxe_gem_object_funcs = {
	.free = vxe_gem_object_free,
	.mmap = drm_gem_ttm_mmap,
	.vm_ops = &vxe_gem_vm_ops,
};

static void vxe_ttm_bo_destroy(struct ttm_buffer_object *tbo)
{
	struct vxe_bo *bo = container_of(tbo, struct vxe_bo, ttm);
	struct vxe_device *vxe = to_vxe_device(tbo->base.dev);

	atomic_dec(&vxe->nr_bos);
	if (bo->svm) {
		spin_lock(&vxe->svm_bos_lock);
		list_del_init(&bo->svm_link);
		spin_unlock(&vxe->svm_bos_lock);
		atomic_dec(&vxe->nr_svm_bos);
	}
	drm_gem_object_release(&tbo->base);
	if (bo->vm)
		vxe_vm_put(bo->vm);
	kfree(bo);
}

static void vxe_bo_set_placement(struct vxe_bo *bo, u32 regions)
{
	unsigned int n = 0;

	if (regions & BIT(VXE_MEM_REGION_VRAM))
		bo->places[n++].mem_type = TTM_PL_VRAM;
	if (regions & BIT(VXE_MEM_REGION_SYS))
		bo->places[n++].mem_type = TTM_PL_TT;
	bo->placement.num_placement = n;
	bo->placement.placement = bo->places;
}

static struct vxe_bo *to_svm_bo(struct drm_pagemap_devmem *devmem)
{
	return container_of(devmem, struct vxe_bo, devmem);
}

/* Pages are freed in atomic context: the BO reference goes in a worker. */
static void vxe_svm_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct vxe_bo *bo = to_svm_bo(devmem);
	struct vxe_device *vxe = to_vxe_device(bo->ttm.base.dev);

	llist_add(&bo->put_node, &vxe->bo_puts);
	queue_work(vxe_wq, &vxe->bo_put_work);
}

static int vxe_svm_populate_devmem_pfn(struct drm_pagemap_devmem *devmem,
				       unsigned long npages, unsigned long *pfn)
{
	struct vxe_bo *bo = to_svm_bo(devmem);
	struct vxe_device *vxe = to_vxe_device(bo->ttm.base.dev);
	unsigned long i;
	int err;

	dma_resv_assert_held(bo->ttm.base.resv);
	if (bo->ttm.resource->mem_type != TTM_PL_VRAM)
		return -EINVAL;
	/* Offsets first, in place: unsigned long is 64 bits here. */
	BUILD_BUG_ON(sizeof(*pfn) != sizeof(u64));
	err = vxe_vram_resource_offsets(bo->ttm.resource, (u64 *)pfn, npages);
	if (err)
		return err;
	for (i = 0; i < npages; i++)
		pfn[i] = vxe_vram_offset_pfn(vxe->vram, pfn[i]);
	return 0;
}

/*
 * Both copy directions: device pages, and the addresses of the system
 * pages on the other side (0: a page the CPU never populated, zeroes):
 * DMA addresses of system pages, or of a peer's VRAM pages over the
 * interconnect (%VXE_INTERCONNECT_P2P), which the copy engine reaches as it
 * does system memory.
 */
static int vxe_svm_copy(struct page **pages, struct drm_pagemap_addr *addr,
			unsigned long npages, bool to_vram)
{
	enum vxe_gt_stats_id us = to_vram ? VXE_GT_STATS_ID_SVM_DEVICE_COPY_US :
					    VXE_GT_STATS_ID_SVM_CPU_COPY_US;
	enum vxe_gt_stats_id kb = to_vram ? VXE_GT_STATS_ID_SVM_DEVICE_COPY_KB :
					    VXE_GT_STATS_ID_SVM_CPU_COPY_KB;
	struct vxe_vram *vram = NULL;
	unsigned long i, copied = 0;
	ktime_t start = ktime_get();
	struct page **sys;
	u64 *off;
	int err;

	for (i = 0; i < npages && !vram; i++)
		if (pages[i])
			vram = vxe_vram_of_page(pages[i]);
	if (!vram)
		return 0;

	off = kvmalloc_array(npages, sizeof(*off), GFP_KERNEL);
	sys = kvcalloc(npages, sizeof(*sys), GFP_KERNEL);
	if (!off || !sys) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < npages; i++) {
		off[i] = pages[i] ? vxe_vram_page_offset(vram, pages[i]) : U64_MAX;
		copied += !!pages[i];
		if (!pages[i] || !addr[i].addr)
			continue;
		if (addr[i].proto != DRM_INTERCONNECT_SYSTEM &&
		    addr[i].proto != VXE_INTERCONNECT_P2P) {
			err = -EOPNOTSUPP;
			goto out;
		}
		sys[i] = pfn_to_page(PHYS_PFN(dma_to_phys(vram->vxe->drm.dev,
							  addr[i].addr)));
	}
	err = vxe_vram_copy(vram, off, sys, npages, to_vram);
	if (!err) {
		struct vxe_gt_stats *stats = &vram->vxe->stats;
		u64 size = (u64)copied << PAGE_SHIFT;

		vxe_gt_stats_us(stats, us, start);
		vxe_gt_stats_us_sized(stats, us + 1, size, start);
		vxe_gt_stats_incr(stats, kb, size / SZ_1K);
		vxe_gt_stats_incr_sized(stats, kb + 1, size, size / SZ_1K);
	}
out:
	kvfree(sys);
	kvfree(off);
	return err;
}

/*
 * The copies are done when they return: nothing is pipelined, and the
 * allocation has no fence to wait for (vxe_bo_create_svm() sets none).
 */
static int vxe_svm_copy_to_devmem(struct page **pages,
				  struct drm_pagemap_addr *addr,
				  unsigned long npages,
				  struct dma_fence *pre_migrate_fence)
{
	return vxe_svm_copy(pages, addr, npages, true);
}

static int vxe_svm_copy_to_ram(struct page **pages,
			       struct drm_pagemap_addr *addr,
			       unsigned long npages,
			       struct dma_fence *pre_migrate_fence)
{
	return vxe_svm_copy(pages, addr, npages, false);
}

static const struct drm_pagemap_devmem_ops vxe_svm_devmem_ops = {
	.devmem_release = vxe_svm_devmem_release,
	.populate_devmem_pfn = vxe_svm_populate_devmem_pfn,
	.copy_to_devmem = vxe_svm_copy_to_devmem,
	.copy_to_ram = vxe_svm_copy_to_ram,
};

/**
 * vxe_bo_create_svm() - allocate VRAM for an SVM range
 * @vxe: the device, with VRAM
 * @size: bytes, page aligned
 * @mm: the address space the range belongs to
 * @dpagemap: the pagemap of @vxe's VRAM the allocation is made from
 *
 * A kernel BO placed in VRAM (TTM evicts other BOs to make room), with its
 * &vxe_bo.devmem set up for drm_pagemap_migrate_to_devmem().  It is
 * returned reserved, so that it cannot be evicted before the migration
 * into it is done.
 *
 * Return: the BO, reserved, with one reference; ERR_PTR(-ENOSPC) when
 * nothing more can be evicted, -ENOMEM, or the injected error.
 */
struct vxe_bo *vxe_bo_create_svm(struct vxe_device *vxe, u64 size,
				 struct mm_struct *mm,
				 struct drm_pagemap *dpagemap)
{
	struct ttm_operation_ctx ctx = { .interruptible = false };
	struct vxe_bo *bo;
	int err;

	err = vxe_inject_check(&vxe->inj, VXE_INJECT_VRAM_ALLOC);
	if (err)
		return ERR_PTR(err);

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->svm = true;
	atomic_inc(&vxe->nr_bos);
	atomic_inc(&vxe->nr_svm_bos);
	INIT_LIST_HEAD(&bo->svm_link);
	vxe_bo_set_placement(bo, BIT(VXE_MEM_REGION_VRAM));
	drm_gem_private_object_init(&vxe->drm, &bo->ttm.base, size);
	bo->ttm.base.funcs = &vxe_gem_object_funcs;
	drm_gem_gpuva_init(&bo->ttm.base);
	drm_pagemap_devmem_init(&bo->devmem, vxe->drm.dev, mm,
				&vxe_svm_devmem_ops, dpagemap, size, NULL);

	/* From here on, TTM owns the BO: errors go through the destroy. */
	err = ttm_bo_init_reserved(&vxe->ttm, &bo->ttm, ttm_bo_type_kernel,
				   &bo->placement, 0, &ctx, NULL, NULL,
				   vxe_ttm_bo_destroy);
	if (err)
		return ERR_PTR(err);
	spin_lock(&vxe->svm_bos_lock);
	list_add_tail(&bo->svm_link, &vxe->svm_bos);
	spin_unlock(&vxe->svm_bos_lock);
	return bo;
}

/**
 * vxe_bo_evict_svm_all() - give every SVM allocation's pages back to the
 *	processes
 * @vxe: the device
 *
 * For the removal of the device: the data of processes in its VRAM goes
 * back to system memory (their GPU mappings are invalidated on the way).
 *
 * Context: process context; takes the allocations' reservations.
 * Return: 0, or the first error of an allocation that kept pages in VRAM.
 */
int vxe_bo_evict_svm_all(struct vxe_device *vxe)
{
	LIST_HEAD(done);
	struct vxe_bo *bo;
	int err = 0;

	spin_lock(&vxe->svm_bos_lock);
	while ((bo = list_first_entry_or_null(&vxe->svm_bos, struct vxe_bo,
					      svm_link))) {
		int ret;

		list_move_tail(&bo->svm_link, &done);
		if (!kref_get_unless_zero(&bo->ttm.base.refcount))
			continue;
		spin_unlock(&vxe->svm_bos_lock);

		ret = ttm_bo_reserve(&bo->ttm, false, false, NULL);
		if (!ret) {
			ret = vxe_bo_evict_svm(bo);
			ttm_bo_unreserve(&bo->ttm);
		}
		err = err ?: ret;
		drm_gem_object_put(&bo->ttm.base);

		spin_lock(&vxe->svm_bos_lock);
	}
	list_splice(&done, &vxe->svm_bos);
	spin_unlock(&vxe->svm_bos_lock);
	return err;
}

/**
 * vxe_bo_create() - create a buffer object
 * @vxe: the device
 * @vm: the VM the BO is private to, or NULL
 * @size: size in bytes, page aligned, not 0
 * @cpu_caching: %DRM_XE_GEM_CPU_CACHING_WB or _WC
 * @flags: %DRM_XE_GEM_CREATE_FLAG_* (recorded)
 * @regions: where it may live: a mask of memory region instances
 *	(%VXE_MEM_REGION_SYS, %VXE_MEM_REGION_VRAM), VRAM preferred
 *
 * A BO gets its memory at once, as in Xe: VRAM if it may live there (TTM
 * evicts other BOs to make room; it falls back to TT when that placement
 * is allowed), else TT, populated.  With DEFER_BACKING it starts in
 * %TTM_PL_SYSTEM, unpopulated.  Its GEM object has an mmap offset.
 *
 * Return: the BO, with one GEM reference, or an ERR_PTR().
 */
struct vxe_bo *vxe_bo_create(struct vxe_device *vxe, struct vxe_vm *vm,
			     u64 size, u16 cpu_caching, u32 flags, u32 regions)
{
	struct ttm_operation_ctx ctx = { .interruptible = true };
	struct dma_resv *resv = NULL;
	struct vxe_bo *bo;
	int err;

	bo = kzalloc(sizeof(*bo), GFP_KERNEL);
	if (!bo)
		return ERR_PTR(-ENOMEM);
	bo->cpu_caching = cpu_caching;
	bo->flags = flags;
	vxe_bo_set_placement(bo, regions);

	drm_gem_private_object_init(&vxe->drm, &bo->ttm.base, size);
	bo->ttm.base.funcs = &vxe_gem_object_funcs;
	drm_gem_gpuva_init(&bo->ttm.base);
	if (vm) {
		bo->vm = vxe_vm_get(vm);
		resv = vxe_vm_resv(vm);
		dma_resv_lock(resv, NULL);
	}

	err = drm_gem_create_mmap_offset(&bo->ttm.base);
	if (err)
		goto err_release;

	/*
	 * From here on, TTM owns the BO: errors go through the destroy.  It
	 * gets its memory now, as in Xe (unless DEFER_BACKING).
	 */
	atomic_inc(&vxe->nr_bos);
	err = ttm_bo_init_reserved(&vxe->ttm, &bo->ttm, ttm_bo_type_device,
				   !(flags & DRM_XE_GEM_CREATE_FLAG_DEFER_BACKING) ?
				   &bo->placement : &vxe_sys_placement,
				   PAGE_SHIFT, &ctx, NULL, resv, vxe_ttm_bo_destroy);
	if (vm)
		dma_resv_unlock(resv);
	if (err)
		return ERR_PTR(err);
	if (!vm)
		dma_resv_unlock(bo->ttm.base.resv);
	return bo;

err_release:
	if (vm)
		dma_resv_unlock(resv);
	vxe_ttm_bo_destroy(&bo->ttm);
	return ERR_PTR(err);
}

/**
 * vxe_bo_validate() - make a BO's pages resident for the GPU
 * @bo: the BO
 *
 * Moves the BO into its placement: %TTM_PL_VRAM (TTM evicts other BOs to
 * make room) or %TTM_PL_TT (populated and DMA-mapped).
 *
 * Context: the BO's reservation lock.
 * Return: 0 or a negative errno (-ENOMEM when nothing more can be evicted,
 * -ERESTARTSYS, ...).
 */
int vxe_bo_validate(struct vxe_bo *bo)
{
	struct ttm_operation_ctx ctx = { .interruptible = true };
	int err;

	dma_resv_assert_held(bo->ttm.base.resv);
	err = ttm_bo_validate(&bo->ttm, &bo->placement, &ctx);
	if (err == -ENOMEM || err == -ENOSPC)
		drm_dbg(bo->ttm.base.dev,
			"vxe: no room for a BO of %zu bytes, even after eviction: %d\n",
			bo->ttm.base.size, err);
	return err;
}

/**
 * vxe_bo_dma_addrs() - device addresses of some pages of a BO
 * @bo: the BO, validated
 * @offset: byte offset of the first page, page aligned
 * @npages: number of pages
 * @addrs: one entry per page (order 0; system protocol, or the driver's
 *	protocol with VRAM offsets)
 *
 * Context: the BO's reservation lock.
 * Return: 0, -EINVAL beyond the BO, -EAGAIN when it is not in %TTM_PL_TT.
 */
int vxe_bo_dma_addrs(struct vxe_bo *bo, u64 offset, unsigned long npages,
		     struct drm_pagemap_addr *addrs)
{
	struct ttm_tt *tt = bo->ttm.ttm;
	pgoff_t first = offset >> PAGE_SHIFT;
	unsigned long i;

	dma_resv_assert_held(bo->ttm.base.resv);
	if (first + npages > PFN_UP(bo->ttm.base.size))
		return -EINVAL;
	if (bo->ttm.resource && bo->ttm.resource->mem_type == TTM_PL_VRAM) {
		for (i = 0; i < npages; i++) {
			u64 off;

			if (vxe_vram_resource_offset(bo->ttm.resource, first + i,
						     &off))
				return -EINVAL;
			addrs[i] = drm_pagemap_addr_encode(off,
							   DRM_INTERCONNECT_DRIVER,
							   0, DMA_BIDIRECTIONAL);
		}
		return 0;
	}
	if (!bo->ttm.resource || bo->ttm.resource->mem_type != TTM_PL_TT ||
	    !tt || !ttm_tt_is_populated(tt) || !tt->dma_address)
		return -EAGAIN;
	for (i = 0; i < npages; i++)
		addrs[i] = drm_pagemap_addr_encode(tt->dma_address[first + i],
						   DRM_INTERCONNECT_SYSTEM,
						   0, DMA_BIDIRECTIONAL);
	return 0;
}

#define VXE_GEM_CREATE_FLAGS	(DRM_XE_GEM_CREATE_FLAG_DEFER_BACKING | \
				 DRM_XE_GEM_CREATE_FLAG_SCANOUT | \
				 DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM)

/**
 * vxe_gem_create_ioctl() - DRM_IOCTL_XE_GEM_CREATE
 * @dev: the DRM device
 * @data: the &struct drm_xe_gem_create
 * @file: the DRM file; the handle belongs to it
 *
 * Xe's checks and errnos: no extensions, zero pads, reserved fields and
 * handle; a placement within the device's memory regions; known flags,
 * NEEDS_VISIBLE_VRAM only with a VRAM placement; a page-aligned, non-zero
 * size; cpu_caching WB or WC (WC for VRAM, not WB for scanout); a vm_id
 * this file owns.
 *
 * Return: 0, -EINVAL for a broken rule, -ENOENT for an unknown VM,
 * -ENOMEM.
 */
int vxe_gem_create_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_gem_create *args = data;
	u32 regions = vxe_mem_region_mask(vxe);
	struct vxe_vm *vm = NULL;
	struct vxe_bo *bo;
	ktime_t end = 0;
	u32 handle;
	int err;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->pad[0] || args->pad[1] || args->pad[2]) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, !args->placement || args->placement & ~regions) ||
	    VXE_IOCTL_DBG(vxe, args->flags & ~VXE_GEM_CREATE_FLAGS) ||
	    VXE_IOCTL_DBG(vxe, args->handle) ||
	    VXE_IOCTL_DBG(vxe, !args->size) ||
	    VXE_IOCTL_DBG(vxe, args->size > SIZE_MAX) ||
	    VXE_IOCTL_DBG(vxe, args->size & ~PAGE_MASK))
		return -EINVAL;

	if (VXE_IOCTL_DBG(vxe, args->flags & DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM &&
			  !(args->placement & BIT(VXE_MEM_REGION_VRAM))) ||
	    VXE_IOCTL_DBG(vxe, !args->cpu_caching ||
			  args->cpu_caching > DRM_XE_GEM_CPU_CACHING_WC) ||
	    VXE_IOCTL_DBG(vxe, args->placement & BIT(VXE_MEM_REGION_VRAM) &&
			  args->cpu_caching != DRM_XE_GEM_CPU_CACHING_WC) ||
	    VXE_IOCTL_DBG(vxe, args->flags & DRM_XE_GEM_CREATE_FLAG_SCANOUT &&
			  args->cpu_caching == DRM_XE_GEM_CPU_CACHING_WB))
		return -EINVAL;

	if (args->vm_id) {
		vm = vxe_file_vm_get(file->driver_priv, args->vm_id);
		if (VXE_IOCTL_DBG(vxe, !vm))
			return -ENOENT;
	}

	/* VRAM full of BOs others hold: try again for a while, as Xe. */
	do {
		bo = vxe_bo_create(vxe, vm, args->size, args->cpu_caching,
				   args->flags, args->placement);
	} while (vxe_vm_validate_should_retry(PTR_ERR_OR_ZERO(bo), &end));
	if (vm)
		vxe_vm_put(vm);
	if (IS_ERR(bo))
		return PTR_ERR(bo);

	err = drm_gem_handle_create(file, &bo->ttm.base, &handle);
	drm_gem_object_put(&bo->ttm.base);
	if (err)
		return err;
	args->handle = handle;
	return 0;
}

/**
 * vxe_gem_mmap_offset_ioctl() - DRM_IOCTL_XE_GEM_MMAP_OFFSET
 * @dev: the DRM device
 * @data: the &struct drm_xe_gem_mmap_offset
 * @file: the DRM file owning the handle
 *
 * The fake offset to mmap() the BO at through the DRM file.  vxe has no
 * PCI BAR, so %DRM_XE_MMAP_OFFSET_FLAG_PCI_BARRIER is refused, as Xe
 * refuses it where it is not supported.
 *
 * Return: 0, -EINVAL for extensions, flags or reserved fields, -ENOENT
 * for an unknown handle.
 */
int vxe_gem_mmap_offset_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_gem_mmap_offset *args = data;
	struct drm_gem_object *obj;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->flags))
		return -EINVAL;

	obj = drm_gem_object_lookup(file, args->handle);
	if (VXE_IOCTL_DBG(vxe, !obj))
		return -ENOENT;
	args->offset = drm_vma_node_offset_addr(&obj->vma_node);
	drm_gem_object_put(obj);
	return 0;
}
