/* SPDX-License-Identifier: GPL-2.0-only OR MIT */
/*
 * Copyright © 2026 The gpusvm authors
 */

#ifndef _VXE_VRAM_H_
#define _VXE_VRAM_H_

#include <linux/memremap.h>
#include <linux/mm.h>
#include <linux/types.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>

struct vxe_device;

/**
 * struct vxe_vram - the VRAM of a vxe device
 * @vxe: the device
 * @size: size in bytes
 * @backing: one kernel page per VRAM page: what the mock GPU and the copy
 *	engine read and write at a VRAM offset
 * @pagemap: the device-private pages standing for VRAM in the mm, over a
 *	free physical address range of the same size
 * @peer: the device in its interconnect group, whose owner owns @pagemap
 * @pfn_first: the device pfn of VRAM offset 0
 * @copy_wq: the copy engine: an ordered workqueue running copy jobs
 * @copy_delay_us: injected delay of every copy job (tests)
 * @copies: copy jobs run (debugfs, tests)
 *
 * A VRAM offset, its device pfn and its backing page convert into each
 * other in one step (vxe_vram_offset_pfn(), vxe_vram_page_offset(),
 * vxe_vram_backing()).
 */
struct vxe_vram {
	struct vxe_device *vxe;
	u64 size;
	struct page **backing;
	struct dev_pagemap pagemap;
	struct drm_pagemap_peer peer;
	unsigned long pfn_first;
	struct workqueue_struct *copy_wq;
	unsigned int copy_delay_us;
	atomic64_t copies;
};

/**
 * vxe_vram_offset_pfn() - the device pfn of a VRAM offset
 * @vram: the VRAM
 * @offset: the offset
 *
 * Return: the pfn of the device-private page at @offset.
 */
static inline unsigned long vxe_vram_offset_pfn(struct vxe_vram *vram,
						u64 offset)
{
	return vram->pfn_first + (offset >> PAGE_SHIFT);
}

/**
 * vxe_vram_page_offset() - the VRAM offset of a device-private page
 * @vram: the VRAM
 * @page: a device-private page of @vram
 *
 * Return: its offset.
 */
static inline u64 vxe_vram_page_offset(struct vxe_vram *vram,
				       struct page *page)
{
	return (u64)(page_to_pfn(page) - vram->pfn_first) << PAGE_SHIFT;
}

/**
 * vxe_vram_backing() - the kernel page holding the data of a VRAM page
 * @vram: the VRAM
 * @offset: a VRAM offset
 *
 * Return: the backing page.
 */
static inline struct page *vxe_vram_backing(struct vxe_vram *vram, u64 offset)
{
	return vram->backing[offset >> PAGE_SHIFT];
}

/**
 * vxe_vram_of_page() - the VRAM a device-private page belongs to
 * @page: a device-private page of a vxe device
 *
 * Return: the VRAM.
 */
static inline struct vxe_vram *vxe_vram_of_page(struct page *page)
{
	return container_of(page->pgmap, struct vxe_vram, pagemap);
}

/*
 * How a device reaches VRAM pages (&drm_pagemap_addr.proto): its own at
 * their VRAM offsets, a peer's at the DMA address of their backing memory
 * (vxe_vram_peer_address()), which its engines access as system memory.
 */
#define VXE_INTERCONNECT_VRAM	DRM_INTERCONNECT_DRIVER
#define VXE_INTERCONNECT_P2P	(VXE_INTERCONNECT_VRAM + 1)

int vxe_vram_acquire_owner(struct drm_pagemap_peer *peer,
			   struct vxe_device *vxe);
phys_addr_t vxe_vram_peer_address(struct vxe_vram *vram, u64 offset);
int vxe_vram_init(struct vxe_device *vxe, u64 size);
int vxe_vram_copy(struct vxe_vram *vram, const u64 *vram_off,
		  struct page **sys, unsigned long npages, bool to_vram);

#endif
