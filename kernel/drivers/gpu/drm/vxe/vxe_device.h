/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_DEVICE_H_
#define _VXE_DEVICE_H_

#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <drm/drm_device.h>
#include <drm/drm_print.h>
#include <uapi/drm/xe_drm.h>

#include <linux/wait.h>
#include <drm/ttm/ttm_device.h>

#include "vxe_gt_stats.h"
#include "vxe_inject.h"
#include "vxe_sysfs.h"
#include "vxe_ttm_vram_mgr.h"

struct device;
struct drm_minor;
struct drm_pagemap_cache;
struct drm_pagemap_shrinker;
struct vxe_pt_xlate;
struct vxe_vram;

/* Exec queue priorities, as Xe numbers them (the uAPI takes the number) */
#define VXE_PRIORITY_LOW	0
#define VXE_PRIORITY_NORMAL	1
#define VXE_PRIORITY_HIGH	2

/*
 * The reference clock of the GT: Xe2 command streamer timestamps tick at
 * 19.2 MHz (GT_LIST reference_clock, ENGINE_CYCLES, vxe_engine_timestamp()).
 */
#define VXE_REFERENCE_CLOCK	19200000

/* Engines a vxe device can have, all on GT 0 (module parameter engines) */
#define VXE_MAX_ENGINES	8

/**
 * struct vxe_info - what a vxe device says of itself in DEVICE_QUERY
 * @devid: PCI device id (module parameter devid; a Battlemage id by default)
 * @revid: revision id
 * @va_bits: bits of GPU virtual address
 * @num_engines: entries of @engines
 * @engines: the engines, all on GT 0
 */
struct vxe_info {
	u16 devid;
	u8 revid;
	u8 va_bits;
	int num_engines;
	struct drm_xe_engine_class_instance engines[VXE_MAX_ENGINES];
};

/**
 * VXE_IOCTL_DBG() - test an ioctl argument check, and say which one failed
 * @vxe: the device
 * @cond: the condition that makes the ioctl fail
 *
 * As Xe's XE_IOCTL_DBG(): the failing check is logged at debug level
 * (drm.debug=0x2), so a user can learn why an ioctl returned its errno.
 *
 * Return: @cond.
 */
#define VXE_IOCTL_DBG(vxe, cond) ({					\
	bool __c = !!(cond);						\
	if (__c)							\
		drm_dbg(&(vxe)->drm, "ioctl argument check failed: %s\n", #cond); \
	__c;								\
})

/**
 * enum vxe_group_id - the engine groups of a GT, as Xe's hw engine groups
 * @VXE_GROUP_RCS_CCS: the render and compute engines
 * @VXE_GROUP_BCS: the copy engines
 * @VXE_GROUP_VCS_VECS: the video engines
 * @VXE_NR_GROUPS: number of groups
 */
enum vxe_group_id {
	VXE_GROUP_RCS_CCS,
	VXE_GROUP_BCS,
	VXE_GROUP_VCS_VECS,
	VXE_NR_GROUPS
};

/**
 * enum vxe_group_mode - what the engines of a group run
 * @VXE_GROUP_MODE_LR: jobs of fault-mode VMs
 * @VXE_GROUP_MODE_DMA_FENCE: jobs of VMs with dma-fences (no LR_MODE)
 */
enum vxe_group_mode {
	VXE_GROUP_MODE_LR,
	VXE_GROUP_MODE_DMA_FENCE,
};

/**
 * struct vxe_engine_group - engines that run fault-mode jobs and
 *	dma-fence jobs in turn, as Xe's hw engine groups
 * @mode_sem: read by an EXEC of a dma-fence job, from checking the mode
 *	to counting its job in @dma_fence_jobs; written to switch @mode
 * @mode: the current mode (written under @mode_sem, read anywhere)
 * @dma_fence_jobs: dma-fence jobs submitted to the group and not done
 * @wq: where fault-mode jobs wait for %VXE_GROUP_MODE_LR and the switch
 *	to it waits for @dma_fence_jobs to drain
 *
 * On Xe the hardware cannot take a page fault while a dma-fence job needs
 * the engines: an EXEC of a dma-fence job switches its group to
 * %VXE_GROUP_MODE_DMA_FENCE, which suspends the group's fault-mode jobs
 * (vxe: they pause at their next preemption point, between commands);
 * they run again once every dma-fence job of the group is done, when the
 * first of them switches the group back.  Queues of LR VMs without faults
 * (preempt-fence mode) belong to no group.
 */
struct vxe_engine_group {
	struct rw_semaphore mode_sem;
	enum vxe_group_mode mode;
	atomic_t dma_fence_jobs;
	wait_queue_head_t wq;
};

/* Xe2 graphics IP (Battlemage): 20.01 */
#define VXE_IP_VER_MAJOR	20
#define VXE_IP_VER_MINOR	1

/**
 * struct vxe_gt_reset - resets of the GT (debugfs gt0/force_reset)
 * @lock: protects @seqno, @running and @stopping
 * @seqno: resets so far; a job records it when it starts, and stops once
 *	it changes (read without @lock by the engines)
 * @running: jobs running on the GT's engines
 * @stopping: those of them that were running at the last reset and have
 *	not stopped yet
 * @wq: a synchronous reset waits here for @stopping to reach zero
 *
 * As on Xe, a GT reset ends the jobs running at that moment: they fail,
 * and their exec queues are banned.  Jobs not started yet run afterwards.
 */
struct vxe_gt_reset {
	spinlock_t lock; /* protects seqno, running, stopping */
	u32 seqno;
	u32 running;
	u32 stopping;
	wait_queue_head_t wq;
};

/* Engine classes of the uAPI: render, copy, video decode and enhance, compute */
#define VXE_NR_ENGINE_CLASSES	(DRM_XE_ENGINE_CLASS_COMPUTE + 1)

/*
 * The engine classes that run parallel (multi-LRC) queues on Battlemage, as
 * Xe's multi_lrc_mask: video decode and video enhance.
 */
#define VXE_MULTI_LRC_CLASSES	(BIT(DRM_XE_ENGINE_CLASS_VIDEO_DECODE) | \
				 BIT(DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE))

/**
 * struct vxe_device - one virtual Xe GPU
 * @drm: the DRM device
 * @inj: fault injection for every backend operation of this device
 * @info: identity and engines, as DEVICE_QUERY reports them
 * @wq: ordered workqueue for the SVM garbage collectors of its VMs
 * @nr_vms: live VMs (for leak checks)
 * @ttm: the TTM device managing its buffer objects
 * @ufence_wq: woken whenever a user fence may have been written
 *	(DRM_IOCTL_XE_WAIT_USER_FENCE waits on it)
 * @stats: Xe's per-GT statistics (one GT), see vxe_gt_stats.c
 * @atomic_svm_timeslice_ms: how long a range migrated to VRAM for a GPU
 *	atomic stays there before a CPU fault may take it back (Xe's, 5 ms;
 *	debugfs atomic_svm_timeslice_ms)
 * @vms_lock: protects @vms; taken inside the mmap lock (freeing a VM), so
 *	never held around a VM lock (which comes before the mmap lock)
 * @vms: every VM of the device (debugfs lists them)
 * @nr_queues: live exec queues (for leak checks)
 * @nr_jobs: jobs submitted and not retired yet (for leak checks)
 * @nr_bos: live buffer objects, SVM allocations included (for leak checks)
 * @nr_svm_bos: live SVM allocations: BOs backing migrated ranges
 * @nr_svm_ranges: live SVM ranges of all its VMs (for leak checks)
 * @nr_userptrs: live userptr VMAs of all its VMs (for leak checks)
 * @vram: its VRAM, or NULL
 * @vram_mgr: TTM's manager of @vram
 * @bo_puts: released SVM allocations whose BO reference @bo_put_work drops
 * @bo_put_work: drops them
 * @svm_bos_lock: protects @svm_bos
 * @svm_bos: the live SVM allocations (&vxe_bo.svm_link)
 * @pagemap: the &struct drm_pagemap of @vram (vxe_pagemap.c)
 * @pagemap.shrinker: destroys the cached pagemap under memory pressure
 * @pagemap.cache: keeps the pagemap while no one uses it
 * @groups: its engine groups, by &enum vxe_group_id
 * @sched_lock: serialises writes of @sched (vxe_sysfs.c)
 * @sched: the scheduling properties of each engine class (sysfs
 *	tile0/gt0/engines/<class>/): job time-out, timeslice, preemption
 *	time-out, each with its range
 * @reset: GT resets and the jobs they stop
 * @forcewake: open files of debugfs forcewake_all (Xe's forcewake
 *	holders; vxe's GT is always awake)
 */
struct vxe_device {
	struct drm_device drm;
	struct vxe_inject inj;
	struct vxe_info info;
	struct workqueue_struct *wq;
	atomic_t nr_vms;
	struct ttm_device ttm;
	wait_queue_head_t ufence_wq;
	struct vxe_gt_stats stats;
	u32 atomic_svm_timeslice_ms;
	struct mutex vms_lock; /* protects vms */
	struct list_head vms;
	atomic_t nr_queues;
	atomic_t nr_jobs;
	atomic_t nr_bos;
	atomic_t nr_svm_bos;
	atomic_t nr_svm_ranges;
	atomic_t nr_userptrs;
	struct vxe_vram *vram;
	struct vxe_ttm_vram_mgr vram_mgr;
	struct llist_head bo_puts;
	struct work_struct bo_put_work;
	spinlock_t svm_bos_lock; /* protects svm_bos */
	struct list_head svm_bos;
	struct {
		struct drm_pagemap_shrinker *shrinker;
		struct drm_pagemap_cache *cache;
	} pagemap;
	struct vxe_engine_group groups[VXE_NR_GROUPS];
	struct mutex sched_lock; /* serialises writes of sched */
	struct vxe_sched_value sched[VXE_NR_ENGINE_CLASSES][VXE_NR_SCHED_PROPS];
	struct vxe_gt_reset reset;
	atomic_t forcewake;
};

/**
 * struct vxe_file - what one open file of a vxe device owns
 * @lock: serialises @vms and @queues between their create and destroy
 *	ioctls and the close
 * @vms: its VMs by id (from 1)
 * @queues: its exec queues by id (from 1)
 * @run_ticks: per engine class, the time its exec queues have run, in
 *	reference clock ticks (their contexts' CTX_TIMESTAMP; a parallel
 *	queue counts its width times): fdinfo's drm-cycles-<class>
 */
struct vxe_file {
	struct mutex lock; /* protects @vms, @queues: see above */
	struct xarray vms;
	struct xarray queues;
	atomic64_t run_ticks[VXE_NR_ENGINE_CLASSES];
};

/* Memory region instances, as Xe numbers them on a one-tile discrete GPU */
#define VXE_MEM_REGION_SYS	0
#define VXE_MEM_REGION_VRAM	1

/**
 * vxe_mem_region_mask() - the memory regions of a device
 * @vxe: the device
 *
 * Bit N is region instance N of the MEM_REGIONS query: system memory,
 * and VRAM when the device has some.
 *
 * Return: the mask.
 */
static inline u32 vxe_mem_region_mask(struct vxe_device *vxe)
{
	return BIT(VXE_MEM_REGION_SYS) |
	       (vxe->vram ? BIT(VXE_MEM_REGION_VRAM) : 0);
}

/**
 * to_vxe_device() - the vxe device of a DRM device
 * @drm: the DRM device
 *
 * Return: the &struct vxe_device embedding @drm.
 */
static inline struct vxe_device *to_vxe_device(struct drm_device *drm)
{
	return container_of(drm, struct vxe_device, drm);
}

extern struct workqueue_struct *vxe_wq;

struct vxe_device *vxe_device_create(struct device *parent, u64 vram_size);
struct vxe_engine_group *vxe_engine_group(struct vxe_device *vxe,
					  u16 engine_class);
int vxe_register_devices(void);
void vxe_unregister_devices(void);
int vxe_parse_engines(const char *list, struct vxe_info *info);
bool vxe_is_vxe_file(const struct file *file);
bool vxe_device_has_engine(const struct vxe_device *vxe,
			   const struct drm_xe_engine_class_instance *eci);
u64 vxe_engine_timestamp(void);
u32 vxe_engine_mmio_base(const struct drm_xe_engine_class_instance *eci);
const char *vxe_engine_class_name(u16 class);
void *vxe_mem_kmap(struct vxe_device *vxe, const struct vxe_pt_xlate *x);
void vxe_debugfs_init(struct drm_minor *minor);
int vxe_mem_copy(void *priv, const struct vxe_pt_xlate *x, void *buf,
		 size_t len, bool write);

#endif
