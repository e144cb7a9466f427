/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_TTM_VRAM_MGR_H_
#define _VXE_TTM_VRAM_MGR_H_

#include <linux/gpu_buddy.h>
#include <linux/mutex.h>
#include <drm/ttm/ttm_resource.h>

struct vxe_device;

/**
 * struct vxe_ttm_vram_mgr - TTM's manager of a vxe device's VRAM
 * @manager: the TTM resource manager (%TTM_PL_VRAM)
 * @mm: the buddy allocator of VRAM offsets
 * @lock: protects @mm
 */
struct vxe_ttm_vram_mgr {
	struct ttm_resource_manager manager;
	struct gpu_buddy mm;
	struct mutex lock; /* protects mm */
};

/**
 * struct vxe_vram_resource - a VRAM placement of a buffer object
 * @base: the TTM resource
 * @blocks: its buddy blocks, in allocation order
 */
struct vxe_vram_resource {
	struct ttm_resource base;
	struct list_head blocks;
};

int vxe_ttm_vram_mgr_init(struct vxe_device *vxe);
void vxe_ttm_vram_mgr_fini(struct vxe_device *vxe);
int vxe_vram_resource_offsets(struct ttm_resource *res, u64 *offsets,
			      unsigned long npages);
int vxe_vram_resource_offset(struct ttm_resource *res, unsigned long pgoff,
			     u64 *offset);
u64 vxe_ttm_vram_mgr_free(struct vxe_device *vxe);

#endif
