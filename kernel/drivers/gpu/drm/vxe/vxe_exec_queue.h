/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_EXEC_QUEUE_H_
#define _VXE_EXEC_QUEUE_H_

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <uapi/drm/xe_drm.h>

struct dma_fence;
struct drm_device;
struct drm_file;
struct vxe_device;
struct vxe_file;
struct vxe_job;
struct vxe_vm;

/* Xe's XE_HW_ENGINE_MAX_INSTANCE: placements times width, at most */
#define VXE_MAX_PLACEMENTS	9

/**
 * struct vxe_exec_lane - one more engine of a parallel exec queue
 * @work: runs batch @idx of @job on engine instance @idx after the
 *	queue's first; queued by the queue's @work, which waits for it
 * @job: the job it runs a batch of (set before @work is queued)
 * @idx: the batch and engine it runs, 1 to width - 1
 * @ctx_ticks: the time its batches have run (its context's CTX_TIMESTAMP)
 * @err: how its batch ended (0, or the error that fails the job)
 */
struct vxe_exec_lane {
	struct work_struct work;
	struct vxe_job *job;
	u16 idx;
	u64 ctx_ticks;
	int err;
};

/**
 * struct vxe_exec_queue - an exec queue: jobs run in order on one engine
 * (a parallel queue: on @width engines at once)
 * @refcount: the file's table, each job, and lookups hold references
 * @vxe: the device (a reference: the queue is freed from a worker)
 * @vm: the VM its batches run in (a reference), NULL for a VM_BIND queue
 * @eci: the engine (of a parallel queue: the first; batch i runs on
 *	instance @eci.engine_instance + i, as Xe's logical mask places them)
 * @width: batches of each job, run at once on as many engines (1, or up to
 *	%VXE_MAX_PLACEMENTS for a parallel queue)
 * @lanes: the engines after the first of a parallel queue (@width - 1
 *	of them), NULL when @width is 1
 * @id: its id in the file (0 before it is published)
 * @lock: protects @jobs, @last_fence, and the run time (@ctx_ticks,
 *	@run_start, @running, @ticks_reported)
 * @jobs: jobs not started yet, in submission order
 * @last_fence: fence of the last job submitted (a reference), or NULL
 * @work: runs the jobs, one at a time (a work item never runs twice at
 *	once, so jobs complete in submission order); the first batch of a
 *	parallel job itself, the others on @lanes
 * @free_work: frees the queue once @work is idle
 * @fence_context: dma_fence context of the jobs' fences
 * @seqno: last job sequence number
 * @priority: 0 (low), 1 (normal) or 2 (high), as Xe numbers them (recorded)
 * @timeslice_us: timeslice in microseconds (recorded): its class's
 *	(sysfs), or what the queue asked for
 * @job_timeout_ms: a job of a VM not in LR mode running longer is stopped:
 *	its class's job time-out (sysfs) when the queue was created
 * @ctx_ticks: the time its jobs have run, in reference clock ticks (its
 *	CTX_TIMESTAMP, of the first engine of a parallel queue), up to the
 *	end of the last job; written by @work under @lock
 * @run_start: the engine timestamp when the running job started (valid
 *	while @running); under @lock
 * @running: a job is running on @work; under @lock
 * @ticks_reported: the part of @ctx_ticks already added to the file's
 *	&vxe_file.run_ticks; under @lock
 * @banned: a job failed: later jobs are cancelled, waits fail with -EIO
 * @killed: destroyed by userspace: pending jobs are cancelled
 */
struct vxe_exec_queue {
	struct kref refcount;
	struct vxe_device *vxe;
	struct vxe_vm *vm;
	struct drm_xe_engine_class_instance eci;
	u16 width;
	struct vxe_exec_lane *lanes;
	u32 id;
	spinlock_t lock; /* protects jobs, last_fence, the run time */
	struct list_head jobs;
	struct dma_fence *last_fence;
	struct work_struct work;
	struct work_struct free_work;
	u64 fence_context;
	u64 seqno;
	u32 priority;
	u32 timeslice_us;
	u32 job_timeout_ms;
	u64 ctx_ticks;
	u64 run_start;
	bool running;
	u64 ticks_reported;
	bool banned;
	bool killed;
};

struct vxe_exec_queue *vxe_exec_queue_lookup(struct vxe_file *vf, u32 id);
void vxe_exec_queue_put(struct vxe_exec_queue *q);
bool vxe_exec_queue_is_vm_bind(const struct vxe_exec_queue *q);
void vxe_exec_queue_file_close(struct vxe_file *vf);
void vxe_exec_queue_update_run_ticks(struct vxe_file *vf,
				     struct vxe_exec_queue *q);
int vxe_exec_queue_create_ioctl(struct drm_device *dev, void *data,
				struct drm_file *file);
int vxe_exec_queue_destroy_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file);
int vxe_exec_queue_get_property_ioctl(struct drm_device *dev, void *data,
				      struct drm_file *file);
int vxe_exec_queue_set_property_ioctl(struct drm_device *dev, void *data,
				      struct drm_file *file);
int vxe_exec_ioctl(struct drm_device *dev, void *data, struct drm_file *file);
int vxe_gt_reset(struct vxe_device *vxe, bool wait);
int vxe_wait_user_fence_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file);

#endif
