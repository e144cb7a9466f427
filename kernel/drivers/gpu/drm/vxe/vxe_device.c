// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-direct.h>
#include <linux/dma-mapping.h>
#include <linux/highmem.h>
#include <linux/workqueue.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>
#include <kunit/visibility.h>

#include "vxe_device.h"
#include "vxe_pt.h"

static const struct drm_driver vxe_drm_driver = {
	.name = "xe",
	.desc = "Virtual Xe: a mock Xe GPU for GPU SVM testing",
	.major = 1,
	.minor = 0,
};

static void vxe_device_release_wq(struct drm_device *drm, void *arg)
{
	struct vxe_device *vxe = to_vxe_device(drm);

	destroy_workqueue(vxe->wq);
}

/**
 * vxe_device_create() - create a virtual Xe device
 * @parent: the device it hangs off (a platform device, or a KUnit device)
 *
 * The device is devres-managed: it goes away with @parent's driver
 * binding (or with the KUnit device).  Its DMA mask is 64 bits: the mock
 * GPU reaches all memory.
 *
 * Return: the device, or an ERR_PTR().
 */
struct vxe_device *vxe_device_create(struct device *parent)
{
	struct vxe_device *vxe;
	int err;

	if (!parent->dma_mask)
		parent->dma_mask = &parent->coherent_dma_mask;
	err = dma_set_mask_and_coherent(parent, DMA_BIT_MASK(64));
	if (err)
		return ERR_PTR(err);

	vxe = devm_drm_dev_alloc(parent, &vxe_drm_driver, struct vxe_device,
				 drm);
	if (IS_ERR(vxe))
		return vxe;

	vxe->wq = alloc_ordered_workqueue("vxe-gc", WQ_MEM_RECLAIM);
	if (!vxe->wq)
		return ERR_PTR(-ENOMEM);
	err = drmm_add_action_or_reset(&vxe->drm, vxe_device_release_wq, NULL);
	if (err)
		return ERR_PTR(err);

	return vxe;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_device_create);

/**
 * vxe_mem_copy() - the mock GPU's memory port: access a device address
 * @priv: the &struct vxe_device
 * @x: the translation: a DMA address of system memory
 * @buf: the CPU-side buffer
 * @len: number of bytes, within one 4K page
 * @write: copy from @buf to memory
 *
 * The mock GPU accesses system memory as a DMA master would: at the DMA
 * address its page tables hold, which the DMA API handed out.  Device
 * memory (%VXE_PTE_DM) is not there yet.
 *
 * Context: called with the page-table lock held; does not sleep.
 * Return: 0, or -EIO for an address the device cannot reach.
 */
int vxe_mem_copy(void *priv, const struct vxe_pt_xlate *x, void *buf,
		 size_t len, bool write)
{
	struct vxe_device *vxe = priv;
	phys_addr_t phys;
	struct page *page;
	void *vaddr;

	if (x->pte & VXE_PTE_DM)
		return -EIO;

	phys = dma_to_phys(vxe->drm.dev, x->addr);
	if (!pfn_valid(PHYS_PFN(phys)))
		return -EIO;
	page = pfn_to_page(PHYS_PFN(phys));
	vaddr = kmap_local_page(page);
	if (write)
		memcpy(vaddr + offset_in_page(phys), buf, len);
	else
		memcpy(buf, vaddr + offset_in_page(phys), len);
	kunmap_local(vaddr);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vxe_mem_copy);
