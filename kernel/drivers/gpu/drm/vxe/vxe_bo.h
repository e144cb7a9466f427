/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_BO_H_
#define _VXE_BO_H_

#include <linux/llist.h>
#include <linux/list.h>
#include <drm/drm_pagemap.h>
#include <drm/ttm/ttm_bo.h>
#include <drm/ttm/ttm_placement.h>

struct drm_device;
struct drm_file;
struct drm_pagemap;
struct drm_pagemap_addr;
struct mm_struct;
struct vxe_device;
struct vxe_vm;

/**
 * struct vxe_bo - a vxe buffer object: a TTM BO, exposed as a GEM object
 * @ttm: the TTM buffer object; @ttm.base is the GEM object
 * @places: where the BO may live, preferred first: %TTM_PL_VRAM, %TTM_PL_TT
 * @placement: the placement made of @places
 * @vm: the VM the BO is private to (it shares its reservation object and
 *	can be bound into it only), or NULL; holds a reference
 * @cpu_caching: %DRM_XE_GEM_CPU_CACHING_WB or _WC
 * @flags: the %DRM_XE_GEM_CREATE_FLAG_* it was created with
 * @svm: an SVM allocation (vxe_bo_create_svm())
 * @devmem: (SVM allocations) the device memory drm_pagemap migrates into
 * @put_node: (SVM allocations) in &vxe_device.bo_puts once released
 * @svm_link: (SVM allocations) in &vxe_device.svm_bos
 */
struct vxe_bo {
	struct ttm_buffer_object ttm;
	struct ttm_place places[2];
	struct ttm_placement placement;
	struct vxe_vm *vm;
	u16 cpu_caching;
	u32 flags;
	bool svm;
	struct drm_pagemap_devmem devmem;
	struct llist_node put_node;
	struct list_head svm_link;
};

/**
 * gem_to_vxe_bo() - the vxe BO of a GEM object
 * @obj: a GEM object of a vxe device
 *
 * Return: the &struct vxe_bo embedding @obj.
 */
static inline struct vxe_bo *gem_to_vxe_bo(struct drm_gem_object *obj)
{
	return container_of(obj, struct vxe_bo, ttm.base);
}

int vxe_ttm_init(struct vxe_device *vxe);
struct vxe_bo *vxe_bo_create(struct vxe_device *vxe, struct vxe_vm *vm,
			     u64 size, u16 cpu_caching, u32 flags, u32 regions);
struct vxe_bo *vxe_bo_create_svm(struct vxe_device *vxe, u64 size,
				 struct mm_struct *mm,
				 struct drm_pagemap *dpagemap);
int vxe_bo_evict_svm_all(struct vxe_device *vxe);
int vxe_bo_validate(struct vxe_bo *bo);
int vxe_bo_dma_addrs(struct vxe_bo *bo, u64 offset, unsigned long npages,
		     struct drm_pagemap_addr *addrs);
int vxe_gem_create_ioctl(struct drm_device *dev, void *data,
			 struct drm_file *file);
int vxe_gem_mmap_offset_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);

#endif
