/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _DRM_PAGEMAP_H_
#define _DRM_PAGEMAP_H_

#include <linux/dma-direction.h>
#include <linux/types.h>

/**
 * enum drm_interconnect_protocol - how a device reaches a page
 * @DRM_INTERCONNECT_SYSTEM: through the DMA API (system memory, or device
 *	memory exposed to the DMA API)
 * @DRM_INTERCONNECT_DRIVER: through a path only the driver knows, e.g. the
 *	device's own local memory; the address is the driver's
 * @DRM_INTERCONNECT_DRIVER_LAST: the last value a driver may use; drivers
 *	may define private protocols after %DRM_INTERCONNECT_DRIVER
 */
enum drm_interconnect_protocol {
	DRM_INTERCONNECT_SYSTEM,
	DRM_INTERCONNECT_DRIVER,
	DRM_INTERCONNECT_DRIVER_LAST = (1 << 10) - 1,
};

/**
 * struct drm_pagemap_device_addr - a device address of a (huge) page
 * @addr: the address, in the space @proto names
 * @proto: the &enum drm_interconnect_protocol the address belongs to
 * @order: the mapping covers PAGE_SIZE << @order bytes
 * @dir: the &enum dma_data_direction the mapping was made with
 *
 * One entry describes one mapped folio (or part of one) of a range; the
 * next entry of an array of them follows (1 << @order) pages later.
 */
struct drm_pagemap_device_addr {
	dma_addr_t addr;
	u64 proto : 54;
	u64 order : 8;
	u64 dir : 2;
};

/**
 * drm_pagemap_device_addr_encode() - make a &struct drm_pagemap_device_addr
 * @addr: the address
 * @proto: its protocol
 * @order: its order
 * @dir: its DMA direction
 *
 * Return: the encoded address.
 */
static inline struct drm_pagemap_device_addr
drm_pagemap_device_addr_encode(dma_addr_t addr,
			       enum drm_interconnect_protocol proto,
			       unsigned int order,
			       enum dma_data_direction dir)
{
	return (struct drm_pagemap_device_addr) {
		.addr = addr,
		.proto = proto,
		.order = order,
		.dir = dir,
	};
}

struct device;
struct drm_pagemap;
struct page;

/**
 * struct drm_pagemap_ops - what a device memory provider does for its users
 */
struct drm_pagemap_ops {
	/**
	 * @device_map: the address at which a device reaches one (huge)
	 * page of the provider's memory.
	 * @dpagemap: the provider
	 * @dev: the device that will access the page
	 * @page: the device-private page
	 * @order: the page covers PAGE_SIZE << @order bytes
	 * @dir: the direction of the accesses
	 *
	 * Context: may be called with the GPU SVM notifier lock held: must
	 * not sleep or allocate memory in a way that recurses into reclaim.
	 * Return: the address and its protocol; an address of
	 * %DMA_MAPPING_ERROR when @dev cannot reach the page.
	 */
	struct drm_pagemap_device_addr (*device_map)(struct drm_pagemap *dpagemap,
						     struct device *dev,
						     struct page *page,
						     unsigned int order,
						     enum dma_data_direction dir);

	/**
	 * @device_unmap: undo @device_map (optional).
	 * @dpagemap: the provider
	 * @dev: the device that accessed the page
	 * @addr: what @device_map returned
	 *
	 * Context: as @device_map.
	 */
	void (*device_unmap)(struct drm_pagemap *dpagemap, struct device *dev,
			     struct drm_pagemap_device_addr addr);
};

/**
 * struct drm_pagemap - a provider of device memory
 * @ops: its operations
 * @dev: the device whose memory it is
 *
 * Embedded in the driver's structure for its device memory (one per
 * memory region); drm_gpusvm finds it through the device-private pages'
 * allocation (&drm_gpusvm_devmem.dpagemap), so that the pages of one device
 * can later be mapped for a peer device too.
 */
struct drm_pagemap {
	const struct drm_pagemap_ops *ops;
	struct device *dev;
};

#endif
