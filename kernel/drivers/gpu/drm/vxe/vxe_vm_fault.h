/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_VM_FAULT_H_
#define _VXE_VM_FAULT_H_

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct drm_device;
struct drm_file;
struct vxe_vm;

/* Faults a VM keeps, the first ones: Xe's MAX_FAULTS_SAVED_PER_VM */
#define VXE_VM_MAX_FAULTS	50

/**
 * struct vxe_vm_faults - the GPU page faults of a VM that failed
 * @lock: protects @list and @len; taken alone (nothing is taken under it)
 * @list: the faults, &struct vxe_vm_fault_entry, oldest first
 * @len: how many there are, at most %VXE_VM_MAX_FAULTS
 *
 * What DRM_IOCTL_XE_VM_GET_PROPERTY (%DRM_XE_VM_GET_PROPERTY_FAULTS)
 * reports, as Xe keeps it: a fault the handler could not serve, in any VM
 * (fault mode or not); the first %VXE_VM_MAX_FAULTS are kept, later ones
 * dropped; reading does not clear them.
 */
struct vxe_vm_faults {
	spinlock_t lock; /* protects list and len */
	struct list_head list;
	unsigned int len;
};

/* What failed, in the uAPI's terms (FAULT_ACCESS_TYPE_*, FAULT_TYPE_*) */
enum vxe_vm_fault_access {
	VXE_VM_FAULT_READ,
	VXE_VM_FAULT_WRITE,
	VXE_VM_FAULT_ATOMIC,
};

void vxe_vm_faults_init(struct vxe_vm_faults *faults);
void vxe_vm_faults_fini(struct vxe_vm_faults *faults);
void vxe_vm_fault_record(struct vxe_vm *vm, u64 addr,
			 enum vxe_vm_fault_access access, int err,
			 unsigned int level);
unsigned int vxe_vm_faults_count(struct vxe_vm_faults *faults);
int vxe_vm_get_property_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);

#endif
