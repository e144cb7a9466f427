// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/capability.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_print.h>
#include <uapi/drm/xe_drm.h>

#include "vxe_device.h"
#include "vxe_query.h"
#include "vxe_vram.h"

/*
 * DRM_IOCTL_XE_DEVICE_QUERY, as upstream Xe answers it: a query with
 * size 0 returns the size it needs; any other size must be exactly that
 * (-EINVAL otherwise); then the answer is copied to data.  Every check
 * that fails says why at debug level, as Xe's XE_IOCTL_DBG() does.
 */

/* Xe2 graphics IP (Battlemage): 20.01; its command streamers tick at 19.2 MHz */
#define VXE_IP_VER_MAJOR	20
#define VXE_IP_VER_MINOR	1
#define VXE_REFERENCE_CLOCK	19200000

/*
 * The common part of every query: a size probe (size 0) gets the size;
 * a fill gets a zeroed buffer of exactly that size, which @fill writes
 * and which is then copied to the user's data pointer.
 */
static int vxe_query_answer(struct vxe_device *vxe,
			    struct drm_xe_device_query *query, size_t size,
			    void (*fill)(struct vxe_device *vxe, void *buf))
{
	void *buf;
	int err;

	if (query->size == 0) {
		query->size = size;
		return 0;
	}
	if (VXE_IOCTL_DBG(vxe, query->size != size))
		return -EINVAL;

	buf = kzalloc(size, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	fill(vxe, buf);
	err = copy_to_user(u64_to_user_ptr(query->data), buf, size) ?
	      -EFAULT : 0;
	kfree(buf);
	return err;
}

static void fill_engines(struct vxe_device *vxe, void *buf)
{
	struct drm_xe_query_engines *engines = buf;
	int i;

	engines->num_engines = vxe->info.num_engines;
	for (i = 0; i < vxe->info.num_engines; i++)
		engines->engines[i].instance = vxe->info.engines[i];
}

static int query_engines(struct vxe_device *vxe,
			 struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query,
				struct_size_t(struct drm_xe_query_engines, engines,
					      vxe->info.num_engines),
				fill_engines);
}

static void fill_mem_regions(struct vxe_device *vxe, void *buf)
{
	struct drm_xe_query_mem_regions *regions = buf;

	struct drm_xe_mem_region *vram;

	/* The index is the instance: bit N of a placement mask. */
	regions->num_mem_regions = hweight32(vxe_mem_region_mask(vxe));
	regions->mem_regions[0].mem_class = DRM_XE_MEM_REGION_CLASS_SYSMEM;
	regions->mem_regions[0].instance = VXE_MEM_REGION_SYS;
	regions->mem_regions[0].min_page_size = PAGE_SIZE;
	regions->mem_regions[0].total_size = (u64)totalram_pages() << PAGE_SHIFT;
	if (!vxe->vram)
		return;

	/* All of VRAM is CPU visible (a resizable BAR, as Xe2 cards have). */
	vram = &regions->mem_regions[VXE_MEM_REGION_VRAM];
	vram->mem_class = DRM_XE_MEM_REGION_CLASS_VRAM;
	vram->instance = VXE_MEM_REGION_VRAM;
	vram->min_page_size = PAGE_SIZE;
	vram->total_size = vxe->vram->size;
	vram->used = vxe->vram->size - vxe_ttm_vram_mgr_free(vxe);
	vram->cpu_visible_size = vram->total_size;
	vram->cpu_visible_used = vram->used;
}

static int query_mem_regions(struct vxe_device *vxe,
			     struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query,
				struct_size_t(struct drm_xe_query_mem_regions,
					      mem_regions,
					      hweight32(vxe_mem_region_mask(vxe))),
				fill_mem_regions);
}

#define VXE_CONFIG_PARAMS	(DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY + 1)

static void fill_config(struct vxe_device *vxe, void *buf)
{
	struct drm_xe_query_config *config = buf;

	config->num_params = VXE_CONFIG_PARAMS;
	config->info[DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID] =
		vxe->info.devid | (vxe->info.revid << 16);
	config->info[DRM_XE_QUERY_CONFIG_FLAGS] =
		DRM_XE_QUERY_CONFIG_FLAG_HAS_CPU_ADDR_MIRROR |
		DRM_XE_QUERY_CONFIG_FLAG_HAS_LOW_LATENCY |
		(vxe->vram ? DRM_XE_QUERY_CONFIG_FLAG_HAS_VRAM : 0);
	config->info[DRM_XE_QUERY_CONFIG_MIN_ALIGNMENT] = SZ_4K;
	config->info[DRM_XE_QUERY_CONFIG_VA_BITS] = vxe->info.va_bits;
	config->info[DRM_XE_QUERY_CONFIG_MAX_EXEC_QUEUE_PRIORITY] =
		capable(CAP_SYS_NICE) ? VXE_PRIORITY_HIGH : VXE_PRIORITY_NORMAL;
}

static int query_config(struct vxe_device *vxe,
			struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query,
				struct_size_t(struct drm_xe_query_config, info,
					      VXE_CONFIG_PARAMS),
				fill_config);
}

static void fill_gt_list(struct vxe_device *vxe, void *buf)
{
	struct drm_xe_query_gt_list *gts = buf;

	gts->num_gt = 1;
	gts->gt_list[0].type = DRM_XE_QUERY_GT_TYPE_MAIN;
	gts->gt_list[0].tile_id = 0;
	gts->gt_list[0].gt_id = 0;
	gts->gt_list[0].reference_clock = VXE_REFERENCE_CLOCK;
	/* VRAM is near; without VRAM, system memory is (as on integrated Xe). */
	gts->gt_list[0].near_mem_regions = vxe->vram ? BIT(VXE_MEM_REGION_VRAM) :
						       BIT(VXE_MEM_REGION_SYS);
	gts->gt_list[0].far_mem_regions = vxe->vram ? BIT(VXE_MEM_REGION_SYS) : 0;
	gts->gt_list[0].ip_ver_major = VXE_IP_VER_MAJOR;
	gts->gt_list[0].ip_ver_minor = VXE_IP_VER_MINOR;
}

static int query_gt_list(struct vxe_device *vxe,
			 struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query,
				struct_size_t(struct drm_xe_query_gt_list,
					      gt_list, 1),
				fill_gt_list);
}

/* Nothing to write: the zeroed buffer is the whole answer. */
static void fill_nothing(struct vxe_device *vxe, void *buf)
{
}

/* No GuC, so no hardware config table: size 0, as Xe without one. */
static int query_hwconfig(struct vxe_device *vxe,
			  struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query, 0, fill_nothing);
}

/* No OA units: the list is empty. */
static int query_oa_units(struct vxe_device *vxe,
			  struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query, sizeof(struct drm_xe_query_oa_units),
				fill_nothing);
}

/* Xe answers -ENODEV where the hardware has no PXP or EU stall sampling. */
static int query_not_supported(struct vxe_device *vxe,
			       struct drm_xe_device_query *query)
{
	drm_dbg(&vxe->drm, "query %u: not supported by this device\n",
		query->query);
	return -ENODEV;
}

static int (* const vxe_query_funcs[])(struct vxe_device *vxe,
				       struct drm_xe_device_query *query) = {
	[DRM_XE_DEVICE_QUERY_ENGINES] = query_engines,
	[DRM_XE_DEVICE_QUERY_MEM_REGIONS] = query_mem_regions,
	[DRM_XE_DEVICE_QUERY_CONFIG] = query_config,
	[DRM_XE_DEVICE_QUERY_GT_LIST] = query_gt_list,
	[DRM_XE_DEVICE_QUERY_HWCONFIG] = query_hwconfig,
	[DRM_XE_DEVICE_QUERY_OA_UNITS] = query_oa_units,
	[DRM_XE_DEVICE_QUERY_PXP_STATUS] = query_not_supported,
	[DRM_XE_DEVICE_QUERY_EU_STALL] = query_not_supported,
};

/**
 * vxe_query_ioctl() - DRM_IOCTL_XE_DEVICE_QUERY
 * @dev: the DRM device
 * @data: the &struct drm_xe_device_query, in kernel memory
 * @file: the DRM file
 *
 * Return: 0; -EINVAL for extensions, reserved fields, an unknown query
 * or a size that is neither 0 nor the answer's; -EFAULT for a bad data
 * pointer; -ENODEV for a feature the device does not have; -ENOMEM.
 */
int vxe_query_ioctl(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_device_query *query = data;
	u32 idx;

	if (VXE_IOCTL_DBG(vxe, query->extensions) ||
	    VXE_IOCTL_DBG(vxe, query->reserved[0] || query->reserved[1]))
		return -EINVAL;
	if (VXE_IOCTL_DBG(vxe, query->query >= ARRAY_SIZE(vxe_query_funcs)))
		return -EINVAL;
	idx = array_index_nospec(query->query, ARRAY_SIZE(vxe_query_funcs));
	if (VXE_IOCTL_DBG(vxe, !vxe_query_funcs[idx]))
		return -EINVAL;
	return vxe_query_funcs[idx](vxe, query);
}
