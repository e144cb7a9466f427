// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/log2.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_vm.h"

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

/**
 * vxe_svm_config_current() - the SVM configuration of a new uAPI VM
 * @cfg: filled with &vxe_svm_default_config and the notifier size of the
 *	svm_notifier_size module parameter (read now: it may change at run
 *	time, as Xe's)
 *
 * A value that is not a power of 2 of at least 2 MiB (the largest chunk)
 * is ignored with a warning, and the default used.
 */
void vxe_svm_config_current(struct vxe_svm_config *cfg)
{
	unsigned int mib = READ_ONCE(vxe_svm_notifier_size_mib);

	*cfg = vxe_svm_default_config;
	if (is_power_of_2(mib) && mib >= SZ_2M / SZ_1M)
		cfg->notifier_size = (unsigned long)mib * SZ_1M;
	else
		pr_warn_once("vxe: svm_notifier_size=%u is not a power of 2 of at least 2: using %lu\n",
			     mib, cfg->notifier_size / SZ_1M);
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
	INIT_LIST_HEAD(&range->gc_link);
	atomic_inc(&gpusvm_to_vm(gpusvm)->nr_ranges);
	atomic_inc(&gpusvm_to_vm(gpusvm)->vxe->nr_svm_ranges);
	return &range->base;
}

static void vxe_svm_range_free(struct drm_gpusvm_range *r)
{
	struct vxe_vm *vm = gpusvm_to_vm(r->gpusvm);

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

	atomic_inc(&vm->stats.invalidations);

	drm_gpusvm_for_each_range(r, notifier, start, end) {
		struct vxe_svm_range *range = to_vxe_svm_range(r);

		if (vxe_svm_range_zap(vm, range, &tlb_start, &tlb_end))
			atomic_inc(&vm->stats.ranges_zapped);
		drm_gpusvm_range_unmap_pages(gpusvm, r, &ctx);
		if (mmu_range->event == MMU_NOTIFY_UNMAP) {
			drm_gpusvm_range_set_unmapped(r, mmu_range);
			vxe_svm_gc_queue(vm, range);
		}
	}

	/* Once for all zapped ranges; nothing to do if the GPU mapped none. */
	if (tlb_start < tlb_end)
		vxe_vm_tlb_invalidate(vm, tlb_start, tlb_end);
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
	u64 tlb_start = U64_MAX, tlb_end = 0;

	spin_lock(&vm->svm.gc.lock);
	list_del_init(&range->gc_link);
	spin_unlock(&vm->svm.gc.lock);

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	/* Not invalidated yet (VM teardown, MADVISE): zap it here. */
	if (vxe_svm_range_zap(vm, range, &tlb_start, &tlb_end))
		vxe_vm_tlb_invalidate(vm, tlb_start, tlb_end);
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
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
	lockdep_assert_held(&vm->lock);

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

		vxe_svm_range_remove(vm, range);
		atomic_inc(&vm->stats.gc_removed);
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
 * @mm: the process address space to mirror
 *
 * Return: 0 or a negative errno from drm_gpusvm_init().
 */
int vxe_svm_init(struct vxe_vm *vm, struct mm_struct *mm)
{
	const struct vxe_svm_config *cfg = &vm->svm.cfg;
	int err;

	spin_lock_init(&vm->svm.gc.lock);
	INIT_LIST_HEAD(&vm->svm.gc.ranges);
	INIT_WORK(&vm->svm.gc.work, vxe_svm_gc_work);

	err = drm_gpusvm_init(&vm->svm.gpusvm, "vxe", &vm->vxe->drm, mm,
			      vm->vxe, cfg->mirror_start,
			      cfg->mirror_end - cfg->mirror_start,
			      cfg->notifier_size, &vxe_svm_ops,
			      cfg->chunk_sizes, cfg->num_chunks);
	if (err)
		return err;
	drm_gpusvm_driver_set_lock(&vm->svm.gpusvm, &vm->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_init);

/**
 * vxe_svm_close() - tear down a VM's shared virtual memory
 * @vm: the VM
 *
 * Zaps and removes every range, finalizes the drm_gpusvm and stops the
 * garbage collector.
 */
void vxe_svm_close(struct vxe_vm *vm)
{
	mutex_lock(&vm->lock);
	vxe_svm_garbage_collector(vm);
	vxe_svm_unmap_range(vm, 0, ULONG_MAX);
	mutex_unlock(&vm->lock);

	/* No notifier is left to queue more work: stop the worker. */
	drm_gpusvm_fini(&vm->svm.gpusvm);
	cancel_work_sync(&vm->svm.gc.work);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_svm_close);

/* Map a range whose pages are collected; -EAGAIN if they went meanwhile. */
static int vxe_svm_bind(struct vxe_vm *vm, struct vxe_svm_range *range)
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
	if (!drm_gpusvm_range_pages_valid(&vm->svm.gpusvm, r)) {
		err = -EAGAIN;
	} else if (!range->bound) {
		err = vxe_pt_commit(&vm->pt, start, r->dma_addr,
				    (end - start) >> PAGE_SHIFT, 0);
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
 * Move a range into VRAM: a VRAM BO of its size, and drm_gpusvm migrates
 * the pages.  Lock order: VM lock, mmap lock, BO reservation.
 */
static int vxe_svm_alloc_vram(struct vxe_vm *vm, struct vxe_svm_range *range,
			      const struct drm_gpusvm_ctx *ctx)
{
	struct mm_struct *mm = vm->svm.gpusvm.mm;
	struct vxe_bo *bo;
	int err;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	bo = vxe_bo_create_svm(vm->vxe, drm_gpusvm_range_size(&range->base));
	if (IS_ERR(bo)) {
		err = PTR_ERR(bo);
		goto out;
	}
	/* The creation reference goes to the pages: keep one meanwhile. */
	drm_gem_object_get(&bo->ttm.base);
	err = drm_gpusvm_migrate_to_devmem(&vm->svm.gpusvm, &range->base,
					   &bo->devmem, ctx);
	if (err > 0)
		atomic_add(err, &vm->stats.vram_pages);
	ttm_bo_unreserve(&bo->ttm);
	drm_gem_object_put(&bo->ttm.base);
out:
	mmap_read_unlock(mm);
	mmput(mm);
	return err < 0 ? err : 0;
}

/* Are all the range's pages in this device's VRAM (a hint)? */
static bool vxe_svm_range_in_vram(struct vxe_vm *vm, struct drm_gpusvm_range *r)
{
	bool in;

	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	in = drm_gpusvm_range_pages_valid(&vm->svm.gpusvm, r) &&
	     r->flags.has_devmem_pages;
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	return in;
}

/* Put the range where @place says before its pages are collected. */
static void vxe_svm_place_range(struct vxe_vm *vm, struct vxe_svm_range *range,
				enum vxe_svm_place place,
				const struct drm_gpusvm_ctx *ctx)
{
	struct drm_gpusvm_range *r = &range->base;
	int err;

	switch (place) {
	case VXE_SVM_PLACE_SYS:
		err = drm_gpusvm_range_evict(&vm->svm.gpusvm, r);
		break;
	case VXE_SVM_PLACE_FAULT:
		if (range->skip_migrate && !vxe_svm_always_migrate_to_vram)
			return;
		fallthrough;
	case VXE_SVM_PLACE_VRAM:
		if (!r->flags.migrate_devmem || vxe_svm_range_in_vram(vm, r))
			return;
		range->skip_migrate = true;
		err = vxe_svm_alloc_vram(vm, range, ctx);
		break;
	default:
		return;
	}
	if (err)
		drm_dbg_driver(&vm->vxe->drm,
			       "vxe: range [%#lx, %#lx) stays where it is: %d\n",
			       drm_gpusvm_range_start(r), drm_gpusvm_range_end(r),
			       err);
}

/*
 * Where the ranges of a mirror VMA go on a GPU fault: VRAM when the device
 * has some and the VMA prefers device memory (a file descriptor of another
 * device counts as system memory: no peer access).
 */
static enum vxe_svm_place vxe_svm_fault_place(struct vxe_vm *vm,
					      const struct vxe_vma *vma)
{
	if (!vm->vxe->vram || !vma ||
	    vma->attr.devmem_fd != DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE)
		return VXE_SVM_PLACE_ANY;
	return VXE_SVM_PLACE_FAULT;
}

/*
 * Make the GPU map the range around @addr, inside [@vma_start, @vma_end):
 * find or create it, place it, collect its pages, bind it; start over when
 * the pages went meanwhile, a bounded number of times.  *@range_end tells
 * where the range ends (the next address a prefetch loop visits).
 */
static int vxe_svm_populate(struct vxe_vm *vm, u64 addr, u64 vma_start,
			    u64 vma_end, enum vxe_svm_place place,
			    u64 *range_end)
{
	struct drm_gpusvm_ctx ctx = {
		.check_pages_threshold = vm->svm.cfg.check_pages_threshold,
		.devmem_possible = !!vm->vxe->vram,
	};
	u64 win_start = max(vma_start, vm->svm.cfg.mirror_start);
	u64 win_end = min(vma_end, vm->svm.cfg.mirror_end);
	struct drm_gpusvm_range *r;
	int err = -EBUSY, tries;

	lockdep_assert_held(&vm->lock);

	/* Unmapped ranges would be found again: remove them first. */
	vxe_svm_garbage_collector(vm);

	for (tries = 0; tries < VXE_SVM_FAULT_TRIES; tries++) {
		if (tries)
			atomic_inc(&vm->stats.fault_retries);

		r = drm_gpusvm_range_find_or_insert(&vm->svm.gpusvm, addr,
						    win_start, win_end, &ctx);
		if (IS_ERR(r)) {
			err = PTR_ERR(r);
			break;
		}
		if (range_end)
			*range_end = drm_gpusvm_range_end(r);
		if (vxe_svm_range_unmapped(r)) {
			/* Unmapped since the collection above: again. */
			vxe_svm_garbage_collector(vm);
			err = -EBUSY;
			continue;
		}

		if (!tries)
			vxe_svm_place_range(vm, to_vxe_svm_range(r), place, &ctx);
		err = drm_gpusvm_range_get_pages(&vm->svm.gpusvm, r, &ctx);
		if (err == -EBUSY ||
		    (err == -EFAULT && vxe_svm_range_unmapped(r)))
			continue;
		if (err)
			break;

		err = vxe_svm_bind(vm, to_vxe_svm_range(r));
		if (err != -EAGAIN)
			break;
	}
	return err == -EAGAIN ? -EBUSY : err;
}

/**
 * vxe_svm_handle_fault() - serve a GPU page fault in a CPU-address mirror
 * @vm: the VM
 * @vma: the mirror VMA containing @addr: ranges stay inside it, and go
 *	where its attributes say
 * @addr: the faulting GPU virtual address (the same CPU address)
 *
 * Counted in the VM's and the device's SVM page-fault statistics.
 *
 * Context: the VM lock.
 * Return: 0 once the GPU maps @addr; -EINVAL outside the mirror; -EFAULT
 * when the CPU maps nothing there (or the process exited); -EPERM for a
 * read-only CPU mapping; -EBUSY when invalidations kept racing; -ENOMEM or
 * an injected backend error.
 */
int vxe_svm_handle_fault(struct vxe_vm *vm, struct vxe_vma *vma, u64 addr)
{
	int err;

	lockdep_assert_held(&vm->lock);
	atomic_inc(&vm->stats.faults);
	atomic64_inc(&vm->vxe->stats.svm_pagefault_count);

	err = vxe_svm_populate(vm, addr, vma_start(vma), vma_end(vma),
			       vxe_svm_fault_place(vm, vma), NULL);
	if (err) {
		atomic_inc(&vm->stats.fault_errors);
		drm_dbg_driver(&vm->vxe->drm, "vxe: GPU fault at %#llx: %d\n",
			       addr, err);
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
 *	%DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC for the VMA's preferred location
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
	enum vxe_svm_place place = VXE_SVM_PLACE_ANY;
	u64 addr = start;

	lockdep_assert_held(&vm->lock);
	if (region == VXE_MEM_REGION_SYS)
		place = VXE_SVM_PLACE_SYS;
	else if (region == VXE_MEM_REGION_VRAM && vm->vxe->vram)
		place = VXE_SVM_PLACE_VRAM;
	else if (vxe_svm_fault_place(vm, vma) != VXE_SVM_PLACE_ANY)
		place = VXE_SVM_PLACE_VRAM;

	while (addr < end) {
		u64 next = addr + PAGE_SIZE;
		int err;

		err = vxe_svm_populate(vm, addr, vma_start(vma), vma_end(vma),
				       place, &next);
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
