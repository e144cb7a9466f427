/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_DEVICE_H_
#define _VXE_DEVICE_H_

#include <drm/drm_device.h>

#include "vxe_inject.h"

struct device;
struct vxe_pt_xlate;

/**
 * struct vxe_device - one virtual Xe GPU
 * @drm: the DRM device
 * @inj: fault injection for every backend operation of this device
 * @wq: ordered workqueue for the SVM garbage collectors of its VMs
 * @nr_vms: live VMs (for leak checks)
 */
struct vxe_device {
	struct drm_device drm;
	struct vxe_inject inj;
	struct workqueue_struct *wq;
	atomic_t nr_vms;
};

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

struct vxe_device *vxe_device_create(struct device *parent);
int vxe_mem_copy(void *priv, const struct vxe_pt_xlate *x, void *buf,
		 size_t len, bool write);

#endif
