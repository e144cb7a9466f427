// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-mapping.h>
#include <linux/dma-resv.h>
#include <linux/hmm.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <drm/drm_pagemap.h>
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
 * address, has an MMU interval notifier over that CPU range, collects its
 * pages with hmm_range_fault() and maps them for DMA, in every VM mode.
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
 * - Pages of another device's memory (and of vxe's own VRAM) are migrated
 *   back to system memory by hmm_range_fault(): userptr pages are always
 *   system pages.
 *
 * Locking: the VM lock around collecting and binding; &vxe_vm.userptr_lock
 * (taken in the invalidation callback, so nothing allocates under it)
 * around publishing pages, writing and zapping the entries,
 * &vxe_vma.bound of userptr VMAs, the list of invalidated userptrs, and
 * adding a job's fence to the VM's reservation object.  An EXEC holds it
 * from the check that no userptr waits to be bound again until its fence
 * is in place, so an invalidation either waits for the job or is seen.
 */

/*
 * As drm_gpusvm's: the GPU snoops the CPU caches, so there is nothing to sync,
 * and one page may be mapped for several VMs (or userptrs) at once, which
 * the DMA API allows only without CPU syncs.
 */
#define VXE_USERPTR_DMA_ATTRS	DMA_ATTR_SKIP_CPU_SYNC

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
 * @vm: the VM of the VMA
 * @vma: the VMA
 * @start: first CPU address
 * @npages: number of pages
 * @inval_link: in &vxe_vm.userptr_invalidated (dma-fence VMs), while
 *	waiting for an EXEC to bind it again (&vxe_vm.userptr_lock)
 * @seq: notifier sequence @addrs were collected at
 * @addrs: device (DMA) addresses of the pages, one per page; NULL when
 *	none are mapped (&vxe_vm.userptr_lock)
 * @read_only: the VMA is read-only: pages are collected without write
 *	access and mapped to the device only
 */
struct vxe_userptr {
	struct mmu_interval_notifier notifier;
	struct vxe_vm *vm;
	struct vxe_vma *vma;
	unsigned long start;
	unsigned long npages;
	struct list_head inval_link;
	unsigned long seq;
	struct drm_pagemap_device_addr *addrs;
	bool read_only;
};

static enum dma_data_direction vxe_userptr_dir(const struct vxe_userptr *u)
{
	return u->read_only ? DMA_TO_DEVICE : DMA_BIDIRECTIONAL;
}

static void vxe_userptr_dma_unmap(struct vxe_device *vxe,
				  struct drm_pagemap_device_addr *addrs,
				  unsigned long npages,
				  enum dma_data_direction dir)
{
	unsigned long i;

	for (i = 0; i < npages; i++)
		dma_unmap_page_attrs(vxe->drm.dev, addrs[i].addr, PAGE_SIZE, dir,
				     VXE_USERPTR_DMA_ATTRS);
	kvfree(addrs);
}

/* Drop the pages of @u.  Context: &vxe_vm.userptr_lock. */
static void vxe_userptr_put_pages(struct vxe_userptr *u)
{
	lockdep_assert_held(&u->vm->userptr_lock);
	if (!u->addrs)
		return;
	vxe_userptr_dma_unmap(u->vm->vxe, u->addrs, u->npages,
			      vxe_userptr_dir(u));
	u->addrs = NULL;
}

/*
 * A userptr of a dma-fence VM left unbound (invalidated, a lazy piece, a
 * zap, a failed bind): the next EXEC binds it.  Context: userptr_lock.
 */
static void vxe_userptr_needs_exec_bind(struct vxe_vm *vm,
					struct vxe_userptr *u)
{
	lockdep_assert_held(&vm->userptr_lock);
	if (!(vm->flags & VXE_VM_LR_MODE) && list_empty(&u->inval_link))
		list_add_tail(&u->inval_link, &vm->userptr_invalidated);
}

/* Zap the entries of @vma, if it has any.  Context: userptr_lock. */
static void vxe_userptr_zap(struct vxe_vm *vm, struct vxe_vma *vma)
{
	lockdep_assert_held(&vm->userptr_lock);
	vxe_vma_zap_range(vm, vma, vma_start(vma), vma_end(vma));
}

static bool vxe_userptr_invalidate(struct mmu_interval_notifier *mni,
				   const struct mmu_notifier_range *range,
				   unsigned long cur_seq)
{
	struct vxe_userptr *u = container_of(mni, struct vxe_userptr,
					     notifier);
	struct vxe_vm *vm = u->vm;

	/* The lock sleeps: as Xe, refuse non-blocking invalidations. */
	if (!mmu_notifier_range_blockable(range))
		return false;

	mutex_lock(&vm->userptr_lock);
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
	vxe_userptr_put_pages(u);
	mutex_unlock(&vm->userptr_lock);
	return true;
}

static const struct mmu_interval_notifier_ops vxe_userptr_notifier_ops = {
	.invalidate = vxe_userptr_invalidate,
};

/*
 * Collect the pages of @u and map them for DMA; publish them unless an
 * invalidation came in meanwhile (-EAGAIN then).  Pages already valid are
 * kept.  Context: the VM lock; takes the mmap lock and userptr_lock.
 */
static int vxe_userptr_get_pages(struct vxe_userptr *u)
{
	struct mm_struct *mm = u->notifier.mm;
	struct device *dev = u->vm->vxe->drm.dev;
	enum dma_data_direction dir = vxe_userptr_dir(u);
	struct drm_pagemap_device_addr *addrs;
	struct hmm_range hr = {
		.notifier = &u->notifier,
		.start = u->start,
		.end = u->start + (u->npages << PAGE_SHIFT),
		.default_flags = HMM_PFN_REQ_FAULT |
				 (u->read_only ? 0 : HMM_PFN_REQ_WRITE),
	};
	unsigned long timeout, *pfns, i;
	bool valid;
	int err;

	mutex_lock(&u->vm->userptr_lock);
	valid = u->addrs && !mmu_interval_read_retry(&u->notifier, u->seq);
	mutex_unlock(&u->vm->userptr_lock);
	if (valid)
		return 0;

	pfns = kvmalloc_array(u->npages, sizeof(*pfns), GFP_KERNEL);
	addrs = kvmalloc_array(u->npages, sizeof(*addrs), GFP_KERNEL);
	if (!pfns || !addrs) {
		err = -ENOMEM;
		goto out_free;
	}
	hr.hmm_pfns = pfns;

	if (!mmget_not_zero(mm)) {
		err = -EFAULT;
		goto out_free;
	}
	timeout = jiffies + msecs_to_jiffies(HMM_RANGE_DEFAULT_TIMEOUT);
	do {
		hr.notifier_seq = mmu_interval_read_begin(&u->notifier);
		mmap_read_lock(mm);
		err = hmm_range_fault(&hr);
		mmap_read_unlock(mm);
	} while (err == -EBUSY && time_before(jiffies, timeout));
	mmput(mm);
	if (err)
		goto out_free;

	for (i = 0; i < u->npages; i++) {
		dma_addr_t dma = dma_map_page_attrs(dev, hmm_pfn_to_page(pfns[i]),
						    0, PAGE_SIZE, dir,
						    VXE_USERPTR_DMA_ATTRS);

		if (dma_mapping_error(dev, dma)) {
			vxe_userptr_dma_unmap(u->vm->vxe, addrs, i, dir);
			addrs = NULL;
			err = -EFAULT;
			goto out_free;
		}
		addrs[i] = drm_pagemap_device_addr_encode(dma,
							  DRM_INTERCONNECT_SYSTEM,
							  0, dir);
	}

	mutex_lock(&u->vm->userptr_lock);
	if (mmu_interval_read_retry(&u->notifier, hr.notifier_seq)) {
		err = -EAGAIN;
	} else {
		vxe_userptr_put_pages(u);
		u->addrs = addrs;
		u->seq = hr.notifier_seq;
		addrs = NULL;
	}
	mutex_unlock(&u->vm->userptr_lock);
	if (addrs)
		vxe_userptr_dma_unmap(u->vm->vxe, addrs, u->npages, dir);
	kvfree(pfns);
	return err;

out_free:
	kvfree(addrs);
	kvfree(pfns);
	return err;
}

/*
 * Write the entries of @vma if its pages are still valid: 0, or -EAGAIN
 * when an invalidation took them.  Context: the VM lock; tables prepared.
 */
static int vxe_userptr_commit(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct vxe_userptr *u = vma->userptr;
	u32 flags = u->read_only ? VXE_PT_READ_ONLY : 0;
	int err = -EAGAIN;

	mutex_lock(&vm->userptr_lock);
	if (u->addrs && !mmu_interval_read_retry(&u->notifier, u->seq)) {
		err = vxe_pt_commit(&vm->pt, vma_start(vma), u->addrs,
				    u->npages, flags);
		/* Replaced entries may be cached; drop them (all on error) */
		vma->bound = true;
		if (err)
			vxe_userptr_zap(vm, vma);
		else
			vxe_vm_tlb_invalidate(vm, vma_start(vma),
					      vma_end(vma));
	}
	mutex_unlock(&vm->userptr_lock);
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
 * -EAGAIN when invalidations kept taking the pages.
 */
int vxe_userptr_create(struct vxe_vm *vm, struct vxe_vma *vma, u64 uaddr,
		       u64 size, bool populate)
{
	struct vxe_userptr *u;
	int err, tries = 0;

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

	err = mmu_interval_notifier_insert(&u->notifier, current->mm, uaddr,
					   size, &vxe_userptr_notifier_ops);
	if (err) {
		kfree(u);
		return err;
	}
	vma->userptr = u;
	atomic_inc(&vm->vxe->nr_userptrs);

	if (!populate) {
		mutex_lock(&vm->userptr_lock);
		vxe_userptr_needs_exec_bind(vm, u);
		mutex_unlock(&vm->userptr_lock);
		return 0;
	}
	do {
		err = vxe_userptr_get_pages(u);
	} while (err == -EAGAIN && ++tries < VXE_USERPTR_TRIES);
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
 * Context: may sleep; not under &vxe_vm.userptr_lock.
 */
void vxe_userptr_destroy(struct vxe_vm *vm, struct vxe_vma *vma)
{
	struct vxe_userptr *u = vma->userptr;

	if (!u)
		return;
	mutex_lock(&vm->userptr_lock);
	vxe_userptr_zap(vm, vma);
	mutex_unlock(&vm->userptr_lock);

	mmu_interval_notifier_remove(&u->notifier);

	mutex_lock(&vm->userptr_lock);
	list_del_init(&u->inval_link);
	vxe_userptr_put_pages(u);
	mutex_unlock(&vm->userptr_lock);
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
	mutex_lock(&vm->userptr_lock);
	vxe_userptr_zap(vm, vma);
	vxe_userptr_needs_exec_bind(vm, vma->userptr);
	mutex_unlock(&vm->userptr_lock);
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
		mutex_lock(&vm->userptr_lock);
		vxe_userptr_needs_exec_bind(vm, vma->userptr);
		mutex_unlock(&vm->userptr_lock);
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
	struct vxe_userptr *u;
	int err;

	err = mutex_lock_interruptible(&vm->lock);
	if (err)
		return err;
	for (;;) {
		mutex_lock(&vm->userptr_lock);
		u = list_first_entry_or_null(&vm->userptr_invalidated,
					     struct vxe_userptr, inval_link);
		if (u)
			list_del_init(&u->inval_link);
		mutex_unlock(&vm->userptr_lock);
		if (!u)
			break;
		err = vxe_userptr_bind(vm, u->vma);
		/* Memory gone: left unbound, the job faults (as on Xe). */
		if (err == -EFAULT)
			err = 0;
		if (err) {
			mutex_lock(&vm->userptr_lock);
			if (list_empty(&u->inval_link))
				list_add(&u->inval_link,
					 &vm->userptr_invalidated);
			mutex_unlock(&vm->userptr_lock);
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
 * Locks &vxe_vm.userptr_lock and checks that no userptr was invalidated
 * since vxe_userptr_repin(): an invalidation from now on waits for the
 * job's fence, which the caller adds before it unlocks.
 *
 * Return: true with &vxe_vm.userptr_lock held; false (not held) when a
 * userptr waits to be bound again.
 */
bool vxe_userptr_exec_check(struct vxe_vm *vm)
{
	dma_resv_assert_held(vxe_vm_resv(vm));
	mutex_lock(&vm->userptr_lock);
	if (list_empty(&vm->userptr_invalidated))
		return true;
	mutex_unlock(&vm->userptr_lock);
	return false;
}

/**
 * vxe_userptr_lock_init() - initialize &vxe_vm.userptr_lock and its list
 * @vm: the VM
 *
 * Tells lockdep up front that the lock is taken in MMU notifier context,
 * under reclaim, so that an allocation under it is reported at once.
 */
void vxe_userptr_lock_init(struct vxe_vm *vm)
{
	mutex_init(&vm->userptr_lock);
	INIT_LIST_HEAD(&vm->userptr_invalidated);
	if (IS_ENABLED(CONFIG_LOCKDEP)) {
		fs_reclaim_acquire(GFP_KERNEL);
		might_lock(&vm->userptr_lock);
		fs_reclaim_release(GFP_KERNEL);
	}
}
