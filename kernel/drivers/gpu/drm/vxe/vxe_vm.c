// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/slab.h>
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

/**
 * vxe_vm_create() - create a GPU VM mirroring a process
 * @vxe: the device
 * @mm: the process address space
 * @cfg: how to mirror it, or NULL for &vxe_svm_default_config
 *
 * Return: the VM, or an ERR_PTR().
 */
struct vxe_vm *vxe_vm_create(struct vxe_device *vxe, struct mm_struct *mm,
			     const struct vxe_svm_config *cfg)
{
	struct vxe_vm *vm;
	int err;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL);
	if (!vm)
		return ERR_PTR(-ENOMEM);

	vm->vxe = vxe;
	mutex_init(&vm->lock);
	vm->svm.cfg = cfg ? *cfg : vxe_svm_default_config;

	err = vxe_pt_init(&vm->pt, VXE_VA_BITS, &vxe->inj);
	if (err)
		goto err_free;

	err = vxe_svm_init(vm, mm);
	if (err)
		goto err_pt;

	atomic_inc(&vxe->nr_vms);
	return vm;

err_pt:
	vxe_pt_fini(&vm->pt);
err_free:
	mutex_destroy(&vm->lock);
	kfree(vm);
	return ERR_PTR(err);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_create);

/**
 * vxe_vm_destroy() - destroy a GPU VM
 * @vm: the VM
 *
 * Zaps and removes every range (the GPU must be idle), then frees the page
 * tables.
 */
void vxe_vm_destroy(struct vxe_vm *vm)
{
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

		mutex_lock(&vm->lock);
		err = vxe_svm_handle_fault(vm, fault_va);
		mutex_unlock(&vm->lock);
		if (err)
			return err;
	}
}
EXPORT_SYMBOL_IF_KUNIT(vxe_gpu_access);
