// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/sched.h>
#include <linux/slab.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_vm.h"

/* The GPU virtual address space: 48 bits, as on Xe2. */
#define VXE_VA_BITS		48

/* Attempts per TLB invalidation before giving up on the VM. */
#define VXE_TLB_INVAL_TRIES	3

/* GPU page faults on one access before it is a fault storm. */
#define VXE_ACCESS_MAX_FAULTS	8

static struct vxe_vm *__vxe_vm_create(struct vxe_device *vxe, u32 flags,
				      struct mm_struct *mm,
				      const struct vxe_svm_config *cfg)
{
	struct vxe_vm *vm;
	int err;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	vm->vxe = vxe;
	vm->flags = flags;
	mutex_init(&vm->lock);
	vm->svm.cfg = cfg ? *cfg : vxe_svm_default_config;

	err = vxe_pt_init(&vm->pt, VXE_VA_BITS, &vxe->inj);
	if (err)
		goto err_free;

	/* Only a fault-mode VM mirrors the process (SVM). */
	if (flags & VXE_VM_FAULT_MODE) {
		err = vxe_svm_init(vm, mm);
		if (err)
			goto err_pt;
	}

	atomic_inc(&vxe->nr_vms);
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
 * %VXE_VM_FAULT_MODE), the only mode with shared virtual memory.
 *
 * Return: the VM, or an ERR_PTR().
 */
struct vxe_vm *vxe_vm_create(struct vxe_device *vxe, struct mm_struct *mm,
			     const struct vxe_svm_config *cfg)
{
	return __vxe_vm_create(vxe, VXE_VM_LR_MODE | VXE_VM_FAULT_MODE, mm, cfg);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_create);

/**
 * vxe_vm_create_mode() - create a GPU VM in the mode userspace asked for
 * @vxe: the device
 * @flags: %VXE_VM_LR_MODE, %VXE_VM_FAULT_MODE, %VXE_VM_SCRATCH_PAGE,
 *	already checked against each other
 *
 * A fault-mode VM mirrors the calling process (current->mm).
 *
 * Return: the VM, or an ERR_PTR().
 */
struct vxe_vm *vxe_vm_create_mode(struct vxe_device *vxe, u32 flags)
{
	return __vxe_vm_create(vxe, flags,
			       flags & VXE_VM_FAULT_MODE ? current->mm : NULL,
			       NULL);
}

/**
 * vxe_vm_destroy() - destroy a GPU VM
 * @vm: the VM
 *
 * Zaps and removes every range (the GPU must be idle), then frees the page
 * tables.
 */
void vxe_vm_destroy(struct vxe_vm *vm)
{
	if (vm->flags & VXE_VM_FAULT_MODE)
		vxe_svm_close(vm);
	WARN(atomic_read(&vm->nr_ranges), "vxe: %d SVM ranges leaked\n",
	     atomic_read(&vm->nr_ranges));
	vxe_pt_fini(&vm->pt);
	atomic_dec(&vm->vxe->nr_vms);
	mutex_destroy(&vm->lock);
	kfree(vm);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_destroy);

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

/**
 * vxe_gpu_access() - the GPU reads or writes memory at a virtual address
 * @vm: the VM
 * @gva: GPU virtual address
 * @buf: data to write, or where to read to
 * @len: number of bytes
 * @write: write rather than read
 *
 * What an engine of the mock GPU does for every memory access: translate
 * through the TLB and page tables; on a miss, raise a GPU page fault into
 * the SVM fault handler and retry once it is served.
 *
 * Context: process context, not holding the VM lock; may sleep.
 * Return: 0; the fault handler's error when a fault cannot be served
 * (-EFAULT outside any mapping, -EPERM for a read-only CPU mapping, ...);
 * -EACCES for a write through a read-only GPU mapping; -EFAULT after
 * repeated faults at one address; -EIO on a wedged VM.
 */
int vxe_gpu_access(struct vxe_vm *vm, u64 gva, void *buf, size_t len,
		   bool write)
{
	unsigned int faults = 0;
	u64 fault_va, last_fault = U64_MAX;
	int err;

	for (;;) {
		if (READ_ONCE(vm->wedged))
			return -EIO;
		err = vxe_pt_access(&vm->pt, gva, buf, len, write,
				    vxe_mem_copy, vm->vxe, &fault_va);
		if (err != -ENOENT)
			return err;

		/* Bytes before the fault are done: go on from there. */
		buf += fault_va - gva;
		len -= fault_va - gva;
		gva = fault_va;
		if (fault_va != last_fault)
			faults = 0;
		if (++faults > VXE_ACCESS_MAX_FAULTS)
			return -EFAULT;
		last_fault = fault_va;

		/* Without fault mode a miss is fatal: nothing fills the tables. */
		if (!(vm->flags & VXE_VM_FAULT_MODE))
			return -EFAULT;
		mutex_lock(&vm->lock);
		err = vxe_svm_handle_fault(vm, fault_va);
		mutex_unlock(&vm->lock);
		if (err)
			return err;
	}
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
