// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/platform_device.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_file.h>
#include <drm/drm_gem.h>
#include <drm/drm_ioctl.h>
#include <drm/drm_managed.h>
#include <drm/drm_print.h>
#include <drm/ttm/ttm_tt.h>
#include <kunit/visibility.h>

#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_exec_queue.h"
#include "vxe_pt.h"
#include "vxe_query.h"
#include "vxe_vm.h"
#include "vxe_pagemap.h"
#include "vxe_vram.h"

static unsigned int vxe_num_devices = 1;
module_param_named(num_devices, vxe_num_devices, uint, 0444);
MODULE_PARM_DESC(num_devices, "vxe devices created at load (default 1, at most 16)");

static ushort vxe_devid = 0xe20b;
module_param_named(devid, vxe_devid, ushort, 0444);
MODULE_PARM_DESC(devid, "PCI device id reported (default 0xe20b, a Battlemage)");

/* Xe's default atomic_svm_timeslice_ms */
#define VXE_ATOMIC_SVM_TIMESLICE_MS	5

static unsigned int vxe_vram_size_mib = 256;
module_param_named(vram_size, vxe_vram_size_mib, uint, 0444);
MODULE_PARM_DESC(vram_size, "VRAM of each device in MiB, kernel memory (default 256, 0: none)");

static char *vxe_engines = "rcs,bcs";
module_param_named(engines, vxe_engines, charp, 0444);
MODULE_PARM_DESC(engines, "engines of each device: a list of rcs, bcs, ccs, vcs, vecs; a name again adds an instance (default \"rcs,bcs\", at most 8)");

#define VXE_MAX_DEVICES	16

/*
 * The engines of the engines parameter, as Xe names them, with the MMIO
 * bases of their instances (Xe's *_RING_BASE): the command streamer's
 * registers (CS_GPR, timestamps) are at these offsets.
 */
static const u32 vxe_rcs_bases[] = { 0x02000 };
static const u32 vxe_bcs_bases[] = {
	0x22000, 0x3e0000, 0x3e2000, 0x3e4000, 0x3e6000, 0x3e8000, 0x3ea000,
	0x3ec000, 0x3ee000,
};

static const u32 vxe_vcs_bases[] = {
	0x1c0000, 0x1c4000, 0x1d0000, 0x1d4000, 0x1e0000, 0x1e4000, 0x1f0000,
	0x1f4000,
};

static const u32 vxe_vecs_bases[] = { 0x1c8000, 0x1d8000, 0x1e8000, 0x1f8000 };
static const u32 vxe_ccs_bases[] = { 0x1a000, 0x1c000, 0x1e000, 0x26000 };

static const struct {
	const char *name;
	u16 engine_class;
	u16 max_instances;
	const u32 *mmio_bases;
} vxe_engine_names[] = {
	{ "rcs", DRM_XE_ENGINE_CLASS_RENDER, ARRAY_SIZE(vxe_rcs_bases), vxe_rcs_bases },
	{ "bcs", DRM_XE_ENGINE_CLASS_COPY, ARRAY_SIZE(vxe_bcs_bases), vxe_bcs_bases },
	{ "vcs", DRM_XE_ENGINE_CLASS_VIDEO_DECODE, ARRAY_SIZE(vxe_vcs_bases),
	  vxe_vcs_bases },
	{ "vecs", DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE, ARRAY_SIZE(vxe_vecs_bases),
	  vxe_vecs_bases },
	{ "ccs", DRM_XE_ENGINE_CLASS_COMPUTE, ARRAY_SIZE(vxe_ccs_bases), vxe_ccs_bases },
};

/**
 * vxe_engine_mmio_base() - where an engine's registers are
 * @eci: one of the device's engines
 *
 * Return: its MMIO base, as on Xe hardware.
 */
u32 vxe_engine_mmio_base(const struct drm_xe_engine_class_instance *eci)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vxe_engine_names); i++)
		if (vxe_engine_names[i].engine_class == eci->engine_class &&
		    eci->engine_instance < vxe_engine_names[i].max_instances)
			return vxe_engine_names[i].mmio_bases[eci->engine_instance];
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_engine_mmio_base);

/**
 * vxe_engine_class_name() - an engine class as Xe names it
 * @class: %DRM_XE_ENGINE_CLASS_RENDER... (not VM_BIND)
 *
 * The name of vxe.engines, of fdinfo's keys and of the class's sysfs
 * directory: rcs, bcs, vcs, vecs, ccs.
 *
 * Return: the name, or NULL for a class engines do not have.
 */
const char *vxe_engine_class_name(u16 class)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(vxe_engine_names); i++)
		if (vxe_engine_names[i].engine_class == class)
			return vxe_engine_names[i].name;
	return NULL;
}

/**
 * vxe_parse_engines() - the engines of a device, from the engines parameter
 * @list: comma-separated engine names (rcs, bcs, vcs, vecs, ccs); each
 *	name is one more instance of its class, on GT 0
 * @info: its engines are set (only on success)
 *
 * Every engine runs its exec queues on its own work items, so more
 * engines mean more concurrency (and longer tests that visit each).
 *
 * Return: 0, or -EINVAL for an empty list, an unknown name, more instances
 * of a class than Xe hardware has (1 rcs, 9 bcs, 8 vcs, 4 vecs, 4 ccs) or
 * more than %VXE_MAX_ENGINES engines, with a message saying which.
 */
int vxe_parse_engines(const char *list, struct vxe_info *info)
{
	struct drm_xe_engine_class_instance engines[VXE_MAX_ENGINES];
	char *copy, *cur, *name;
	int n = 0, err = 0;

	copy = kstrdup(list, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cur = copy;
	while (!err && (name = strsep(&cur, ","))) {
		int i, j, instance = 0;

		name = strim(name);
		for (i = 0; i < ARRAY_SIZE(vxe_engine_names); i++)
			if (!strcmp(name, vxe_engine_names[i].name))
				break;
		if (i == ARRAY_SIZE(vxe_engine_names)) {
			pr_err("vxe: engines: unknown engine \"%s\" (rcs, bcs, vcs, vecs, ccs)\n",
			       name);
			err = -EINVAL;
			continue;
		}
		for (j = 0; j < n; j++)
			instance += engines[j].engine_class ==
				    vxe_engine_names[i].engine_class;
		if (n == VXE_MAX_ENGINES) {
			pr_err("vxe: engines: more than %d engines\n",
			       VXE_MAX_ENGINES);
			err = -EINVAL;
		} else if (instance == vxe_engine_names[i].max_instances) {
			pr_err("vxe: engines: more than %u %s engines\n",
			       vxe_engine_names[i].max_instances, name);
			err = -EINVAL;
		} else {
			engines[n++] = (struct drm_xe_engine_class_instance){
				.engine_class = vxe_engine_names[i].engine_class,
				.engine_instance = instance,
			};
		}
	}
	kfree(copy);
	if (!err && !n) {
		pr_err("vxe: engines: the list is empty\n");
		err = -EINVAL;
	}
	if (err)
		return err;
	memcpy(info->engines, engines, n * sizeof(engines[0]));
	info->num_engines = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_parse_engines);

/**
 * vxe_device_has_engine() - does the device have this engine?
 * @vxe: the device
 * @eci: class, instance and GT (pad ignored)
 *
 * Return: true when @eci names one of the device's engines.
 */
bool vxe_device_has_engine(const struct vxe_device *vxe,
			   const struct drm_xe_engine_class_instance *eci)
{
	int i;

	for (i = 0; i < vxe->info.num_engines; i++)
		if (vxe->info.engines[i].engine_class == eci->engine_class &&
		    vxe->info.engines[i].engine_instance == eci->engine_instance &&
		    vxe->info.engines[i].gt_id == eci->gt_id)
			return true;
	return false;
}

/**
 * vxe_engine_timestamp() - the command streamers' timestamp (RING_TIMESTAMP)
 *
 * A 64-bit counter at %VXE_REFERENCE_CLOCK Hz, the same for every engine
 * (as Xe2's engines share the GT's timestamp), derived from
 * CLOCK_MONOTONIC_RAW: it never goes backwards and is not slewed.
 *
 * Return: the timestamp in reference clock ticks.
 */
u64 vxe_engine_timestamp(void)
{
	return mul_u64_u32_div(ktime_get_raw_ns(), VXE_REFERENCE_CLOCK / 1600000,
			       NSEC_PER_SEC / 1600000);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_engine_timestamp);

/* DRM's GEM file operations, and fdinfo (drm_show_fdinfo(), vxe_show_fdinfo()) */
static const struct file_operations vxe_fops = {
	.owner = THIS_MODULE,
	DRM_GEM_FOPS,
	.show_fdinfo = drm_show_fdinfo,
};

/**
 * vxe_is_vxe_file() - is a file one of a vxe device?
 * @file: an open file
 *
 * Return: true for a file opened on a vxe device node, as Xe's
 * xe_is_xe_file().
 */
bool vxe_is_vxe_file(const struct file *file)
{
	return file->f_op == &vxe_fops;
}

static const struct drm_ioctl_desc vxe_ioctls[] = {
	DRM_IOCTL_DEF_DRV(XE_DEVICE_QUERY, vxe_query_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_VM_CREATE, vxe_vm_create_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GEM_CREATE, vxe_gem_create_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_GEM_MMAP_OFFSET, vxe_gem_mmap_offset_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_VM_DESTROY, vxe_vm_destroy_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_VM_BIND, vxe_vm_bind_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_EXEC_QUEUE_CREATE, vxe_exec_queue_create_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_EXEC_QUEUE_DESTROY, vxe_exec_queue_destroy_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_EXEC_QUEUE_GET_PROPERTY,
			  vxe_exec_queue_get_property_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_EXEC, vxe_exec_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_WAIT_USER_FENCE, vxe_wait_user_fence_ioctl,
			  DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_MADVISE, vxe_vm_madvise_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_VM_QUERY_MEM_RANGE_ATTRS,
			  vxe_vm_query_mem_range_attrs_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_EXEC_QUEUE_SET_PROPERTY,
			  vxe_exec_queue_set_property_ioctl, DRM_RENDER_ALLOW),
	DRM_IOCTL_DEF_DRV(XE_VM_GET_PROPERTY, vxe_vm_get_property_ioctl,
			  DRM_RENDER_ALLOW),
};

static int vxe_open(struct drm_device *drm, struct drm_file *file)
{
	struct vxe_file *vf = kzalloc(sizeof(*vf), GFP_KERNEL);

	if (!vf)
		return -ENOMEM;
	mutex_init(&vf->lock);
	xa_init_flags(&vf->vms, XA_FLAGS_ALLOC1);
	xa_init_flags(&vf->queues, XA_FLAGS_ALLOC1);
	file->driver_priv = vf;
	return 0;
}

/*
 * The last close of a file destroys the exec queues (cancelling their
 * pending jobs) and the VMs it still owns.
 */
static void vxe_postclose(struct drm_device *drm, struct drm_file *file)
{
	struct vxe_file *vf = file->driver_priv;
	struct vxe_vm *vm;
	unsigned long id;

	vxe_exec_queue_file_close(vf);
	xa_destroy(&vf->queues);
	xa_for_each(&vf->vms, id, vm) {
		xa_erase(&vf->vms, id);
		vxe_vm_destroy(vm);
	}
	xa_destroy(&vf->vms);
	mutex_destroy(&vf->lock);
	kfree(vf);
}

/* TTM's memory types as fdinfo names them, Xe's names */
static const char *const vxe_mem_type_names[] = {
	[TTM_PL_SYSTEM] = "system",
	[TTM_PL_TT] = "gtt",
	[TTM_PL_VRAM] = "vram0",
};

/* One BO in the memory stats of its memory type, as Xe counts it */
static void vxe_bo_meminfo(struct vxe_bo *bo, struct drm_memory_stats *stats)
{
	struct ttm_resource *res = bo->ttm.resource;
	u32 mem_type = res ? res->mem_type : TTM_PL_SYSTEM;
	u64 size = bo->ttm.base.size;
	struct drm_memory_stats *s;

	dma_resv_assert_held(bo->ttm.base.resv);
	if (mem_type >= ARRAY_SIZE(vxe_mem_type_names))
		return;
	s = &stats[mem_type];
	if (drm_gem_object_is_shared_for_memory_stats(&bo->ttm.base))
		s->shared += size;
	else
		s->private += size;
	if (mem_type == TTM_PL_VRAM ||
	    (bo->ttm.ttm && ttm_tt_is_populated(bo->ttm.ttm))) {
		s->resident += size;
		if (!dma_resv_test_signaled(bo->ttm.base.resv,
					    DMA_RESV_USAGE_BOOKKEEP))
			s->active += size;
		else if (mem_type == TTM_PL_SYSTEM)
			s->purgeable += size;
	}
}

/*
 * fdinfo's memory keys (drm-total-, -shared-, -active-, -resident-,
 * -purgeable-<region>) for the file's GEM objects, per memory type: system
 * (not populated, or swapped out), gtt (system memory the GPU maps), vram0.
 * Each BO is looked at under its reservation lock: taken without
 * sleeping under the handle table's lock, else with a reference once that
 * lock is dropped (the walk goes on from the next handle).
 */
static void vxe_show_meminfo(struct drm_printer *p, struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(file->minor->dev);
	struct drm_memory_stats stats[ARRAY_SIZE(vxe_mem_type_names)] = {};
	struct drm_gem_object *obj;
	int id, t;

	spin_lock(&file->table_lock);
	idr_for_each_entry(&file->object_idr, obj, id) {
		struct vxe_bo *bo = gem_to_vxe_bo(obj);

		if (dma_resv_trylock(obj->resv)) {
			vxe_bo_meminfo(bo, stats);
			dma_resv_unlock(obj->resv);
			continue;
		}
		drm_gem_object_get(obj);
		spin_unlock(&file->table_lock);
		dma_resv_lock(obj->resv, NULL);
		vxe_bo_meminfo(bo, stats);
		dma_resv_unlock(obj->resv);
		drm_gem_object_put(obj);
		spin_lock(&file->table_lock);
	}
	spin_unlock(&file->table_lock);

	for (t = 0; t < ARRAY_SIZE(vxe_mem_type_names); t++) {
		if (t == TTM_PL_VRAM && !vxe->vram)
			continue;
		drm_print_memory_stats(p, &stats[t], DRM_GEM_OBJECT_RESIDENT |
				       (t == TTM_PL_SYSTEM ?
					DRM_GEM_OBJECT_PURGEABLE : 0),
				       vxe_mem_type_names[t]);
	}
}

/* Engine classes in the order of Xe's fdinfo */
static const u16 vxe_fdinfo_classes[] = {
	DRM_XE_ENGINE_CLASS_RENDER, DRM_XE_ENGINE_CLASS_VIDEO_DECODE,
	DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE, DRM_XE_ENGINE_CLASS_COPY,
	DRM_XE_ENGINE_CLASS_COMPUTE,
};

/*
 * fdinfo's engine utilization, as Xe gives it: for each class the device
 * has, drm-cycles-<class> (the time the file's exec queues have run, in
 * reference clock ticks, the running jobs' time so far included),
 * drm-total-cycles-<class> (the engines' timestamp, in the same ticks:
 * the busy share is the ratio of two samples' differences) and, with more
 * than one engine of the class, drm-engine-capacity-<class>.
 */
static void vxe_show_run_ticks(struct drm_printer *p, struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(file->minor->dev);
	unsigned int capacity[VXE_NR_ENGINE_CLASSES] = {};
	struct vxe_file *vf = file->driver_priv;
	struct vxe_exec_queue *q;
	unsigned long id;
	u64 timestamp;
	int i;

	for (i = 0; i < vxe->info.num_engines; i++)
		capacity[vxe->info.engines[i].engine_class]++;

	mutex_lock(&vf->lock);
	xa_for_each(&vf->queues, id, q)
		vxe_exec_queue_update_run_ticks(vf, q);
	mutex_unlock(&vf->lock);
	timestamp = vxe_engine_timestamp();

	for (i = 0; i < ARRAY_SIZE(vxe_fdinfo_classes); i++) {
		u16 class = vxe_fdinfo_classes[i];
		const char *name = vxe_engine_class_name(class);

		if (!capacity[class])
			continue;
		drm_printf(p, "drm-cycles-%s:\t%llu\n", name,
			   (u64)atomic64_read(&vf->run_ticks[class]));
		drm_printf(p, "drm-total-cycles-%s:\t%llu\n", name, timestamp);
		if (capacity[class] > 1)
			drm_printf(p, "drm-engine-capacity-%s:\t%u\n", name,
				   capacity[class]);
	}
}

/* /proc/<pid>/fdinfo/<fd> of a vxe file, after DRM's drm-driver and client id */
static void vxe_show_fdinfo(struct drm_printer *p, struct drm_file *file)
{
	vxe_show_meminfo(p, file);
	vxe_show_run_ticks(p, file);
}

static const struct drm_driver vxe_drm_driver = {
	.driver_features = DRIVER_GEM | DRIVER_RENDER | DRIVER_SYNCOBJ |
			   DRIVER_SYNCOBJ_TIMELINE,
	.ioctls = vxe_ioctls,
	.num_ioctls = ARRAY_SIZE(vxe_ioctls),
	.open = vxe_open,
	.postclose = vxe_postclose,
	.debugfs_init = vxe_debugfs_init,
	.show_fdinfo = vxe_show_fdinfo,
	.fops = &vxe_fops,
	.name = "xe",
	.desc = "Virtual Xe: a mock Xe GPU for GPU SVM testing",
	.major = 1,
	.minor = 0,
};

static void vxe_device_release_wq(struct drm_device *drm, void *arg)
{
	struct vxe_device *vxe = to_vxe_device(drm);

	destroy_workqueue(vxe->wq);
}

/**
 * vxe_device_create() - create a virtual Xe device
 * @parent: the device it hangs off (a platform device, or a KUnit device)
 * @vram_size: bytes of VRAM (page aligned; 0: none, as without
 *	CONFIG_DEVICE_PRIVATE)
 *
 * The device is devres-managed: it goes away with @parent's driver
 * binding (or with the KUnit device).  Its DMA mask is 64 bits: the mock
 * GPU reaches all memory.
 *
 * Return: the device, or an ERR_PTR().
 */
struct vxe_device *vxe_device_create(struct device *parent, u64 vram_size)
{
	struct vxe_device *vxe;
	int err, i;

	if (!parent->dma_mask)
		parent->dma_mask = &parent->coherent_dma_mask;
	err = dma_set_mask_and_coherent(parent, DMA_BIT_MASK(64));
	if (err)
		return ERR_PTR(err);

	vxe = devm_drm_dev_alloc(parent, &vxe_drm_driver, struct vxe_device,
				 drm);
	if (IS_ERR(vxe))
		return vxe;

	vxe->info.devid = vxe_devid;
	vxe->info.va_bits = 48;
	vxe->atomic_svm_timeslice_ms = VXE_ATOMIC_SVM_TIMESLICE_MS;
	err = vxe_parse_engines(vxe_engines, &vxe->info);
	if (err)
		return ERR_PTR(err);

	init_waitqueue_head(&vxe->ufence_wq);
	spin_lock_init(&vxe->reset.lock);
	init_waitqueue_head(&vxe->reset.wq);
	for (i = 0; i < VXE_NR_GROUPS; i++) {
		init_rwsem(&vxe->groups[i].mode_sem);
		init_waitqueue_head(&vxe->groups[i].wq);
	}
	INIT_LIST_HEAD(&vxe->vms);
	err = drmm_mutex_init(&vxe->drm, &vxe->vms_lock);
	if (err)
		return ERR_PTR(err);
	err = drmm_mutex_init(&vxe->drm, &vxe->sched_lock);
	if (err)
		return ERR_PTR(err);
	vxe_sched_props_init(vxe);
	err = vxe_sysfs_init(vxe);
	if (err)
		return ERR_PTR(err);
	err = vxe_vram_init(vxe, vram_size);
	if (err)
		return ERR_PTR(err);
	err = vxe_ttm_init(vxe);
	if (err)
		return ERR_PTR(err);
	err = vxe_pagemap_init(vxe);
	if (err)
		return ERR_PTR(err);

	vxe->wq = alloc_ordered_workqueue("vxe-gc", WQ_MEM_RECLAIM);
	if (!vxe->wq)
		return ERR_PTR(-ENOMEM);
	err = drmm_add_action_or_reset(&vxe->drm, vxe_device_release_wq, NULL);
	if (err)
		return ERR_PTR(err);

	return vxe;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_device_create);

/**
 * vxe_engine_group() - the engine group of an engine class
 * @vxe: the device
 * @engine_class: a %DRM_XE_ENGINE_CLASS_ value of an engine
 *
 * Return: the group, as Xe groups its engines: render with compute, the
 * copy engines, the video engines.
 */
struct vxe_engine_group *vxe_engine_group(struct vxe_device *vxe,
					  u16 engine_class)
{
	switch (engine_class) {
	case DRM_XE_ENGINE_CLASS_COPY:
		return &vxe->groups[VXE_GROUP_BCS];
	case DRM_XE_ENGINE_CLASS_VIDEO_DECODE:
	case DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE:
		return &vxe->groups[VXE_GROUP_VCS_VECS];
	default:
		return &vxe->groups[VXE_GROUP_RCS_CCS];
	}
}

/**
 * vxe_mem_kmap() - map the byte behind a translated device address
 * @vxe: the device
 * @x: the translation: a DMA address of system memory
 *
 * The mock GPU reaches system memory as a DMA master would: at the DMA
 * address its page tables hold, which the DMA API handed out; and its
 * VRAM (%VXE_PTE_DM) at the offset, in the backing pages.  Undo with
 * kunmap_local() on the returned address.
 *
 * Context: atomic allowed (kmap_local_page()); called with the page-table
 * lock held.
 * Return: the kernel address of the byte, or NULL for an address the
 * device cannot reach.
 */
void *vxe_mem_kmap(struct vxe_device *vxe, const struct vxe_pt_xlate *x)
{
	phys_addr_t phys;

	if (x->pte & VXE_PTE_DM) {
		if (!vxe->vram || x->addr >= vxe->vram->size)
			return NULL;
		return kmap_local_page(vxe_vram_backing(vxe->vram, x->addr)) +
		       offset_in_page(x->addr);
	}

	phys = dma_to_phys(vxe->drm.dev, x->addr);
	if (!pfn_valid(PHYS_PFN(phys)))
		return NULL;
	return kmap_local_page(pfn_to_page(PHYS_PFN(phys))) +
	       offset_in_page(phys);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_mem_kmap);

/**
 * vxe_mem_copy() - the mock GPU's memory port: access a device address
 * @priv: the &struct vxe_device
 * @x: the translation (see vxe_mem_kmap())
 * @buf: the CPU-side buffer
 * @len: number of bytes, within one 4K page
 * @write: copy from @buf to memory
 *
 * Context: called with the page-table lock held; does not sleep.
 * Return: 0, or -EIO for an address the device cannot reach.
 */
int vxe_mem_copy(void *priv, const struct vxe_pt_xlate *x, void *buf,
		 size_t len, bool write)
{
	void *vaddr = vxe_mem_kmap(priv, x);

	if (!vaddr)
		return -EIO;
	if (write)
		memcpy(vaddr, buf, len);
	else
		memcpy(buf, vaddr, len);
	kunmap_local(vaddr);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_mem_copy);

/*
 * The devices userspace sees: platform devices "vxe.N", each a registered
 * DRM device (/dev/dri/cardN and renderD12N) whose driver name is "xe".
 */
static int vxe_probe(struct platform_device *pdev)
{
	struct vxe_device *vxe;

	vxe = vxe_device_create(&pdev->dev, (u64)vxe_vram_size_mib << 20);
	if (IS_ERR(vxe))
		return PTR_ERR(vxe);
	platform_set_drvdata(pdev, vxe);
	return drm_dev_register(&vxe->drm, 0);
}

static void vxe_remove(struct platform_device *pdev)
{
	struct vxe_device *vxe = platform_get_drvdata(pdev);

	drm_dev_unplug(&vxe->drm);
}

static struct platform_driver vxe_platform_driver = {
	.probe = vxe_probe,
	.remove = vxe_remove,
	.driver = {
		.name = "vxe",
	},
};

static struct platform_device *vxe_pdevs[VXE_MAX_DEVICES];

/*
 * vxe_wq: vxe's workqueue: the engines' work items (one per exec queue),
 *	the frees of exec queues and the puts of SVM allocations' BOs
 *
 * Unbound, as many at once as system_unbound_wq runs.  Module exit
 * destroys it after the devices are gone, which waits for what is still
 * queued: a work item may hold the last reference to a device, and its
 * code is the module's.
 */
struct workqueue_struct *vxe_wq;

/**
 * vxe_unregister_devices() - remove the devices vxe_register_devices() made
 *
 * Also unregisters the platform driver, then destroys &vxe_wq (waiting
 * for its work items).  Module exit calls it.
 */
void vxe_unregister_devices(void)
{
	int i;

	for (i = VXE_MAX_DEVICES - 1; i >= 0; i--) {
		if (vxe_pdevs[i])
			platform_device_unregister(vxe_pdevs[i]);
		vxe_pdevs[i] = NULL;
	}
	platform_driver_unregister(&vxe_platform_driver);
	if (vxe_wq) {
		destroy_workqueue(vxe_wq);
		vxe_wq = NULL;
	}
}

/**
 * vxe_register_devices() - create the num_devices vxe devices
 *
 * Allocates &vxe_wq, registers the platform driver and one platform device
 * per device; each probe registers a DRM device.  Module init calls it.
 *
 * Return: 0, -EINVAL for a num_devices above 16, -ENOMEM, or the error of
 * a registration (nothing is left registered then).
 */
int vxe_register_devices(void)
{
	unsigned int i;
	int err;

	if (vxe_num_devices > VXE_MAX_DEVICES) {
		pr_err("vxe: num_devices=%u: at most %d devices\n",
		       vxe_num_devices, VXE_MAX_DEVICES);
		return -EINVAL;
	}
	vxe_wq = alloc_workqueue("vxe", WQ_UNBOUND, WQ_MAX_ACTIVE);
	if (!vxe_wq)
		return -ENOMEM;
	err = platform_driver_register(&vxe_platform_driver);
	if (err) {
		destroy_workqueue(vxe_wq);
		vxe_wq = NULL;
		return err;
	}
	for (i = 0; i < vxe_num_devices; i++) {
		struct platform_device *pdev;

		pdev = platform_device_register_simple("vxe", i, NULL, 0);
		if (IS_ERR(pdev)) {
			vxe_unregister_devices();
			return PTR_ERR(pdev);
		}
		vxe_pdevs[i] = pdev;
	}
	return 0;
}
