// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-fence-chain.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <drm/drm_syncobj.h>

#include "vxe_device.h"
#include "vxe_sync.h"

/**
 * vxe_sync_parse() - read and check one &struct drm_xe_sync
 * @vxe: the device
 * @file: the DRM file (owner of the syncobj handles)
 * @sync: where to put it
 * @user: the user's &struct drm_xe_sync
 * @flags: %VXE_SYNC_PARSE_EXEC, %VXE_SYNC_PARSE_LR_MODE,
 *	%VXE_SYNC_PARSE_NO_UFENCE
 *
 * Xe's rules and errnos: only the SIGNAL flag, zero reserved fields; a
 * syncobj (binary or timeline) may not be signalled by long-running work
 * (-EOPNOTSUPP), has a 32-bit handle that must exist (-ENOENT), a wait
 * needs a fence in it (-EINVAL), a timeline needs a non-zero point; a
 * user fence must be signalled, be 8-byte aligned, and be allowed here.
 *
 * Return: 0 (clean up with vxe_sync_cleanup()) or a negative errno.
 */
int vxe_sync_parse(struct vxe_device *vxe, struct drm_file *file,
		   struct vxe_sync *sync, struct drm_xe_sync __user *user,
		   unsigned int flags)
{
	struct drm_xe_sync in;
	int err;

	memset(sync, 0, sizeof(*sync));
	if (copy_from_user(&in, user, sizeof(in)))
		return -EFAULT;

	if (VXE_IOCTL_DBG(vxe, in.flags & ~DRM_XE_SYNC_FLAG_SIGNAL) ||
	    VXE_IOCTL_DBG(vxe, in.reserved[0] || in.reserved[1]))
		return -EINVAL;

	sync->signal = in.flags & DRM_XE_SYNC_FLAG_SIGNAL;
	switch (in.type) {
	case DRM_XE_SYNC_TYPE_SYNCOBJ:
	case DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ:
		if (VXE_IOCTL_DBG(vxe, flags & VXE_SYNC_PARSE_LR_MODE &&
				  sync->signal))
			return -EOPNOTSUPP;
		if (VXE_IOCTL_DBG(vxe, upper_32_bits(in.addr)))
			return -EINVAL;
		if (VXE_IOCTL_DBG(vxe, in.type == DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ &&
				  !in.timeline_value))
			return -EINVAL;
		sync->syncobj = drm_syncobj_find(file, in.handle);
		if (VXE_IOCTL_DBG(vxe, !sync->syncobj))
			return -ENOENT;
		sync->timeline_value = in.timeline_value;
		if (sync->signal) {
			if (in.type == DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ) {
				sync->chain = dma_fence_chain_alloc();
				if (!sync->chain) {
					err = -ENOMEM;
					goto err_put;
				}
			}
			break;
		}
		sync->fence = drm_syncobj_fence_get(sync->syncobj);
		if (VXE_IOCTL_DBG(vxe, !sync->fence)) {
			err = -EINVAL;
			goto err_put;
		}
		if (in.type == DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ) {
			err = dma_fence_chain_find_seqno(&sync->fence,
							 in.timeline_value);
			if (err)
				goto err_put;
		}
		break;

	case DRM_XE_SYNC_TYPE_USER_FENCE:
		if (VXE_IOCTL_DBG(vxe, flags & VXE_SYNC_PARSE_NO_UFENCE) ||
		    VXE_IOCTL_DBG(vxe, !sync->signal))
			return -EOPNOTSUPP;
		if (VXE_IOCTL_DBG(vxe, in.addr & 0x7))
			return -EINVAL;
		sync->addr = in.addr;
		sync->value = in.timeline_value;
		break;

	default:
		drm_dbg(&vxe->drm, "ioctl argument check failed: sync type %u\n",
			in.type);
		return -EINVAL;
	}
	sync->type = in.type;
	return 0;

err_put:
	vxe_sync_cleanup(sync, 1);
	return err;
}

/**
 * vxe_sync_parse_array() - read and check the syncs of an ioctl
 * @vxe: the device
 * @file: the DRM file
 * @user: user address of the &struct drm_xe_sync array
 * @num: number of entries (checked against %DRM_XE_MAX_SYNCS by the caller)
 * @flags: as vxe_sync_parse()
 * @syncs: out: the parsed array (kfree() after vxe_sync_cleanup()), NULL
 *	when @num is 0
 *
 * At most one user fence (-EINVAL).
 *
 * Return: 0 or the first error (nothing to clean up then).
 */
int vxe_sync_parse_array(struct vxe_device *vxe, struct drm_file *file,
			 u64 user, u32 num, unsigned int flags,
			 struct vxe_sync **syncs)
{
	struct drm_xe_sync __user *u = u64_to_user_ptr(user);
	unsigned int i, ufences = 0;
	struct vxe_sync *s;
	int err = 0;

	*syncs = NULL;
	if (!num)
		return 0;
	s = kcalloc(num, sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	for (i = 0; i < num; i++) {
		err = vxe_sync_parse(vxe, file, &s[i], &u[i], flags);
		if (err)
			break;
		ufences += vxe_sync_is_ufence(&s[i]);
	}
	if (!err && VXE_IOCTL_DBG(vxe, ufences > 1))
		err = -EINVAL;
	if (err) {
		vxe_sync_cleanup(s, i);
		kfree(s);
		return err;
	}
	*syncs = s;
	return 0;
}

/**
 * vxe_sync_is_ufence() - is a sync a user fence?
 * @sync: the sync
 *
 * Return: true for %DRM_XE_SYNC_TYPE_USER_FENCE.
 */
bool vxe_sync_is_ufence(const struct vxe_sync *sync)
{
	return sync->type == DRM_XE_SYNC_TYPE_USER_FENCE;
}

/**
 * vxe_sync_wait() - an engine waits for the in-fences of a job's syncs
 * @syncs: the syncs
 * @n: their number
 *
 * Uninterruptibly.  A job depending on failed work fails: the error a
 * fence was signalled with is returned.  (A bind job waits through fence
 * callbacks instead, and goes ahead after a job it waits for failed, as
 * Xe's binds do.)
 *
 * Context: process context.
 * Return: 0, or the error a fence was signalled with.
 */
int vxe_sync_wait(struct vxe_sync *syncs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!syncs[i].fence)
			continue;
		dma_fence_wait(syncs[i].fence, false);
		if (syncs[i].fence->error < 0)
			return syncs[i].fence->error;
	}
	return 0;
}

/**
 * vxe_sync_write_ufences() - write the user fences of a VM_BIND's syncs
 * @vxe: the device
 * @syncs: the syncs
 * @n: their number
 *
 * Each user fence gets its value at its address in the current address
 * space (the binding process, or the one a bind job borrowed), as Xe's
 * user-fence worker writes it; waiters in WAIT_USER_FENCE are woken.  An
 * address that cannot be written is skipped (said at debug level).
 *
 * Context: process context, in the binding process's address space.
 */
void vxe_sync_write_ufences(struct vxe_device *vxe, struct vxe_sync *syncs,
			    unsigned int n)
{
	bool written = false;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vxe_sync *s = &syncs[i];

		if (!vxe_sync_is_ufence(s))
			continue;
		if (put_user(s->value, (u64 __user *)u64_to_user_ptr(s->addr)))
			drm_dbg(&vxe->drm,
				"vxe: bind user fence at %#llx not written\n",
				s->addr);
		written = true;
	}
	if (written)
		wake_up_all(&vxe->ufence_wq);
}

/**
 * vxe_sync_signal() - install a fence into the signalled syncobjs
 * @syncs: the syncs
 * @n: their number
 * @fence: the fence of the work (signalled when it is done)
 *
 * Binary syncobjs get @fence, timeline syncobjs a new point with it.
 * User fences are written by whoever completes the work.
 */
void vxe_sync_signal(struct vxe_sync *syncs, unsigned int n,
		     struct dma_fence *fence)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vxe_sync *s = &syncs[i];

		if (!s->signal || !s->syncobj)
			continue;
		if (s->chain) {
			drm_syncobj_add_point(s->syncobj, s->chain, fence,
					      s->timeline_value);
			s->chain = NULL;	/* the syncobj owns it now */
		} else {
			drm_syncobj_replace_fence(s->syncobj, fence);
		}
	}
}

/**
 * vxe_sync_cleanup() - drop what parsing took
 * @syncs: the syncs
 * @n: their number
 */
void vxe_sync_cleanup(struct vxe_sync *syncs, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct vxe_sync *s = &syncs[i];

		if (s->syncobj)
			drm_syncobj_put(s->syncobj);
		dma_fence_put(s->fence);
		dma_fence_chain_free(s->chain);
		s->syncobj = NULL;
		s->fence = NULL;
		s->chain = NULL;
	}
}
