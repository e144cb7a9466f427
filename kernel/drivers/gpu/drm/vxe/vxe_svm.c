// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/log2.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_gt_stats.h"
#include "vxe_pagemap.h"
#include "vxe_vm.h"
#include "vxe_vram.h"

/**
 * DOC: vxe SVM
 *
 * vxe follows Xe's shared virtual memory design on top of drm_gpusvm:
 *
 * - A GPU page fault (vxe_svm_handle_fault()) first collects garbage, then
 *   finds or creates the range around the address, collects its pages,
 *   allocates page tables (which may sleep), and commits the GPU mappings
 *   under the notifier lock only if the pages are still valid; otherwise
 *   it starts over, a bounded number of times.
 * - The invalidation callback zaps the GPU mappings of the ranges
 *   concerned, unmaps their pages and invalidates the TLB once for all of
 *   them (ranges the GPU does not map need no TLB invalidation).  On
 *   %MMU_NOTIFY_UNMAP it marks the ranges unmapped and queues them for the
 *   garbage collector, a worker that removes them under the VM lock.
 * - Placement, as Xe's on a discrete GPU: a range of a mirror whose
 *   preferred location is the device's memory (the default) migrates to
 *   VRAM on its first GPU fault (on every GPU fault with the
 *   always_migrate_to_vram module parameter); after the CPU took it back,
 *   the GPU uses it in system memory.  PREFETCH moves ranges to the region
 *   it names.  A VRAM allocation that fails (nothing left to evict) is not
 *   an error: the range stays in system memory.
 */

static const unsigned long vxe_svm_chunk_sizes[] = { SZ_2M, SZ_64K, SZ_4K };

/*
 * Chunk sizes, notifier size and check threshold as Xe uses them for a
 * discrete GPU; the mirror covers the whole 48-bit CPU address space.
 */
const struct vxe_svm_config vxe_svm_default_config = {
	.chunk_sizes = vxe_svm_chunk_sizes,
	.num_chunks = ARRAY_SIZE(vxe_svm_chunk_sizes),
	.notifier_size = SZ_512M,
	.check_pages_threshold = SZ_64K,
	.mirror_start = 0,
	.mirror_end = 1ULL << 47,
};
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_default_config);

VISIBLE_IF_KUNIT bool vxe_svm_always_migrate_to_vram;
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_always_migrate_to_vram);
module_param_named(always_migrate_to_vram, vxe_svm_always_migrate_to_vram,
		   bool, 0600);
MODULE_PARM_DESC(always_migrate_to_vram,
		 "Migrate SVM ranges to VRAM on every GPU fault, not only the first (default false)");

static unsigned int vxe_svm_notifier_size_mib = SZ_512M / SZ_1M;
module_param_named(svm_notifier_size, vxe_svm_notifier_size_mib, uint, 0600);
MODULE_PARM_DESC(svm_notifier_size,
		 "SVM notifier size in MiB for new VMs, a power of 2 of at least 2 (default 512)");

VISIBLE_IF_KUNIT unsigned int vxe_svm_max_chunk_kib = SZ_2M / SZ_1K;
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_max_chunk_kib);
module_param_named(svm_max_chunk_size, vxe_svm_max_chunk_kib, uint, 0600);
MODULE_PARM_DESC(svm_max_chunk_size,
		 "Largest SVM range of new VMs in KiB: 2048, 64 or 4 (default 2048; the smaller ones for benchmarks)");

/**
 * vxe_svm_config_current() - the SVM configuration of a new uAPI VM
 * @cfg: filled with &vxe_svm_default_config, the notifier size of the
 *	svm_notifier_size module parameter and the largest chunk of
 *	svm_max_chunk_size (read now: they may change at run time, as Xe's
 *	notifier size)
 *
 * A notifier size that is not a power of 2 of at least 2 MiB (the largest
 * chunk), or a largest chunk that is not one of the chunk sizes, is
 * ignored with a warning, and the default used.  A smaller largest chunk
 * drops the chunk sizes above it.
 */
void vxe_svm_config_current(struct vxe_svm_config *cfg)
{
	unsigned long max_chunk = (unsigned long)READ_ONCE(vxe_svm_max_chunk_kib) * SZ_1K;
	unsigned int mib = READ_ONCE(vxe_svm_notifier_size_mib);
	int i;

	*cfg = vxe_svm_default_config;
	if (is_power_of_2(mib) && mib >= SZ_2M / SZ_1M)
		cfg->notifier_size = (unsigned long)mib * SZ_1M;
	else
		pr_warn_once("vxe: svm_notifier_size=%u is not a power of 2 of at least 2: using %lu\n",
			     mib, cfg->notifier_size / SZ_1M);

	for (i = 0; i < cfg->num_chunks; i++)
		if (cfg->chunk_sizes[i] == max_chunk)
			break;
	if (i < cfg->num_chunks) {
		cfg->chunk_sizes += i;
		cfg->num_chunks -= i;
	} else {
		pr_warn_once("vxe: svm_max_chunk_size=%lu KiB is no chunk size: using %lu\n",
			     max_chunk / SZ_1K, cfg->chunk_sizes[0] / SZ_1K);
	}
}

/* Attempts of one GPU page fault before giving up. */
#define VXE_SVM_FAULT_TRIES	16

static atomic_t vxe_svm_notifiers = ATOMIC_INIT(0);

/**
 * vxe_svm_nr_notifiers() - live drm_gpusvm notifiers of all vxe VMs
 *
 * For leak checks: it returns to its old value when the VMs are gone.
 *
 * Return: the number of notifiers.
 */
int vxe_svm_nr_notifiers(void)
{
	return atomic_read(&vxe_svm_notifiers);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_nr_notifiers);

static struct drm_gpusvm_notifier *vxe_svm_notifier_alloc(void)
{
	struct drm_gpusvm_notifier *notifier;

	notifier = kzalloc(sizeof(*notifier), GFP_KERNEL);
	if (notifier)
		atomic_inc(&vxe_svm_notifiers);
	return notifier;
}

static void vxe_svm_notifier_free(struct drm_gpusvm_notifier *notifier)
{
	atomic_dec(&vxe_svm_notifiers);
	kfree(notifier);
}

static struct drm_gpusvm_range *vxe_svm_range_alloc(struct drm_gpusvm *gpusvm)
{
	struct vxe_svm_range *range;

	range = kzalloc(sizeof(*range), GFP_KERNEL);
	if (!range)
		return NULL;
	drm_gpusvm_init_pages(&range->pages, &gpusvm_to_vm(gpusvm)->vxe->drm);
	INIT_LIST_HEAD(&range->gc_link);
	atomic_inc(&gpusvm_to_vm(gpusvm)->nr_ranges);
	atomic_inc(&gpusvm_to_vm(gpusvm)->vxe->nr_svm_ranges);
	return &range->base;
}

static unsigned long vxe_svm_range_npages(struct drm_gpusvm_range *r)
{
	return drm_gpusvm_range_size(r) >> PAGE_SHIFT;
}

static void vxe_svm_range_free(struct drm_gpusvm_range *r)
{
	struct vxe_vm *vm = gpusvm_to_vm(r->gpusvm);

	drm_gpusvm_free_pages(r->gpusvm, &to_vxe_svm_range(r)->pages,
			      vxe_svm_range_npages(r));
	atomic_dec(&vm->nr_ranges);
	atomic_dec(&vm->vxe->nr_svm_ranges);
	kfree(to_vxe_svm_range(r));
}

static void vxe_svm_gc_queue(struct vxe_vm *vm, struct vxe_svm_range *range)
{
	spin_lock(&vm->svm.gc.lock);
	if (list_empty(&range->gc_link))
		list_add_tail(&range->gc_link, &vm->svm.gc.ranges);
	spin_unlock(&vm->svm.gc.lock);
	queue_work(vm->vxe->wq, &vm->svm.gc.work);
}

/*
 * Zap a range's GPU mapping, if it has one, and widen [*@tlb_start,
 * *@tlb_end) over it: the caller invalidates the TLB once for all the
 * ranges it zapped.  Context: the notifier lock (or the invalidation
 * callback, which runs with it).  Return: whether there was a mapping.
 */
static bool vxe_svm_range_zap(struct vxe_vm *vm, struct vxe_svm_range *range,
			      u64 *tlb_start, u64 *tlb_end)
{
	struct drm_gpusvm_range *r = &range->base;

	if (!range->bound)
		return false;
	vxe_pt_zap(&vm->pt, drm_gpusvm_range_start(r), drm_gpusvm_range_end(r));
	range->bound = false;
	*tlb_start = min_t(u64, *tlb_start, drm_gpusvm_range_start(r));
	*tlb_end = max_t(u64, *tlb_end, drm_gpusvm_range_end(r));
	return true;
}

/*
 * A migration this device started (to its VRAM, or of its pages back to
 * system memory) over ranges whose pages are not mapped: nothing to zap
 * or unmap, so nothing to do.  Without this, every migration to VRAM of a
 * range about to be faulted in would cost a TLB invalidation of nothing.
 */
static bool vxe_svm_own_migration(struct vxe_vm *vm,
				  struct drm_gpusvm_notifier *notifier,
				  const struct mmu_notifier_range *mmu_range,
				  unsigned long start, unsigned long end)
{
	struct drm_gpusvm_range *r = NULL;

	if (mmu_range->event != MMU_NOTIFY_MIGRATE || !vxe_svm_owner(vm) ||
	    mmu_range->owner != vxe_svm_owner(vm))
		return false;
	drm_gpusvm_for_each_range(r, notifier, start, end)
		if (drm_gpusvm_pages_valid(&vm->svm.gpusvm,
					   &to_vxe_svm_range(r)->pages))
			return false;
	return true;
}

static void vxe_svm_invalidate(struct drm_gpusvm *gpusvm,
			       struct drm_gpusvm_notifier *notifier,
			       const struct mmu_notifier_range *mmu_range)
{
	struct vxe_vm *vm = gpusvm_to_vm(gpusvm);
	struct drm_gpusvm_ctx ctx = { .in_notifier = true };
	unsigned long start = max(mmu_range->start,
				  drm_gpusvm_notifier_start(notifier));
	unsigned long end = min(mmu_range->end,
				drm_gpusvm_notifier_end(notifier));
	u64 tlb_start = U64_MAX, tlb_end = 0;
	struct drm_gpusvm_range *r = NULL;
	ktime_t begin;

	if (vxe_svm_own_migration(vm, notifier, mmu_range, start, end))
		return;
	atomic_inc(&vm->stats.invalidations);
	begin = ktime_get();

	drm_gpusvm_for_each_range(r, notifier, start, end) {
		struct vxe_svm_range *range = to_vxe_svm_range(r);

		if (vxe_svm_range_zap(vm, range, &tlb_start, &tlb_end))
			atomic_inc(&vm->stats.ranges_zapped);
		drm_gpusvm_unmap_pages(gpusvm, &range->pages,
				       vxe_svm_range_npages(r), &ctx);
		if (mmu_range->event == MMU_NOTIFY_UNMAP) {
			drm_gpusvm_range_set_unmapped(r, &range->pages, 1,
						      mmu_range);
			vxe_svm_gc_queue(vm, range);
		}
	}

	/* Once for all zapped ranges; nothing to do if the GPU mapped none. */
	if (tlb_start < tlb_end) {
		vxe_vm_tlb_invalidate(vm, tlb_start, tlb_end);
		/* As Xe: the invalidations of SVM, zap and TLB together */
		vxe_gt_stats_incr(&vm->vxe->stats,
				  VXE_GT_STATS_ID_SVM_TLB_INVAL_COUNT, 1);
		vxe_gt_stats_us(&vm->vxe->stats, VXE_GT_STATS_ID_SVM_TLB_INVAL_US,
				begin);
	}
}

static const struct drm_gpusvm_ops vxe_svm_ops = {
	.notifier_alloc = vxe_svm_notifier_alloc,
	.notifier_free = vxe_svm_notifier_free,
	.range_alloc = vxe_svm_range_alloc,
	.range_free = vxe_svm_range_free,
	.invalidate = vxe_svm_invalidate,
};

/* Zap a range if the GPU still maps it, and remove it. */
static void vxe_svm_range_remove(struct vxe_vm *vm, struct vxe_svm_range *range)
{
	const struct drm_gpusvm_ctx ctx = {};
	u64 tlb_start = U64_MAX, tlb_end = 0;

	spin_lock(&vm->svm.gc.lock);
	list_del_init(&range->gc_link);
	spin_unlock(&vm->svm.gc.lock);

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	/* Not invalidated yet (VM teardown, MADVISE): zap it here. */
	if (vxe_svm_range_zap(vm, range, &tlb_start, &tlb_end))
		vxe_vm_tlb_invalidate(vm, tlb_start, tlb_end);
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	drm_gpusvm_unmap_pages(&vm->svm.gpusvm, &range->pages,
			       vxe_svm_range_npages(&range->base), &ctx);
	drm_gpusvm_range_remove(&vm->svm.gpusvm, &range->base);
}

/**
 * vxe_svm_garbage_collector() - remove the ranges the CPU unmapped
 * @vm: the VM
 *
 * Context: the VM lock.
 */
void vxe_svm_garbage_collector(struct vxe_vm *vm)
{
	unsigned int removed = 0;
	ktime_t start = 0;

	lockdep_assert_held(&vm->lock);

	/*
	 * Every GPU fault calls this: an empty list, read without the lock,
	 * costs nothing.  A range queued meanwhile waits for the next call
	 * (or the worker its queueing started).
	 */
	if (list_empty(&vm->svm.gc.ranges))
		return;

	for (;;) {
		struct vxe_svm_range *range;

		spin_lock(&vm->svm.gc.lock);
		range = list_first_entry_or_null(&vm->svm.gc.ranges,
						 struct vxe_svm_range, gc_link);
		if (range)
			list_del_init(&range->gc_link);
		spin_unlock(&vm->svm.gc.lock);
		if (!range)
			break;

		/* Timed only when there is work: every GPU fault calls this */
		if (!removed)
			start = ktime_get();
		vxe_svm_range_remove(vm, range);
		atomic_inc(&vm->stats.gc_removed);
		removed++;
	}
	if (removed) {
		vxe_gt_stats_incr(&vm->vxe->stats,
				  VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_COUNT, 1);
		vxe_gt_stats_us(&vm->vxe->stats,
				VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_US, start);
	}
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_garbage_collector);

static void vxe_svm_gc_work(struct work_struct *work)
{
	struct vxe_vm *vm = container_of(work, struct vxe_vm, svm.gc.work);

	mutex_lock(&vm->lock);
	vxe_svm_garbage_collector(vm);
	mutex_unlock(&vm->lock);
}

/**
 * vxe_svm_init() - set up a VM's shared virtual memory
 * @vm: the VM, with &vxe_vm.svm.cfg set
 * @mm: the process address space to mirror (fault-mode VMs), or NULL:
 *	then the VM's drm_gpusvm only serves the pages of its userptrs
 *
 * A VM mirroring a process joins its device's interconnect group, whose
 * device-private page owner it takes (as Xe's VM does): the VRAM pages of
 * the device and of its peers on the interconnect are mapped where they
 * are.  On a device with VRAM it holds the VRAM's pagemap for its life.
 *
 * Return: 0 or a negative errno from drm_gpusvm_init(),
 * vxe_pagemap_get() or vxe_vram_acquire_owner().
 */
int vxe_svm_init(struct vxe_vm *vm, struct mm_struct *mm)
{
	const struct vxe_svm_config *cfg = &vm->svm.cfg;
	struct drm_pagemap *dpagemap;
	int err;

	spin_lock_init(&vm->svm.gc.lock);
	INIT_LIST_HEAD(&vm->svm.gc.ranges);
	INIT_WORK(&vm->svm.gc.work, vxe_svm_gc_work);

	if (!mm)
		return drm_gpusvm_init(&vm->svm.gpusvm, "vxe (userptr)", NULL,
				       0, 0, 0, NULL, NULL, 0);

	err = vxe_vram_acquire_owner(&vm->svm.peer, vm->vxe);
	if (err)
		return err;
	dpagemap = vxe_pagemap_get(vm->vxe);
	if (IS_ERR(dpagemap)) {
		err = PTR_ERR(dpagemap);
		goto err_owner;
	}
	err = drm_gpusvm_init(&vm->svm.gpusvm, "vxe", mm, cfg->mirror_start,
			      cfg->mirror_end - cfg->mirror_start,
			      cfg->notifier_size, &vxe_svm_ops,
			      cfg->chunk_sizes, cfg->num_chunks);
	if (err)
		goto err_pagemap;
	drm_gpusvm_driver_set_lock(&vm->svm.gpusvm, &vm->lock);
	vm->svm.dpagemap = dpagemap;
	return 0;

err_pagemap:
	drm_pagemap_put(dpagemap);
err_owner:
	drm_pagemap_release_owner(&vm->svm.peer);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_init);

/**
 * vxe_svm_owner() - the device-private page owner of a VM
 * @vm: the VM
 *
 * Return: the owner of its interconnect group's VRAM pages for a fault-mode
 * VM (they are left in place, and mapped), NULL otherwise.
 */
void *vxe_svm_owner(struct vxe_vm *vm)
{
	return vm->svm.peer.owner;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_owner);

/**
 * vxe_svm_close() - tear down a VM's shared virtual memory
 * @vm: the VM
 *
 * Zaps and removes every range, finalizes the drm_gpusvm, stops the
 * garbage collector, drops the VRAM's pagemap and leaves the interconnect
 * group.
 */
void vxe_svm_close(struct vxe_vm *vm)
{
	mutex_lock(&vm->lock);
	vxe_svm_garbage_collector(vm);
	vxe_svm_unmap_range(vm, 0, ULONG_MAX);
	/* No notifier is left to queue more work after this. */
	drm_gpusvm_fini(&vm->svm.gpusvm);
	mutex_unlock(&vm->lock);

	cancel_work_sync(&vm->svm.gc.work);
	drm_pagemap_put(vm->svm.dpagemap);
	vm->svm.dpagemap = NULL;
	drm_pagemap_release_owner(&vm->svm.peer);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_close);

/*
 * Map a range whose pages are collected, with the atomics @pt_flags allow;
 * -EAGAIN if the pages went meanwhile.
 */
static int vxe_svm_bind(struct vxe_vm *vm, struct vxe_svm_range *range,
			u32 pt_flags)
{
	struct drm_gpusvm_range *r = &range->base;
	unsigned long start = drm_gpusvm_range_start(r);
	unsigned long end = drm_gpusvm_range_end(r);
	int err;

	/* Page tables are allocated outside the notifier lock. */
	err = vxe_pt_prepare(&vm->pt, start, end);
	if (err)
		return err;

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	if (!drm_gpusvm_pages_valid(&vm->svm.gpusvm, &range->pages)) {
		err = -EAGAIN;
	} else if (!range->bound) {
		err = vxe_pt_commit(&vm->pt, start, range->pages.dma_addr,
				    (end - start) >> PAGE_SHIFT, pt_flags);
		range->bound = !err;
	}
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	return err;
}

/*
 * Has the CPU unmapped (part of) the range?  Read without the notifier
 * lock: a hint that the garbage collector has work.
 */
static bool vxe_svm_range_unmapped(struct drm_gpusvm_range *r)
{
	struct drm_gpusvm_range_flags flags = {
		.__flags = READ_ONCE(r->flags.__flags),
	};

	return flags.unmapped;
}

/*
 * Move a range into the VRAM of @dpagemap (this device's or a peer's):
 * unless its pages are all there already, the pagemap populates it (a
 * VRAM BO of its size, and drm_pagemap migrates the pages).  A migration
 * that finds pages elsewhere (busy, another device's) evicts the range to
 * system memory and tries once more, as Xe does.  Lock order: VM lock,
 * mmap lock, BO reservation.
 */
static int vxe_svm_alloc_vram(struct vxe_vm *vm, struct vxe_svm_range *range,
			      struct drm_pagemap *dpagemap,
			      const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_range *r = &range->base;
	int err, retries = 1;

	if (drm_gpusvm_scan_mm(r, ctx->device_private_page_owner,
			       dpagemap->pagemap) == DRM_GPUSVM_SCAN_EQUAL)
		return 0;
	for (;;) {
		err = drm_pagemap_populate_mm(dpagemap, drm_gpusvm_range_start(r),
					      drm_gpusvm_range_end(r),
					      vm->svm.gpusvm.mm,
					      ctx->timeslice_ms);
		if (err != -EBUSY || !retries--)
			break;
		drm_gpusvm_range_evict(&vm->svm.gpusvm, r);
	}
	if (!err)
		atomic_add(vxe_svm_range_npages(r), &vm->stats.vram_pages);
	return err;
}

/* Are all the range's pages in the VRAM of @dpagemap (a hint)? */
static bool vxe_svm_range_in_vram(struct vxe_vm *vm, struct vxe_svm_range *range,
				  const struct drm_pagemap *dpagemap)
{
	bool in;

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	in = drm_gpusvm_pages_valid(&vm->svm.gpusvm, &range->pages) &&
	     range->pages.flags.has_devmem_pages &&
	     range->pages.dpagemap == dpagemap;
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	return in;
}

/*
 * Put the range where @place says before its pages are collected: VRAM is
 * that of @dpagemap.
 * Return: whether a migration to VRAM was tried.
 */
static bool vxe_svm_place_range(struct vxe_vm *vm, struct vxe_svm_range *range,
				enum vxe_svm_place place,
				struct drm_pagemap *dpagemap,
				const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_range *r = &range->base;
	bool migrated = false;
	int err;

	switch (place) {
	case VXE_SVM_PLACE_SYS:
		err = drm_gpusvm_range_evict(&vm->svm.gpusvm, r);
		break;
	case VXE_SVM_PLACE_FAULT:
		if (range->skip_migrate && !vxe_svm_always_migrate_to_vram)
			return false;
		fallthrough;
	case VXE_SVM_PLACE_VRAM:
		if (!r->flags.migrate_devmem || !dpagemap ||
		    vxe_svm_range_in_vram(vm, range, dpagemap))
			return false;
		range->skip_migrate = true;
		err = vxe_svm_alloc_vram(vm, range, dpagemap, ctx);
		migrated = true;
		break;
	default:
		return false;
	}
	if (err)
		drm_dbg_driver(&vm->vxe->drm,
			       "vxe: range [%#lx, %#lx) stays where it is: %d\n",
			       drm_gpusvm_range_start(r), drm_gpusvm_range_end(r),
			       err);
	return migrated;
}

/*
 * The VRAM the ranges of a mirror VMA go to, as Xe's
 * xe_vma_resolve_pagemap(): the pagemap MADVISE named by a device's file
 * (this device's or a peer's), this device's by default (when it has
 * VRAM), none when the VMA prefers system memory.
 */
static struct drm_pagemap *vxe_svm_vma_pagemap(struct vxe_vm *vm,
					       const struct vxe_vma *vma)
{
	if (!vma)
		return NULL;
	switch (vma->attr.devmem_fd) {
	case DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM:
		return NULL;
	case DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE:
		return vm->svm.dpagemap;
	default:
		return vma->attr.dpagemap;
	}
}

/*
 * Collect a range's pages.  Pages one &struct drm_gpusvm_pages cannot hold
 * together (device pages of two allocations, say) are brought back to
 * system memory, and the caller tries again, as Xe does.
 */
static int vxe_svm_range_get_pages(struct vxe_vm *vm,
				   struct vxe_svm_range *range,
				   const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_range *r = &range->base;
	int err;

	err = drm_gpusvm_get_pages(&vm->svm.gpusvm, &range->pages,
				   vm->svm.gpusvm.mm, &r->notifier->notifier,
				   drm_gpusvm_range_start(r),
				   drm_gpusvm_range_end(r), ctx);
	if (err == -EOPNOTSUPP)
		drm_gpusvm_range_evict(&vm->svm.gpusvm, r);
	return err;
}

/* Attempts at moving a range to VRAM for an atomic, as Xe's. */
#define VXE_SVM_ATOMIC_MIGRATE_TRIES	3

/*
 * Does a GPU atomic in @vma need the memory in VRAM?  As Xe's
 * xe_vma_need_vram_for_atomic() on Battlemage, whose device atomics work
 * in system memory: only for a discrete GPU (vxe with VRAM), per the
 * VMA's atomic attribute (MADVISE).
 *
 * Return: 1 when it does, 0 when not, -EACCES when GPU atomics are not
 * allowed there (%DRM_XE_ATOMIC_CPU).
 */
static int vxe_svm_need_vram_for_atomic(struct vxe_vm *vm,
					const struct vxe_vma *vma, bool atomic)
{
	if (!vm->vxe->vram || !atomic)
		return 0;
	switch (vma->attr.atomic) {
	case DRM_XE_ATOMIC_DEVICE:
		return 0;
	case DRM_XE_ATOMIC_CPU:
		return -EACCES;
	default:
		return 1;
	}
}

/*
 * Where the GPU may do atomics in a mirror VMA, as Xe's PTEs allow them
 * (xe_atomic_for_system(), xe_atomic_for_vram()): never with
 * %DRM_XE_ATOMIC_CPU; in VRAM otherwise; in system memory on a discrete
 * GPU only with %DRM_XE_ATOMIC_DEVICE (other atomics fault, and the fault
 * moves the range to VRAM).
 */
static u32 vxe_svm_pt_flags(struct vxe_vm *vm, const struct vxe_vma *vma)
{
	if (vma->attr.atomic == DRM_XE_ATOMIC_CPU)
		return VXE_PT_NO_ATOMIC_SYS | VXE_PT_NO_ATOMIC_DM;
	if (vm->vxe->vram && vma->attr.atomic != DRM_XE_ATOMIC_DEVICE)
		return VXE_PT_NO_ATOMIC_SYS;
	return 0;
}

/*
 * Is the range mapped as a fault needs it: bound, with its pages, and (for
 * an atomic that needs it) in this device's VRAM?  A hint, without the
 * notifier lock held afterwards: the fault finds out otherwise on retry.
 */
static bool vxe_svm_range_is_valid(struct vxe_vm *vm,
				   struct vxe_svm_range *range,
				   bool devmem_only)
{
	bool valid;

	/*
	 * A range the GPU does not map yet (every first fault) is not valid:
	 * &vxe_svm_range.bound only turns true under the VM lock, which the
	 * caller holds, so no notifier lock is needed to see that.
	 */
	if (!READ_ONCE(range->bound))
		return false;

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	valid = range->bound &&
		drm_gpusvm_pages_valid(&vm->svm.gpusvm, &range->pages) &&
		(!devmem_only || (range->pages.flags.has_devmem_pages &&
				  range->pages.dpagemap == vm->svm.dpagemap));
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	return valid;
}

/**
 * struct vxe_svm_request - what a GPU fault or a prefetch asks of a range
 * @vma: the mirror VMA: ranges stay inside it, and are mapped with its
 *	attributes
 * @place: where to put the range
 * @dpagemap: the VRAM it goes to when @place says so (not referenced: the
 *	VM's, or the VMA's, which holds it)
 * @devmem_only: an atomic needs the range in VRAM
 * @fault: a GPU fault, counted in the GT statistics
 * @range_end: set to the end of the range (the next address a prefetch
 *	loop visits)
 * @range_size: set to the size of the range
 */
struct vxe_svm_request {
	struct vxe_vma *vma;
	enum vxe_svm_place place;
	struct drm_pagemap *dpagemap;
	bool devmem_only;
	bool fault;
	u64 range_end;
	u64 range_size;
};

/*
 * Make the GPU map the range around @addr, as @req asks: find or create
 * it, place it, collect its pages, bind it; start over when the pages went
 * meanwhile, a bounded number of times.  An atomic that needs VRAM tries
 * the migration up to three times, each time with a timeslice twice as
 * long (so the CPU cannot take the range back before the GPU used it),
 * then fails, as Xe's fault handler does.
 */
static int vxe_svm_populate(struct vxe_vm *vm, u64 addr,
			    struct vxe_svm_request *req)
{
	bool devmem_only = req->devmem_only && vm->svm.dpagemap;
	struct drm_gpusvm_ctx ctx = {
		.device_private_page_owner = vxe_svm_owner(vm),
		.check_pages_threshold = vm->svm.cfg.check_pages_threshold,
		.devmem_possible = vm->svm.dpagemap || req->dpagemap,
		.devmem_only = devmem_only,
		.timeslice_ms = devmem_only ?
			READ_ONCE(vm->vxe->atomic_svm_timeslice_ms) : 0,
	};
	int migrate_tries = devmem_only ? VXE_SVM_ATOMIC_MIGRATE_TRIES : 1;
	u64 win_start = max(vma_start(req->vma), vm->svm.cfg.mirror_start);
	u64 win_end = min(vma_end(req->vma), vm->svm.cfg.mirror_end);
	struct vxe_gt_stats *stats = &vm->vxe->stats;
	struct drm_gpusvm_range *r;
	int err = -EBUSY, tries;
	ktime_t start;

	lockdep_assert_held(&vm->lock);

	/* Unmapped ranges would be found again: remove them first. */
	vxe_svm_garbage_collector(vm);

	for (tries = 0; tries < VXE_SVM_FAULT_TRIES; tries++) {
		struct vxe_svm_range *range;
		u64 size;

		if (tries)
			atomic_inc(&vm->stats.fault_retries);

		r = drm_gpusvm_range_find_or_insert(&vm->svm.gpusvm, addr,
						    win_start, win_end, &ctx);
		if (IS_ERR(r)) {
			err = PTR_ERR(r);
			/* No VMA, or no pages to mirror in it: vxe says -EFAULT. */
			if (err == -ENOENT || err == -EIO)
				err = -EFAULT;
			break;
		}
		range = to_vxe_svm_range(r);
		size = drm_gpusvm_range_size(r);
		req->range_end = drm_gpusvm_range_end(r);
		req->range_size = size;
		if (req->fault && !tries)
			vxe_gt_stats_incr_sized(stats,
						VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_COUNT,
						size, 1);
		if (vxe_svm_range_unmapped(r)) {
			/* Unmapped since the collection above: again. */
			vxe_svm_garbage_collector(vm);
			err = -EBUSY;
			continue;
		}
		if (devmem_only && !r->flags.migrate_devmem) {
			err = -EACCES;	/* no VRAM for this memory (a file) */
			break;
		}
		if (req->fault && vxe_svm_range_is_valid(vm, range, devmem_only)) {
			vxe_gt_stats_incr_sized(stats,
						VXE_GT_STATS_ID_SVM_4K_VALID_PAGEFAULT_COUNT,
						size, 1);
			err = 0;
			break;
		}

		if (devmem_only ? migrate_tries-- > 0 : !tries) {
			start = ktime_get();
			if (vxe_svm_place_range(vm, range, devmem_only ?
						VXE_SVM_PLACE_VRAM : req->place,
						devmem_only ? vm->svm.dpagemap :
						req->dpagemap,
						&ctx) && req->fault) {
				vxe_gt_stats_incr_sized(stats,
							VXE_GT_STATS_ID_SVM_4K_MIGRATE_COUNT,
							size, 1);
				vxe_gt_stats_us_sized(stats,
						      VXE_GT_STATS_ID_SVM_4K_MIGRATE_US,
						      size, start);
			}
			ctx.timeslice_ms <<= 1;
		}

		/* Timed for GPU faults: the end of one step starts the next */
		start = req->fault ? ktime_get() : 0;
		err = vxe_svm_range_get_pages(vm, range, &ctx);
		if (req->fault)
			start = vxe_gt_stats_us_sized(stats,
						      VXE_GT_STATS_ID_SVM_4K_GET_PAGES_US,
						      size, start);
		if (err == -EBUSY || err == -EOPNOTSUPP ||
		    (err == -EFAULT && vxe_svm_range_unmapped(r))) {
			ctx.timeslice_ms <<= 1;
			continue;
		}
		/* System pages where an atomic needs VRAM: move them again. */
		if (err == -EFAULT && devmem_only && migrate_tries > 0) {
			ctx.timeslice_ms <<= 1;
			continue;
		}
		if (err)
			break;

		err = vxe_svm_bind(vm, range, vxe_svm_pt_flags(vm, req->vma));
		if (req->fault)
			vxe_gt_stats_us_sized(stats,
					      VXE_GT_STATS_ID_SVM_4K_BIND_US,
					      size, start);
		if (err != -EAGAIN)
			break;
		ctx.timeslice_ms <<= 1;
	}
	return err == -EAGAIN ? -EBUSY : err;
}

/**
 * vxe_svm_handle_fault() - serve a GPU page fault in a CPU-address mirror
 * @vm: the VM
 * @vma: the mirror VMA containing @addr: ranges stay inside it, and go
 *	where its attributes say
 * @addr: the faulting GPU virtual address (the same CPU address)
 * @atomic: the faulting access was an atomic
 *
 * As Xe's xe_svm_handle_pagefault(): an atomic where the VMA's atomic
 * policy needs device memory must find the range in this device's VRAM
 * (&drm_gpusvm_ctx.devmem_only: migrated, up to three times, with a
 * timeslice of &vxe_device.atomic_svm_timeslice_ms, doubled at each
 * retry); a policy that forbids GPU atomics fails the fault.  Counted in
 * the VM's and the device's statistics (vxe_gt_stats.c).
 *
 * Context: the VM lock.
 * Return: 0 once the GPU maps @addr; -EINVAL outside the mirror; -EFAULT
 * when the CPU maps nothing there (or the process exited), or an atomic
 * that needs VRAM did not get it; -EACCES for an atomic the policy forbids
 * (%DRM_XE_ATOMIC_CPU), or that needs VRAM in memory that cannot move
 * there; -EPERM for a read-only CPU mapping; -EBUSY when invalidations
 * kept racing; -ENOMEM or an injected backend error.
 */
int vxe_svm_handle_fault(struct vxe_vm *vm, struct vxe_vma *vma, u64 addr,
			 bool atomic)
{
	struct vxe_svm_request req = {
		.vma = vma,
		.dpagemap = vxe_svm_vma_pagemap(vm, vma),
		.fault = true,
	};
	ktime_t start = ktime_get();
	int err;

	lockdep_assert_held(&vm->lock);
	req.place = req.dpagemap ? VXE_SVM_PLACE_FAULT : VXE_SVM_PLACE_ANY;
	atomic_inc(&vm->stats.faults);
	vxe_gt_stats_incr(&vm->vxe->stats, VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT,
			  1);

	err = vxe_svm_need_vram_for_atomic(vm, vma, atomic);
	if (err >= 0) {
		req.devmem_only = err;
		err = vxe_svm_populate(vm, addr, &req);
	}
	if (err) {
		atomic_inc(&vm->stats.fault_errors);
		drm_dbg_driver(&vm->vxe->drm, "vxe: GPU %sfault at %#llx: %d\n",
			       atomic ? "atomic " : "", addr, err);
	} else {
		vxe_gt_stats_us_sized(&vm->vxe->stats,
				      VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_US,
				      req.range_size, start);
	}
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_handle_fault);

/**
 * vxe_svm_prefetch() - map a CPU-address mirror interval before the GPU
 *	touches it (VM_BIND PREFETCH)
 * @vm: the VM
 * @vma: the mirror VMA containing [@start, @end)
 * @start: first address, page aligned
 * @end: end (exclusive)
 * @region: the memory region instance to move the ranges to
 *	(%VXE_MEM_REGION_SYS, %VXE_MEM_REGION_VRAM), or
 *	%DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC for the VMA's preferred location:
 *	the VRAM MADVISE named (this device's or a peer's), or system memory
 *
 * Creates, places, populates and binds every range of the interval, so
 * GPU accesses there do not fault.  Addresses the CPU does not map are
 * skipped (nothing to prefetch), as a fault there would fail.
 *
 * Context: the VM lock.
 * Return: 0, or the first error other than a hole in the CPU mappings.
 */
int vxe_svm_prefetch(struct vxe_vm *vm, struct vxe_vma *vma, u64 start,
		     u64 end, u32 region)
{
	struct vxe_svm_request req = {
		.vma = vma,
		.place = VXE_SVM_PLACE_ANY,
	};
	u64 addr = start;

	lockdep_assert_held(&vm->lock);
	if (region == VXE_MEM_REGION_SYS)
		req.place = VXE_SVM_PLACE_SYS;
	else if (region == VXE_MEM_REGION_VRAM)
		req.dpagemap = vm->svm.dpagemap;
	else
		req.dpagemap = vxe_svm_vma_pagemap(vm, vma);
	if (req.dpagemap)
		req.place = VXE_SVM_PLACE_VRAM;
	else if (region == (u32)DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC)
		req.place = VXE_SVM_PLACE_SYS;

	while (addr < end) {
		u64 next;
		int err;

		req.range_end = addr + PAGE_SIZE;
		err = vxe_svm_populate(vm, addr, &req);
		next = req.range_end;
		if (err == -EFAULT || err == -ENOENT)
			next = addr + PAGE_SIZE;
		else if (err)
			return err;
		if (fatal_signal_pending(current))
			return -EINTR;
		addr = max(next, addr + PAGE_SIZE);
	}
	return 0;
}

/**
 * vxe_svm_has_mapping() - does the VM have SVM ranges in an interval?
 * @vm: the VM
 * @start: start of the interval
 * @end: end (exclusive)
 *
 * Collects garbage first: ranges the CPU unmapped do not count, so once
 * the process has unmapped all the memory the GPU touched, the answer is
 * false at once.
 *
 * Context: the VM lock.
 * Return: true when a range overlaps [@start, @end).
 */
bool vxe_svm_has_mapping(struct vxe_vm *vm, u64 start, u64 end)
{
	lockdep_assert_held(&vm->lock);

	if (!(vm->flags & VXE_VM_FAULT_MODE))
		return false;
	vxe_svm_garbage_collector(vm);
	return drm_gpusvm_has_mapping(&vm->svm.gpusvm, start, end);
}

/**
 * vxe_svm_unmap_range() - remove the SVM ranges overlapping an interval
 * @vm: the VM
 * @start: start of the interval
 * @end: end (exclusive)
 *
 * Their GPU mappings are zapped; the next GPU fault makes them again.
 * MADVISE does this where it splits a mirror.
 *
 * Context: the VM lock.
 */
void vxe_svm_unmap_range(struct vxe_vm *vm, u64 start, u64 end)
{
	struct drm_gpusvm_notifier *notifier, *next;

	lockdep_assert_held(&vm->lock);
	drm_gpusvm_for_each_notifier_safe(notifier, next, &vm->svm.gpusvm,
					  start, end) {
		struct drm_gpusvm_range *r, *next_r;

		drm_gpusvm_for_each_range_safe(r, next_r, notifier, start, end)
			vxe_svm_range_remove(vm, to_vxe_svm_range(r));
	}
}

/**
 * vxe_svm_zap_range() - zap the GPU mappings of the SVM ranges of an
 *	interval, keeping the ranges and their pages
 * @vm: the VM
 * @start: start of the interval
 * @end: end (exclusive)
 *
 * The next GPU access faults and binds them again (with the attributes of
 * the moment).  One TLB invalidation covers them all.
 *
 * Context: the VM lock.
 */
void vxe_svm_zap_range(struct vxe_vm *vm, u64 start, u64 end)
{
	struct drm_gpusvm_notifier *notifier;
	u64 tlb_start = U64_MAX, tlb_end = 0;

	lockdep_assert_held(&vm->lock);
	if (!(vm->flags & VXE_VM_FAULT_MODE))
		return;
	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	drm_gpusvm_for_each_notifier(notifier, &vm->svm.gpusvm, start, end) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, start, end)
			vxe_svm_range_zap(vm, to_vxe_svm_range(r), &tlb_start,
					  &tlb_end);
	}
	if (tlb_start < tlb_end)
		vxe_vm_tlb_invalidate(vm, tlb_start, tlb_end);
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
}
