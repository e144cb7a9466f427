// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/kthread.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <drm/drm_drv.h>
#include <drm/drm_gem.h>
#include <drm/drm_print.h>
#include <kunit/visibility.h>

#include "vxe_bind_job.h"
#include "vxe_device.h"
#include "vxe_exec_queue.h"
#include "vxe_sync.h"
#include "vxe_vm.h"

/**
 * DOC: vxe bind jobs
 *
 * A VM_BIND that cannot be carried out at once becomes a job, as in Xe:
 * one with an in-fence not signalled yet, one whose bind queue (the exec
 * queue it names, or the VM's default queue) still has a job pending, and
 * one that writes a page table a pending bind job of the VM writes too.
 * The ioctl then returns at once and its out-syncs get the job's fence.
 * The job runs once all of those are done: jobs of one queue in order,
 * jobs of different queues that share no page table independently of each
 * other (IGT's xe_vm bind-execqueues-independent and -conflict).  Which
 * page tables a bind writes is worked out as Xe does for its range fences:
 * each operation's range, rounded out to the size an entry of the highest
 * level it writes maps (vxe_pt_update_level()).
 *
 * Xe applies the operations to its VMA tree in the ioctl, and only the
 * page-table writes wait in the job.  vxe defers the whole bind, tree and
 * page tables, so that both change together.  What looks at the tree in
 * between (an EXEC, a GPU fault, a bind on another queue that shares no
 * page table with the job) sees the VM as it was before the job.  Errors
 * Xe returns from the ioctl because of the VM's state at that time
 * (-EBUSY for a mirror the GPU still maps, -EFAULT for a userptr without
 * memory behind it) are checked in the ioctl too, on the tree as it is
 * then (vxe_vm_bind_precheck()), as are the arguments, handles and syncs.
 * When the state changed before the job runs (the memory behind a userptr
 * unmapped meanwhile), the error comes from the job: its operations are
 * undone as a whole (the VM is as before it), the failure is logged at
 * info level, the job's fence signals with the error, and no user fence
 * is written.
 *
 * A bind job's page-table update is a batch in Xe, built in a 1 MiB pool:
 * a bind that would need a bigger one fails with -ENOBUFS, and userspace
 * splits its array (IGT's xe_vm bind-array-enobufs).  vxe sizes the batch
 * the same way (vxe_bind_job_batch_bytes()).  A bind carried out at once
 * (by the CPU, in Xe) has no such limit.  Where Xe decides at once, vxe
 * first gives the fences such a bind waits for up to a second to signal
 * (vxe_bind_job_catch_up()): vxe's engines lag behind a GPU's.
 *
 * Unlike Xe's, a job's fence is not added to reservation objects: the job
 * takes the VM lock, and a validation under that lock that evicts a BO
 * (TTM waits for all the fences of the BO it evicts) would wait for it.
 * One wait of that kind remains, where Xe has none (its bind jobs take no
 * lock): an EXEC of the VM that evicts, under the VM lock, a BO whose
 * fence is a job waiting for this VM's bind job.  That eviction is not
 * stuck for good: TTM gives up after 15 s (ttm_bo_wait_ctx(); the EXEC
 * fails and drops the VM lock, and the bind job runs), or on a signal.
 * User fences are written through the binding process's address space
 * (kthread_use_mm()), as Xe's user-fence worker writes them; the job also
 * binds in that address space (a userptr's pages are collected there).
 *
 * Locking: &vxe_vm.bind is under the VM lock, a bind queue's last fence
 * and sequence number under its &vxe_exec_queue.lock.  A job is queued on
 * &vxe_wq by the callback of its last dependency to signal, so no worker
 * blocks waiting for one.
 */

/* Xe's MAX_PTE_PER_SDI: entries one MI_STORE_DATA_IMM of a bind writes */
#define VXE_MAX_PTE_PER_SDI	0x1fe

/* Xe2's batch prefetch padding (bb_prefetch()) */
#define VXE_BB_PREFETCH		SZ_1K

struct vxe_bind_job;

/**
 * struct vxe_bind_dep - a fence a bind job waits for
 * @cb: its callback, counting the job's dependencies down
 * @fence: the fence (a reference, dropped when the job is done)
 * @job: the job
 */
struct vxe_bind_dep {
	struct dma_fence_cb cb;
	struct dma_fence *fence;
	struct vxe_bind_job *job;
};

/**
 * struct vxe_bind_job - a VM_BIND waiting for its dependencies
 * @fence: signalled when its binds are done (with an error when they
 *	failed); first member: the job is freed with its last fence reference
 * @lock: the fence's lock
 * @link: in &vxe_vm.bind.jobs until it ran (VM lock)
 * @vm: the VM (a reference)
 * @mm: the binding process's address space (mmgrab()), or NULL
 * @start: first address of the page tables it writes
 * @last: last address of them (inclusive); below @start when it writes none
 * @work: runs it on &vxe_wq
 * @pending: dependencies not signalled yet, plus one until it is armed
 * @binds: its operations (a copy), checked
 * @objs: their BOs (references), NULL where none
 * @num_binds: number of operations
 * @syncs: the ioctl's syncs: in-fences, out-syncs, user fences
 * @num_syncs: entries of @syncs
 * @num_deps: entries of @deps
 * @deps: the fences it waits for
 */
struct vxe_bind_job {
	struct dma_fence fence;
	spinlock_t lock; /* the fence's */
	struct list_head link;
	struct vxe_vm *vm;
	struct mm_struct *mm;
	u64 start;
	u64 last;
	struct work_struct work;
	atomic_t pending;
	struct drm_xe_vm_bind_op *binds;
	struct drm_gem_object **objs;
	u32 num_binds;
	struct vxe_sync *syncs;
	u32 num_syncs;
	u32 num_deps;
	struct vxe_bind_dep deps[];
};

static const char *vxe_bind_job_driver_name(struct dma_fence *fence)
{
	return "vxe";
}

static const char *vxe_bind_job_timeline_name(struct dma_fence *fence)
{
	return "vxe-bind-queue";
}

static const struct dma_fence_ops vxe_bind_job_fence_ops = {
	.get_driver_name = vxe_bind_job_driver_name,
	.get_timeline_name = vxe_bind_job_timeline_name,
};

/* Dwords of Xe's batch writing @qwords entries of one table */
static u64 vxe_bind_table_dwords(u64 qwords)
{
	if (!qwords)
		return 0;
	/* MI_STORE_DATA_IMM headers (with a NOOP to align), 2 per entry */
	return 4 * DIV_ROUND_UP_ULL(qwords, VXE_MAX_PTE_PER_SDI) + 2 * qwords;
}

/*
 * Dwords Xe's batch spends on [start, end), inside one table of @level
 * (entries of which map BIT(12 + 9 * level) bytes).  Entries of levels up
 * to @max_leaf are written whole where the range covers them.
 */
static u64 vxe_bind_range_dwords(u64 start, u64 end, unsigned int level,
				 unsigned int max_leaf)
{
	unsigned int shift = vxe_pt_level_shift(level);
	u64 size = BIT_ULL(shift), qwords = 0, dwords = 0, va = start;

	while (va < end) {
		u64 entry = round_down(va, size), stop = min(end, entry + size);
		u64 whole;

		if (!level) {
			qwords += (end - va) >> shift;
			break;
		}
		whole = round_down(end, size);
		if (level <= max_leaf && va == entry && whole > va) {
			qwords += (whole - va) >> shift;
			va = whole;
			continue;
		}
		dwords += vxe_bind_range_dwords(va, stop, level - 1, max_leaf);
		va = stop;
	}
	return dwords + vxe_bind_table_dwords(qwords);
}

/**
 * vxe_bind_job_batch_bytes() - the size of Xe's batch for a bind job
 * @binds: the operations, checked
 * @n: their number
 *
 * As Xe sizes the page-table update of a bind job (on a discrete GPU):
 * two dwords per entry written, a four-dword header per 510 entries of a
 * table, two fixed dwords, the MI_BATCH_BUFFER_END and the prefetch
 * padding.  A BO, userptr or prefetch writes 2M leaves where it covers a
 * whole 2M block (with contiguous memory; the size is an estimate, as
 * Xe's is made before the memory is known) and 4K leaves elsewhere; a NULL
 * binding and an unmap write 1G entries too; a CPU-address mirror writes
 * nothing when bound; an UNMAP_ALL's bindings are not known before it
 * runs and count nothing.
 *
 * Return: the batch size in bytes.
 */
u64 vxe_bind_job_batch_bytes(const struct drm_xe_vm_bind_op *binds, u32 n)
{
	u64 dwords = 2;
	u32 i;

	for (i = 0; i < n; i++) {
		const struct drm_xe_vm_bind_op *b = &binds[i];
		unsigned int max_leaf = 1;

		if (b->op == DRM_XE_VM_BIND_OP_UNMAP_ALL)
			continue;
		if (b->op == DRM_XE_VM_BIND_OP_MAP &&
		    (b->flags & DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR))
			continue;
		if (b->op == DRM_XE_VM_BIND_OP_UNMAP ||
		    (b->flags & DRM_XE_VM_BIND_FLAG_NULL))
			max_leaf = 2;
		dwords += vxe_bind_range_dwords(b->addr, b->addr + b->range,
						VXE_PT_LEVELS - 1, max_leaf);
	}
	return 4 * (dwords + 1) + VXE_BB_PREFETCH;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_bind_job_batch_bytes);

/*
 * The page tables @binds write, as [*start, *last]; *start > *last when
 * none.  Context: the VM lock.
 */
static void vxe_bind_job_interval(struct vxe_vm *vm,
				  const struct drm_xe_vm_bind_op *binds, u32 n,
				  u64 *start, u64 *last)
{
	u32 i;

	*start = U64_MAX;
	*last = 0;
	for (i = 0; i < n; i++) {
		const struct drm_xe_vm_bind_op *b = &binds[i];
		unsigned int level;
		u64 size;

		if (b->op == DRM_XE_VM_BIND_OP_UNMAP_ALL) {
			/* Its bindings are not known yet: all of the VM */
			*start = 0;
			*last = vm->gpuvm.mm_range - 1;
			return;
		}
		level = vxe_pt_update_level(&vm->pt, b->addr,
					    b->addr + b->range);
		size = BIT_ULL(vxe_pt_level_shift(level));
		*start = min(*start, round_down(b->addr, size));
		*last = max(*last, round_up(b->addr + b->range, size) - 1);
	}
}

/* Add @fence to @deps (with a reference) unless it signalled. */
static void vxe_bind_dep_add(struct dma_fence **deps, u32 *n,
			     struct dma_fence *fence)
{
	if (fence && !dma_fence_is_signaled(fence))
		deps[(*n)++] = dma_fence_get(fence);
}

static void vxe_bind_job_free_args(struct vxe_bind_job *job)
{
	u32 i;

	for (i = 0; job->objs && i < job->num_binds; i++)
		if (job->objs[i])
			drm_gem_object_put(job->objs[i]);
	kvfree(job->objs);
	kvfree(job->binds);
	vxe_sync_cleanup(job->syncs, job->num_syncs);
	kfree(job->syncs);
	for (i = 0; i < job->num_deps; i++)
		dma_fence_put(job->deps[i].fence);
	if (job->mm)
		mmdrop(job->mm);
}

static void vxe_bind_job_work(struct work_struct *work)
{
	struct vxe_bind_job *job = container_of(work, struct vxe_bind_job,
						work);
	struct vxe_vm *vm = job->vm;
	struct vxe_device *vxe = vm->vxe;
	bool mm = job->mm && mmget_not_zero(job->mm);
	int err;

	if (mm)
		kthread_use_mm(job->mm);
	mutex_lock(&vm->lock);
	if (vm->closed)
		err = -ECANCELED;
	else
		err = vxe_vm_bind_ops(vm, job->binds, job->objs,
				      job->num_binds);
	list_del(&job->link);
	mutex_unlock(&vm->lock);

	if (err == -ECANCELED)
		drm_dbg(&vxe->drm, "vxe: bind job on a closed VM cancelled\n");
	else if (err)
		drm_info(&vxe->drm,
			 "vxe: bind job %llu:%llu failed (%d): its binds are undone\n",
			 job->fence.context, job->fence.seqno, err);
	else if (mm)
		vxe_sync_write_ufences(vxe, job->syncs, job->num_syncs);
	if (mm) {
		kthread_unuse_mm(job->mm);
		mmput(job->mm);
	}
	if (err)
		dma_fence_set_error(&job->fence, err);
	dma_fence_signal(&job->fence);

	vxe_bind_job_free_args(job);
	vxe_vm_put(vm);
	drm_dev_put(&vxe->drm);
	dma_fence_put(&job->fence);
}

/* One dependency less; the last one queues the job. */
static void vxe_bind_job_dep_done(struct vxe_bind_job *job)
{
	if (atomic_dec_and_test(&job->pending))
		queue_work(vxe_wq, &job->work);
}

static void vxe_bind_dep_cb(struct dma_fence *fence, struct dma_fence_cb *cb)
{
	struct vxe_bind_dep *dep = container_of(cb, struct vxe_bind_dep, cb);

	vxe_bind_job_dep_done(dep->job);
}

/**
 * vxe_bind_job_last_fence() - the last job of a VM_BIND queue
 * @vm: the VM
 * @q: the VM_BIND exec queue, or NULL for the VM's default one
 *
 * Context: the VM lock.
 * Return: a reference to the fence of the queue's last job, or NULL.
 */
struct dma_fence *vxe_bind_job_last_fence(struct vxe_vm *vm,
					  struct vxe_exec_queue *q)
{
	struct dma_fence *fence;

	lockdep_assert_held(&vm->lock);
	if (!q)
		return dma_fence_get(vm->bind.last_fence);
	spin_lock(&q->lock);
	fence = dma_fence_get(q->last_fence);
	spin_unlock(&q->lock);
	return fence;
}

/*
 * The fences a bind must wait for, in @deps (references): its unsignalled
 * in-fences, its queue's last job, and the pending jobs of the VM whose
 * page tables overlap [start, last] (worked out only when the VM has
 * some, or when the bind becomes a job).
 */
static u32 vxe_bind_job_deps(struct vxe_vm *vm, struct vxe_exec_queue *q,
			     const struct drm_xe_vm_bind_op *binds, u32 num_binds,
			     const struct vxe_sync *syncs, u32 num_syncs,
			     u64 *start, u64 *last, struct dma_fence **deps)
{
	struct dma_fence *queue_last = vxe_bind_job_last_fence(vm, q);
	struct vxe_bind_job *job;
	u32 i, n = 0;

	for (i = 0; i < num_syncs; i++)
		if (!syncs[i].signal)
			vxe_bind_dep_add(deps, &n, syncs[i].fence);
	vxe_bind_dep_add(deps, &n, queue_last);
	dma_fence_put(queue_last);
	if (n || !list_empty(&vm->bind.jobs))
		vxe_bind_job_interval(vm, binds, num_binds, start, last);
	list_for_each_entry(job, &vm->bind.jobs, link)
		if (job->start <= *last && *start <= job->last)
			vxe_bind_dep_add(deps, &n, &job->fence);
	return n;
}

/* Publish the job: its fence becomes its queue's last and the out-syncs'. */
static void vxe_bind_job_publish(struct vxe_bind_job *job,
				 struct vxe_exec_queue *q)
{
	struct vxe_vm *vm = job->vm;

	if (q) {
		spin_lock(&q->lock);
		dma_fence_init(&job->fence, &vxe_bind_job_fence_ops, &job->lock,
			       q->fence_context, ++q->seqno);
		dma_fence_put(q->last_fence);
		q->last_fence = dma_fence_get(&job->fence);
		spin_unlock(&q->lock);
	} else {
		dma_fence_init(&job->fence, &vxe_bind_job_fence_ops, &job->lock,
			       vm->bind.fence_context, ++vm->bind.seqno);
		dma_fence_put(vm->bind.last_fence);
		vm->bind.last_fence = dma_fence_get(&job->fence);
	}
	list_add_tail(&job->link, &vm->bind.jobs);
	vxe_sync_signal(job->syncs, job->num_syncs, &job->fence);
}

/* Wait for @fence until @deadline (jiffies): -ERESTARTSYS on a signal. */
static int vxe_bind_job_wait_until(struct dma_fence *fence,
				   unsigned long deadline)
{
	long left;

	if (!fence || dma_fence_is_signaled(fence))
		return 0;
	if (time_after_eq(jiffies, deadline))
		return 0;
	left = dma_fence_wait_timeout(fence, true, deadline - jiffies);
	return left < 0 ? left : 0;
}

/**
 * vxe_bind_job_catch_up() - let vxe's engines catch up before a big bind
 * @syncs: the bind's parsed syncs
 * @num_syncs: entries of @syncs
 * @last: the last job of its queue (vxe_bind_job_last_fence()), or NULL
 *
 * Xe refuses with -ENOBUFS a bind whose page-table batch does not fit its
 * pool only when the bind must wait, and carries it out on the CPU when
 * it need not.  A bind that waits for work just handed to the GPU (IGT's
 * xe_vm bind-array-enobufs unmaps behind 256 one-store batches) finds it
 * done on hardware, whose engines run beside the CPU; vxe's engines are
 * threads on the same CPUs, slower still under emulation.  So before such
 * a bind is refused (vxe_bind_job_submit() said -ENOBUFS), its in-fences
 * and its queue's last job get %VXE_BIND_JOB_CATCH_UP_MS to signal, and it
 * is submitted again (a job still blocked after that, by a spinner for
 * one, keeps the bind -ENOBUFS as in Xe).
 *
 * Context: not under the VM lock; may sleep.
 * Return: 0 (whether or not they signalled); -ERESTARTSYS on a signal.
 */
int vxe_bind_job_catch_up(const struct vxe_sync *syncs, u32 num_syncs,
			  struct dma_fence *last)
{
	unsigned long deadline = jiffies +
		msecs_to_jiffies(VXE_BIND_JOB_CATCH_UP_MS);
	u32 i;
	int err;

	for (i = 0; i < num_syncs; i++) {
		if (syncs[i].signal)
			continue;
		err = vxe_bind_job_wait_until(syncs[i].fence, deadline);
		if (err)
			return err;
	}
	return vxe_bind_job_wait_until(last, deadline);
}

/**
 * vxe_bind_job_submit() - make a VM_BIND a job if it has to wait
 * @vm: the VM
 * @q: the VM_BIND exec queue, or NULL for the VM's default one
 * @binds: the operations, checked (copied if a job is made)
 * @objs: their BOs, looked up and checked (NULL where none): a job takes
 *	the array and its references, and sets *@objs to NULL
 * @n: number of operations (0: only wait and signal)
 * @syncs: the parsed syncs: a job takes them and sets *@syncs to NULL
 * @num_syncs: entries of *@syncs
 * @queued: set when a job was made
 *
 * When the bind has nothing to wait for (see the DOC section), *@queued is
 * false and the caller carries it out at once.  Otherwise a job is made,
 * its fence installed in the out-syncs, and it runs on &vxe_wq once what
 * it waits for is done.
 *
 * Context: the VM lock, in the binding process.
 * Return: 0; what vxe_vm_bind_precheck() refuses (-EBUSY, -EFAULT, ...);
 * -ENOBUFS when Xe's batch for the job would not fit its pool
 * (vxe_bind_job_batch_bytes()); -ENOMEM.  Nothing is taken on failure.
 */
int vxe_bind_job_submit(struct vxe_vm *vm, struct vxe_exec_queue *q,
			struct drm_xe_vm_bind_op *binds,
			struct drm_gem_object ***objs, u32 n,
			struct vxe_sync **syncs, u32 num_syncs, bool *queued)
{
	struct vxe_device *vxe = vm->vxe;
	struct dma_fence **deps;
	struct vxe_bind_job *job;
	struct vxe_bind_job *pending;
	u64 start = U64_MAX, last = 0;
	u32 i, max_deps = num_syncs + 1, num_deps;
	int err = -ENOMEM;

	lockdep_assert_held(&vm->lock);
	*queued = false;
	list_for_each_entry(pending, &vm->bind.jobs, link)
		max_deps++;
	deps = kmalloc_array(max_deps, sizeof(*deps), GFP_KERNEL);
	if (!deps)
		return -ENOMEM;
	num_deps = vxe_bind_job_deps(vm, q, binds, n, *syncs, num_syncs,
				     &start, &last, deps);
	if (!num_deps) {
		kfree(deps);
		return 0;
	}

	err = vxe_vm_bind_precheck(vm, binds, *objs, n);
	if (err)
		goto put_deps;
	if (VXE_IOCTL_DBG(vxe, vxe_bind_job_batch_bytes(binds, n) >
			  VXE_BIND_JOB_MAX_BATCH)) {
		err = -ENOBUFS;
		goto put_deps;
	}
	err = -ENOMEM;
	job = kzalloc(struct_size(job, deps, num_deps), GFP_KERNEL);
	if (!job)
		goto put_deps;
	if (n) {
		job->binds = kvmemdup(binds, array_size(n, sizeof(*binds)),
				      GFP_KERNEL);
		if (!job->binds) {
			kfree(job);
			goto put_deps;
		}
	}

	spin_lock_init(&job->lock);
	INIT_WORK(&job->work, vxe_bind_job_work);
	job->vm = vxe_vm_get(vm);
	drm_dev_get(&vxe->drm);
	if (current->mm) {
		job->mm = current->mm;
		mmgrab(job->mm);
	}
	job->start = start;
	job->last = last;
	job->objs = *objs;
	*objs = NULL;
	job->num_binds = n;
	job->syncs = *syncs;
	*syncs = NULL;
	job->num_syncs = num_syncs;
	job->num_deps = num_deps;
	for (i = 0; i < num_deps; i++) {
		job->deps[i].fence = deps[i];
		job->deps[i].job = job;
	}
	kfree(deps);
	vxe_bind_job_publish(job, q);

	/* Armed last: the count cannot reach zero before every callback is in. */
	atomic_set(&job->pending, 1);
	for (i = 0; i < num_deps; i++) {
		atomic_inc(&job->pending);
		if (dma_fence_add_callback(job->deps[i].fence, &job->deps[i].cb,
					   vxe_bind_dep_cb))
			atomic_dec(&job->pending);
	}
	vxe_bind_job_dep_done(job);
	*queued = true;
	return 0;

put_deps:
	for (i = 0; i < num_deps; i++)
		dma_fence_put(deps[i]);
	kfree(deps);
	return err;
}
