// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/capability.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/nospec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_drv.h>
#include <drm/drm_exec.h>
#include <drm/drm_file.h>
#include <drm/drm_print.h>
#include <drm/drm_utils.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_exec_queue.h"
#include "vxe_mi.h"
#include "vxe_sync.h"
#include "vxe_vm.h"

/**
 * DOC: vxe exec queues and engines
 *
 * An exec queue runs its jobs in submission order on a work item (the
 * engine's command streamer): it waits for the job's in-fences, then runs
 * the batch with the MI interpreter (vxe_mi_run()) in the queue's VM,
 * where every fetch and access goes through the GPU page tables and TLB
 * and faults like hardware.  A user fence of the job is written last, by
 * the engine, through the VM (a 64-bit store, as Xe's ring does), then the
 * job's fence signals and user-fence waiters wake up.
 *
 * A job that fails (a GPU page fault that cannot be served, an unknown or
 * malformed command) bans its queue: its fence signals with the error, its
 * user fence is not written, later jobs are cancelled (-ECANCELED), EXEC
 * on the queue fails with -ECANCELED and WAIT_USER_FENCE on it with -EIO.
 * The failure is logged once at info level: a fault a test provokes is not
 * a kernel warning.
 *
 * As on Xe, jobs of fault-mode VMs and dma-fence jobs take turns on an
 * engine group (struct vxe_engine_group): an EXEC of a dma-fence job puts
 * the group in dma-fence mode, where fault-mode jobs wait before they
 * start and pause between commands (at their should_stop() checks) until
 * every dma-fence job of the group is done.
 */

/* Xe's limit on chained user extensions */
#define VXE_MAX_USER_EXTENSIONS	16

/**
 * struct vxe_job - one EXEC: a batch on a queue
 * @fence: signalled when the job is done (with an error when it failed);
 *	first member: the job is freed with its last fence reference
 * @lock: the fence's lock
 * @link: in &vxe_exec_queue.jobs
 * @q: the queue (a reference, dropped when the job completes)
 * @syncs: the EXEC's syncs (in-fences to wait for, the user fence)
 * @num_syncs: entries of @syncs
 * @start: when the engine started it
 * @group: (a dma-fence job) the engine group counting it in
 *	&vxe_engine_group.dma_fence_jobs until it is done
 * @failed: a batch of a parallel job failed: the others stop (the whole
 *	context is reset, as on Xe)
 * @reset_seqno: &vxe_gt_reset.seqno when it started: a GT reset since
 *	stops it
 * @batch_addr: GPU addresses of the batches, &vxe_exec_queue.width of them
 */
struct vxe_job {
	struct dma_fence fence;
	spinlock_t lock; /* the fence's */
	struct list_head link;
	struct vxe_exec_queue *q;
	struct vxe_sync *syncs;
	u32 num_syncs;
	unsigned long start;
	struct vxe_engine_group *group;
	bool failed;
	u32 reset_seqno;
	u64 batch_addr[];
};

static const char *vxe_job_driver_name(struct dma_fence *fence)
{
	return "vxe";
}

static const char *vxe_job_timeline_name(struct dma_fence *fence)
{
	return "vxe-exec-queue";
}

static const struct dma_fence_ops vxe_job_fence_ops = {
	.get_driver_name = vxe_job_driver_name,
	.get_timeline_name = vxe_job_timeline_name,
};

static struct vxe_exec_queue *vxe_exec_queue_get(struct vxe_exec_queue *q)
{
	kref_get(&q->refcount);
	return q;
}

static void vxe_exec_queue_free_work(struct work_struct *work)
{
	struct vxe_exec_queue *q = container_of(work, struct vxe_exec_queue,
						free_work);
	struct vxe_device *vxe = q->vxe;

	/* The last reference may have gone inside the engine's work. */
	cancel_work_sync(&q->work);
	kfree(q->lanes);
	dma_fence_put(q->last_fence);
	if (q->vm)
		vxe_vm_put(q->vm);
	atomic_dec(&vxe->nr_queues);
	kfree(q);
	drm_dev_put(&vxe->drm);
}

static void vxe_exec_queue_release(struct kref *kref)
{
	struct vxe_exec_queue *q = container_of(kref, struct vxe_exec_queue,
						refcount);

	queue_work(vxe_wq, &q->free_work);
}

/**
 * vxe_exec_queue_put() - drop a reference on an exec queue
 * @q: the queue
 *
 * The last reference frees it (from a worker, once its engine is idle).
 */
void vxe_exec_queue_put(struct vxe_exec_queue *q)
{
	kref_put(&q->refcount, vxe_exec_queue_release);
}

/**
 * vxe_exec_queue_lookup() - look up an exec queue of an open file
 * @vf: the file
 * @id: the queue id
 *
 * Return: the queue with a reference, or NULL.
 */
struct vxe_exec_queue *vxe_exec_queue_lookup(struct vxe_file *vf, u32 id)
{
	struct vxe_exec_queue *q;

	mutex_lock(&vf->lock);
	q = xa_load(&vf->queues, id);
	if (q)
		vxe_exec_queue_get(q);
	mutex_unlock(&vf->lock);
	return q;
}

/**
 * vxe_exec_queue_is_vm_bind() - is it a VM_BIND queue?
 * @q: the queue
 *
 * Return: true for a queue of class %DRM_XE_ENGINE_CLASS_VM_BIND.
 */
bool vxe_exec_queue_is_vm_bind(const struct vxe_exec_queue *q)
{
	return q->eci.engine_class == DRM_XE_ENGINE_CLASS_VM_BIND;
}

/* How often a job waiting for its engine group looks at its queue */
#define VXE_GROUP_POLL_MS	20

static bool vxe_queue_stopping(const struct vxe_exec_queue *q)
{
	return READ_ONCE(q->killed) || READ_ONCE(q->banned);
}

/*
 * A dma-fence job is about to be submitted: switch its group to
 * dma-fence mode (fault-mode jobs pause at their next check).  Returns
 * with &vxe_engine_group.mode_sem read-held, to count the job under it,
 * or -EINTR.
 */
static int vxe_group_get_dma_fence_mode(struct vxe_engine_group *g)
{
	int err = down_read_interruptible(&g->mode_sem);

	if (err)
		return err;
	if (READ_ONCE(g->mode) == VXE_GROUP_MODE_DMA_FENCE)
		return 0;
	up_read(&g->mode_sem);
	err = down_write_killable(&g->mode_sem);
	if (err)
		return err;
	WRITE_ONCE(g->mode, VXE_GROUP_MODE_DMA_FENCE);
	downgrade_write(&g->mode_sem);
	return 0;
}

/* A dma-fence job of the group is done. */
static void vxe_group_dma_fence_job_done(struct vxe_engine_group *g)
{
	if (atomic_dec_and_test(&g->dma_fence_jobs))
		wake_up_all(&g->wq);
}

/*
 * A job of a fault-mode VM may run only while its group is in LR mode:
 * if it is not, wait for the group's dma-fence jobs to finish (holding
 * the mode for writing, so that no new one is submitted meanwhile, as
 * Xe's switch does) and switch it back.  False when the queue is killed
 * or banned meanwhile.
 */
static bool vxe_job_wait_lr_mode(struct vxe_job *job)
{
	struct vxe_exec_queue *q = job->q;
	struct vxe_engine_group *g;

	if (!(q->vm->flags & VXE_VM_FAULT_MODE))
		return true;
	g = vxe_engine_group(q->vxe, q->eci.engine_class);
	while (READ_ONCE(g->mode) != VXE_GROUP_MODE_LR) {
		if (vxe_queue_stopping(q))
			return false;
		if (!down_write_trylock(&g->mode_sem)) {
			wait_event_timeout(g->wq,
					   READ_ONCE(g->mode) == VXE_GROUP_MODE_LR,
					   msecs_to_jiffies(VXE_GROUP_POLL_MS));
			continue;
		}
		while (atomic_read(&g->dma_fence_jobs) && !vxe_queue_stopping(q))
			wait_event_timeout(g->wq, !atomic_read(&g->dma_fence_jobs),
					   msecs_to_jiffies(VXE_GROUP_POLL_MS));
		if (!atomic_read(&g->dma_fence_jobs)) {
			WRITE_ONCE(g->mode, VXE_GROUP_MODE_LR);
			wake_up_all(&g->wq);
		}
		up_write(&g->mode_sem);
	}
	return true;
}

/* A job starts on the GT: it runs until the next reset. */
static void vxe_gt_reset_job_start(struct vxe_device *vxe, struct vxe_job *job)
{
	spin_lock(&vxe->reset.lock);
	job->reset_seqno = vxe->reset.seqno;
	vxe->reset.running++;
	spin_unlock(&vxe->reset.lock);
}

/* A job ended; one a reset stopped may be the last a reset waits for. */
static void vxe_gt_reset_job_end(struct vxe_device *vxe, struct vxe_job *job)
{
	bool wake = false;

	spin_lock(&vxe->reset.lock);
	vxe->reset.running--;
	if (job->reset_seqno != vxe->reset.seqno)
		wake = !--vxe->reset.stopping;
	spin_unlock(&vxe->reset.lock);
	if (wake)
		wake_up_all(&vxe->reset.wq);
}

/**
 * vxe_gt_reset() - reset the GT, as Xe's debugfs gt0/force_reset does
 * @vxe: the device
 * @wait: return once the jobs it stops have stopped (force_reset_sync)
 *
 * Every job running on the GT's engines stops and fails (its fence
 * signals with -ECANCELED), and its exec queue is banned, as Xe bans a
 * queue whose job had started when the GT reset; jobs not started yet run
 * afterwards.  A long-running queue's running job counts as started; a
 * fault-mode job its engine group suspended stops when it resumes.
 *
 * Context: process context.
 * Return: 0, or -ERESTARTSYS when a signal interrupted the wait.
 */
int vxe_gt_reset(struct vxe_device *vxe, bool wait)
{
	spin_lock(&vxe->reset.lock);
	WRITE_ONCE(vxe->reset.seqno, vxe->reset.seqno + 1);
	vxe->reset.stopping = vxe->reset.running;
	spin_unlock(&vxe->reset.lock);
	drm_info(&vxe->drm, "vxe: GT0 reset (forced)\n");
	if (!wait)
		return 0;
	return wait_event_interruptible(vxe->reset.wq,
					!READ_ONCE(vxe->reset.stopping));
}

static bool vxe_job_should_stop(void *priv)
{
	struct vxe_job *job = priv;
	struct vxe_exec_queue *q = job->q;

	/* Suspended while its group runs dma-fence jobs */
	if (!vxe_job_wait_lr_mode(job))
		return true;
	if (READ_ONCE(q->killed) || READ_ONCE(job->failed))
		return true;
	if (READ_ONCE(q->vxe->reset.seqno) != job->reset_seqno)
		return true;
	/*
	 * Long-running VMs have no job time-out, others their class's (Xe's
	 * TDR; sysfs job_timeout_ms when the queue was created).
	 */
	return !(q->vm->flags & VXE_VM_LR_MODE) &&
	       time_after(jiffies, job->start +
			  msecs_to_jiffies(q->job_timeout_ms));
}

/*
 * Batch @idx of a job, on engine instance @idx after the queue's first,
 * whose context has run *@ctx_ticks so far.  A failure (logged here) makes
 * the job's other batches stop.
 */
static int vxe_job_run_batch(struct vxe_job *job, u16 idx, u64 *ctx_ticks)
{
	struct vxe_exec_queue *q = job->q;
	struct drm_xe_engine_class_instance eci = q->eci;
	struct vxe_mi_ctx ctx = {
		.vm = q->vm,
		.should_stop = vxe_job_should_stop,
		.priv = job,
		.engine_class = q->eci.engine_class,
		.ctx_ticks = *ctx_ticks,
	};
	int err;

	eci.engine_instance += idx;
	ctx.mmio_base = vxe_engine_mmio_base(&eci);
	err = vxe_mi_run(&ctx, job->batch_addr[idx]);
	*ctx_ticks = ctx.ctx_ticks;
	if (!err)
		return 0;

	/* Stopped by another batch's failure: that one tells. */
	if (err == -ECANCELED && READ_ONCE(job->failed))
		return err;
	WRITE_ONCE(job->failed, true);
	if (err == -ECANCELED &&
	    READ_ONCE(q->vxe->reset.seqno) != job->reset_seqno)
		drm_info(&q->vxe->drm,
			 "vxe: exec queue %u: job stopped by a GT reset, queue banned\n",
			 q->id);
	else if (err == -ECANCELED)
		drm_info(&q->vxe->drm,
			 "vxe: exec queue %u: job stopped (destroyed or timed out)\n",
			 q->id);
	else if (ctx.err_is_fault)
		drm_info(&q->vxe->drm,
			 "vxe: exec queue %u: GPU page fault at %#llx (%d), queue banned\n",
			 q->id, ctx.err_addr, err);
	else
		drm_info(&q->vxe->drm,
			 "vxe: exec queue %u: bad command %#010x at %#llx (%d), queue banned\n",
			 q->id, ctx.err_header, ctx.err_addr, err);
	return err;
}

static void vxe_exec_lane_work(struct work_struct *work)
{
	struct vxe_exec_lane *lane = container_of(work, struct vxe_exec_lane,
						  work);

	lane->err = vxe_job_run_batch(lane->job, lane->idx, &lane->ctx_ticks);
}

/*
 * The batches of a job: the first on the queue's work, the others of a
 * parallel queue at the same time on its lanes; all have ended when this
 * returns.  The error is the one that failed the job, not the -ECANCELED
 * of the batches it stopped.
 */
static int vxe_job_run_batches(struct vxe_job *job)
{
	struct vxe_exec_queue *q = job->q;
	u64 ticks = q->ctx_ticks;
	int err, i;

	vxe_gt_reset_job_start(q->vxe, job);
	/* fdinfo counts the running job's time from here. */
	spin_lock(&q->lock);
	q->run_start = vxe_engine_timestamp();
	q->running = true;
	spin_unlock(&q->lock);

	for (i = 1; i < q->width; i++) {
		q->lanes[i - 1].job = job;
		queue_work(vxe_wq, &q->lanes[i - 1].work);
	}
	err = vxe_job_run_batch(job, 0, &ticks);
	for (i = 1; i < q->width; i++) {
		struct vxe_exec_lane *lane = &q->lanes[i - 1];

		flush_work(&lane->work);
		if (lane->err && (!err || err == -ECANCELED))
			err = lane->err;
	}

	spin_lock(&q->lock);
	q->ctx_ticks = ticks;
	q->running = false;
	spin_unlock(&q->lock);
	vxe_gt_reset_job_end(q->vxe, job);
	return err;
}

/**
 * vxe_exec_queue_update_run_ticks() - add a queue's new run time to its file's
 * @vf: the file that owns @q
 * @q: the queue
 *
 * Adds the time @q's jobs have run since the last call, the running job's
 * so far included, to @vf's run ticks of @q's engine class: its context's
 * CTX_TIMESTAMP, as Xe samples it (the first engine of a parallel queue,
 * counted width times).  Called when fdinfo is read and when the queue is
 * destroyed.
 */
void vxe_exec_queue_update_run_ticks(struct vxe_file *vf,
				     struct vxe_exec_queue *q)
{
	u64 now, delta = 0;

	if (vxe_exec_queue_is_vm_bind(q))
		return;
	spin_lock(&q->lock);
	now = q->ctx_ticks;
	if (q->running)
		now += vxe_engine_timestamp() - q->run_start;
	/*
	 * The engine's own count of a job that just ended may be a little
	 * below what was seen of it while it ran: never count back.
	 */
	if (now > q->ticks_reported) {
		delta = now - q->ticks_reported;
		q->ticks_reported = now;
	}
	spin_unlock(&q->lock);
	if (delta)
		atomic64_add(delta * q->width,
			     &vf->run_ticks[q->eci.engine_class]);
}

static int vxe_job_run(struct vxe_job *job)
{
	struct vxe_exec_queue *q = job->q;
	u32 i;
	int err;

	if (READ_ONCE(q->banned) || READ_ONCE(q->killed))
		return -ECANCELED;
	err = vxe_sync_wait(job->syncs, job->num_syncs);
	if (err)
		return err;
	if (!vxe_job_wait_lr_mode(job))
		return -ECANCELED;

	job->start = jiffies;
	err = vxe_job_run_batches(job);
	if (err)
		return err;

	/* The engine writes the user fence through the VM, last. */
	for (i = 0; i < job->num_syncs; i++) {
		struct vxe_sync *s = &job->syncs[i];

		if (!vxe_sync_is_ufence(s))
			continue;
		err = vxe_gpu_access(q->vm, s->addr, &s->value, sizeof(s->value),
				     true);
		if (err) {
			drm_info(&q->vxe->drm,
				 "vxe: exec queue %u: user fence at %#llx not written (%d), queue banned\n",
				 q->id, s->addr, err);
			return err;
		}
	}
	return 0;
}

static void vxe_exec_queue_work(struct work_struct *work)
{
	struct vxe_exec_queue *q = container_of(work, struct vxe_exec_queue,
						work);
	struct vxe_device *vxe = q->vxe;

	for (;;) {
		struct vxe_job *job;
		int err;

		spin_lock(&q->lock);
		job = list_first_entry_or_null(&q->jobs, struct vxe_job, link);
		if (job)
			list_del(&job->link);
		spin_unlock(&q->lock);
		if (!job)
			break;

		err = vxe_job_run(job);
		if (err) {
			WRITE_ONCE(q->banned, true);
			dma_fence_set_error(&job->fence, err);
		}
		dma_fence_signal(&job->fence);
		if (job->group)
			vxe_group_dma_fence_job_done(job->group);
		wake_up_all(&vxe->ufence_wq);
		atomic_dec(&vxe->nr_jobs);

		vxe_sync_cleanup(job->syncs, job->num_syncs);
		kfree(job->syncs);
		/* @q stays allocated until this work returns (free_work). */
		vxe_exec_queue_put(job->q);
		dma_fence_put(&job->fence);
		cond_resched();
	}
}

/* Kill a queue: its engine cancels what is pending. */
static void vxe_exec_queue_kill(struct vxe_exec_queue *q)
{
	WRITE_ONCE(q->killed, true);
	queue_work(vxe_wq, &q->work);
}

/**
 * vxe_exec_queue_file_close() - destroy the exec queues a file still owns
 * @vf: the file
 */
void vxe_exec_queue_file_close(struct vxe_file *vf)
{
	struct vxe_exec_queue *q;
	unsigned long id;

	xa_for_each(&vf->queues, id, q) {
		xa_erase(&vf->queues, id);
		vxe_exec_queue_kill(q);
		vxe_exec_queue_put(q);
	}
}

static int vxe_exec_queue_set_property(struct vxe_device *vxe,
				       struct vxe_exec_queue *q,
				       struct drm_xe_ext_set_property *ext)
{
	if (VXE_IOCTL_DBG(vxe, ext->pad) ||
	    VXE_IOCTL_DBG(vxe, ext->reserved[0] || ext->reserved[1]))
		return -EINVAL;

	switch (ext->property) {
	case DRM_XE_EXEC_QUEUE_SET_PROPERTY_PRIORITY:
		if (VXE_IOCTL_DBG(vxe, ext->value > VXE_PRIORITY_HIGH))
			return -EINVAL;
		if (VXE_IOCTL_DBG(vxe, ext->value == VXE_PRIORITY_HIGH &&
				  !capable(CAP_SYS_NICE)))
			return -EPERM;
		q->priority = ext->value;
		return 0;
	case DRM_XE_EXEC_QUEUE_SET_PROPERTY_TIMESLICE:
		/* In the class's range (sysfs), or Xe's limits with CAP_SYS_NICE */
		if (!vxe_sched_value_allowed(vxe, q->eci.engine_class,
					     VXE_SCHED_TIMESLICE, ext->value))
			return -EINVAL;
		q->timeslice_us = ext->value;
		return 0;
	}
	VXE_IOCTL_DBG(vxe, ext->property);
	return -EINVAL;
}

static int vxe_exec_queue_user_extensions(struct vxe_device *vxe,
					  struct vxe_exec_queue *q, u64 next)
{
	int n = 0;

	while (next) {
		struct drm_xe_ext_set_property ext;
		int err;

		if (VXE_IOCTL_DBG(vxe, n++ >= VXE_MAX_USER_EXTENSIONS))
			return -E2BIG;
		if (copy_from_user(&ext, u64_to_user_ptr(next), sizeof(ext)))
			return -EFAULT;
		if (VXE_IOCTL_DBG(vxe, ext.base.pad) ||
		    VXE_IOCTL_DBG(vxe, ext.base.name !=
				  DRM_XE_EXEC_QUEUE_EXTENSION_SET_PROPERTY))
			return -EINVAL;
		err = vxe_exec_queue_set_property(vxe, q, &ext);
		if (err)
			return err;
		next = ext.base.next_extension;
	}
	return 0;
}

/*
 * The placements of a queue, as Xe's calc_validate_logical_mask() checks
 * them: @num_placements rows of @width engines (engine i of placement j at
 * index j * @width + i), each an engine of the device, all of one class on
 * one GT.  Several placements make a virtual engine, which may run on any
 * of them: vxe runs it on the first (its engines are independent workers,
 * so no placement is busier than another).  A parallel queue (@width > 1)
 * runs each job's @width batches at once on engines that must be logically
 * contiguous: the instances of column i are those of column 0 plus i.
 * Parallel queues are for the classes of %VXE_MULTI_LRC_CLASSES only.
 */
static bool vxe_placements_valid(struct vxe_device *vxe,
				 const struct drm_xe_engine_class_instance *eci,
				 u16 width, u16 num_placements)
{
	u32 prev_mask = 0;
	int i, j;

	if (width > 1 &&
	    VXE_IOCTL_DBG(vxe, eci[0].engine_class >= VXE_NR_ENGINE_CLASSES ||
			  !(VXE_MULTI_LRC_CLASSES & BIT(eci[0].engine_class))))
		return false;
	for (i = 0; i < width; i++) {
		u32 mask = 0;

		for (j = 0; j < num_placements; j++) {
			const struct drm_xe_engine_class_instance *e =
				&eci[j * width + i];

			if (VXE_IOCTL_DBG(vxe, !vxe_device_has_engine(vxe, e)))
				return false;
			if (VXE_IOCTL_DBG(vxe, e->engine_class != eci[0].engine_class) ||
			    VXE_IOCTL_DBG(vxe, e->gt_id != eci[0].gt_id))
				return false;
			mask |= BIT(e->engine_instance);
		}
		if (i && VXE_IOCTL_DBG(vxe, mask != prev_mask << 1))
			return false;
		prev_mask = mask;
	}
	return true;
}

/**
 * vxe_exec_queue_create_ioctl() - DRM_IOCTL_XE_EXEC_QUEUE_CREATE
 * @dev: the DRM device
 * @data: the &struct drm_xe_exec_queue_create
 * @file: the DRM file; the queue belongs to it
 *
 * Xe's checks: no flag but %DRM_XE_EXEC_QUEUE_LOW_LATENCY_HINT (a hint about
 * power management, which vxe has none of: accepted and not acted upon), zero
 * reserved fields, 1 to 9 instances that can be read, on an existing GT;
 * a VM_BIND queue is one instance 0 of width 1; other queues name engines
 * the device has, all of one class (a virtual engine when there are
 * several placements; a parallel one, with a batch per engine in each job,
 * when the width is more than 1, on logically contiguous engines) and a VM
 * of the file that is not closed; extensions set the priority (HIGH needs
 * CAP_SYS_NICE) and the timeslice (in its class's range, see vxe_sysfs.c).
 *
 * Return: 0; -EINVAL, -EFAULT, -ENOENT (VM), -EPERM, -E2BIG, -ENOMEM.
 */
int vxe_exec_queue_create_ioctl(struct drm_device *dev, void *data,
				struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct vxe_file *vf = file->driver_priv;
	struct drm_xe_exec_queue_create *args = data;
	struct drm_xe_engine_class_instance eci[VXE_MAX_PLACEMENTS];
	u32 len = args->width * args->num_placements, id;
	struct vxe_exec_queue *q;
	int err, i;

	if (VXE_IOCTL_DBG(vxe, args->flags & ~DRM_XE_EXEC_QUEUE_LOW_LATENCY_HINT) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]))
		return -EINVAL;
	if (VXE_IOCTL_DBG(vxe, !len || len > ARRAY_SIZE(eci) ||
			  args->width > ARRAY_SIZE(eci)))
		return -EINVAL;
	if (copy_from_user(eci, u64_to_user_ptr(args->instances),
			   sizeof(eci[0]) * len))
		return -EFAULT;
	if (VXE_IOCTL_DBG(vxe, eci[0].gt_id >= 1))
		return -EINVAL;

	q = kzalloc(sizeof(*q), GFP_KERNEL);
	if (!q)
		return -ENOMEM;
	kref_init(&q->refcount);
	q->vxe = vxe;
	/* Freed from a worker, maybe after the last close: keep the device. */
	drm_dev_get(&vxe->drm);
	q->eci = eci[0];
	q->width = 1;
	q->priority = VXE_PRIORITY_NORMAL;
	q->job_timeout_ms = vxe_sched_get(vxe, eci[0].engine_class,
					  VXE_SCHED_JOB_TIMEOUT);
	q->timeslice_us = vxe_sched_get(vxe, eci[0].engine_class,
					VXE_SCHED_TIMESLICE);
	spin_lock_init(&q->lock);
	INIT_LIST_HEAD(&q->jobs);
	INIT_WORK(&q->work, vxe_exec_queue_work);
	INIT_WORK(&q->free_work, vxe_exec_queue_free_work);
	q->fence_context = dma_fence_context_alloc(1);
	atomic_inc(&vxe->nr_queues);

	if (eci[0].engine_class == DRM_XE_ENGINE_CLASS_VM_BIND) {
		if (VXE_IOCTL_DBG(vxe, args->width != 1) ||
		    VXE_IOCTL_DBG(vxe, args->num_placements != 1) ||
		    VXE_IOCTL_DBG(vxe, eci[0].engine_instance != 0)) {
			err = -EINVAL;
			goto err_put;
		}
	} else {
		if (!vxe_placements_valid(vxe, eci, args->width,
					  args->num_placements)) {
			err = -EINVAL;
			goto err_put;
		}
		if (args->width > 1) {
			q->lanes = kcalloc(args->width - 1, sizeof(*q->lanes),
					   GFP_KERNEL);
			if (!q->lanes) {
				err = -ENOMEM;
				goto err_put;
			}
			for (i = 1; i < args->width; i++) {
				q->lanes[i - 1].idx = i;
				INIT_WORK(&q->lanes[i - 1].work, vxe_exec_lane_work);
			}
			q->width = args->width;
		}
		q->vm = vxe_file_vm_get(vf, args->vm_id);
		if (VXE_IOCTL_DBG(vxe, !q->vm)) {
			err = -ENOENT;
			goto err_put;
		}
		if (VXE_IOCTL_DBG(vxe, READ_ONCE(q->vm->closed))) {
			err = -ENOENT;
			goto err_put;
		}
	}

	err = vxe_exec_queue_user_extensions(vxe, q, args->extensions);
	if (err)
		goto err_put;

	mutex_lock(&vf->lock);
	err = xa_alloc(&vf->queues, &id, q, xa_limit_32b, GFP_KERNEL);
	if (!err)
		q->id = id;
	mutex_unlock(&vf->lock);
	if (err)
		goto err_put;
	args->exec_queue_id = id;
	return 0;

err_put:
	vxe_exec_queue_put(q);
	return err;
}

/**
 * vxe_exec_queue_destroy_ioctl() - DRM_IOCTL_XE_EXEC_QUEUE_DESTROY
 * @dev: the DRM device
 * @data: the &struct drm_xe_exec_queue_destroy
 * @file: the DRM file owning the queue
 *
 * Pending jobs are cancelled (their fences signal with -ECANCELED).
 *
 * Return: 0, -EINVAL for a non-zero pad or reserved field, -ENOENT for
 * an unknown id.
 */
int vxe_exec_queue_destroy_ioctl(struct drm_device *dev, void *data,
				 struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct vxe_file *vf = file->driver_priv;
	struct drm_xe_exec_queue_destroy *args = data;
	struct vxe_exec_queue *q;

	if (VXE_IOCTL_DBG(vxe, args->pad) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]))
		return -EINVAL;

	mutex_lock(&vf->lock);
	q = xa_erase(&vf->queues, args->exec_queue_id);
	mutex_unlock(&vf->lock);
	if (VXE_IOCTL_DBG(vxe, !q))
		return -ENOENT;
	vxe_exec_queue_kill(q);
	/* Its run time stays in the file's fdinfo. */
	vxe_exec_queue_update_run_ticks(vf, q);
	vxe_exec_queue_put(q);
	return 0;
}

/**
 * vxe_exec_queue_get_property_ioctl() - DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY
 * @dev: the DRM device
 * @data: the &struct drm_xe_exec_queue_get_property
 * @file: the DRM file owning the queue
 *
 * Return: 0 (BAN: 1 when the queue is banned), -EINVAL for extensions,
 * reserved fields or an unknown property, -ENOENT for an unknown queue.
 */
int vxe_exec_queue_get_property_ioctl(struct drm_device *dev, void *data,
				      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_exec_queue_get_property *args = data;
	struct vxe_exec_queue *q;
	int err = 0;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]))
		return -EINVAL;

	q = vxe_exec_queue_lookup(file->driver_priv, args->exec_queue_id);
	if (VXE_IOCTL_DBG(vxe, !q))
		return -ENOENT;
	if (args->property == DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN)
		args->value = READ_ONCE(q->banned);
	else if (VXE_IOCTL_DBG(vxe, args->property))
		err = -EINVAL;
	vxe_exec_queue_put(q);
	return err;
}

/**
 * vxe_exec_queue_set_property_ioctl() - DRM_IOCTL_XE_EXEC_QUEUE_SET_PROPERTY
 * @dev: the DRM device
 * @data: the &struct drm_xe_exec_queue_set_property
 * @file: the DRM file owning the queue
 *
 * As upstream Xe: the only property is
 * %DRM_XE_EXEC_QUEUE_SET_PROPERTY_MULTI_QUEUE_PRIORITY, of a queue of a
 * multi-queue group.  vxe has no multi-queue groups (its queries say so),
 * so a well-formed call ends where Xe's does for a queue of no group.
 *
 * Return: -EINVAL for reserved fields not zero, another property, a
 * priority above high, or a queue of no multi-queue group (all of vxe's);
 * -ENOENT for an unknown queue.
 */
int vxe_exec_queue_set_property_ioctl(struct drm_device *dev, void *data,
				      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_exec_queue_set_property *args = data;
	struct vxe_exec_queue *q;

	if (VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->property !=
			  DRM_XE_EXEC_QUEUE_SET_PROPERTY_MULTI_QUEUE_PRIORITY))
		return -EINVAL;

	q = vxe_exec_queue_lookup(file->driver_priv, args->exec_queue_id);
	if (VXE_IOCTL_DBG(vxe, !q))
		return -ENOENT;
	/* Xe's priorities: low 0, normal 1, high 2 */
	if (!VXE_IOCTL_DBG(vxe, args->value > 2))
		drm_dbg(&vxe->drm, "vxe: exec queue %u is in no multi-queue group\n",
			args->exec_queue_id);
	vxe_exec_queue_put(q);
	return -EINVAL;
}

/**
 * vxe_exec_ioctl() - DRM_IOCTL_XE_EXEC
 * @dev: the DRM device
 * @data: the &struct drm_xe_exec
 * @file: the DRM file owning the queue and the syncobjs
 *
 * Queues one batch on the queue's engine (a parallel queue: a batch for
 * each of its engines, @address pointing to their addresses; they run at
 * once and the job is done when all are).  Out-syncobjs get the job's
 * fence (not allowed in LR mode: user fences only); the user fence is
 * written by the engine when the batch is done.  With no batch, the
 * out-syncs get the queue's last fence.  In a VM with dma-fence jobs (not
 * LR), the userptrs invalidated and the BOs moved since their bind are
 * bound again first (vxe_vm_exec_lock()) and the job's fence goes into the
 * reservation objects of the VM and of the BOs bound in it from outside,
 * as in Xe.
 *
 * Return: 0 (also when the batch will fault); -EINVAL for a bad argument,
 * a VM_BIND queue or a number of batches that is neither 0 nor the queue's
 * width; -EFAULT for unreadable batch addresses (parallel queue); -ENOENT
 * for an unknown queue; -ECANCELED for a banned queue or a closed VM; an
 * error of the syncs; -ENOMEM (also: no room in VRAM for the VM's BOs);
 * -EINTR or -ERESTARTSYS on a signal while binding.
 */
int vxe_exec_ioctl(struct drm_device *dev, void *data, struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	struct drm_xe_exec *args = data;
	struct vxe_engine_group *group;
	struct vxe_sync *syncs = NULL;
	struct drm_exec exec;
	struct vxe_exec_queue *q;
	struct vxe_job *job;
	bool dma_fence_vm;
	int err;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->pad[0] || args->pad[1] || args->pad[2]) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->num_syncs > DRM_XE_MAX_SYNCS))
		return -EINVAL;

	q = vxe_exec_queue_lookup(file->driver_priv, args->exec_queue_id);
	if (VXE_IOCTL_DBG(vxe, !q))
		return -ENOENT;
	if (VXE_IOCTL_DBG(vxe, vxe_exec_queue_is_vm_bind(q)) ||
	    VXE_IOCTL_DBG(vxe, args->num_batch_buffer &&
			  args->num_batch_buffer != q->width)) {
		err = -EINVAL;
		goto put_queue;
	}
	if (VXE_IOCTL_DBG(vxe, READ_ONCE(q->banned))) {
		err = -ECANCELED;
		goto put_queue;
	}

	err = vxe_sync_parse_array(vxe, file, args->syncs, args->num_syncs,
				   VXE_SYNC_PARSE_EXEC |
				   (q->vm->flags & VXE_VM_LR_MODE ?
				    VXE_SYNC_PARSE_LR_MODE : 0), &syncs);
	if (err)
		goto put_queue;

	if (VXE_IOCTL_DBG(vxe, READ_ONCE(q->vm->closed))) {
		err = -ECANCELED;
		goto free_syncs;
	}

	if (!args->num_batch_buffer) {
		struct dma_fence *last;

		spin_lock(&q->lock);
		last = dma_fence_get(q->last_fence);
		spin_unlock(&q->lock);
		if (!last)
			last = dma_fence_get_stub();
		vxe_sync_signal(syncs, args->num_syncs, last);
		dma_fence_put(last);
		goto free_syncs;
	}

	job = kzalloc(struct_size(job, batch_addr, q->width), GFP_KERNEL);
	if (!job) {
		err = -ENOMEM;
		goto free_syncs;
	}
	/* A parallel queue: @address points to the batches' addresses. */
	if (q->width == 1) {
		job->batch_addr[0] = args->address;
	} else if (copy_from_user(job->batch_addr,
				  u64_to_user_ptr(args->address),
				  sizeof(u64) * q->width)) {
		kfree(job);
		err = -EFAULT;
		goto free_syncs;
	}
	/*
	 * A dma-fence VM: its engine group in dma-fence mode, userptrs bound,
	 * the job's fence in the VM's resv
	 */
	dma_fence_vm = !(q->vm->flags & VXE_VM_LR_MODE);
	if (dma_fence_vm) {
		group = vxe_engine_group(vxe, q->eci.engine_class);
		err = vxe_group_get_dma_fence_mode(group);
		if (err) {
			kfree(job);
			goto free_syncs;
		}
		err = vxe_vm_exec_lock(q->vm, &exec);
		if (err) {
			up_read(&group->mode_sem);
			kfree(job);
			goto free_syncs;
		}
		atomic_inc(&group->dma_fence_jobs);
		job->group = group;
	}
	spin_lock_init(&job->lock);
	job->syncs = syncs;
	job->num_syncs = args->num_syncs;
	job->q = vxe_exec_queue_get(q);
	atomic_inc(&q->vxe->nr_jobs);

	spin_lock(&q->lock);
	dma_fence_init(&job->fence, &vxe_job_fence_ops, &job->lock,
		       q->fence_context, ++q->seqno);
	dma_fence_put(q->last_fence);
	q->last_fence = dma_fence_get(&job->fence);
	list_add_tail(&job->link, &q->jobs);
	/* Syncobjs hold the fence; in-fences are waited for by the engine. */
	vxe_sync_signal(syncs, args->num_syncs, &job->fence);
	spin_unlock(&q->lock);
	if (dma_fence_vm) {
		vxe_vm_exec_add_fence(&exec, &job->fence);
		vxe_vm_exec_unlock(q->vm, &exec);
		up_read(&group->mode_sem);
	}
	queue_work(vxe_wq, &q->work);
	vxe_exec_queue_put(q);
	return 0;

free_syncs:
	vxe_sync_cleanup(syncs, args->num_syncs);
	kfree(syncs);
put_queue:
	vxe_exec_queue_put(q);
	return err;
}

/* 0: the fence passed; 1: not yet; -EFAULT: unreadable. */
static int vxe_ufence_compare(u64 addr, u64 value, u64 mask, u16 op)
{
	u64 rvalue;

	if (copy_from_user(&rvalue, u64_to_user_ptr(addr), sizeof(rvalue)))
		return -EFAULT;
	rvalue &= mask;
	value &= mask;
	switch (op) {
	case DRM_XE_UFENCE_WAIT_OP_EQ:
		return rvalue == value ? 0 : 1;
	case DRM_XE_UFENCE_WAIT_OP_NEQ:
		return rvalue != value ? 0 : 1;
	case DRM_XE_UFENCE_WAIT_OP_GT:
		return rvalue > value ? 0 : 1;
	case DRM_XE_UFENCE_WAIT_OP_GTE:
		return rvalue >= value ? 0 : 1;
	case DRM_XE_UFENCE_WAIT_OP_LT:
		return rvalue < value ? 0 : 1;
	default:
		return rvalue <= value ? 0 : 1;
	}
}

static long vxe_ufence_timeout(struct drm_xe_wait_user_fence *args)
{
	u64 t;

	if (args->timeout < 0) {
		args->timeout = MAX_SCHEDULE_TIMEOUT;
		return MAX_SCHEDULE_TIMEOUT;
	}
	if (!args->timeout)
		return 0;
	if (args->flags & DRM_XE_UFENCE_WAIT_FLAG_ABSTIME)
		t = drm_timeout_abs_to_jiffies(args->timeout);
	else
		t = nsecs_to_jiffies(args->timeout);
	if (t > MAX_SCHEDULE_TIMEOUT)
		return MAX_SCHEDULE_TIMEOUT - 1;
	return t ?: 1;
}

/**
 * vxe_wait_user_fence_ioctl() - DRM_IOCTL_XE_WAIT_USER_FENCE
 * @dev: the DRM device
 * @data: the &struct drm_xe_wait_user_fence
 * @file: the DRM file (owner of the queue, if one is given)
 *
 * Waits until the 64-bit value at the caller's address compares to
 * @value under @mask as the op says, as Xe does: a negative timeout waits
 * forever, 0 checks once, else nanoseconds (relative, or absolute with
 * ABSTIME).  Without ABSTIME the time left is written back.
 *
 * Return: 0; -EINVAL for extensions, pads, reserved fields, flags, op or
 * a misaligned address; -ENOENT for an unknown queue; -EFAULT for an
 * unreadable address; -EIO when the queue is banned; -ETIME on time-out;
 * -ERESTARTSYS on a signal.
 */
int vxe_wait_user_fence_ioctl(struct drm_device *dev, void *data,
			      struct drm_file *file)
{
	struct vxe_device *vxe = to_vxe_device(dev);
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	struct drm_xe_wait_user_fence *args = data;
	struct vxe_exec_queue *q = NULL;
	ktime_t start;
	long timeout;
	int err;

	if (VXE_IOCTL_DBG(vxe, args->extensions) ||
	    VXE_IOCTL_DBG(vxe, args->pad || args->pad2) ||
	    VXE_IOCTL_DBG(vxe, args->reserved[0] || args->reserved[1]) ||
	    VXE_IOCTL_DBG(vxe, args->flags & ~DRM_XE_UFENCE_WAIT_FLAG_ABSTIME) ||
	    VXE_IOCTL_DBG(vxe, args->op > DRM_XE_UFENCE_WAIT_OP_LTE) ||
	    VXE_IOCTL_DBG(vxe, args->addr & 0x7))
		return -EINVAL;

	if (args->exec_queue_id) {
		q = vxe_exec_queue_lookup(file->driver_priv, args->exec_queue_id);
		if (VXE_IOCTL_DBG(vxe, !q))
			return -ENOENT;
	}

	timeout = vxe_ufence_timeout(args);
	start = ktime_get();
	add_wait_queue(&vxe->ufence_wq, &wait);
	for (;;) {
		err = vxe_ufence_compare(args->addr, args->value, args->mask,
					 args->op);
		if (err <= 0)
			break;
		if (signal_pending(current)) {
			err = -ERESTARTSYS;
			break;
		}
		if (q && READ_ONCE(q->banned)) {
			drm_dbg(&vxe->drm, "vxe: exec queue %u banned\n", q->id);
			err = -EIO;
			break;
		}
		if (!timeout) {
			err = -ETIME;
			break;
		}
		timeout = wait_woken(&wait, TASK_INTERRUPTIBLE, timeout);
	}
	remove_wait_queue(&vxe->ufence_wq, &wait);

	if (!(args->flags & DRM_XE_UFENCE_WAIT_FLAG_ABSTIME)) {
		args->timeout -= ktime_to_ns(ktime_sub(ktime_get(), start));
		if (args->timeout < 0)
			args->timeout = 0;
	}
	if (q)
		vxe_exec_queue_put(q);
	return err;
}
