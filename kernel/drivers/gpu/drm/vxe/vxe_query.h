/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_QUERY_H_
#define _VXE_QUERY_H_

struct drm_device;
struct drm_file;

int vxe_query_ioctl(struct drm_device *dev, void *data, struct drm_file *file);

#endif
