/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_BIND_JOB_H_
#define _VXE_BIND_JOB_H_

#include <linux/sizes.h>
#include <linux/types.h>

struct dma_fence;
struct drm_gem_object;
struct drm_xe_vm_bind_op;
struct vxe_exec_queue;
struct vxe_sync;
struct vxe_vm;

/*
 * Xe's limit on a bind job's batch: its kernel batch pool (1 MiB, less the
 * 4K the suballocator keeps).
 */
#define VXE_BIND_JOB_MAX_BATCH	(SZ_1M - SZ_4K)

/* How long a bind too big for a job gives what it waits for to signal */
#define VXE_BIND_JOB_CATCH_UP_MS	1000

u64 vxe_bind_job_batch_bytes(const struct drm_xe_vm_bind_op *binds, u32 n);
struct dma_fence *vxe_bind_job_last_fence(struct vxe_vm *vm,
					  struct vxe_exec_queue *q);
int vxe_bind_job_catch_up(const struct vxe_sync *syncs, u32 num_syncs,
			  struct dma_fence *last);
int vxe_bind_job_submit(struct vxe_vm *vm, struct vxe_exec_queue *q,
			struct drm_xe_vm_bind_op *binds,
			struct drm_gem_object ***objs, u32 n,
			struct vxe_sync **syncs, u32 num_syncs, bool *queued);

#endif
