// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * The GPU page faults of a VM that failed, and DRM_IOCTL_XE_VM_GET_PROPERTY
 * that reports them, as upstream Xe keeps them (its per-VM fault list).
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/overflow.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <drm/xe_drm.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_pt.h"
#include "vxe_vm.h"
#include "vxe_vm_fault.h"

/**
 * struct vxe_vm_fault_entry - one failed fault
 * @link: in &vxe_vm_faults.list
 * @fault: what the ioctl copies out
 */
struct vxe_vm_fault_entry {
	struct list_head link;
	struct xe_vm_fault fault;
};

/**
 * vxe_vm_faults_init() - an empty fault list
 * @faults: the VM's
 */
void vxe_vm_faults_init(struct vxe_vm_faults *faults)
{
	spin_lock_init(&faults->lock);
	INIT_LIST_HEAD(&faults->list);
	faults->len = 0;
}

/**
 * vxe_vm_faults_fini() - free the faults of a VM going away
 * @faults: the VM's
 *
 * Context: nobody records or reads them any more.
 */
void vxe_vm_faults_fini(struct vxe_vm_faults *faults)
{
	struct vxe_vm_fault_entry *e, *next;

	list_for_each_entry_safe(e, next, &faults->list, link)
		kfree(e);
	INIT_LIST_HEAD(&faults->list);
	faults->len = 0;
}

/* The uAPI's fault type for what the fault handler said */
static u8 vxe_vm_fault_type(enum vxe_vm_fault_access access, int err)
{
	if (err == -EACCES && access == VXE_VM_FAULT_ATOMIC)
		return FAULT_TYPE_ATOMIC_ACCESS;
	if ((err == -EACCES || err == -EPERM) && access != VXE_VM_FAULT_READ)
		return FAULT_TYPE_WRITE_ACCESS;
	return FAULT_TYPE_NOT_PRESENT;
}

/**
 * vxe_vm_fault_record() - keep a GPU page fault that could not be served
 * @vm: the VM
 * @addr: the faulting GPU virtual address
 * @access: what the GPU did there
 * @err: why the fault failed: -EACCES or -EPERM for an access the mapping
 *	or the policy refuses, anything else for nothing mapped
 * @level: the page-table level the walk stopped at (vxe_pt_fault_level())
 *
 * As Xe: the page's address, a precision of 4K, the access, the kind of
 * fault and its level.  The first %VXE_VM_MAX_FAULTS are kept; later ones,
 * and one whose entry cannot be allocated, are dropped (the list is a
 * report, not an account).
 *
 * Context: process context; takes &vxe_vm_faults.lock.
 */
void vxe_vm_fault_record(struct vxe_vm *vm, u64 addr,
			 enum vxe_vm_fault_access access, int err,
			 unsigned int level)
{
	struct vxe_vm_faults *faults = &vm->faults;
	struct vxe_vm_fault_entry *e;

	e = kzalloc(sizeof(*e), GFP_KERNEL);
	if (!e)
		return;
	e->fault.address = addr & ~(u64)(SZ_4K - 1);
	e->fault.address_precision = SZ_4K;
	e->fault.access_type = access == VXE_VM_FAULT_ATOMIC ? FAULT_ACCESS_TYPE_ATOMIC :
			       access == VXE_VM_FAULT_WRITE ? FAULT_ACCESS_TYPE_WRITE :
			       FAULT_ACCESS_TYPE_READ;
	e->fault.fault_type = vxe_vm_fault_type(access, err);
	e->fault.fault_level = level;

	spin_lock(&faults->lock);
	if (faults->len < VXE_VM_MAX_FAULTS) {
		list_add_tail(&e->link, &faults->list);
		faults->len++;
		e = NULL;
	}
	spin_unlock(&faults->lock);
	kfree(e);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_fault_record);

/**
 * vxe_vm_faults_count() - how many faults a VM keeps
 * @faults: the VM's
 *
 * Return: at most %VXE_VM_MAX_FAULTS.
 */
unsigned int vxe_vm_faults_count(struct vxe_vm_faults *faults)
{
	unsigned int len;

	spin_lock(&faults->lock);
	len = faults->len;
	spin_unlock(&faults->lock);
	return len;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vm_faults_count);

/*
 * Copy the first @size bytes of the list (whole entries) to @data: a
 * snapshot taken under the lock into a buffer allocated before it.
 */
static int vxe_vm_faults_copy(struct vxe_vm_faults *faults, u32 size,
			      u64 data)
{
	unsigned int n = size / sizeof(struct xe_vm_fault), i = 0;
	struct vxe_vm_fault_entry *e;
	struct xe_vm_fault *buf;
	int err = 0;

	buf = kcalloc(n, sizeof(*buf), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	spin_lock(&faults->lock);
	list_for_each_entry(e, &faults->list, link) {
		if (i == n)
			break;
		buf[i++] = e->fault;
	}
	spin_unlock(&faults->lock);
	if (copy_to_user(u64_to_user_ptr(data), buf, size))
		err = -EFAULT;
	kfree(buf);
	return err;
}

/**
 * vxe_vm_get_property_ioctl() - DRM_IOCTL_XE_VM_GET_PROPERTY
 * @dev: the DRM device
 * @data: the &struct drm_xe_vm_get_property
 * @file: the DRM file owning the VM
 *
 * %DRM_XE_VM_GET_PROPERTY_FAULTS, the only property, as upstream Xe: with
 * @data->size 0, the size of the VM's fault list in bytes goes to
 * @data->size; otherwise @data->size (whole &struct xe_vm_fault, at most
 * the list's size) bytes of it are copied to @data->data.
 *
 * Return: 0; -EINVAL for extensions, pad or reserved not zero, an unknown
 * property, or a size larger than the list or not whole entries; -ENOENT
 * for no such VM; -EFAULT when the copy fails; -ENOMEM.
 */
int vxe_vm_get_property_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_vm_get_property *args = data;
	struct vxe_vm *vm;
	size_t size;
	int err = 0;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->pad) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1] ||
			  args->reserved[2]))
		return -EINVAL;

	vm = vxe_file_vm_get(file->driver_priv, args->vm_id);
	if (VXE_IOCTL_DBG(vxe, !vm))
		return -ENOENT;

	size = size_mul(sizeof(struct xe_vm_fault),
			vxe_vm_faults_count(&vm->faults));
	if (VXE_IOCTL_DBG(vxe, args->property != DRM_XE_VM_GET_PROPERTY_FAULTS))
		err = -EINVAL;
	else if (!args->size)
		args->size = size;
	else if (VXE_IOCTL_DBG(vxe, args->size > size ||
			       args->size % sizeof(struct xe_vm_fault)))
		err = -EINVAL;
	else
		err = vxe_vm_faults_copy(&vm->faults, args->size, args->data);
	vxe_vm_put(vm);
	return err;
}
