/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_SYNC_H_
#define _VXE_SYNC_H_

#include <linux/types.h>

struct dma_fence;
struct dma_fence_chain;
struct drm_file;
struct drm_syncobj;
struct drm_xe_sync;
struct vxe_device;

/* vxe_sync_parse() flags, as Xe's SYNC_PARSE_FLAG_* */
#define VXE_SYNC_PARSE_EXEC		BIT(0)
#define VXE_SYNC_PARSE_LR_MODE		BIT(1)
#define VXE_SYNC_PARSE_NO_UFENCE	BIT(2)

/**
 * struct vxe_sync - one &struct drm_xe_sync of an EXEC or a VM_BIND
 * @type: %DRM_XE_SYNC_TYPE_*
 * @signal: signalled when the work is done (else waited for before it)
 * @syncobj: the syncobj (syncobj types), with a reference
 * @fence: (wait) the fence to wait for, with a reference
 * @chain: (timeline signal) the preallocated chain node
 * @timeline_value: the timeline point
 * @addr: (user fence) the user address the value is written to
 * @value: (user fence) the value
 */
struct vxe_sync {
	u32 type;
	bool signal;
	struct drm_syncobj *syncobj;
	struct dma_fence *fence;
	struct dma_fence_chain *chain;
	u64 timeline_value;
	u64 addr;
	u64 value;
};

int vxe_sync_parse(struct vxe_device *vxe, struct drm_file *file,
		   struct vxe_sync *sync, struct drm_xe_sync __user *user,
		   unsigned int flags);
bool vxe_sync_is_ufence(const struct vxe_sync *sync);
int vxe_sync_wait(struct vxe_sync *syncs, unsigned int n);
void vxe_sync_write_ufences(struct vxe_device *vxe, struct vxe_sync *syncs,
			    unsigned int n);
void vxe_sync_signal(struct vxe_sync *syncs, unsigned int n,
		     struct dma_fence *fence);
void vxe_sync_cleanup(struct vxe_sync *syncs, unsigned int n);
int vxe_sync_parse_array(struct vxe_device *vxe, struct drm_file *file,
			 u64 user, u32 num, unsigned int flags,
			 struct vxe_sync **syncs);

#endif
