// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-resv.h>
#include <linux/mmu_notifier.h>
#include <linux/slab.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_vm.h"

/**
 * DOC: vxe userptr
 *
 * A userptr VMA (VM_BIND %DRM_XE_VM_BIND_OP_MAP_USERPTR) maps process
 * memory at a GPU address of the caller's choosing: [addr, addr + range)
 * of the GPU shows [obj_offset, obj_offset + range) of the binding
 * process.  As in Xe, the VMA keeps &drm_gpuva.gem.offset at the CPU
 * address, has an MMU interval notifier over that CPU range, and its pages
 * are a &struct drm_gpusvm_pages of the VM's drm_gpusvm (one without mm in
 * the VM modes without SVM): drm_gpusvm_get_pages() collects and maps
 * them, in every VM mode.
 *
 * - MAP_USERPTR collects the pages before the bind changes anything: an
 *   address without memory behind it fails the bind with -EFAULT.  The
 *   page-table entries are written by the bind, if no invalidation came in
 *   between (otherwise on the GPU's first access).
 * - The invalidation callback zaps the entries, invalidates the TLB and
 *   unmaps the pages.  In a VM with dma-fence jobs (neither LR nor fault
 *   mode) it first waits, as Xe's does, for the jobs already submitted
 *   (their fences are in the VM's reservation object), so that they finish
 *   with the pages they were given (for at most Xe's job time-out of 5 s,
 *   after which a job that still runs loses the mapping and fails on its
 *   next access, as one Xe times out), and puts the userptr on the VM's list
 *   of invalidated userptrs, which the next EXEC binds again before its job
 *   is queued (vxe_vm_exec_lock()).  A GPU access to an unbound
 *   userptr of such a VM is a fault that fails the job, as on Xe, where
 *   these VMs have no recoverable page faults.
 * - In LR and fault mode, jobs are not waited for: the next GPU access
 *   faults, and vxe's fault handler collects the pages again and binds them
 *   (Xe's rebind worker or page-fault handler does).
 * - Memory that is gone when the pages are collected again leaves the
 *   userptr unbound; the job touching it fails.
 * - A piece of a userptr VMA that a partial unbind leaves (drm_gpuvm
 *   REMAP) gets a notifier of its own and is bound again on first use.
 * - As in Xe, a fault-mode VM maps pages of its device's VRAM where they
 *   are (the VM's device-private page owner; system and VRAM pages mixed);
 *   in the other modes, and for another device's memory, hmm_range_fault()
 *   migrates them back to system memory first.
 *
 * Locking: the VM lock around collecting and binding; the notifier lock of
 * the VM's drm_gpusvm (the userptr notifier lock: taken for writing in the
 * invalidation callbacks, so nothing allocates under it) around the pages'
 * state, writing and zapping the entries, &vxe_vma.bound of userptr VMAs,
 * the list of invalidated userptrs (changed under the lock held for
 * writing), and, held for reading, from an EXEC's check that no userptr
 * waits to be bound again until its job's fence is in the VM's reservation
 * object: an invalidation either waits for the job or is seen.
 */

/*
 * How long an invalidation waits for the jobs of a dma-fence VM: Xe's job
 * timeout.  A job still running then (stuck, or itself waiting for the VM)
 * loses the mapping and fails on its next access, as a job Xe times out.
 */
#define VXE_USERPTR_JOB_TIMEOUT	(5 * HZ)

/* Attempts to collect valid pages before a bind or a fault gives up. */
#define VXE_USERPTR_TRIES	16

/**
 * struct vxe_userptr - the process memory behind a userptr VMA
 * @notifier: MMU interval notifier over the CPU range, in the binding
 *	process's mm
 * @pages: the pages, mapped for the device (the notifier lock of the VM's
 *	drm_gpusvm)
 * @vm: the VM of the VMA
 * @vma: the VMA
 * @start: first CPU address
 * @npages: number of pages
 * @inval_link: in &vxe_vm.userptr_invalidated (dma-fence VMs), while
 *	waiting for an EXEC to bind it again (the notifier lock)
 * @read_only: the VMA is read-only: pages are collected without write
 *	access and mapped to the device only
 */
struct vxe_userptr {
	struct mmu_interval_notifier notifier;
	struct drm_gpusvm_pages pages;
	struct vxe_vm *vm;
	struct vxe_vma *vma;
	unsigned long start;
	unsigned long npages;
	struct list_head inval_link;
	bool read_only;
};

static struct drm_gpusvm *vxe_userptr_gpusvm(struct vxe_vm *vm)
{
	return &vm->svm.gpusvm;
}

/*
 * A userptr of a dma-fence VM left unbound (invalidated, a lazy piece, a
 * zap, a failed bind): the next EXEC binds it.  Context: the notifier lock
 * held for writing.
 */
static void vxe_userptr_needs_exec_bind(struct vxe_vm *vm,
					struct vxe_userptr *u)
{
	lockdep_assert_held_write(&vxe_userptr_gpusvm(vm)->notifier_lock);
	if (!(vm->flags & VXE_VM_LR_MODE) && list_empty(&u->inval_link))
		list_add_tail(&u->inval_link, &vm->userptr_invalidated);
}

/* Zap the entries of @vma, if it has any.  Context: the notifier lock. */
static void vxe_userptr_zap(struct vxe_vm *vm, struct vxe_vma *vma)
{
	lockdep_assert_held(&vxe_userptr_gpusvm(vm)->notifier_lock);
	vxe_vma_zap_range(vm, vma, vma_start(vma), vma_end(vma));
}

static bool vxe_userptr_invalidate(struct mmu_interval_notifier *mni,
				   const struct mmu_notifier_range *range,
				   unsigned long cur_seq)
{
	struct vxe_userptr *u = container_of(mni, struct vxe_userptr,
					     notifier);
	struct vxe_vm *vm = u->vm;
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);
	const struct drm_gpusvm_ctx ctx = { .in_notifier = true };

	/* The lock sleeps: as Xe, refuse non-blocking invalidations. */
	if (!mmu_notifier_range_blockable(range))
		return false;

	down_write(&gpusvm->notifier_lock);
	mmu_interval_set_seq(mni, cur_seq);
	atomic_inc(&vm->stats.invalidations);
	if (!(vm->flags & VXE_VM_LR_MODE)) {
		/* Submitted jobs finish with these pages; EXEC binds anew. */
		if (dma_resv_wait_timeout(vxe_vm_resv(vm),
					  DMA_RESV_USAGE_BOOKKEEP, false,
					  VXE_USERPTR_JOB_TIMEOUT) <= 0)
			drm_dbg(&vm->vxe->drm,
				"vxe: userptr [%#lx, +%#lx) invalidated under a running job\n",
				u->start, u->npages << PAGE_SHIFT);
		vxe_userptr_needs_exec_bind(vm, u);
	}
	vxe_userptr_zap(vm, u->vma);
	drm_gpusvm_unmap_pages(gpusvm, &u->pages, u->npages, &ctx);
	up_write(&gpusvm->notifier_lock);
	return true;
}

static const struct mmu_interval_notifier_ops vxe_userptr_notifier_ops = {
	.invalidate = vxe_userptr_invalidate,
};

/*
 * Collect the pages of @u and map them for the device; pages already
 * valid are kept.  Context: the VM lock; takes the mmap lock and the
 * notifier lock.
 */
static int vxe_userptr_get_pages(struct vxe_userptr *u)
{
	const struct drm_gpusvm_ctx ctx = {
		.read_only = u->read_only,
		.device_private_page_owner = vxe_svm_owner(u->vm),
		.allow_mixed = true,
	};

	return drm_gpusvm_get_pages(vxe_userptr_gpusvm(u->vm), &u->pages,
				    u->notifier.mm, &u->notifier, u->start,
				    u->start + (u->npages << PAGE_SHIFT), &ctx);
}

/*
 * Write the entries of @vma if its pages are still valid: 0, or -EAGAIN
 * when an invalidation took them.  Context: the VM lock; tables prepared.
 */
static int vxe_userptr_commit(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);
	struct vxe_userptr *u = vma->userptr;
	u32 flags = u->read_only ? VXE_PT_READ_ONLY : 0;
	int err = -EAGAIN;

	drm_gpusvm_notifier_lock(gpusvm);
	if (drm_gpusvm_pages_valid(gpusvm, &u->pages)) {
		err = vxe_pt_commit(&vm->pt, vma_start(vma), u->pages.dma_addr,
				    u->npages, flags);
		/* Replaced entries may be cached; drop them (all on error) */
		vma->bound = true;
		if (err)
			vxe_userptr_zap(vm, vma);
		else
			vxe_vm_tlb_invalidate(vm, vma_start(vma),
					      vma_end(vma));
	}
	drm_gpusvm_notifier_unlock(gpusvm);
	return err;
}

/**
 * vxe_userptr_check_mm() - would hmm_range_fault() find memory for a
 *	userptr?
 * @uaddr: first CPU address, page aligned
 * @size: size in bytes, page aligned
 * @write: the GPU may write (the VMA is not read-only)
 *
 * The refusals of hmm_range_fault() that depend on the process's mappings
 * alone, without faulting anything in: a bind job checks its userptrs in
 * the ioctl, as Xe collects their pages there, and collects them when it
 * runs.
 *
 * Context: process context of the binding process; takes its mmap lock
 * (after the VM lock, as hmm_range_fault() does).
 * Return: 0; -EFAULT where no mapping, an I/O or PFN mapping, or one
 * without read access covers the range; -EPERM for one without write
 * access when @write; -EINTR on a fatal signal.
 */
int vxe_userptr_check_mm(u64 uaddr, u64 size, bool write)
{
	struct mm_struct *mm = current->mm;
	u64 addr = uaddr, end = uaddr + size;
	int err = 0;

	if (!mm)
		return -EFAULT;
	if (mmap_read_lock_killable(mm))
		return -EINTR;
	while (addr < end) {
		struct vm_area_struct *vma = vma_lookup(mm, addr);

		if (!vma || (vma->vm_flags & (VM_IO | VM_PFNMAP)) ||
		    !(vma->vm_flags & VM_READ)) {
			err = -EFAULT;
			break;
		}
		if (write && !(vma->vm_flags & VM_WRITE)) {
			err = -EPERM;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return err;
}

/**
 * vxe_userptr_create() - set up the process memory of a new userptr VMA
 * @vm: the VM
 * @vma: the VMA, not in the VM's tree yet, with %VXE_VMA_USERPTR
 * @uaddr: first CPU address, page aligned
 * @size: size in bytes, page aligned
 * @populate: collect the pages now (MAP_USERPTR; a REMAP piece waits for
 *	its first use)
 *
 * Inserts the notifier in the calling process's mm.  Undo with
 * vxe_userptr_destroy().
 *
 * Context: the VM lock; process context of the binding process.
 * Return: 0; -EFAULT when there is no process memory at [@uaddr, @uaddr +
 * @size) (or it cannot be written and @vma is writable); -ENOMEM;
 * -EBUSY when invalidations kept taking the pages.
 */
int vxe_userptr_create(struct vxe_vm *vm, struct vxe_vma *vma, u64 uaddr,
		       u64 size, bool populate)
{
	struct vxe_userptr *u;
	int err;

	lockdep_assert_held(&vm->lock);
	if (!current->mm)
		return -EFAULT;
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	u->vm = vm;
	u->vma = vma;
	INIT_LIST_HEAD(&u->inval_link);
	u->start = uaddr;
	u->npages = size >> PAGE_SHIFT;
	u->read_only = vma->gpuva.flags & VXE_VMA_READ_ONLY;
	drm_gpusvm_init_pages(&u->pages, &vm->vxe->drm);

	err = mmu_interval_notifier_insert(&u->notifier, current->mm, uaddr,
					   size, &vxe_userptr_notifier_ops);
	if (err) {
		kfree(u);
		return err;
	}
	vma->userptr = u;
	atomic_inc(&vm->vxe->nr_userptrs);

	if (!populate) {
		down_write(&vxe_userptr_gpusvm(vm)->notifier_lock);
		vxe_userptr_needs_exec_bind(vm, u);
		up_write(&vxe_userptr_gpusvm(vm)->notifier_lock);
		return 0;
	}
	err = vxe_userptr_get_pages(u);
	if (err) {
		vxe_userptr_destroy(vm, vma);
		drm_dbg(&vm->vxe->drm,
			"vxe: userptr [%#llx, %#llx) not bound: %d\n", uaddr,
			uaddr + size, err);
	}
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_userptr_create);

/**
 * vxe_userptr_destroy() - release the process memory of a userptr VMA
 * @vm: the VM
 * @vma: the VMA
 *
 * Zaps its entries, removes the notifier (waiting for a running
 * invalidation) and unmaps the pages.
 *
 * Context: may sleep; not under the notifier lock.
 */
void vxe_userptr_destroy(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);
	struct vxe_userptr *u = vma->userptr;

	if (!u)
		return;
	down_write(&gpusvm->notifier_lock);
	vxe_userptr_zap(vm, vma);
	up_write(&gpusvm->notifier_lock);

	mmu_interval_notifier_remove(&u->notifier);

	down_write(&gpusvm->notifier_lock);
	list_del_init(&u->inval_link);
	up_write(&gpusvm->notifier_lock);
	drm_gpusvm_free_pages(gpusvm, &u->pages, u->npages);
	vma->userptr = NULL;
	atomic_dec(&vm->vxe->nr_userptrs);
	kfree(u);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_userptr_destroy);

/**
 * vxe_userptr_zap_vma() - zap the entries of a userptr VMA
 * @vm: the VM
 * @vma: the VMA
 *
 * Its pages stay collected; the next GPU access (the next EXEC in a
 * dma-fence VM) binds them again.
 */
void vxe_userptr_zap_vma(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);

	down_write(&gpusvm->notifier_lock);
	vxe_userptr_zap(vm, vma);
	vxe_userptr_needs_exec_bind(vm, vma->userptr);
	up_write(&gpusvm->notifier_lock);
}

/**
 * vxe_userptr_bind() - collect the pages of a userptr VMA and bind them
 * @vm: the VM
 * @vma: a userptr VMA of @vm
 *
 * What a GPU fault on a userptr VMA, and PREFETCH of one, do.  Valid pages
 * are not collected again.
 *
 * Context: the VM lock; may sleep.
 * Return: 0 once bound; -EFAULT when the process memory is gone; -ENOMEM;
 * -EAGAIN when invalidations kept coming.
 */
int vxe_userptr_bind(struct vxe_vm *vm, struct vxe_vma *vma)
{
	int err, tries = 0;

	lockdep_assert_held(&vm->lock);
	if (WARN_ON(!vma->userptr))
		return -EINVAL;
	err = vxe_pt_prepare(&vm->pt, vma_start(vma), vma_end(vma));
	if (err)
		return err;
	do {
		err = vxe_userptr_get_pages(vma->userptr);
		if (!err)
			err = vxe_userptr_commit(vm, vma);
	} while (err == -EAGAIN && ++tries < VXE_USERPTR_TRIES);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_userptr_bind);

/**
 * vxe_userptr_bind_collected() - bind a new userptr VMA's collected pages
 * @vm: the VM
 * @vma: a userptr VMA just inserted in the VM's tree
 *
 * The second half of MAP_USERPTR: write the entries of the pages that
 * vxe_userptr_create() collected.  If an invalidation took them since,
 * the VMA stays unbound until the GPU touches it (until the next EXEC in a
 * dma-fence VM).
 *
 * Context: the VM lock.
 * Return: 0, or an error of preparing the page tables.
 */
int vxe_userptr_bind_collected(struct vxe_vm *vm, struct vxe_vma *vma)
{
	int err;

	err = vxe_pt_prepare(&vm->pt, vma_start(vma), vma_end(vma));
	if (!err)
		err = vxe_userptr_commit(vm, vma);
	if (err) {
		down_write(&vxe_userptr_gpusvm(vm)->notifier_lock);
		vxe_userptr_needs_exec_bind(vm, vma->userptr);
		up_write(&vxe_userptr_gpusvm(vm)->notifier_lock);
	}
	return err == -EAGAIN ? 0 : err;
}

/**
 * vxe_userptr_repin() - bind the invalidated userptrs of a dma-fence VM
 *	again, for an EXEC
 * @vm: the VM
 *
 * A userptr whose memory is gone stays unbound (the job faults, as on Xe).
 *
 * Context: process context; takes the VM lock.
 * Return: 0; -EINTR on a signal; an error of collecting or binding the
 * pages (that userptr stays on the list).
 */
int vxe_userptr_repin(struct vxe_vm *vm)
{
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);
	struct vxe_userptr *u;
	int err;

	err = mutex_lock_interruptible(&vm->lock);
	if (err)
		return err;
	for (;;) {
		down_write(&gpusvm->notifier_lock);
		u = list_first_entry_or_null(&vm->userptr_invalidated,
					     struct vxe_userptr, inval_link);
		if (u)
			list_del_init(&u->inval_link);
		up_write(&gpusvm->notifier_lock);
		if (!u)
			break;
		err = vxe_userptr_bind(vm, u->vma);
		/* Memory gone: left unbound, the job faults (as on Xe). */
		if (err == -EFAULT)
			err = 0;
		if (err) {
			down_write(&gpusvm->notifier_lock);
			if (list_empty(&u->inval_link))
				list_add(&u->inval_link,
					 &vm->userptr_invalidated);
			up_write(&gpusvm->notifier_lock);
			break;
		}
	}
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * vxe_userptr_exec_check() - the last step of vxe_vm_exec_lock()
 * @vm: the VM, with its reservation object locked
 *
 * Takes the notifier lock of the VM's drm_gpusvm for reading and checks
 * that no userptr was invalidated since vxe_userptr_repin(): an
 * invalidation from now on waits for the job's fence, which the caller
 * adds before it drops the lock (vxe_userptr_exec_unlock()).
 *
 * Return: true with the lock held; false (not held) when a userptr waits
 * to be bound again.
 */
bool vxe_userptr_exec_check(struct vxe_vm *vm)
{
	struct drm_gpusvm *gpusvm = vxe_userptr_gpusvm(vm);

	dma_resv_assert_held(vxe_vm_resv(vm));
	drm_gpusvm_notifier_lock(gpusvm);
	if (list_empty(&vm->userptr_invalidated))
		return true;
	drm_gpusvm_notifier_unlock(gpusvm);
	return false;
}

/**
 * vxe_userptr_exec_unlock() - drop what vxe_userptr_exec_check() took
 * @vm: the VM
 */
void vxe_userptr_exec_unlock(struct vxe_vm *vm)
{
	drm_gpusvm_notifier_unlock(vxe_userptr_gpusvm(vm));
}
