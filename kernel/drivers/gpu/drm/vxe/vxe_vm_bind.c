// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/ktime.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_bind_job.h"
#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_pagemap.h"
#include "vxe_pat.h"
#include "vxe_exec_queue.h"
#include "vxe_sync.h"
#include "vxe_vm.h"

/**
 * DOC: vxe VM_BIND
 *
 * The VMAs of a VM live in its &drm_gpuvm, as Xe's do.  A VMA is a BO
 * binding (a range of a GEM object, mapped by the GPU page tables), a
 * userptr binding (process memory at a GPU address userspace chooses, see
 * vxe_userptr.c), a NULL binding (%DRM_XE_VM_BIND_FLAG_NULL: no memory,
 * reads give zeros and writes are dropped) or a CPU-address mirror
 * (%DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR: nothing is mapped up front; GPU
 * page faults in it go to the SVM fault handler).
 *
 * One bind operation is turned into drm_gpuvm split/merge steps
 * (drm_gpuvm_sm_map_ops_create() and friends), checked as a whole, and
 * only then applied: a BO bound inside a mirror splits it, a mirror bound
 * over a BO binding replaces it.  Removing a piece of a mirror in which
 * the GPU still maps process memory (SVM ranges remain after the garbage
 * collector ran) is refused with -EBUSY, as in Xe.  BO bindings are
 * written into the page tables at bind time (as with
 * %DRM_XE_VM_BIND_FLAG_IMMEDIATE); a binding zapped later (its BO moved)
 * is bound again by the next EXEC of a dma-fence VM (vxe_vm_exec_lock()),
 * or on the next GPU fault.  A bind with nothing to wait for completes
 * before the ioctl returns; one that waits is a bind job (vxe_bind_job.c).
 *
 * The operations of one ioctl are applied in order, all or none, as in Xe:
 * when one fails, those before it are undone (struct vxe_bind_undo), and
 * the VMAs are as before the ioctl.  Arguments of all of them are checked
 * before any is applied.
 *
 * Locking: the VM lock around everything; the BO's reservation lock
 * around linking a VMA to its BO and writing its page-table entries (TTM
 * moves the BO, and vxe_vm_bo_invalidate() zaps them, under that lock).
 */

/* Write a BO VMA's page-table entries, in chunks of this many pages. */
#define VXE_BIND_CHUNK		512

static struct vxe_bo *vma_bo(const struct vxe_vma *vma)
{
	return vma->gpuva.gem.obj ? gem_to_vxe_bo(vma->gpuva.gem.obj) : NULL;
}

/**
 * vxe_vma_zap_range() - zap part of a VMA that is no mirror
 * @vm: the VM
 * @vma: a BO, userptr or NULL VMA of @vm
 * @start: first GPU virtual address
 * @end: end (exclusive)
 *
 * If @vma is bound, clears the leaves of [@start, @end), invalidates the
 * TLB for it and marks @vma unbound.
 *
 * Context: what protects @vma->bound for its kind (see &struct vxe_vma).
 */
void vxe_vma_zap_range(struct vxe_vm *vm, struct vxe_vma *vma, u64 start,
		       u64 end)
{
	if (!vma->bound)
		return;
	vxe_pt_zap(&vm->pt, start, end);
	vxe_vm_tlb_invalidate(vm, start, end);
	vma->bound = false;
}

/*
 * Zap [start, end) of a BO or NULL VMA, if it is bound, and invalidate the
 * TLB.  A userptr VMA is zapped whole, under its notifier lock.
 */
static void vxe_vma_zap(struct vxe_vm *vm, struct vxe_vma *vma, u64 start,
			u64 end)
{
	if (vxe_vma_is_userptr(vma))
		vxe_userptr_zap_vma(vm, vma);
	else
		vxe_vma_zap_range(vm, vma, start, end);
}

/*
 * Validate a BO VMA's BO and write its entries, with the BO's reservation
 * lock held by the caller.  Nothing is left mapped on error.
 */
static int vxe_vma_bind_bo_locked(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_pagemap_addr *addrs;
	struct vxe_bo *bo = vma_bo(vma);
	unsigned long npages = vma->gpuva.va.range >> PAGE_SHIFT, done;
	u32 flags = vma->gpuva.flags & VXE_VMA_READ_ONLY ? VXE_PT_READ_ONLY : 0;
	int err;

	lockdep_assert_held(&vm->lock);
	if (WARN_ON(!bo))
		return -EINVAL;
	dma_resv_assert_held(bo->ttm.base.resv);

	addrs = kvmalloc_array(min_t(unsigned long, npages, VXE_BIND_CHUNK),
			       sizeof(*addrs), GFP_KERNEL);
	if (!addrs)
		return -ENOMEM;

	err = vxe_bo_validate(bo);
	if (!err)
		err = vxe_pt_prepare(&vm->pt, vma_start(vma), vma_end(vma));
	for (done = 0; !err && done < npages; done += VXE_BIND_CHUNK) {
		unsigned long n = min_t(unsigned long, npages - done,
					VXE_BIND_CHUNK);

		err = vxe_bo_dma_addrs(bo, vma->gpuva.gem.offset +
				       (done << PAGE_SHIFT), n, addrs);
		if (!err)
			err = vxe_pt_commit(&vm->pt,
					    vma_start(vma) + (done << PAGE_SHIFT),
					    addrs, n, flags);
	}
	/* Replaced entries may be cached: drop them (and all on error). */
	vma->bound = true;
	if (err)
		vxe_vma_zap(vm, vma, vma_start(vma), vma_end(vma));
	else
		vxe_vm_tlb_invalidate(vm, vma_start(vma), vma_end(vma));
	kvfree(addrs);
	return err;
}

/**
 * vxe_vma_bind_bo() - write the page-table entries of a BO VMA
 * @vm: the VM
 * @vma: a BO VMA of @vm
 *
 * Validates the BO into GPU-reachable memory and maps every page of the
 * VMA.  Also used to bind a VMA again after its BO moved.
 *
 * Context: the VM lock; takes the BO's reservation lock.
 * Return: 0 or a negative errno (nothing is left mapped then).
 */
int vxe_vma_bind_bo(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct vxe_bo *bo = vma_bo(vma);
	int err;

	if (WARN_ON(!bo))
		return -EINVAL;
	err = dma_resv_lock_interruptible(bo->ttm.base.resv, NULL);
	if (err)
		return err;
	err = vxe_vma_bind_bo_locked(vm, vma);
	dma_resv_unlock(bo->ttm.base.resv);
	return err;
}

/* Write the entries of a NULL VMA.  Context: the VM lock. */
static int vxe_vma_bind_null(struct vxe_vm *vm, struct vxe_vma *vma)
{
	int err;

	lockdep_assert_held(&vm->lock);
	err = vxe_pt_prepare(&vm->pt, vma_start(vma), vma_end(vma));
	if (!err)
		err = vxe_pt_commit(&vm->pt, vma_start(vma),
				    NULL, vma->gpuva.va.range >> PAGE_SHIFT,
				    VXE_PT_NULL);
	if (err)
		return err;
	vma->bound = true;
	vxe_vm_tlb_invalidate(vm, vma_start(vma), vma_end(vma));
	return 0;
}

/**
 * vxe_vma_bind() - write the page-table entries of a VMA that is no mirror
 * @vm: the VM
 * @vma: a BO, userptr or NULL VMA of @vm
 *
 * What a GPU fault on it and PREFETCH do: a BO is validated and mapped, a
 * userptr's pages are collected (if an invalidation took them) and mapped,
 * a NULL VMA gets NULL entries.
 *
 * Context: the VM lock.
 * Return: 0 or a negative errno (nothing is left mapped then).
 */
int vxe_vma_bind(struct vxe_vm *vm, struct vxe_vma *vma)
{
	if (vxe_vma_is_userptr(vma))
		return vxe_userptr_bind(vm, vma);
	if (vxe_vma_is_null(vma))
		return vxe_vma_bind_null(vm, vma);
	return vxe_vma_bind_bo(vm, vma);
}

/**
 * vxe_vm_bo_invalidate() - zap every GPU binding of a BO
 * @bo: the BO, about to move out of GPU-reachable memory
 *
 * Called by the TTM move callback when the BO leaves %TTM_PL_TT.
 *
 * Context: the BO's reservation lock (TTM holds it).
 */
void vxe_vm_bo_invalidate(struct vxe_bo *bo)
{
	struct drm_gem_object *obj = &bo->ttm.base;
	struct drm_gpuvm_bo *vm_bo;
	struct drm_gpuva *va;

	dma_resv_assert_held(obj->resv);
	drm_gem_for_each_gpuvm_bo(vm_bo, obj) {
		struct vxe_vm *vm = container_of(vm_bo->vm, struct vxe_vm,
						 gpuvm);

		drm_gpuvm_bo_for_each_va(va, vm_bo) {
			struct vxe_vma *vma = to_vxe_vma(va);

			vxe_vma_zap(vm, vma, vma_start(vma), vma_end(vma));
		}
	}
}

/*
 * Lock the reservation objects an EXEC of a dma-fence VM puts its fence
 * into: the VM's (shared by its private BOs) and that of every BO bound
 * in the VM from outside (room for the fence is made after validation,
 * vxe_vm_exec_reserve()).
 */
static int vxe_vm_exec_prepare(struct vxe_vm *vm, struct drm_exec *exec)
{
	struct drm_gpuva *va;
	int err;

	err = drm_exec_lock_obj(exec, vm->gpuvm.r_obj);
	if (err)
		return err;
	drm_gpuvm_for_each_va(va, &vm->gpuvm) {
		struct drm_gem_object *obj = va->gem.obj;

		if (!obj || obj->resv == vxe_vm_resv(vm))
			continue;
		err = drm_exec_lock_obj(exec, obj);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Bind again every BO VMA whose BO moved since it was bound (evicted, or
 * swapped out), validating the BO back into its placement.  All the
 * reservation objects are locked with one ticket: to make room in VRAM,
 * TTM may evict BOs of other VMs, waiting for their jobs.
 */
static int vxe_vm_exec_rebind(struct vxe_vm *vm)
{
	struct drm_gpuva *va;
	int err;

	drm_gpuvm_for_each_va(va, &vm->gpuvm) {
		struct vxe_vma *vma;

		if (!va->gem.obj)
			continue;
		vma = to_vxe_vma(va);
		if (vma->bound)
			continue;
		err = vxe_vma_bind_bo_locked(vm, vma);
		if (err)
			return err;
	}
	return 0;
}

/* Room for one more fence in each reservation object @exec holds. */
static int vxe_vm_exec_reserve(struct drm_exec *exec)
{
	struct drm_gem_object *obj;
	int err;

	drm_exec_for_each_locked_object(exec, obj) {
		err = dma_resv_reserve_fences(obj->resv, 1);
		if (err)
			return err;
	}
	return 0;
}

/**
 * vxe_vm_exec_lock() - get a dma-fence VM ready for a job
 * @vm: the VM of the exec queue (neither LR nor fault mode)
 * @exec: the locking context, initialized here
 *
 * What Xe's EXEC does before it queues a job, so that the job never
 * depends on a fault: bind the userptrs invalidated since their last bind
 * again; lock the VM's reservation object and those of the BOs bound in
 * it from outside, with room for a fence each; validate the BOs that moved
 * since their bind (evicted from VRAM by another VM, swapped out) and bind
 * them again; then take the userptr notifier lock and check that no
 * invalidation came in meanwhile (otherwise start over).  When VRAM is
 * full of BOs other EXECs hold, starts over for up to a second, as Xe
 * does.  The caller adds the job's fence (vxe_vm_exec_add_fence()),
 * without allocating, and calls vxe_vm_exec_unlock().
 *
 * Context: process context, no VM lock held; takes the VM lock for a while.
 * Return: 0 with the reservation objects and the userptr notifier lock
 * held (vxe_userptr_exec_check());
 * -EINTR or -ERESTARTSYS on a signal; -ENOMEM (no room for a BO, even
 * after eviction); -EAGAIN when the pages of a userptr could not be
 * collected; -ECANCELED on a closed VM.
 */
int vxe_vm_exec_lock(struct vxe_vm *vm, struct drm_exec *exec)
{
	ktime_t end = 0;
	int err;

	for (;;) {
		err = vxe_userptr_repin(vm);
		if (err)
			return err;
		err = mutex_lock_interruptible(&vm->lock);
		if (err)
			return err;
		drm_exec_init(exec, DRM_EXEC_INTERRUPTIBLE_WAIT |
			      DRM_EXEC_IGNORE_DUPLICATES, 0);
		/*
		 * Validation inside the locking loop: TTM evicts with the
		 * ticket, which is done once the loop ends.
		 */
		drm_exec_until_all_locked(exec) {
			err = vxe_vm_exec_prepare(vm, exec);
			drm_exec_retry_on_contention(exec);
			if (!err && vm->closed)
				err = -ECANCELED;
			if (!err)
				err = vxe_vm_exec_rebind(vm);
			if (!err)
				err = vxe_vm_exec_reserve(exec);
		}
		mutex_unlock(&vm->lock);
		if (!err && vxe_userptr_exec_check(vm))
			return 0;
		drm_exec_fini(exec);
		if (vxe_vm_validate_should_retry(err, &end))
			continue;
		if (err == -ENOSPC)
			err = -ENOMEM;
		if (err)
			return err;
		if (signal_pending(current))
			return -ERESTARTSYS;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_exec_lock);

/**
 * vxe_vm_exec_add_fence() - put a job's fence where vxe_vm_exec_lock()
 *	made room
 * @exec: the locking context of vxe_vm_exec_lock()
 * @fence: the job's fence
 *
 * With %DMA_RESV_USAGE_BOOKKEEP, as Xe: TTM waits for it before it moves
 * a BO the job may use, and no implicit synchronization follows from it.
 */
void vxe_vm_exec_add_fence(struct drm_exec *exec, struct dma_fence *fence)
{
	struct drm_gem_object *obj;

	drm_exec_for_each_locked_object(exec, obj)
		dma_resv_add_fence(obj->resv, fence, DMA_RESV_USAGE_BOOKKEEP);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_exec_add_fence);

/**
 * vxe_vm_exec_unlock() - the end of vxe_vm_exec_lock()
 * @vm: the VM
 * @exec: the locking context of vxe_vm_exec_lock()
 */
void vxe_vm_exec_unlock(struct vxe_vm *vm, struct drm_exec *exec)
{
	vxe_userptr_exec_unlock(vm);
	drm_exec_fini(exec);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_exec_unlock);

static struct vxe_vma *vxe_vma_alloc(u32 flags, const struct vxe_vma_attr *attr)
{
	struct vxe_vma *vma = kzalloc(sizeof(*vma), GFP_KERNEL);

	if (vma) {
		vma->gpuva.flags = flags;
		vma->attr = *attr;
		if (attr->dpagemap)
			drm_pagemap_get(attr->dpagemap);
		INIT_LIST_HEAD(&vma->undo_link);
	}
	return vma;
}

/*
 * Free a VMA out of the tree; a userptr VMA releases its process memory,
 * and the VMA its preferred location's pagemap.
 */
static void vxe_vma_free(struct vxe_vm *vm, struct vxe_vma *vma)
{
	vxe_userptr_destroy(vm, vma);
	drm_pagemap_put(vma->attr.dpagemap);
	kfree(vma);
}

/*
 * Unlink a BO VMA from its BO, under the BO's lock.  The last link may
 * hold the last reference on the BO (userspace closed its handle): keep
 * the BO alive until its lock is dropped.
 */
static void vxe_vma_unlink(struct vxe_vma *vma)
{
	struct drm_gem_object *obj = vma->gpuva.gem.obj;

	if (!obj)
		return;
	drm_gem_object_get(obj);
	dma_resv_lock(obj->resv, NULL);
	drm_gpuva_unlink(&vma->gpuva);
	dma_resv_unlock(obj->resv);
	drm_gem_object_put(obj);
}

/* Link a BO VMA to its BO (a reference on the vm_bo, and so the BO). */
static int vxe_vma_link(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_gem_object *obj = vma->gpuva.gem.obj;
	struct drm_gpuvm_bo *vm_bo;

	if (!obj)
		return 0;
	dma_resv_lock(obj->resv, NULL);
	vm_bo = drm_gpuvm_bo_obtain(&vm->gpuvm, obj);
	if (IS_ERR(vm_bo)) {
		dma_resv_unlock(obj->resv);
		return PTR_ERR(vm_bo);
	}
	drm_gpuva_link(&vma->gpuva, vm_bo);
	drm_gpuvm_bo_put(vm_bo);
	dma_resv_unlock(obj->resv);
	return 0;
}

/* The part of @old that a REMAP step removes: between its prev and next. */
static void vxe_remap_hole(const struct drm_gpuva_op_remap *remap,
			   const struct vxe_vma *old, u64 *start, u64 *end)
{
	*start = remap->prev ? remap->prev->va.addr + remap->prev->va.range :
			       vma_start(old);
	*end = remap->next ? remap->next->va.addr : vma_end(old);
}

/*
 * Check the steps of one operation before anything is applied: a mirror
 * may only lose pieces in which no SVM range remains.
 */
static int vxe_vm_ops_check(struct vxe_vm *vm, struct drm_gpuva_ops *ops,
			    bool madvise)
{
	struct drm_gpuva_op *op;

	drm_gpuva_for_each_op(op, ops) {
		struct vxe_vma *old;
		u64 start, end;

		switch (op->op) {
		case DRM_GPUVA_OP_UNMAP:
			old = to_vxe_vma(op->unmap.va);
			start = vma_start(old);
			end = vma_end(old);
			break;
		case DRM_GPUVA_OP_REMAP:
			old = to_vxe_vma(op->remap.unmap->va);
			vxe_remap_hole(&op->remap, old, &start, &end);
			break;
		default:
			continue;
		}
		if (!vxe_vma_is_mirror(old) || !vxe_svm_has_mapping(vm, start, end))
			continue;
		/* MADVISE re-creates the ranges with the new attributes. */
		if (!madvise) {
			drm_dbg(&vm->vxe->drm,
				"vxe: [%#llx, %#llx) of a mirror still has SVM ranges\n",
				start, end);
			return -EBUSY;
		}
		vxe_svm_unmap_range(vm, start, end);
	}
	return 0;
}

/**
 * struct vxe_map_tmpl - what a new VMA of a MAP step is made of
 * @flags: its &drm_gpuva.flags
 * @attr: its memory attributes
 */
struct vxe_map_tmpl {
	u32 flags;
	struct vxe_vma_attr attr;
};

/* The VMAs one operation creates, allocated before it is applied. */
struct vxe_vma_prealloc {
	struct vxe_vma **vmas;
	unsigned int n, used;
};

/*
 * Allocate the VMAs of one operation.  The process memory of a new userptr
 * VMA is collected now (unless @lazy), so that a bind of memory that is not
 * there fails before anything changed; the pieces a REMAP leaves of a
 * userptr VMA get notifiers of their own and collect pages on first use.
 */
static int vxe_vma_prealloc(struct vxe_vm *vm, struct vxe_vma_prealloc *pa,
			    struct drm_gpuva_ops *ops,
			    const struct vxe_map_tmpl *tmpl, bool lazy)
{
	struct drm_gpuva_op *op;
	unsigned int n = 0;

	drm_gpuva_for_each_op(op, ops) {
		if (op->op == DRM_GPUVA_OP_MAP)
			n++;
		else if (op->op == DRM_GPUVA_OP_REMAP)
			n += !!op->remap.prev + !!op->remap.next;
	}
	pa->n = 0;
	pa->used = 0;
	pa->vmas = kcalloc(n ?: 1, sizeof(*pa->vmas), GFP_KERNEL);
	if (!pa->vmas)
		return -ENOMEM;

	drm_gpuva_for_each_op(op, ops) {
		struct drm_gpuva_op_map *pieces[2] = {};
		struct vxe_vma *old, *vma;
		int i, err;

		if (op->op == DRM_GPUVA_OP_MAP) {
			vma = vxe_vma_alloc(tmpl->flags, &tmpl->attr);
			if (!vma)
				return -ENOMEM;
			pa->vmas[pa->n++] = vma;
			if (!vxe_vma_is_userptr(vma))
				continue;
			err = vxe_userptr_create(vm, vma, op->map.gem.offset,
						 op->map.va.range, !lazy);
			if (err)
				return err;
			continue;
		}
		if (op->op != DRM_GPUVA_OP_REMAP)
			continue;
		old = to_vxe_vma(op->remap.unmap->va);
		pieces[0] = op->remap.prev;
		pieces[1] = op->remap.next;
		for (i = 0; i < 2; i++) {
			if (!pieces[i])
				continue;
			vma = vxe_vma_alloc(old->gpuva.flags, &old->attr);
			if (!vma)
				return -ENOMEM;
			pa->vmas[pa->n++] = vma;
			if (!vxe_vma_is_userptr(vma))
				continue;
			err = vxe_userptr_create(vm, vma, pieces[i]->gem.offset,
						 pieces[i]->va.range, false);
			if (err)
				return err;
		}
	}
	return 0;
}

static void vxe_vma_prealloc_fini(struct vxe_vm *vm,
				  struct vxe_vma_prealloc *pa)
{
	unsigned int i;

	for (i = pa->used; i < pa->n; i++)
		vxe_vma_free(vm, pa->vmas[i]);
	kfree(pa->vmas);
}

static struct vxe_vma *vxe_vma_take(struct vxe_vma_prealloc *pa)
{
	return pa->vmas[pa->used++];
}

/* Remove a VMA from the tree and free it; a mapped VMA is zapped first. */
static void vxe_vma_destroy(struct vxe_vm *vm, struct vxe_vma *vma)
{
	if (!vxe_vma_is_mirror(vma))
		vxe_vma_zap(vm, vma, vma_start(vma), vma_end(vma));
	vxe_vma_unlink(vma);
	drm_gpuva_remove(&vma->gpuva);
	vxe_vma_free(vm, vma);
}

/**
 * struct vxe_bind_undo - the undo journal of one VM_BIND
 * @steps: the VMAs its operations inserted or removed so far, in order
 *	(&vxe_vma.undo_link)
 *
 * Xe carries out the operations of a bind all or none: when one fails,
 * those before it are unwound.  vxe applies each operation at once, and
 * journals what it changed in the tree: an inserted VMA is destroyed
 * again; a removed one is kept (out of the tree, zapped, unlinked from its
 * BO but holding a reference on its &drm_gpuvm_bo) to be put back, so
 * that unwinding allocates nothing and cannot fail.  Once every operation
 * succeeded, vxe_bind_undo_commit() frees the removed VMAs; when one
 * failed, vxe_bind_undo_unwind() walks the steps backwards.
 *
 * Locking: the VM lock, from the first operation to the commit or unwind.
 */
struct vxe_bind_undo {
	struct list_head steps;
};

static void vxe_bind_undo_init(struct vxe_bind_undo *undo)
{
	INIT_LIST_HEAD(&undo->steps);
}

/* @vma has been inserted into the tree (and linked to its BO). */
static void vxe_bind_undo_inserted(struct vxe_bind_undo *undo,
				   struct vxe_vma *vma)
{
	vma->undo_removed = false;
	list_add_tail(&vma->undo_link, &undo->steps);
}

/*
 * @vma, zapped, has left the tree: unlink it from its BO but keep it, and
 * its vm_bo (so the BO), for the journal.  A VMA this bind inserted itself
 * is freed at once: undoing both steps would leave nothing, and no other
 * step needs it back (nothing overlapped it while it was in the tree).
 */
static void vxe_bind_undo_removed(struct vxe_vm *vm,
				  struct vxe_bind_undo *undo,
				  struct vxe_vma *vma)
{
	if (!list_empty(&vma->undo_link)) {
		list_del_init(&vma->undo_link);
		vxe_vma_unlink(vma);
		vxe_vma_free(vm, vma);
		return;
	}
	if (vma->gpuva.vm_bo)
		vma->undo_vm_bo = drm_gpuvm_bo_get(vma->gpuva.vm_bo);
	vxe_vma_unlink(vma);
	vma->undo_removed = true;
	list_add_tail(&vma->undo_link, &undo->steps);
}

/*
 * Drop a removed VMA's reference on its vm_bo, under the BO's lock; the
 * last one may hold the last reference on the BO.
 */
static void vxe_vma_put_undo_vm_bo(struct vxe_vma *vma)
{
	struct drm_gpuvm_bo *vm_bo = vma->undo_vm_bo;
	struct drm_gem_object *obj;

	if (!vm_bo)
		return;
	vma->undo_vm_bo = NULL;
	obj = vm_bo->obj;
	drm_gem_object_get(obj);
	dma_resv_lock(obj->resv, NULL);
	drm_gpuvm_bo_put(vm_bo);
	dma_resv_unlock(obj->resv);
	drm_gem_object_put(obj);
}

/* Every operation succeeded: free the VMAs they removed. */
static void vxe_bind_undo_commit(struct vxe_vm *vm, struct vxe_bind_undo *undo)
{
	struct vxe_vma *vma, *next;

	list_for_each_entry_safe(vma, next, &undo->steps, undo_link) {
		list_del_init(&vma->undo_link);
		if (!vma->undo_removed)
			continue;
		vxe_vma_put_undo_vm_bo(vma);
		vxe_vma_free(vm, vma);
	}
}

/*
 * Put a removed VMA back (what replaced it is gone) and bind it again;
 * when that fails, the next GPU fault (or EXEC, for a userptr of a
 * dma-fence VM) binds it, as after an invalidation.
 */
static void vxe_vma_restore(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_gpuvm_bo *vm_bo = vma->undo_vm_bo;
	int err;

	vma->undo_removed = false;
	if (WARN_ON(drm_gpuva_insert(&vm->gpuvm, &vma->gpuva))) {
		vxe_vma_put_undo_vm_bo(vma);
		vxe_vma_free(vm, vma);
		return;
	}
	if (vm_bo) {
		dma_resv_lock(vm_bo->obj->resv, NULL);
		drm_gpuva_link(&vma->gpuva, vm_bo);
		drm_gpuvm_bo_put(vm_bo);	/* the link holds one now */
		dma_resv_unlock(vm_bo->obj->resv);
		vma->undo_vm_bo = NULL;
	}
	if (vxe_vma_is_mirror(vma))
		return;
	err = vxe_vma_bind(vm, vma);
	if (err)
		drm_dbg(&vm->vxe->drm,
			"vxe: restored VMA [%#llx, %#llx) not bound yet: %d\n",
			vma_start(vma), vma_end(vma), err);
}

/*
 * Remove the SVM ranges of [start, end) that no mirror covers: a PREFETCH
 * of the unwound bind may have made some in a mirror it had added.
 */
static void vxe_svm_unmap_unmirrored(struct vxe_vm *vm, u64 start, u64 end)
{
	struct drm_gpuva *va;
	u64 addr = start;

	if (!(vm->flags & VXE_VM_FAULT_MODE))
		return;
	drm_gpuvm_for_each_va_range(va, &vm->gpuvm, start, end) {
		struct vxe_vma *vma = to_vxe_vma(va);

		if (!vxe_vma_is_mirror(vma))
			continue;
		if (vma_start(vma) > addr)
			vxe_svm_unmap_range(vm, addr, vma_start(vma));
		addr = max(addr, vma_end(vma));
	}
	if (addr < end)
		vxe_svm_unmap_range(vm, addr, end);
}

/*
 * An operation failed: undo the steps of all, last first.  The mirrors
 * they added are freed last, once the tree is as before, with the SVM
 * ranges no restored mirror covers.
 */
static void vxe_bind_undo_unwind(struct vxe_vm *vm, struct vxe_bind_undo *undo)
{
	struct vxe_vma *vma, *prev;
	LIST_HEAD(mirrors);

	list_for_each_entry_safe_reverse(vma, prev, &undo->steps, undo_link) {
		list_del_init(&vma->undo_link);
		if (vma->undo_removed) {
			vxe_vma_restore(vm, vma);
		} else if (vxe_vma_is_mirror(vma)) {
			drm_gpuva_remove(&vma->gpuva);
			list_add(&vma->undo_link, &mirrors);
		} else {
			vxe_vma_destroy(vm, vma);
		}
	}
	list_for_each_entry_safe(vma, prev, &mirrors, undo_link) {
		list_del(&vma->undo_link);
		vxe_svm_unmap_unmirrored(vm, vma_start(vma), vma_end(vma));
		vxe_vma_free(vm, vma);
	}
}

/*
 * Apply the checked steps of one operation, journalling them in @undo.
 * Only binding the new VMA can fail (and linking it, for lack of memory);
 * the caller unwinds then.  A new userptr VMA maps the pages collected
 * when it was allocated.
 */
static int vxe_vm_ops_apply(struct vxe_vm *vm, struct drm_gpuva_ops *ops,
			    struct vxe_vma_prealloc *pa,
			    struct vxe_bind_undo *undo)
{
	struct drm_gpuva_op *op;
	int err;

	drm_gpuva_for_each_op(op, ops) {
		struct vxe_vma *vma, *old, *prev = NULL, *next = NULL;
		bool was_bound;
		u64 start, end;

		switch (op->op) {
		case DRM_GPUVA_OP_MAP:
			vma = vxe_vma_take(pa);
			drm_gpuva_map(&vm->gpuvm, &vma->gpuva, &op->map);
			if (vxe_vma_link(vm, vma)) {
				/* Only allocation fails: keep the tree sane. */
				drm_gpuva_remove(&vma->gpuva);
				vxe_vma_free(vm, vma);
				return -ENOMEM;
			}
			vxe_bind_undo_inserted(undo, vma);
			if (vxe_vma_is_userptr(vma))
				err = vxe_userptr_bind_collected(vm, vma);
			else if (!vxe_vma_is_mirror(vma))
				err = vxe_vma_bind(vm, vma);
			else
				err = 0;
			if (err)
				return err;
			break;

		case DRM_GPUVA_OP_REMAP:
			old = to_vxe_vma(op->remap.unmap->va);
			vxe_remap_hole(&op->remap, old, &start, &end);
			/* A userptr is zapped whole: its pieces bind anew. */
			was_bound = old->bound && !vxe_vma_is_userptr(old);
			if (!vxe_vma_is_mirror(old))
				vxe_vma_zap(vm, old, start, end);
			if (op->remap.prev)
				prev = vxe_vma_take(pa);
			if (op->remap.next)
				next = vxe_vma_take(pa);
			drm_gpuva_remap(prev ? &prev->gpuva : NULL,
					next ? &next->gpuva : NULL, &op->remap);
			/*
			 * Link the pieces before unlinking @old: its vm_bo
			 * stays alive, so linking allocates nothing.
			 */
			if (prev) {
				prev->bound = was_bound;
				WARN_ON(vxe_vma_link(vm, prev));
			}
			if (next) {
				next->bound = was_bound;
				WARN_ON(vxe_vma_link(vm, next));
			}
			vxe_bind_undo_removed(vm, undo, old);
			if (prev)
				vxe_bind_undo_inserted(undo, prev);
			if (next)
				vxe_bind_undo_inserted(undo, next);
			break;

		case DRM_GPUVA_OP_UNMAP:
			old = to_vxe_vma(op->unmap.va);
			if (!vxe_vma_is_mirror(old))
				vxe_vma_zap(vm, old, vma_start(old), vma_end(old));
			drm_gpuva_unmap(&op->unmap);
			vxe_bind_undo_removed(vm, undo, old);
			break;

		default:
			break;
		}
	}
	return 0;
}

/*
 * MAP (of a BO, a userptr, NULL or a mirror), UNMAP or UNMAP_ALL: split,
 * check, apply, journalling in @undo.  Without a journal the operation is
 * all or nothing by itself.
 */
static int vxe_vm_bind_sm(struct vxe_vm *vm, struct drm_gpuva_ops *ops,
			  const struct vxe_map_tmpl *tmpl, bool madvise,
			  struct vxe_bind_undo *undo)
{
	struct vxe_bind_undo own;
	struct vxe_vma_prealloc pa;
	int err;

	if (IS_ERR(ops))
		return PTR_ERR(ops);
	if (!undo) {
		vxe_bind_undo_init(&own);
		undo = &own;
	}
	err = vxe_vm_ops_check(vm, ops, madvise);
	if (!err) {
		err = vxe_vma_prealloc(vm, &pa, ops, tmpl, madvise);
		if (!err)
			err = vxe_vm_ops_apply(vm, ops, &pa, undo);
		vxe_vma_prealloc_fini(vm, &pa);
	}
	drm_gpuva_ops_free(&vm->gpuvm, ops);
	if (undo == &own) {
		if (err)
			vxe_bind_undo_unwind(vm, &own);
		else
			vxe_bind_undo_commit(vm, &own);
	}
	return err;
}

/*
 * PREFETCH: populate and bind every VMA of the interval; mirrored ranges
 * go to @region (a memory region instance, or the VMA's preferred location).
 */
static int vxe_vm_prefetch(struct vxe_vm *vm, u64 addr, u64 range, u32 region)
{
	struct drm_gpuva_ops *ops;
	struct drm_gpuva_op *op;
	int err = 0;

	ops = drm_gpuvm_prefetch_ops_create(&vm->gpuvm, addr, range);
	if (IS_ERR(ops))
		return PTR_ERR(ops);
	drm_gpuva_for_each_op(op, ops) {
		struct vxe_vma *vma = to_vxe_vma(op->prefetch.va);

		if (vxe_vma_is_mirror(vma))
			err = vxe_svm_prefetch(vm, vma, max(addr, vma_start(vma)),
					       min(addr + range, vma_end(vma)),
					       region);
		else
			err = vxe_vma_bind(vm, vma);
		if (err)
			break;
	}
	drm_gpuva_ops_free(&vm->gpuvm, ops);
	return err;
}

/**
 * vxe_vm_bind_mirror() - mirror the CPU address space over an interval
 * @vm: a fault-mode VM
 * @start: first address
 * @end: end (exclusive)
 *
 * What VM_BIND MAP with %DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR does.
 *
 * Return: 0 or a negative errno.
 */
int vxe_vm_bind_mirror(struct vxe_vm *vm, u64 start, u64 end)
{
	static const struct vxe_map_tmpl tmpl = {
		.flags = VXE_VMA_CPU_ADDR_MIRROR,
		.attr = { .devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE },
	};
	int err;

	mutex_lock(&vm->lock);
	err = vxe_vm_bind_sm(vm, drm_gpuvm_sm_map_ops_create(&vm->gpuvm,
							     start, end - start,
							     NULL, 0),
			     &tmpl, false, NULL);
	mutex_unlock(&vm->lock);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_bind_mirror);

/**
 * vxe_vm_unbind_all() - remove every VMA of a VM
 * @vm: the VM
 *
 * BO bindings are zapped; SVM ranges are left to vxe_svm_close().
 *
 * Context: the VM lock.
 */
void vxe_vm_unbind_all(struct vxe_vm *vm)
{
	struct drm_gpuva *va, *next;

	lockdep_assert_held(&vm->lock);
	drm_gpuvm_for_each_va_safe(va, next, &vm->gpuvm)
		vxe_vma_destroy(vm, to_vxe_vma(va));
}

/*
 * Take the VM lock for an ioctl that changes the VM: 0 with the lock held;
 * -EINTR on a signal, -ENOENT for a closed VM (without the lock).
 */
static int vxe_vm_lock_ioctl(struct vxe_vm *vm)
{
	int err = mutex_lock_interruptible(&vm->lock);

	if (err)
		return err;
	if (VXE_IOCTL_DBG(vm->vxe, vm->closed)) {
		mutex_unlock(&vm->lock);
		return -ENOENT;
	}
	return 0;
}

/*
 * A bind refused as too big for a bind job: drop the VM lock while what it
 * waits for gets a moment to signal (vxe_bind_job_catch_up()), then take the lock
 * again.  Return: 0 with the VM lock held; an error without it.
 */
static int vxe_vm_bind_catch_up(struct vxe_vm *vm, struct vxe_exec_queue *q,
				const struct vxe_sync *syncs, u32 num_syncs)
{
	struct dma_fence *last = vxe_bind_job_last_fence(vm, q);
	int err;

	mutex_unlock(&vm->lock);
	err = vxe_bind_job_catch_up(syncs, num_syncs, last);
	dma_fence_put(last);
	return err ?: vxe_vm_lock_ioctl(vm);
}

/*
 * Xe's error injection (with CONFIG_DRM_XE_DEBUG, here with
 * CONFIG_DRM_VXE_DEBUG): bit 31 of a bind operation's flags makes the bind
 * fail with -ENOSPC once that operation is applied, so that userspace sees
 * the whole bind undone (IGT's xe_vm bind-array-conflict-error-inject).
 * Without the option the bit is refused like any unknown flag.
 */
#define VXE_VM_BIND_FORCE_OP_ERROR	BIT(31)
#if IS_ENABLED(CONFIG_DRM_VXE_DEBUG)
#define VXE_VM_BIND_DEBUG_FLAGS		VXE_VM_BIND_FORCE_OP_ERROR
#else
#define VXE_VM_BIND_DEBUG_FLAGS		0
#endif

#define VXE_VM_BIND_FLAGS	(DRM_XE_VM_BIND_FLAG_READONLY | \
				 DRM_XE_VM_BIND_FLAG_IMMEDIATE | \
				 DRM_XE_VM_BIND_FLAG_NULL | \
				 DRM_XE_VM_BIND_FLAG_DUMPABLE | \
				 DRM_XE_VM_BIND_FLAG_CHECK_PXP | \
				 DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR | \
				 VXE_VM_BIND_DEBUG_FLAGS)

/* Xe's argument checks of one bind operation, in Xe's order. */
static int vxe_vm_bind_op_check(struct vxe_vm *vm,
				struct drm_xe_vm_bind_op *b)
{
	struct vxe_device *vxe = vm->vxe;
	bool is_null = b->flags & DRM_XE_VM_BIND_FLAG_NULL;
	bool is_mirror = b->flags & DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR;
	u32 region = b->prefetch_mem_region_instance;
	u32 regions = vxe_mem_region_mask(vxe);

	if (VXE_IOCTL_DBG(vxe, is_mirror && !(vm->flags & VXE_VM_FAULT_MODE)) ||
	    VXE_IOCTL_DBG(vxe, b->pat_index >= VXE_PAT_ENTRIES))
		return -EINVAL;
	b->pat_index = array_index_nospec(b->pat_index, VXE_PAT_ENTRIES);
	if (VXE_IOCTL_DBG(vxe, vxe_pat_reserved(b->pat_index)))
		return -EINVAL;

	if (VXE_IOCTL_DBG(vxe, b->op > DRM_XE_VM_BIND_OP_PREFETCH) ||
	    VXE_IOCTL_DBG(vxe, b->flags & ~VXE_VM_BIND_FLAGS) ||
	    VXE_IOCTL_DBG(vxe, b->obj && (is_null || is_mirror)) ||
	    VXE_IOCTL_DBG(vxe, b->obj_offset && (is_null || is_mirror)) ||
	    VXE_IOCTL_DBG(vxe, b->op != DRM_XE_VM_BIND_OP_MAP && is_null) ||
	    VXE_IOCTL_DBG(vxe, !b->obj && b->op == DRM_XE_VM_BIND_OP_MAP &&
			  !is_null && !is_mirror) ||
	    VXE_IOCTL_DBG(vxe, !b->obj && b->op == DRM_XE_VM_BIND_OP_UNMAP_ALL) ||
	    VXE_IOCTL_DBG(vxe, b->addr && b->op == DRM_XE_VM_BIND_OP_UNMAP_ALL) ||
	    VXE_IOCTL_DBG(vxe, b->range && b->op == DRM_XE_VM_BIND_OP_UNMAP_ALL) ||
	    VXE_IOCTL_DBG(vxe, b->obj && b->op == DRM_XE_VM_BIND_OP_MAP_USERPTR) ||
	    VXE_IOCTL_DBG(vxe, vxe_pat_coh_none(b->pat_index) &&
			  b->op == DRM_XE_VM_BIND_OP_MAP_USERPTR) ||
	    VXE_IOCTL_DBG(vxe, b->obj && b->op == DRM_XE_VM_BIND_OP_PREFETCH) ||
	    VXE_IOCTL_DBG(vxe, region && b->op != DRM_XE_VM_BIND_OP_PREFETCH) ||
	    VXE_IOCTL_DBG(vxe, region != (u32)DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC &&
			  (region >= 32 || !(BIT(region) & regions))) ||
	    VXE_IOCTL_DBG(vxe, b->obj && b->op == DRM_XE_VM_BIND_OP_UNMAP))
		return -EINVAL;

	if (VXE_IOCTL_DBG(vxe, b->obj_offset & ~PAGE_MASK) ||
	    VXE_IOCTL_DBG(vxe, b->addr & ~PAGE_MASK) ||
	    VXE_IOCTL_DBG(vxe, b->range & ~PAGE_MASK) ||
	    VXE_IOCTL_DBG(vxe, !b->range && b->op != DRM_XE_VM_BIND_OP_UNMAP_ALL))
		return -EINVAL;
	return 0;
}

/* Carry out one checked bind operation, journalling it in @undo. */
static int vxe_vm_bind_one(struct vxe_vm *vm, struct drm_xe_vm_bind_op *b,
			   struct drm_gem_object *obj,
			   struct vxe_bind_undo *undo)
{
	struct vxe_map_tmpl tmpl = {
		.attr = {
			.devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE,
			.migration_policy = DRM_XE_MIGRATE_ALL_PAGES,
			.atomic = DRM_XE_ATOMIC_UNDEFINED,
			.pat_index = b->pat_index,
			.default_pat_index = b->pat_index,
		},
	};

	if (b->flags & DRM_XE_VM_BIND_FLAG_READONLY)
		tmpl.flags |= VXE_VMA_READ_ONLY;

	switch (b->op) {
	case DRM_XE_VM_BIND_OP_MAP_USERPTR:
		tmpl.flags |= VXE_VMA_USERPTR;
		return vxe_vm_bind_sm(vm, drm_gpuvm_sm_map_ops_create(&vm->gpuvm,
					b->addr, b->range, NULL, b->obj_offset),
				      &tmpl, false, undo);
	case DRM_XE_VM_BIND_OP_MAP:
		if (b->flags & DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR)
			tmpl.flags |= VXE_VMA_CPU_ADDR_MIRROR;
		if (b->flags & DRM_XE_VM_BIND_FLAG_NULL)
			tmpl.flags |= VXE_VMA_NULL;
		return vxe_vm_bind_sm(vm, drm_gpuvm_sm_map_ops_create(&vm->gpuvm,
					b->addr, b->range, obj, b->obj_offset),
				      &tmpl, false, undo);
	case DRM_XE_VM_BIND_OP_UNMAP:
		return vxe_vm_bind_sm(vm, drm_gpuvm_sm_unmap_ops_create(&vm->gpuvm,
					b->addr, b->range), &tmpl, false,
				      undo);
	case DRM_XE_VM_BIND_OP_UNMAP_ALL: {
		struct drm_gpuva_ops *ops = ERR_PTR(-ENOMEM);
		struct drm_gpuvm_bo *vm_bo;

		dma_resv_lock(obj->resv, NULL);
		vm_bo = drm_gpuvm_bo_find(&vm->gpuvm, obj);
		if (vm_bo) {
			ops = drm_gpuvm_bo_unmap_ops_create(vm_bo);
			drm_gpuvm_bo_put(vm_bo);
		}
		dma_resv_unlock(obj->resv);
		if (!vm_bo)
			return 0;
		return vxe_vm_bind_sm(vm, ops, &tmpl, false, undo);
	}
	case DRM_XE_VM_BIND_OP_PREFETCH:
		return vxe_vm_prefetch(vm, b->addr, b->range,
				       b->prefetch_mem_region_instance);
	}
	return -EINVAL;
}

/**
 * vxe_vm_bind_ops() - carry out checked bind operations, all or none
 * @vm: the VM
 * @binds: the operations, each checked by vxe_vm_bind_op_check()
 * @objs: their BOs, looked up and checked (NULL where none)
 * @n: number of operations
 *
 * The operations are applied in order; when one fails, those before it
 * (and what the failing one did) are undone, as Xe unwinds a bind array:
 * the VM's VMAs are as before the call, and bindings removed on the way
 * are bound again.  PREFETCH changes no VMA and is not undone (the pages
 * it migrated stay where they went).  With CONFIG_DRM_VXE_DEBUG, an
 * operation with %VXE_VM_BIND_FORCE_OP_ERROR fails with -ENOSPC once it
 * is applied, as Xe's injected errors do.
 *
 * Context: the VM lock; the binding process's mm is current->mm (a bind
 * job borrows it).  KUnit tests drive it directly.
 * Return: 0 or the negative errno of the operation that failed.
 */
int vxe_vm_bind_ops(struct vxe_vm *vm, struct drm_xe_vm_bind_op *binds,
		    struct drm_gem_object **objs, u32 n)
{
	struct vxe_bind_undo undo;
	int err = 0;
	u32 i;

	lockdep_assert_held(&vm->lock);
	vxe_bind_undo_init(&undo);
	for (i = 0; !err && i < n; i++) {
		err = vxe_vm_bind_one(vm, &binds[i], objs[i], &undo);
		if (!err && (binds[i].flags & VXE_VM_BIND_FORCE_OP_ERROR)) {
			drm_dbg(&vm->vxe->drm,
				"vxe: bind %u of %u: injected error\n", i, n);
			err = -ENOSPC;
		}
	}
	if (err)
		vxe_bind_undo_unwind(vm, &undo);
	else
		vxe_bind_undo_commit(vm, &undo);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_bind_ops);

/**
 * vxe_vm_bind_precheck() - refuse in the ioctl what Xe refuses there
 * @vm: the VM
 * @binds: the operations of a bind job, each checked by
 *	vxe_vm_bind_op_check()
 * @objs: their BOs, looked up and checked (NULL where none)
 * @n: number of operations
 *
 * Xe turns a bind into VMA operations in the ioctl, also when it becomes
 * a job: removing mirror pieces the GPU still maps fails there with
 * -EBUSY, a userptr without process memory behind it with -EFAULT (its
 * pages are collected there).  A vxe bind job changes the VMA tree when
 * it runs; this makes the same checks on the tree as it is when the job
 * is made, each operation on its own (an operation of the array that
 * would meet a mirror only after an earlier one changed the tree meets
 * it in the earlier one already).  The job checks again when it runs.
 *
 * Context: the VM lock, in the binding process.
 * Return: 0; -EBUSY; -EFAULT or -EPERM (vxe_userptr_check_mm()); -EINTR;
 * -ENOMEM.
 */
int vxe_vm_bind_precheck(struct vxe_vm *vm,
			 const struct drm_xe_vm_bind_op *binds,
			 struct drm_gem_object **objs, u32 n)
{
	struct drm_gpuva_ops *ops;
	u32 i;
	int err;

	lockdep_assert_held(&vm->lock);
	for (i = 0; i < n; i++) {
		const struct drm_xe_vm_bind_op *b = &binds[i];

		switch (b->op) {
		case DRM_XE_VM_BIND_OP_MAP_USERPTR:
			err = vxe_userptr_check_mm(b->obj_offset, b->range,
						   !(b->flags &
						     DRM_XE_VM_BIND_FLAG_READONLY));
			if (err)
				return err;
			fallthrough;
		case DRM_XE_VM_BIND_OP_MAP:
			ops = drm_gpuvm_sm_map_ops_create(&vm->gpuvm, b->addr,
							  b->range, objs[i],
							  b->obj_offset);
			break;
		case DRM_XE_VM_BIND_OP_UNMAP:
			ops = drm_gpuvm_sm_unmap_ops_create(&vm->gpuvm, b->addr,
							    b->range);
			break;
		default:
			continue;
		}
		if (IS_ERR(ops))
			return PTR_ERR(ops);
		err = vxe_vm_ops_check(vm, ops, false);
		drm_gpuva_ops_free(&vm->gpuvm, ops);
		if (err)
			return err;
	}
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_bind_precheck);

/**
 * vxe_vm_bind_op() - carry out one checked bind operation, all or nothing
 * @vm: the VM
 * @b: the operation, checked by vxe_vm_bind_op_check()
 * @obj: its BO, looked up and checked, or NULL
 *
 * vxe_vm_bind_ops() of one operation.
 *
 * Context: the VM lock (KUnit tests drive it directly).
 * Return: 0 or a negative errno.
 */
VISIBLE_IF_KUNIT int vxe_vm_bind_op(struct vxe_vm *vm,
				    struct drm_xe_vm_bind_op *b,
				    struct drm_gem_object *obj)
{
	return vxe_vm_bind_ops(vm, b, &obj, 1);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_bind_op);

/**
 * vxe_vm_bind_ioctl() - DRM_IOCTL_XE_VM_BIND
 * @dev: the DRM device
 * @data: the &struct drm_xe_vm_bind
 * @file: the DRM file owning the VM, the BOs and the syncobjs
 *
 * MAP (a BO, NULL, or a CPU-address mirror), MAP_USERPTR, UNMAP,
 * UNMAP_ALL and PREFETCH, one or an array, with Xe's argument checks and
 * errnos.  A bind with nothing to wait for is done when the ioctl returns,
 * its out-syncs signalled (a user fence written); one that must wait for
 * an in-fence, its queue or another bind job becomes a bind job (see
 * vxe_bind_job.c) and the ioctl returns at once.
 *
 * Return: 0; -EINVAL for a bad argument or VM id; -ENOENT for an unknown
 * exec queue or BO, or a closed VM; -EBUSY for removing mirror pieces the
 * GPU still maps; -EFAULT for a userptr without process memory behind it,
 * and for unreadable arrays; -ENOBUFS for a bind job too big for Xe's
 * batch (once what it waits for had its catch-up time); -ERESTARTSYS on a
 * signal during that time; -ENOMEM; -ENOSPC for an injected error
 * (CONFIG_DRM_VXE_DEBUG).  On failure no operation of the array remains.
 */
int vxe_vm_bind_ioctl(struct drm_device *dev, void *data,
		      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct vxe_file *vf = file->driver_priv;
	struct drm_xe_vm_bind *args = data;
	struct drm_xe_vm_bind_op *binds = &args->bind;
	struct drm_gem_object **objs = NULL;
	struct vxe_exec_queue *q = NULL;
	struct vxe_sync *syncs = NULL;
	bool queued = false;
	struct vxe_vm *vm;
	u32 i;
	int err;

	vm = vxe_file_vm_get(vf, args->vm_id);
	if (VXE_IOCTL_DBG(vxe, !vm))
		return -EINVAL;

	if (VXE_IOCTL_DBG(vxe, args->pad || args->pad2) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->num_syncs > DRM_XE_MAX_SYNCS)) {
		err = -EINVAL;
		goto put_vm;
	}

	if (args->num_binds > 1) {
		binds = kvmalloc_array(args->num_binds, sizeof(*binds),
				       GFP_KERNEL | __GFP_ACCOUNT);
		if (!binds) {
			err = -ENOBUFS;
			goto put_vm;
		}
		if (copy_from_user(binds, u64_to_user_ptr(args->vector_of_binds),
				   sizeof(*binds) * args->num_binds)) {
			err = -EFAULT;
			goto free_binds;
		}
	}
	for (i = 0; i < args->num_binds; i++) {
		err = vxe_vm_bind_op_check(vm, &binds[i]);
		if (err)
			goto free_binds;
	}

	if (args->exec_queue_id) {
		q = vxe_exec_queue_lookup(vf, args->exec_queue_id);
		if (VXE_IOCTL_DBG(vxe, !q)) {
			err = -ENOENT;
			goto free_binds;
		}
		if (VXE_IOCTL_DBG(vxe, !vxe_exec_queue_is_vm_bind(q))) {
			err = -EINVAL;
			goto put_queue;
		}
	}

	err = vxe_vm_lock_ioctl(vm);
	if (err)
		goto put_queue;
	for (i = 0; i < args->num_binds; i++) {
		if (VXE_IOCTL_DBG(vxe, binds[i].range > vm->gpuvm.mm_range) ||
		    VXE_IOCTL_DBG(vxe, binds[i].addr >
				  vm->gpuvm.mm_range - binds[i].range)) {
			err = -EINVAL;
			goto unlock;
		}
	}

	objs = kvcalloc(args->num_binds ?: 1, sizeof(*objs), GFP_KERNEL);
	if (!objs) {
		err = -ENOMEM;
		goto unlock;
	}
	for (i = 0; i < args->num_binds; i++) {
		struct vxe_bo *bo;

		if (!binds[i].obj)
			continue;
		objs[i] = drm_gem_object_lookup(file, binds[i].obj);
		if (VXE_IOCTL_DBG(vxe, !objs[i])) {
			err = -ENOENT;
			goto unlock;
		}
		bo = gem_to_vxe_bo(objs[i]);
		if (VXE_IOCTL_DBG(vxe, binds[i].range > bo->ttm.base.size) ||
		    VXE_IOCTL_DBG(vxe, binds[i].obj_offset >
				  bo->ttm.base.size - binds[i].range) ||
		    VXE_IOCTL_DBG(vxe, bo->vm && bo->vm != vm)) {
			err = -EINVAL;
			goto unlock;
		}
		/*
		 * A WB BO may be in the CPU's caches, as may an object of
		 * another device (no caching known): both need a coherent
		 * PAT index, as in Xe.
		 */
		if (VXE_IOCTL_DBG(vxe, vxe_pat_coh_none(binds[i].pat_index) &&
				  bo->cpu_caching != DRM_XE_GEM_CPU_CACHING_WC)) {
			err = -EINVAL;
			goto unlock;
		}
	}

	err = vxe_sync_parse_array(vxe, file, args->syncs, args->num_syncs,
				   (vm->flags & VXE_VM_LR_MODE ?
				    VXE_SYNC_PARSE_LR_MODE : 0) |
				   (!args->num_binds ?
				    VXE_SYNC_PARSE_NO_UFENCE : 0), &syncs);
	if (!err)
		err = vxe_bind_job_submit(vm, q, binds, &objs, args->num_binds,
					  &syncs, args->num_syncs, &queued);
	if (err == -ENOBUFS) {
		/* Too big for a job: once more after the catch-up time */
		err = vxe_vm_bind_catch_up(vm, q, syncs, args->num_syncs);
		if (err)
			goto cleanup;
		err = vxe_bind_job_submit(vm, q, binds, &objs, args->num_binds,
					  &syncs, args->num_syncs, &queued);
	}
	if (!err && !queued)
		err = vxe_vm_bind_ops(vm, binds, objs, args->num_binds);
unlock:
	mutex_unlock(&vm->lock);
cleanup:
	/* Done at once: out-syncs now, outside the VM lock */
	if (!err && !queued) {
		struct dma_fence *done = dma_fence_get_stub();

		vxe_sync_signal(syncs, args->num_syncs, done);
		dma_fence_put(done);
		vxe_sync_write_ufences(vxe, syncs, args->num_syncs);
	}
	if (syncs) {
		vxe_sync_cleanup(syncs, args->num_syncs);
		kfree(syncs);
	}
	for (i = 0; objs && i < args->num_binds; i++)
		if (objs[i])
			drm_gem_object_put(objs[i]);
	kvfree(objs);
put_queue:
	if (q)
		vxe_exec_queue_put(q);
free_binds:
	if (args->num_binds > 1)
		kvfree(binds);
put_vm:
	vxe_vm_put(vm);
	return err;
}

/*
 * Split the VMAs that cross start or end, so [start, end) is made of
 * whole VMAs; each piece keeps its VMA's flags and attributes.  SVM ranges
 * in the affected part of a mirror are removed (they are made again, with
 * the new attributes, on the next fault), as Xe's MADVISE does.
 */
static int vxe_vm_madvise_split(struct vxe_vm *vm, u64 start, u64 end)
{
	struct drm_gpuva_ops *ops;
	struct drm_gpuva *va;
	u64 addr = start;

	while (addr < end) {
		struct vxe_map_tmpl tmpl;
		struct vxe_vma *vma;
		u64 s, e;
		int err;

		va = drm_gpuva_find_first(&vm->gpuvm, addr, end - addr);
		if (!va)
			break;
		vma = to_vxe_vma(va);
		s = max(start, vma_start(vma));
		e = min(end, vma_end(vma));
		addr = vma_end(vma);
		if (s == vma_start(vma) && e == vma_end(vma))
			continue;

		tmpl.flags = vma->gpuva.flags;
		tmpl.attr = vma->attr;
		ops = drm_gpuvm_sm_map_ops_create(&vm->gpuvm, s, e - s,
						  va->gem.obj, va->gem.offset +
						  (s - vma_start(vma)));
		err = vxe_vm_bind_sm(vm, ops, &tmpl, true, NULL);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Set one attribute; true when it changed (the mappings must go).  A
 * preferred location on a device's VRAM is @dpagemap, referenced by the
 * VMA from here on.
 */
static bool vxe_vma_madvise(struct vxe_vma *vma,
			    const struct drm_xe_madvise *args,
			    struct drm_pagemap *dpagemap)
{
	struct vxe_vma_attr old = vma->attr;

	switch (args->type) {
	case DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC:
		/* Only mirrors have a preferred location (as in Xe). */
		if (!vxe_vma_is_mirror(vma))
			return false;
		vma->attr.devmem_fd = args->preferred_mem_loc.devmem_fd;
		vma->attr.migration_policy =
			args->preferred_mem_loc.migration_policy;
		if (dpagemap)
			drm_pagemap_get(dpagemap);
		vma->attr.dpagemap = dpagemap;
		drm_pagemap_put(old.dpagemap);
		break;
	case DRM_XE_MEM_RANGE_ATTR_ATOMIC:
		vma->attr.atomic = args->atomic.val;
		break;
	case DRM_XE_MEM_RANGE_ATTR_PAT:
		vma->attr.pat_index = args->pat_index.val;
		break;
	}
	return memcmp(&old, &vma->attr, sizeof(old));
}

static bool vxe_madvise_args_ok(struct vxe_device *vxe,
				const struct drm_xe_madvise *args)
{
	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, !IS_ALIGNED(args->start, SZ_4K)) ||
	    VXE_IOCTL_DBG(vxe, !IS_ALIGNED(args->range, SZ_4K)) ||
	    VXE_IOCTL_DBG(vxe, args->range < SZ_4K) ||
	    VXE_IOCTL_DBG(vxe, args->start + args->range < args->start))
		return false;

	switch (args->type) {
	case DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC:
		if (VXE_IOCTL_DBG(vxe, (s32)args->preferred_mem_loc.devmem_fd <
				  DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM) ||
		    VXE_IOCTL_DBG(vxe, args->preferred_mem_loc.migration_policy >
				  DRM_XE_MIGRATE_ONLY_SYSTEM_PAGES) ||
		    VXE_IOCTL_DBG(vxe, (s32)args->preferred_mem_loc.devmem_fd <=
				  DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE &&
				  args->preferred_mem_loc.region_instance) ||
		    VXE_IOCTL_DBG(vxe, args->preferred_mem_loc.reserved))
			return false;
		break;
	case DRM_XE_MEM_RANGE_ATTR_ATOMIC:
		if (VXE_IOCTL_DBG(vxe, args->atomic.val > DRM_XE_ATOMIC_CPU) ||
		    VXE_IOCTL_DBG(vxe, args->atomic.pad) ||
		    VXE_IOCTL_DBG(vxe, args->atomic.reserved))
			return false;
		break;
	case DRM_XE_MEM_RANGE_ATTR_PAT:
		if (VXE_IOCTL_DBG(vxe, args->pat_index.val >= VXE_PAT_ENTRIES) ||
		    VXE_IOCTL_DBG(vxe, vxe_pat_reserved(args->pat_index.val)) ||
		    VXE_IOCTL_DBG(vxe, args->pat_index.pad) ||
		    VXE_IOCTL_DBG(vxe, args->pat_index.reserved))
			return false;
		break;
	default:
		drm_dbg(&vxe->drm, "ioctl argument check failed: madvise type %u\n",
			args->type);
		return false;
	}
	return !VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]);
}

/*
 * The pagemap a preferred location names by a device's file descriptor, as
 * Xe's xe_madvise_details_init(): NULL for the default locations (and other
 * attributes), the VRAM of the device otherwise, which must be on the VM's
 * interconnect (-ENOLINK).
 */
static struct drm_pagemap *vxe_madvise_pagemap(struct vxe_vm *vm,
					       const struct drm_xe_madvise *args)
{
	struct vxe_device *vxe = vm->vxe;
	struct drm_pagemap *dpagemap;

	if (args->type != DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC ||
	    (s32)args->preferred_mem_loc.devmem_fd <= 0)
		return NULL;
	dpagemap = vxe_pagemap_from_fd(args->preferred_mem_loc.devmem_fd,
				       args->preferred_mem_loc.region_instance);
	if (VXE_IOCTL_DBG(vxe, IS_ERR(dpagemap)))
		return dpagemap;
	/* No placement on a device this VM cannot reach directly */
	if (VXE_IOCTL_DBG(vxe, dpagemap->pagemap->owner != vxe_svm_owner(vm))) {
		drm_pagemap_put(dpagemap);
		return ERR_PTR(-ENOLINK);
	}
	return dpagemap;
}

/**
 * vxe_vm_madvise_ioctl() - DRM_IOCTL_XE_MADVISE
 * @dev: the DRM device
 * @data: the &struct drm_xe_madvise
 * @file: the DRM file owning the VM
 *
 * Sets the preferred location (mirrors only), the atomic policy or the
 * PAT index of [start, start + range), as Xe does: VMAs crossing its ends
 * are split first, then every VMA in it gets the attribute, and the GPU
 * mappings of those whose attribute changed are zapped (SVM ranges keep
 * their pages; BO bindings are bound again on the next fault).  Ranges
 * with no VMA are left alone.  A preferred location on a device's VRAM is
 * named by a file descriptor of that device (this one or a peer) and its
 * VRAM region instance, as Xe's xe_madvise_details_init(): the device must
 * share this VM's interconnect group, or the placement is refused with
 * -ENOLINK (a peer's VRAM is not reachable without a fast interconnect).
 *
 * Return: 0; -EINVAL for a bad argument or VM id; -ENOENT for a closed
 * VM, or a preferred location's file that is not a vxe device's or region
 * that is not its VRAM; -ENODEV for a preferred device that is gone;
 * -ENOLINK for one not on the VM's interconnect; -ENOMEM; -EINTR.
 */
int vxe_vm_madvise_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_madvise *args = data;
	u64 start = args->start, end = args->start + args->range;
	struct drm_pagemap *dpagemap = NULL;
	struct drm_gpuva *va;
	struct vxe_vm *vm;
	int err;

	vm = vxe_file_vm_get(file->driver_priv, args->vm_id);
	if (VXE_IOCTL_DBG(vxe, !vm))
		return -EINVAL;
	if (!vxe_madvise_args_ok(vxe, args)) {
		err = -EINVAL;
		goto put_vm;
	}
	dpagemap = vxe_madvise_pagemap(vm, args);
	if (IS_ERR(dpagemap)) {
		err = PTR_ERR(dpagemap);
		dpagemap = NULL;
		goto put_vm;
	}

	err = vxe_vm_lock_ioctl(vm);
	if (err)
		goto put_vm;
	if (vm->flags & VXE_VM_FAULT_MODE)
		vxe_svm_garbage_collector(vm);

	err = vxe_vm_madvise_split(vm, start, end);
	if (err)
		goto unlock;

	drm_gpuvm_for_each_va_range(va, &vm->gpuvm, start, end) {
		struct vxe_vma *vma = to_vxe_vma(va);

		if (!vxe_vma_madvise(vma, args, dpagemap))
			continue;
		if (vxe_vma_is_mirror(vma))
			vxe_svm_zap_range(vm, vma_start(vma), vma_end(vma));
		else
			vxe_vma_zap(vm, vma, vma_start(vma), vma_end(vma));
	}
unlock:
	mutex_unlock(&vm->lock);
put_vm:
	drm_pagemap_put(dpagemap);
	vxe_vm_put(vm);
	return err;
}

/**
 * vxe_vm_query_mem_range_attrs_ioctl() - DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS
 * @dev: the DRM device
 * @data: the &struct drm_xe_vm_query_mem_range_attr
 * @file: the DRM file owning the VM
 *
 * As Xe: called with no array (num_mem_ranges 0, no vector, size 0) it
 * says how many VMAs [start, start + range) holds and the size of one
 * entry; called with an array of that many entries of that size, it
 * fills them (start, end, preferred location, atomic policy, PAT index
 * of each VMA, in address order).
 *
 * Return: 0; -EINVAL for an inconsistent count, vector and size, or a bad
 * VM id; -ENOSPC when the array is too small; -EFAULT; -ENOMEM.
 */
int vxe_vm_query_mem_range_attrs_ioctl(struct drm_device *dev, void *data,
				       struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_vm_query_mem_range_attr *args = data;
	u64 start = args->start, end = args->start + args->range;
	struct drm_xe_mem_range_attr *attrs;
	struct drm_gpuva *va;
	struct vxe_vm *vm;
	u32 n = 0;
	int err;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, end < start) ||
	    VXE_IOCTL_DBG(vxe, !args->num_mem_ranges &&
			  (args->vector_of_mem_attr || args->sizeof_mem_range_attr)) ||
	    VXE_IOCTL_DBG(vxe, args->num_mem_ranges &&
			  (!args->vector_of_mem_attr ||
			   args->sizeof_mem_range_attr != sizeof(*attrs))))
		return -EINVAL;

	vm = vxe_file_vm_get(file->driver_priv, args->vm_id);
	if (VXE_IOCTL_DBG(vxe, !vm))
		return -EINVAL;
	err = mutex_lock_interruptible(&vm->lock);
	if (err)
		goto put_vm;

	if (!args->num_mem_ranges) {
		drm_gpuvm_for_each_va_range(va, &vm->gpuvm, start, end)
			n++;
		args->num_mem_ranges = n;
		args->sizeof_mem_range_attr = sizeof(*attrs);
		goto unlock;
	}

	attrs = kvcalloc(args->num_mem_ranges, sizeof(*attrs), GFP_KERNEL);
	if (!attrs) {
		err = args->num_mem_ranges > 1 ? -ENOBUFS : -ENOMEM;
		goto unlock;
	}
	drm_gpuvm_for_each_va_range(va, &vm->gpuvm, start, end) {
		struct vxe_vma *vma = to_vxe_vma(va);

		if (n == args->num_mem_ranges) {
			err = -ENOSPC;
			break;
		}
		attrs[n].start = vma_start(vma);
		attrs[n].end = vma_end(vma);
		attrs[n].preferred_mem_loc.devmem_fd = vma->attr.devmem_fd;
		attrs[n].preferred_mem_loc.migration_policy =
			vma->attr.migration_policy;
		attrs[n].atomic.val = vma->attr.atomic;
		attrs[n].pat_index.val = vma->attr.pat_index;
		n++;
	}
	if (!err) {
		args->num_mem_ranges = n;
		if (copy_to_user(u64_to_user_ptr(args->vector_of_mem_attr), attrs,
				 sizeof(*attrs) * n))
			err = -EFAULT;
	}
	kvfree(attrs);
unlock:
	mutex_unlock(&vm->lock);
put_vm:
	vxe_vm_put(vm);
	return err;
}
