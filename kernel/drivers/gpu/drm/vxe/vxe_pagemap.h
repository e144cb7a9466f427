/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_PAGEMAP_H_
#define _VXE_PAGEMAP_H_

struct drm_pagemap;
struct vxe_device;

int vxe_pagemap_init(struct vxe_device *vxe);
struct drm_pagemap *vxe_pagemap_get(struct vxe_device *vxe);
struct drm_pagemap *vxe_pagemap_from_fd(int fd, u32 region_instance);

#endif
