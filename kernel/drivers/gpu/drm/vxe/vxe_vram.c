// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/workqueue.h>
#include <drm/drm_managed.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_vram.h"

/**
 * DOC: vxe VRAM
 *
 * A vxe device's VRAM is kernel memory: one page per VRAM page
 * (&vxe_vram.backing), which the mock GPU reaches at VRAM offsets (page
 * table entries with %VXE_PTE_DM) and the copy engine copies to and from.
 * To the mm, VRAM is device-private memory: memremap_pages() with
 * %MEMORY_DEVICE_PRIVATE over a free physical address range of the same
 * size (request_free_mem_region()), with drm_pagemap's &dev_pagemap_ops,
 * owned by the device's interconnect group (drm_pagemap_acquire_owner():
 * every vxe device, or the device alone with vxe.fast_interconnect=0).
 * Peers reach a VRAM page at the physical address of its backing page
 * (vxe_vram_peer_address()), as PCIe peer-to-peer reaches a BAR.  Process
 * memory migrated to VRAM is mapped by the CPU as device-private entries;
 * a CPU access migrates it back.  The &struct drm_pagemap of this memory
 * is vxe_pagemap.c's.
 *
 * TTM manages the VRAM (vxe_ttm_vram_mgr.c): buffer objects and SVM
 * allocations are placed in it by a buddy allocator and evicted from it by
 * TTM.  The copy engine is an ordered workqueue: each copy job runs there,
 * after an injectable delay, and can be made to fail (%VXE_INJECT_COPY).
 */

/*
 * vxe devices are joined by a fast interconnect (as Xe GPUs that reach
 * each other's VRAM over PCIe peer-to-peer): they share a device-private
 * page owner, so a GPU maps a peer's VRAM pages where they are and
 * migrates them to its own VRAM directly.  Off, each device is a group of
 * its own: a peer's pages reach it through system memory, and a preferred
 * location on a peer is refused (-ENOLINK), as Xe without a fast link.
 */
static bool vxe_fast_interconnect = true;
module_param_named(fast_interconnect, vxe_fast_interconnect, bool, 0444);
MODULE_PARM_DESC(fast_interconnect, "vxe devices share a fast interconnect: peer VRAM is mapped and migrated directly (default: on)");

static DRM_PAGEMAP_OWNER_LIST_DEFINE(vxe_vram_owner_list);

/* &drm_pagemap_peer.private is the device of the peer. */
static bool vxe_vram_has_interconnect(struct drm_pagemap_peer *peer1,
				      struct drm_pagemap_peer *peer2)
{
	return peer1->private == peer2->private || vxe_fast_interconnect;
}

/**
 * vxe_vram_acquire_owner() - join a device's interconnect group
 * @peer: the peer to join: a device's VRAM, or a VM of the device
 * @vxe: the device
 *
 * @peer gets the device-private page owner of @vxe's group: that of every
 * vxe device while the interconnect is on (vxe.fast_interconnect), of
 * @vxe alone otherwise.  Released with drm_pagemap_release_owner().
 *
 * Return: 0 or -ENOMEM.
 */
int vxe_vram_acquire_owner(struct drm_pagemap_peer *peer,
			   struct vxe_device *vxe)
{
	peer->private = vxe;
	return drm_pagemap_acquire_owner(peer, &vxe_vram_owner_list,
					 vxe_vram_has_interconnect);
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vram_acquire_owner);

/**
 * vxe_vram_peer_address() - the address at which peers reach a VRAM page
 * @vram: the VRAM
 * @offset: a VRAM offset
 *
 * vxe's "BAR": the physical address of the page's backing memory, which a
 * peer maps with dma_map_resource() and its engines then read and write as
 * they do system memory.
 *
 * Return: the physical address.
 */
phys_addr_t vxe_vram_peer_address(struct vxe_vram *vram, u64 offset)
{
	return page_to_phys(vxe_vram_backing(vram, offset));
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vram_peer_address);

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/*
 * One job of the copy engine: @npages pages between VRAM offsets and
 * system pages.  A %U64_MAX offset is skipped; to VRAM, a NULL system page
 * (or a NULL @sys) means zeroes.
 */
struct vxe_copy_job {
	struct work_struct work;
	struct completion done;
	struct vxe_vram *vram;
	const u64 *vram_off;
	struct page **sys;
	unsigned long npages;
	bool to_vram;
	int err;
};

static void vxe_copy_work(struct work_struct *work)
{
	struct vxe_copy_job *job = container_of(work, typeof(*job), work);
	struct vxe_vram *vram = job->vram;
	unsigned long i;

	if (vram->copy_delay_us)
		fsleep(vram->copy_delay_us);
	job->err = vxe_inject_check(&vram->vxe->inj, VXE_INJECT_COPY);

	for (i = 0; !job->err && i < job->npages; i++) {
		void *dst, *src;

		if (job->vram_off[i] == U64_MAX)
			continue;
		if (job->to_vram) {
			dst = kmap_local_page(vxe_vram_backing(vram, job->vram_off[i]));
			if (job->sys && job->sys[i]) {
				src = kmap_local_page(job->sys[i]);
				memcpy(dst, src, PAGE_SIZE);
				kunmap_local(src);
			} else {
				memset(dst, 0, PAGE_SIZE);
			}
			kunmap_local(dst);
		} else {
			dst = kmap_local_page(job->sys[i]);
			src = kmap_local_page(vxe_vram_backing(vram, job->vram_off[i]));
			memcpy(dst, src, PAGE_SIZE);
			kunmap_local(src);
			kunmap_local(dst);
		}
	}
	atomic64_inc(&vram->copies);
	complete(&job->done);
}

/**
 * vxe_vram_copy() - run a copy job on the copy engine and wait for it
 * @vram: the VRAM
 * @vram_off: per page, its VRAM offset; %U64_MAX skips the page
 * @sys: per page, the system page; towards VRAM, a NULL page (or a NULL
 *	array) writes zeroes
 * @npages: number of pages
 * @to_vram: the direction
 *
 * Context: may sleep.
 * Return: 0, or the injected error (nothing was copied).
 */
int vxe_vram_copy(struct vxe_vram *vram, const u64 *vram_off,
		  struct page **sys, unsigned long npages, bool to_vram)
{
	struct vxe_copy_job job = {
		.vram = vram,
		.vram_off = vram_off,
		.sys = sys,
		.npages = npages,
		.to_vram = to_vram,
	};

	INIT_WORK_ONSTACK(&job.work, vxe_copy_work);
	init_completion(&job.done);
	queue_work(vram->copy_wq, &job.work);
	wait_for_completion(&job.done);
	destroy_work_on_stack(&job.work);
	return job.err;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vram_copy);

static void vxe_vram_release(struct drm_device *drm, void *arg)
{
	struct vxe_vram *vram = arg;
	unsigned long i;

	memunmap_pages(&vram->pagemap);
	release_mem_region(vram->pagemap.range.start,
			   range_len(&vram->pagemap.range));
	drm_pagemap_release_owner(&vram->peer);
	destroy_workqueue(vram->copy_wq);
	for (i = 0; i < vram->size >> PAGE_SHIFT; i++)
		__free_page(vram->backing[i]);
	kvfree(vram->backing);
}

/**
 * vxe_vram_init() - give a vxe device its VRAM
 * @vxe: the device
 * @size: bytes of VRAM, a multiple of PAGE_SIZE; 0 for none
 *
 * Allocates the backing pages, the device-private pages and the copy
 * engine; released with the DRM device.
 *
 * Return: 0, -ENOMEM, or an error of request_free_mem_region() or
 * memremap_pages().
 */
int vxe_vram_init(struct vxe_device *vxe, u64 size)
{
	unsigned long npages = size >> PAGE_SHIFT, i;
	struct resource *res;
	struct vxe_vram *vram;
	void *addr;
	int err;

	if (!size)
		return 0;

	vram = drmm_kzalloc(&vxe->drm, sizeof(*vram), GFP_KERNEL);
	if (!vram)
		return -ENOMEM;
	vram->vxe = vxe;
	vram->size = size;
	vram->backing = kvcalloc(npages, sizeof(*vram->backing), GFP_KERNEL);
	if (!vram->backing)
		return -ENOMEM;
	for (i = 0; i < npages; i++) {
		vram->backing[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!vram->backing[i]) {
			err = -ENOMEM;
			goto err_free;
		}
	}

	vram->copy_wq = alloc_ordered_workqueue("vxe-copy", WQ_MEM_RECLAIM);
	if (!vram->copy_wq) {
		err = -ENOMEM;
		goto err_free;
	}

	res = request_free_mem_region(&iomem_resource, size, "vxe vram");
	if (IS_ERR(res)) {
		err = PTR_ERR(res);
		goto err_wq;
	}
	vram->pagemap.type = MEMORY_DEVICE_PRIVATE;
	vram->pagemap.range.start = res->start;
	vram->pagemap.range.end = res->end;
	vram->pagemap.nr_range = 1;
	vram->pagemap.ops = drm_pagemap_pagemap_ops_get();
	err = vxe_vram_acquire_owner(&vram->peer, vxe);
	if (err)
		goto err_region;
	vram->pagemap.owner = vram->peer.owner;
	addr = memremap_pages(&vram->pagemap, NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		err = PTR_ERR(addr);
		goto err_owner;
	}
	vram->pfn_first = PHYS_PFN(res->start);

	err = drmm_add_action_or_reset(&vxe->drm, vxe_vram_release, vram);
	if (err)
		return err;
	vxe->vram = vram;
	return 0;

err_owner:
	drm_pagemap_release_owner(&vram->peer);
err_region:
	release_mem_region(res->start, resource_size(res));
err_wq:
	destroy_workqueue(vram->copy_wq);
err_free:
	for (i = 0; i < npages && vram->backing[i]; i++)
		__free_page(vram->backing[i]);
	kvfree(vram->backing);
	return err;
}

#else

int vxe_vram_init(struct vxe_device *vxe, u64 size)
{
	if (size)
		drm_info(&vxe->drm, "no VRAM: the kernel has no CONFIG_DEVICE_PRIVATE\n");
	return 0;
}

int vxe_vram_copy(struct vxe_vram *vram, const u64 *vram_off,
		  struct page **sys, unsigned long npages, bool to_vram)
{
	return -ENODEV;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_vram_copy);

#endif
