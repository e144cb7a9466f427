// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_gt_stats.h"
#include "vxe_vm.h"

/* The GPU virtual address space: 48 bits, as on Xe2. */
#define VXE_VA_BITS		48

/* Attempts per TLB invalidation before giving up on the VM. */
#define VXE_TLB_INVAL_TRIES	3

/* GPU page faults on one access before it is a fault storm. */
#define VXE_ACCESS_MAX_FAULTS	8

static void vxe_vm_free(struct drm_gpuvm *gpuvm)
{
	struct vxe_vm *vm = container_of(gpuvm, struct vxe_vm, gpuvm);

	mutex_lock(&vm->vxe->vms_lock);
	list_del(&vm->link);
	mutex_unlock(&vm->vxe->vms_lock);
	vxe_pt_fini(&vm->pt);
	vxe_vm_faults_fini(&vm->faults);
	WARN_ON(!list_empty(&vm->bind.jobs));
	dma_fence_put(vm->bind.last_fence);
	atomic_dec(&vm->vxe->nr_vms);
	mutex_destroy(&vm->lock);
	kfree(vm);
}

static const struct drm_gpuvm_ops vxe_gpuvm_ops = {
	.vm_free = vxe_vm_free,
};

static struct vxe_vm *__vxe_vm_create(struct vxe_device *vxe, u32 flags,
				      struct mm_struct *mm,
				      const struct vxe_svm_config *cfg)
{
	struct drm_gem_object *r_obj;
	struct vxe_vm *vm;
	int err;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	vm->vxe = vxe;
	vm->flags = flags;
	mutex_init(&vm->lock);
	INIT_LIST_HEAD(&vm->userptr_invalidated);
	vxe_vm_faults_init(&vm->faults);
	vm->svm.cfg = cfg ? *cfg : vxe_svm_default_config;
	INIT_LIST_HEAD(&vm->bind.jobs);
	vm->bind.fence_context = dma_fence_context_alloc(1);

	err = vxe_pt_init(&vm->pt, VXE_VA_BITS, &vxe->inj);
	if (err)
		goto err_free;

	r_obj = drm_gpuvm_resv_object_alloc(&vxe->drm);
	if (!r_obj) {
		err = -ENOMEM;
		goto err_pt;
	}
	/* From here on, the last reference frees the VM (vxe_vm_free()). */
	drm_gpuvm_init(&vm->gpuvm, "vxe", 0, &vxe->drm, r_obj, 0,
		       1ULL << VXE_VA_BITS, 0, 0, &vxe_gpuvm_ops);
	drm_gem_object_put(r_obj);
	atomic_inc(&vxe->nr_vms);
	mutex_lock(&vxe->vms_lock);
	list_add_tail(&vm->link, &vxe->vms);
	mutex_unlock(&vxe->vms_lock);

	/* Only a fault-mode VM mirrors the process (SVM); all have userptrs. */
	err = vxe_svm_init(vm, flags & VXE_VM_FAULT_MODE ? mm : NULL);
	if (err) {
		vm->closed = true;
		vxe_vm_put(vm);
		return ERR_PTR(err);
	}
	return vm;

err_pt:
	vxe_pt_fini(&vm->pt);
err_free:
	mutex_destroy(&vm->lock);
	kfree(vm);
	return ERR_PTR(err);
}

/**
 * vxe_vm_create() - create a fault-mode GPU VM mirroring a process
 * @vxe: the device
 * @mm: the process address space
 * @cfg: how to mirror it, or NULL for &vxe_svm_default_config
 *
 * The VM is in long-running fault mode (%VXE_VM_LR_MODE |
 * %VXE_VM_FAULT_MODE), the only mode with shared virtual memory, and
 * mirrors the CPU over the whole window of @cfg (as a VM_BIND with
 * %DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR would).
 *
 * Return: the VM, or an ERR_PTR().
 */
struct vxe_vm *vxe_vm_create(struct vxe_device *vxe, struct mm_struct *mm,
			     const struct vxe_svm_config *cfg)
{
	struct vxe_vm *vm;
	int err;

	vm = __vxe_vm_create(vxe, VXE_VM_LR_MODE | VXE_VM_FAULT_MODE, mm, cfg);
	if (IS_ERR(vm))
		return vm;
	err = vxe_vm_bind_mirror(vm, vm->svm.cfg.mirror_start,
				 vm->svm.cfg.mirror_end);
	if (err) {
		vxe_vm_destroy(vm);
		return ERR_PTR(err);
	}
	return vm;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_create);

/**
 * vxe_vm_create_mode() - create a GPU VM in the mode userspace asked for
 * @vxe: the device
 * @flags: %VXE_VM_LR_MODE, %VXE_VM_FAULT_MODE, %VXE_VM_SCRATCH_PAGE,
 *	already checked against each other
 *
 * A fault-mode VM mirrors the calling process (current->mm) where
 * userspace binds CPU-address mirrors.  Its notifier size is the
 * svm_notifier_size module parameter of the moment.
 *
 * Return: the VM, or an ERR_PTR().
 */
struct vxe_vm *vxe_vm_create_mode(struct vxe_device *vxe, u32 flags)
{
	struct vxe_svm_config cfg;

	vxe_svm_config_current(&cfg);
	return __vxe_vm_create(vxe, flags,
			       flags & VXE_VM_FAULT_MODE ? current->mm : NULL,
			       &cfg);
}

/**
 * vxe_vm_close() - close a VM: unbind everything, stop mirroring
 * @vm: the VM
 *
 * Removes every VMA (zapping BO bindings), zaps and removes every SVM
 * range and finalizes the drm_gpusvm.  The VM stays allocated while
 * references remain (exec queues, BOs private to it), but binds are
 * refused and GPU accesses fail with -EIO.  Idempotent.
 */
void vxe_vm_close(struct vxe_vm *vm)
{
	mutex_lock(&vm->lock);
	if (vm->closed) {
		mutex_unlock(&vm->lock);
		return;
	}
	vxe_vm_unbind_all(vm);
	WRITE_ONCE(vm->closed, true);
	mutex_unlock(&vm->lock);

	vxe_svm_close(vm);
	WARN(atomic_read(&vm->nr_ranges), "vxe: %d SVM ranges leaked\n",
	     atomic_read(&vm->nr_ranges));
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_close);

/**
 * vxe_vm_destroy() - close a VM and drop the creator's reference
 * @vm: the VM
 *
 * The GPU must be idle: the page tables go with the last reference.
 */
void vxe_vm_destroy(struct vxe_vm *vm)
{
	vxe_vm_close(vm);
	vxe_vm_put(vm);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_destroy);

/**
 * vxe_file_vm_get() - look up a VM of an open file
 * @vf: the file
 * @id: the VM id
 *
 * Return: the VM with a reference (vxe_vm_put() it), or NULL.
 */
struct vxe_vm *vxe_file_vm_get(struct vxe_file *vf, u32 id)
{
	struct vxe_vm *vm;

	mutex_lock(&vf->lock);
	vm = xa_load(&vf->vms, id);
	if (vm)
		vxe_vm_get(vm);
	mutex_unlock(&vf->lock);
	return vm;
}

/*
 * How long binding a BO retries when VRAM is full of BOs others hold:
 * Xe's second, or longer where moving BOs is much slower than on a GPU.
 */
static unsigned int vxe_validate_retry_ms = 1000;
module_param_named(validate_retry_ms, vxe_validate_retry_ms, uint, 0600);
MODULE_PARM_DESC(validate_retry_ms,
		 "How long a validation that finds VRAM full of BOs others hold retries, in ms (default: Xe's 1000; an emulated machine that copies VRAM far slower than a GPU may need more)");

/**
 * vxe_vm_validate_should_retry() - retry a validation that found no room?
 * @err: what the validation returned
 * @end: when to give up; 0 before the first retry
 *
 * As Xe's xe_vm_validate_should_retry(): a BO finds no room in VRAM when
 * the BOs there are locked by others (EXECs and faults validating their
 * own); they are done soon.  For -ENOMEM and -ENOSPC, sleeps 20 ms and
 * says yes, for a second (module parameter validate_retry_ms).
 *
 * Context: process context, no lock held that the others need.
 * Return: true to retry.
 */
bool vxe_vm_validate_should_retry(int err, ktime_t *end)
{
	ktime_t now = ktime_get();

	if (err != -ENOMEM && err != -ENOSPC)
		return false;

	if (!*end)
		*end = ktime_add_ms(now, READ_ONCE(vxe_validate_retry_ms));
	if (!ktime_before(now, *end))
		return false;
	msleep(20);
	return true;
}

static int __vxe_vm_handle_fault(struct vxe_vm *vm, u64 addr, bool atomic,
				 bool *bo)
{
	struct drm_gpuva *va;
	int err;

	mutex_lock(&vm->lock);
	if (vm->closed) {
		err = -EIO;
		goto out;
	}
	va = drm_gpuva_find_first(&vm->gpuvm, addr, 1);
	if (!va) {
		err = -EFAULT;
	} else if (vxe_vma_is_mirror(to_vxe_vma(va))) {
		err = vxe_svm_handle_fault(vm, to_vxe_vma(va), addr, atomic);
	} else {
		vxe_gt_stats_incr(&vm->vxe->stats,
				  VXE_GT_STATS_ID_VMA_PAGEFAULT_COUNT, 1);
		vxe_gt_stats_incr(&vm->vxe->stats,
				  VXE_GT_STATS_ID_VMA_PAGEFAULT_KB,
				  va->va.range / SZ_1K);
		if (vxe_vma_is_userptr(to_vxe_vma(va)) &&
		    !(vm->flags & VXE_VM_LR_MODE))
			err = -EFAULT;	/* bound by EXEC only, as in Xe */
		else
			err = vxe_vma_bind(vm, to_vxe_vma(va));
	}
	*bo = va && va->gem.obj;
out:
	mutex_unlock(&vm->lock);
	return err;
}

/**
 * vxe_vm_handle_fault() - serve a GPU page fault
 * @vm: the VM
 * @addr: the faulting GPU virtual address
 * @atomic: the faulting access was an atomic (Xe's fault access type)
 *
 * As Xe's fault handler: find the VMA; a CPU-address mirror goes to the
 * SVM fault handler; a BO binding is bound (again: after its BO moved), a
 * userptr binding (again: after an invalidation) and a NULL binding too.
 * A BO that finds VRAM full of BOs others hold is tried again for a while
 * (vxe_vm_validate_should_retry()), without the VM lock.  Counted in the
 * GT statistics (SVM faults, or VMA faults and the size of their VMAs).
 *
 * Context: process context; takes the VM lock.
 * Return: 0 once @addr is mapped; -EFAULT outside any VMA; -EIO on a closed
 * VM; an error of the handler.
 */
int vxe_vm_handle_fault(struct vxe_vm *vm, u64 addr, bool atomic)
{
	ktime_t end = 0;
	bool bo = false;
	int err;

	do {
		err = __vxe_vm_handle_fault(vm, addr, atomic, &bo);
	} while (bo && vxe_vm_validate_should_retry(err, &end));
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_handle_fault);

/**
 * vxe_vm_tlb_invalidate() - invalidate the GPU TLB for a range
 * @vm: the VM
 * @start: first GPU virtual address
 * @end: end of the range (exclusive)
 *
 * Retries a failed (timed-out) invalidation, then falls back to flushing
 * everything; when even that keeps failing, the VM is wedged: stale
 * translations may remain, so the GPU must stop using the VM.
 *
 * Context: any (called from the invalidation callback); does not sleep.
 * Return: 0, or the last error when the VM had to be wedged.
 */
int vxe_vm_tlb_invalidate(struct vxe_vm *vm, u64 start, u64 end)
{
	int err = 0, i;

	KUNIT_STATIC_STUB_REDIRECT(vxe_vm_tlb_invalidate, vm, start, end);

	atomic_inc(&vm->stats.tlb_invalidations);
	vxe_gt_stats_incr(&vm->vxe->stats, VXE_GT_STATS_ID_TLB_INVAL, 1);
	for (i = 0; i < 2 * VXE_TLB_INVAL_TRIES; i++) {
		err = i < VXE_TLB_INVAL_TRIES ?
			vxe_pt_tlb_invalidate(&vm->pt, start, end) :
			vxe_pt_tlb_invalidate(&vm->pt, 0, U64_MAX);
		if (!err)
			return 0;
		atomic_inc(&vm->stats.tlb_inval_failures);
	}

	WRITE_ONCE(vm->wedged, true);
	drm_err(&vm->vxe->drm,
		"vxe: TLB invalidation of [%#llx, %#llx) failed %d times (%d): VM wedged\n",
		start, end, 2 * VXE_TLB_INVAL_TRIES, err);
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_tlb_invalidate);

/*
 * What an engine of the mock GPU does for every memory access; see
 * vxe_gpu_access_fn().  An @atomic access faults as one (Xe's fault access
 * type): the SVM fault handler may move the memory to VRAM for it.
 */
/*
 * A GPU page fault that could not be served: into the VM's fault list
 * (DRM_IOCTL_XE_VM_GET_PROPERTY), as Xe saves a failed fault to its VM.
 */
static void vxe_gpu_fault_failed(struct vxe_vm *vm, u64 va, bool write,
				 bool atomic, int err)
{
	vxe_vm_fault_record(vm, va, atomic ? VXE_VM_FAULT_ATOMIC :
			    write ? VXE_VM_FAULT_WRITE : VXE_VM_FAULT_READ,
			    err, vxe_pt_fault_level(&vm->pt, va));
}

static int __vxe_gpu_access(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
			    bool write, bool atomic, vxe_pt_copy_fn copy,
			    void *priv)
{
	unsigned int faults = 0;
	u64 fault_va, last_fault = U64_MAX;
	int err;

	for (;;) {
		if (READ_ONCE(vm->wedged) || READ_ONCE(vm->closed))
			return -EIO;
		err = vxe_pt_access(&vm->pt, gva, buf, len, write, copy, priv,
				    &fault_va);
		if (err == -EACCES)	/* a write through a read-only leaf */
			vxe_gpu_fault_failed(vm, fault_va, write, atomic, err);
		if (err != -ENOENT)
			return err;

		/* Bytes before the fault are done: go on from there. */
		buf += fault_va - gva;
		len -= fault_va - gva;
		gva = fault_va;
		if (fault_va != last_fault)
			faults = 0;
		if (++faults > VXE_ACCESS_MAX_FAULTS) {
			vxe_gpu_fault_failed(vm, fault_va, write, atomic,
					     -EFAULT);
			return -EFAULT;
		}
		last_fault = fault_va;

		/*
		 * Mirrors fault in fault mode only (nothing else creates
		 * them); a BO binding zapped by a move of its BO, or a
		 * userptr zapped by an invalidation, is bound again in any
		 * mode, as Xe revalidates before an exec.
		 */
		err = vxe_vm_handle_fault(vm, fault_va, atomic);
		if (err == -EFAULT && vm->flags & VXE_VM_SCRATCH_PAGE) {
			/* Xe's scratch page: reads give zeros, writes are lost */
			size_t n = min_t(size_t, len,
					 SZ_4K - (fault_va & (SZ_4K - 1)));

			if (!write)
				memset(buf, 0, n);
			buf += n;
			len -= n;
			gva += n;
			if (!len)
				return 0;
			continue;
		}
		if (err) {
			vxe_gpu_fault_failed(vm, fault_va, write, atomic, err);
			return err;
		}
	}
}

/**
 * vxe_gpu_access_fn() - the GPU accesses memory at a virtual address
 * @vm: the VM
 * @gva: GPU virtual address
 * @buf: data to write, or where to read to (passed to @copy)
 * @len: number of bytes
 * @write: write rather than read (a write needs a writable GPU mapping)
 * @copy: carries out the access of one translated piece, with the
 *	page-table lock held (vxe_mem_copy() for plain reads and writes; an
 *	engine passes its own for a copy of several pieces)
 * @priv: passed to @copy
 *
 * What an engine of the mock GPU does for every memory access: translate
 * through the TLB and page tables; on a miss, raise a GPU page fault into
 * the SVM fault handler and retry once it is served.  In a VM created with
 * %DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE, an access that no mapping serves
 * goes to the scratch page instead of failing: it reads zeros and its
 * writes are lost.
 *
 * Context: process context, not holding the VM lock; may sleep.
 * Return: 0; the fault handler's error when a fault cannot be served
 * (-EFAULT outside any mapping, -EPERM for a read-only CPU mapping, ...);
 * -EACCES for a write through a read-only GPU mapping; -EFAULT after
 * repeated faults at one address; -EIO on a wedged VM; an error of @copy.
 */
int vxe_gpu_access_fn(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		      bool write, vxe_pt_copy_fn copy, void *priv)
{
	return __vxe_gpu_access(vm, gva, buf, len, write, false, copy, priv);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gpu_access_fn);

/**
 * vxe_gpu_atomic_fn() - the GPU does an atomic at a virtual address
 * @vm: the VM
 * @gva: GPU virtual address of the (naturally aligned) word
 * @buf: passed to @copy
 * @len: size of the word
 * @copy: the read-modify-write, with the page-table lock held; it faults
 *	(-ENOENT) on a leaf that does not allow atomics (%VXE_PTE_AE)
 * @priv: passed to @copy
 *
 * As vxe_gpu_access_fn() for a write, but its faults are atomic faults:
 * the SVM fault handler applies the VMA's atomic policy (MADVISE), which
 * may want the memory in VRAM, or refuse GPU atomics (-EACCES).
 *
 * Context: process context, not holding the VM lock; may sleep.
 * Return: as vxe_gpu_access_fn(); -EACCES when the policy forbids GPU
 * atomics there.
 */
int vxe_gpu_atomic_fn(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		      vxe_pt_copy_fn copy, void *priv)
{
	return __vxe_gpu_access(vm, gva, buf, len, true, true, copy, priv);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gpu_atomic_fn);

/**
 * vxe_gpu_access() - the GPU reads or writes memory at a virtual address
 * @vm: the VM
 * @gva: GPU virtual address
 * @buf: data to write, or where to read to
 * @len: number of bytes
 * @write: write rather than read
 *
 * vxe_gpu_access_fn() with the plain memory port, vxe_mem_copy().
 *
 * Context: process context, not holding the VM lock; may sleep.
 * Return: as vxe_gpu_access_fn().
 */
int vxe_gpu_access(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		   bool write)
{
	return vxe_gpu_access_fn(vm, gva, buf, len, write, vxe_mem_copy,
				 vm->vxe);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gpu_access);

#define VXE_VM_CREATE_FLAGS	(DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE | \
				 DRM_XE_VM_CREATE_FLAG_LR_MODE | \
				 DRM_XE_VM_CREATE_FLAG_FAULT_MODE)

/**
 * vxe_vm_create_ioctl() - DRM_IOCTL_XE_VM_CREATE
 * @dev: the DRM device
 * @data: the &struct drm_xe_vm_create
 * @file: the DRM file; the VM belongs to it
 *
 * Xe's rules: no extensions, reserved fields zero, known flags only,
 * FAULT_MODE only with LR_MODE and never with SCRATCH_PAGE.  A fault-mode
 * VM mirrors the calling process.  The id (from 1) goes to @data->vm_id.
 *
 * Return: 0, -EINVAL for a rule broken, -ENOMEM, or an error of the VM's
 * creation.
 */
int vxe_vm_create_ioctl(struct drm_device *dev, void *data,
			struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct vxe_file *vf = file->driver_priv;
	struct drm_xe_vm_create *args = data;
	struct vxe_vm *vm;
	u32 flags = 0, id;
	int err;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->flags & ~VXE_VM_CREATE_FLAGS) ||
	    VXE_IOCTL_DBG(vxe, args->flags & DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE &&
			  args->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE) ||
	    VXE_IOCTL_DBG(vxe, !(args->flags & DRM_XE_VM_CREATE_FLAG_LR_MODE) &&
			  args->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE))
		return -EINVAL;

	if (args->flags & DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE)
		flags |= VXE_VM_SCRATCH_PAGE;
	if (args->flags & DRM_XE_VM_CREATE_FLAG_LR_MODE)
		flags |= VXE_VM_LR_MODE;
	if (args->flags & DRM_XE_VM_CREATE_FLAG_FAULT_MODE)
		flags |= VXE_VM_FAULT_MODE;

	vm = vxe_vm_create_mode(vxe, flags);
	if (IS_ERR(vm))
		return PTR_ERR(vm);

	/* Last: once the id is in the table, another thread may destroy it. */
	mutex_lock(&vf->lock);
	err = xa_alloc(&vf->vms, &id, vm, xa_limit_32b, GFP_KERNEL);
	mutex_unlock(&vf->lock);
	if (err) {
		vxe_vm_destroy(vm);
		return err;
	}
	args->vm_id = id;
	return 0;
}

/**
 * vxe_vm_destroy_ioctl() - DRM_IOCTL_XE_VM_DESTROY
 * @dev: the DRM device
 * @data: the &struct drm_xe_vm_destroy
 * @file: the DRM file owning the VM
 *
 * Destroys the VM, also while the GPU still maps process memory through
 * it: its ranges are unmapped and removed.
 *
 * Return: 0, -EINVAL for a non-zero pad or reserved field, -ENOENT for an
 * id this file does not own.
 */
int vxe_vm_destroy_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct vxe_file *vf = file->driver_priv;
	struct drm_xe_vm_destroy *args = data;
	struct vxe_vm *vm;

	if (VXE_IOCTL_DBG(vxe, args->pad) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]))
		return -EINVAL;

	mutex_lock(&vf->lock);
	vm = xa_erase(&vf->vms, args->vm_id);
	mutex_unlock(&vf->lock);
	if (VXE_IOCTL_DBG(vxe, !vm))
		return -ENOENT;
	vxe_vm_destroy(vm);
	return 0;
}
