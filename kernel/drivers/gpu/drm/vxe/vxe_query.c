// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/capability.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/nospec.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
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

/*
 * The version of the submission interface UC_FW_VERSION reports for
 * XE_QUERY_UC_TYPE_GUC_SUBMISSION.  vxe has no GuC: its engines take exec
 * queues and jobs as Xe's GuC submission backend presents them to
 * userspace, and this is the first version of that interface.
 */
#define VXE_SUBMISSION_VER_MAJOR	1
#define VXE_SUBMISSION_VER_MINOR	0
#define VXE_SUBMISSION_VER_PATCH	0

/* Bytes of Xe's topology masks: DSS (96 bits), EU per DSS, L3 banks (64) */
#define VXE_TOPO_DSS_BYTES	16
#define VXE_TOPO_EU_BYTES	8
#define VXE_TOPO_L3_BYTES	8

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

/*
 * GT topology: Xe reports, per GT, the geometry and compute DSS masks, the
 * L3 bank mask and the EUs per DSS (SIMD16 EUs on Xe2), each a
 * &struct drm_xe_query_topology_mask followed by its bytes.  vxe has no
 * shader cores: every mask is empty, as Xe reports them for a GT without
 * DSS (a media GT), so userspace sees 0 EUs rather than invented ones.
 */
static const struct {
	u16 type;
	u16 num_bytes;
} vxe_topo_masks[] = {
	{ DRM_XE_TOPO_DSS_GEOMETRY, VXE_TOPO_DSS_BYTES },
	{ DRM_XE_TOPO_DSS_COMPUTE, VXE_TOPO_DSS_BYTES },
	{ DRM_XE_TOPO_L3_BANK, VXE_TOPO_L3_BYTES },
	{ DRM_XE_TOPO_SIMD16_EU_PER_DSS, VXE_TOPO_EU_BYTES },
};

static size_t vxe_topo_size(void)
{
	size_t size = 0;
	int i;

	for (i = 0; i < ARRAY_SIZE(vxe_topo_masks); i++)
		size += sizeof(struct drm_xe_query_topology_mask) +
			vxe_topo_masks[i].num_bytes;
	return size;
}

static void fill_gt_topology(struct vxe_device *vxe, void *buf)
{
	struct drm_xe_query_topology_mask *topo;
	int i;

	for (i = 0; i < ARRAY_SIZE(vxe_topo_masks); i++) {
		topo = buf;
		topo->gt_id = 0;
		topo->type = vxe_topo_masks[i].type;
		topo->num_bytes = vxe_topo_masks[i].num_bytes;
		/* The mask bytes stay zero. */
		buf += sizeof(*topo) + topo->num_bytes;
	}
}

static int query_gt_topology(struct vxe_device *vxe,
			     struct drm_xe_device_query *query)
{
	return vxe_query_answer(vxe, query, vxe_topo_size(), fill_gt_topology);
}

/*
 * The common part of the queries that take input in their answer's
 * struct: a size probe (size 0) gets @size and returns 1; any other size
 * must be @size; then the user's struct is read into @resp (0).
 */
static int vxe_query_read(struct vxe_device *vxe,
			  struct drm_xe_device_query *query, void *resp,
			  size_t size)
{
	if (query->size == 0) {
		query->size = size;
		return 1;
	}
	if (VXE_IOCTL_DBG(vxe, query->size != size))
		return -EINVAL;
	if (copy_from_user(resp, u64_to_user_ptr(query->data), size))
		return -EFAULT;
	return 0;
}

/* The CPU clocks ENGINE_CYCLES can correlate with, as Xe (and perf) offer */
static u64 (*vxe_cpu_clock(clockid_t id))(void)
{
	switch (id) {
	case CLOCK_MONOTONIC:
		return ktime_get_ns;
	case CLOCK_MONOTONIC_RAW:
		return ktime_get_raw_ns;
	case CLOCK_REALTIME:
		return ktime_get_real_ns;
	case CLOCK_BOOTTIME:
		return ktime_get_boottime_ns;
	case CLOCK_TAI:
		return ktime_get_clocktai_ns;
	default:
		return NULL;
	}
}

/*
 * ENGINE_CYCLES: an engine's command streamer timestamp (RING_TIMESTAMP,
 * vxe_engine_timestamp()) with a CPU timestamp of the chosen clock read
 * just before it, and how long the pair took to read (cpu_delta), so that
 * userspace can correlate GPU and CPU time.  The request names the engine
 * and the clock; only the output fields are written back.
 */
static int query_engine_cycles(struct vxe_device *vxe,
			       struct drm_xe_device_query *query)
{
	struct drm_xe_query_engine_cycles __user *uptr =
		u64_to_user_ptr(query->data);
	struct drm_xe_query_engine_cycles resp;
	u64 (*cpu_clock)(void);
	u64 start;
	int err;

	err = vxe_query_read(vxe, query, &resp, sizeof(resp));
	if (err)
		return min(err, 0);

	cpu_clock = vxe_cpu_clock(resp.clockid);
	if (VXE_IOCTL_DBG(vxe, !cpu_clock))
		return -EINVAL;
	if (VXE_IOCTL_DBG(vxe, resp.eci.engine_class == DRM_XE_ENGINE_CLASS_VM_BIND) ||
	    VXE_IOCTL_DBG(vxe, !vxe_device_has_engine(vxe, &resp.eci)))
		return -EINVAL;

	start = local_clock();
	resp.cpu_timestamp = cpu_clock();
	resp.engine_cycles = vxe_engine_timestamp();
	resp.cpu_delta = local_clock() - start;
	/* Xe2's timestamp registers are 64 bits wide. */
	resp.width = 64;

	if (put_user(resp.cpu_timestamp, &uptr->cpu_timestamp) ||
	    put_user(resp.cpu_delta, &uptr->cpu_delta) ||
	    put_user(resp.engine_cycles, &uptr->engine_cycles) ||
	    put_user(resp.width, &uptr->width))
		return -EFAULT;
	return 0;
}

/*
 * UC_FW_VERSION: the GuC submission interface version (see
 * %VXE_SUBMISSION_VER_MAJOR), or -ENODEV for the HuC: vxe has no media
 * engines, and Xe answers -ENODEV where no HuC runs.
 */
static int query_uc_fw_version(struct vxe_device *vxe,
			       struct drm_xe_device_query *query)
{
	struct drm_xe_query_uc_fw_version __user *uptr =
		u64_to_user_ptr(query->data);
	struct drm_xe_query_uc_fw_version resp;
	int err;

	err = vxe_query_read(vxe, query, &resp, sizeof(resp));
	if (err)
		return min(err, 0);
	if (VXE_IOCTL_DBG(vxe, resp.pad || resp.pad2 || resp.reserved))
		return -EINVAL;

	switch (resp.uc_type) {
	case XE_QUERY_UC_TYPE_GUC_SUBMISSION:
		resp.branch_ver = 0;
		resp.major_ver = VXE_SUBMISSION_VER_MAJOR;
		resp.minor_ver = VXE_SUBMISSION_VER_MINOR;
		resp.patch_ver = VXE_SUBMISSION_VER_PATCH;
		break;
	case XE_QUERY_UC_TYPE_HUC:
		drm_dbg(&vxe->drm, "query UC_FW_VERSION: no HuC\n");
		return -ENODEV;
	default:
		drm_dbg(&vxe->drm, "query UC_FW_VERSION: unknown uc_type %u\n",
			resp.uc_type);
		return -EINVAL;
	}

	return copy_to_user(uptr, &resp, sizeof(resp)) ? -EFAULT : 0;
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

/*
 * PXP: as Xe, the size probe is answered (PXP status has a fixed size),
 * and the query itself is -ENODEV: vxe has no PXP.
 */
static int query_pxp_status(struct vxe_device *vxe,
			    struct drm_xe_device_query *query)
{
	if (query->size == 0) {
		query->size = sizeof(struct drm_xe_query_pxp_status);
		return 0;
	}
	if (VXE_IOCTL_DBG(vxe, query->size != sizeof(struct drm_xe_query_pxp_status)))
		return -EINVAL;
	drm_dbg(&vxe->drm, "query PXP_STATUS: no PXP\n");
	return -ENODEV;
}

/* Xe answers -ENODEV where the hardware has no EU stall sampling. */
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
	[DRM_XE_DEVICE_QUERY_GT_TOPOLOGY] = query_gt_topology,
	[DRM_XE_DEVICE_QUERY_ENGINE_CYCLES] = query_engine_cycles,
	[DRM_XE_DEVICE_QUERY_UC_FW_VERSION] = query_uc_fw_version,
	[DRM_XE_DEVICE_QUERY_OA_UNITS] = query_oa_units,
	[DRM_XE_DEVICE_QUERY_PXP_STATUS] = query_pxp_status,
	[DRM_XE_DEVICE_QUERY_EU_STALL] = query_not_supported,
};

/**
 * vxe_query_ioctl() - DRM_IOCTL_XE_DEVICE_QUERY
 * @dev: the DRM device
 * @data: the &struct drm_xe_device_query, in kernel memory
 * @file: the DRM file
 *
 * Return: 0; -EINVAL for extensions, reserved fields, an unknown query
 * or a size that is neither 0 nor the answer's, and for bad input of the
 * queries that take some (an engine, a clock, a firmware type); -EFAULT
 * for a bad data pointer; -ENODEV for a feature the device does not have
 * (PXP, EU stall sampling, the HuC); -ENOMEM.
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
