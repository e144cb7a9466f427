// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/export.h>
#include <linux/jiffies.h>
#include <linux/llist.h>
#include <linux/memremap.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <drm/drm_drv.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>
#include <drm/drm_print.h>
#include <kunit/static_stub.h>
#include <kunit/visibility.h>

/**
 * DOC: Overview
 *
 * drm_pagemap is the device-memory half of GPU shared virtual memory.  A
 * &struct drm_pagemap stands for a device's memory (VRAM) as the mm sees
 * it: device-private pages (memremap_pages() with %MEMORY_DEVICE_PRIVATE;
 * the &dev_pagemap's operations are drm_pagemap_pagemap_ops_get()'s), and
 * operations to reach a page from a device (&drm_pagemap_ops.device_map)
 * and to fill part of an address space with it
 * (&drm_pagemap_ops.populate_mm).
 *
 * Memory is handed out in allocations (&struct drm_pagemap_devmem,
 * embedded in the driver's buffer object).  drm_pagemap_migrate_to_devmem()
 * moves a range of an address space into one; the pages then point at it,
 * and the allocation lives as long as any of its pages does:
 * &drm_pagemap_devmem_ops.devmem_release is called once, when the last
 * page is freed, however the pages went away (migrated back, unmapped,
 * the process exited).
 *
 * Pages leave device memory three ways:
 *
 * - the CPU touches one: the page's &dev_pagemap_ops.migrate_to_ram
 *   migrates the allocation's pages mapped around the address back
 *   (unless the allocation's timeslice has not ended yet: the CPU then
 *   retries the access until it has);
 * - the driver needs the memory back (eviction): drm_pagemap_evict_to_ram()
 *   migrates every page of an allocation, whichever processes map it;
 * - a GPU SVM user wants the range in system memory:
 *   drm_gpusvm_range_evict() faults it in as the CPU would.
 */

/**
 * DOC: Lifetime
 *
 * A &struct drm_pagemap is reference counted.  Its users hold references:
 * the driver while it may populate from it, GPU VMs that map or migrate to
 * it, and every allocation whose pages are in use (through the allocation's
 * zone-device data).  While a reference exists, the pagemap holds its DRM
 * device (drm_dev_get()) and the module of the device's driver, so device
 * memory stays safe to reach when the device is unbound under a process
 * that still has data there: a CPU fault still migrates it back.
 *
 * When the last reference goes (possibly from a page freed in atomic
 * context), the pagemap is handed to its &struct drm_pagemap_cache's
 * shrinker, or destroyed (&drm_pagemap_ops.destroy), and a worker drops the
 * hold on the device and the module.  A cached pagemap is made live again
 * with drm_pagemap_reinit() (see drm_pagemap_util.c).
 */

/**
 * DOC: Locking
 *
 * drm_pagemap_migrate_to_devmem() runs with the mmap lock of the address
 * space held (at least for reading) and the allocation protected from
 * eviction by the driver (e.g. its buffer object reserved), in that order;
 * drm_pagemap_populate_mm() takes the mmap lock for its callback.
 * drm_pagemap_evict_to_ram() needs no mmap lock: it takes the page locks
 * and, through the MMU notifiers, the notifier locks of every GPU SVM
 * mapping the pages.  A CPU fault's migration runs with the faulting page
 * locked (do_swap_page() locks it) and the mmap lock held.
 *
 * The last reference of a pagemap or an allocation may be dropped where
 * pages are freed, in atomic context: &drm_pagemap_devmem_ops.devmem_release
 * and &drm_pagemap_ops.destroy (with @is_atomic_or_reclaim) must not sleep.
 */

/* How many times eviction goes over an allocation before giving up. */
#define DRM_PAGEMAP_EVICT_TRIES	64

/**
 * struct drm_pagemap_zdd - the zone-device data of migrated pages
 * @refcount: references: one per device page of the migration, plus the
 *	migration's own while it runs
 * @devmem_allocation: the allocation the pages belong to; released with
 *	the last reference
 * @dpagemap: the pagemap of the pages (referenced)
 *
 * &page.zone_device_data of every page one drm_pagemap_migrate_to_devmem()
 * filled.  The last page freed (possibly in atomic context) completes the
 * allocation's &drm_pagemap_devmem.detached, releases it and drops the
 * pagemap reference.
 */
struct drm_pagemap_zdd {
	struct kref refcount;
	struct drm_pagemap_devmem *devmem_allocation;
	struct drm_pagemap *dpagemap;
};

static struct drm_pagemap_zdd *
drm_pagemap_zdd_alloc(struct drm_pagemap_devmem *devmem,
		      struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_zdd *zdd = kmalloc(sizeof(*zdd), GFP_KERNEL);

	if (!zdd)
		return NULL;
	kref_init(&zdd->refcount);
	zdd->devmem_allocation = devmem;
	zdd->dpagemap = drm_pagemap_get(dpagemap);
	return zdd;
}

static struct drm_pagemap_zdd *drm_pagemap_zdd_get(struct drm_pagemap_zdd *zdd)
{
	kref_get(&zdd->refcount);
	return zdd;
}

static void drm_pagemap_devmem_release(struct drm_pagemap_devmem *devmem)
{
	if (devmem->ops->devmem_release)
		devmem->ops->devmem_release(devmem);
}

static void drm_pagemap_zdd_destroy(struct kref *ref)
{
	struct drm_pagemap_zdd *zdd = container_of(ref, typeof(*zdd), refcount);
	struct drm_pagemap_devmem *devmem = zdd->devmem_allocation;
	struct drm_pagemap *dpagemap = zdd->dpagemap;

	complete_all(&devmem->detached);
	drm_pagemap_devmem_release(devmem);
	kfree(zdd);
	drm_pagemap_put(dpagemap);
}

static void drm_pagemap_zdd_put(struct drm_pagemap_zdd *zdd)
{
	kref_put(&zdd->refcount, drm_pagemap_zdd_destroy);
}

static struct drm_pagemap_zdd *drm_pagemap_page_zdd(struct page *page)
{
	return page->zone_device_data;
}

static unsigned long npages_in_range(unsigned long start, unsigned long end)
{
	return (end - start) >> PAGE_SHIFT;
}

/*
 * Device pages are order 0 here: Linux 6.12 cannot migrate large folios of
 * device-private memory (MIGRATE_VMA_SELECT_COMPOUND and device-private
 * THPs came later), so each page of a migration is its own folio.
 */

/*
 * The arrays one migration works with, in one allocation: the migrate
 * source and destination pfns, the device pages to copy from or to, and
 * the addresses of the other side of each copy.
 */
struct drm_pagemap_migrate_buf {
	unsigned long *src;
	unsigned long *dst;
	struct page **pages;
	struct drm_pagemap_addr *addr;
};

static int drm_pagemap_migrate_buf_alloc(struct drm_pagemap_migrate_buf *buf,
					 unsigned long npages)
{
	size_t each = 2 * sizeof(unsigned long) + sizeof(struct page *) +
		      sizeof(struct drm_pagemap_addr);

	buf->src = kvcalloc(npages, each, GFP_KERNEL);
	if (!buf->src)
		return -ENOMEM;
	buf->dst = buf->src + npages;
	buf->pages = (struct page **)(buf->dst + npages);
	buf->addr = (struct drm_pagemap_addr *)(buf->pages + npages);
	return 0;
}

static void drm_pagemap_migrate_buf_reset(struct drm_pagemap_migrate_buf *buf,
					  unsigned long npages)
{
	memset(buf->src, 0, npages * (2 * sizeof(unsigned long) +
				      sizeof(struct page *) +
				      sizeof(struct drm_pagemap_addr)));
}

static void drm_pagemap_migrate_buf_free(struct drm_pagemap_migrate_buf *buf)
{
	kvfree(buf->src);
}

/* Unlock and drop the (destination) pages of migrate pfns, and clear them. */
static void drm_pagemap_unlock_put_pages(unsigned long *mpfn,
					 unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *page = migrate_pfn_to_page(mpfn[i]);

		if (!page)
			continue;
		unlock_page(page);
		put_page(page);
		mpfn[i] = 0;
	}
}

/*
 * Map, for @dev, the pages of migrate pfns @mpfn into @addr: system pages
 * with the DMA API, device pages through their own pagemaps (a peer's
 * pages, or this device's own for a move within one pagemap).  Entries
 * without a page keep an address of 0.
 */
static int drm_pagemap_map_pages(struct device *dev,
				 struct drm_pagemap_addr *addr,
				 const unsigned long *mpfn,
				 unsigned long npages,
				 enum dma_data_direction dir)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *page = migrate_pfn_to_page(mpfn[i]);
		struct drm_pagemap *dpagemap;
		dma_addr_t dma;

		if (!page)
			continue;
		if (is_device_private_page(page)) {
			dpagemap = drm_pagemap_page_zdd(page)->dpagemap;
			addr[i] = dpagemap->ops->device_map(dpagemap, dev, page,
							    0, dir);
			dma = addr[i].addr;
		} else {
			dma = dma_map_page(dev, page, 0, PAGE_SIZE, dir);
			addr[i] = drm_pagemap_addr_encode(dma,
							  DRM_INTERCONNECT_SYSTEM,
							  0, dir);
		}
		if (dma_mapping_error(dev, dma)) {
			addr[i].addr = 0;
			return -EFAULT;
		}
	}
	return 0;
}

/* Undo drm_pagemap_map_pages() */
static void drm_pagemap_unmap_pages(struct device *dev,
				    struct drm_pagemap_addr *addr,
				    const unsigned long *mpfn,
				    unsigned long npages)
{
	unsigned long i;

	for (i = 0; i < npages; i++) {
		struct page *page = migrate_pfn_to_page(mpfn[i]);

		if (!page || !addr[i].addr)
			continue;
		if (is_device_private_page(page)) {
			struct drm_pagemap *dpagemap =
				drm_pagemap_page_zdd(page)->dpagemap;

			if (dpagemap->ops->device_unmap)
				dpagemap->ops->device_unmap(dpagemap, dev, addr[i]);
		} else {
			dma_unmap_page(dev, addr[i].addr, PAGE_SIZE, addr[i].dir);
		}
		addr[i].addr = 0;
	}
}

/*
 * A run of a migration to device memory whose sources are all of one kind:
 * system pages (and holes), or device pages of one pagemap.
 */
struct drm_pagemap_run {
	unsigned long start;
	struct drm_pagemap *src_dpagemap;
	const struct drm_pagemap_devmem_ops *src_ops;
};

/*
 * Copy the run [@run->start, @end) of a migration into @devmem's pages.
 * From system memory (or a hole, which reads as zeroes) @devmem's driver
 * copies; from a peer's device memory, the peer copies into this
 * device's pages when @mdetails says so, this device from the peer's
 * pages otherwise.
 */
static int drm_pagemap_copy_run(struct drm_pagemap_devmem *devmem,
				struct drm_pagemap_migrate_buf *buf,
				const struct drm_pagemap_run *run,
				unsigned long end,
				const struct drm_pagemap_migrate_details *mdetails)
{
	unsigned long i = run->start, n = end - i;
	struct drm_pagemap_addr *addr = &buf->addr[i];
	int err;

	if (!n)
		return 0;

	if (run->src_dpagemap && mdetails->source_peer_migrates) {
		struct device *peer = run->src_dpagemap->drm->dev;
		struct page **src_pages = kvcalloc(n, sizeof(*src_pages),
						   GFP_KERNEL);
		unsigned long j;

		if (!src_pages)
			return -ENOMEM;
		for (j = 0; j < n; j++)
			src_pages[j] = migrate_pfn_to_page(buf->src[i + j]);
		err = drm_pagemap_map_pages(peer, addr, &buf->dst[i], n,
					    DMA_FROM_DEVICE);
		if (!err)
			err = run->src_ops->copy_to_ram(src_pages, addr, n,
							devmem->pre_migrate_fence);
		drm_pagemap_unmap_pages(peer, addr, &buf->dst[i], n);
		kvfree(src_pages);
	} else {
		err = drm_pagemap_map_pages(devmem->dev, addr, &buf->src[i], n,
					    DMA_TO_DEVICE);
		if (!err)
			err = devmem->ops->copy_to_devmem(&buf->pages[i], addr, n,
							  devmem->pre_migrate_fence);
		drm_pagemap_unmap_pages(devmem->dev, addr, &buf->src[i], n);
	}
	return err;
}

/**
 * drm_pagemap_migrate_vma_setup() - the migrate_vma_setup() of a migration
 * @migrate: the migration
 *
 * A function of its own so that KUnit tests can widen the window between
 * the start of a migration and the collection of its pages (where
 * concurrent CPU faults on the same page used to defeat each other), or
 * make the collection miss a page.
 *
 * Return: what migrate_vma_setup() returns.
 */
VISIBLE_IF_KUNIT int drm_pagemap_migrate_vma_setup(struct migrate_vma *migrate)
{
	KUNIT_STATIC_STUB_REDIRECT(drm_pagemap_migrate_vma_setup, migrate);

	return migrate_vma_setup(migrate);
}
EXPORT_SYMBOL_IF_KUNIT(drm_pagemap_migrate_vma_setup);

/*
 * Count the source pages a migration to @pagemap would move within it,
 * and check that the migration is all or nothing: every page collected.
 */
static int drm_pagemap_check_collected(const struct migrate_vma *migrate,
				       unsigned long npages,
				       const struct dev_pagemap *pagemap,
				       unsigned long *own_pages)
{
	unsigned long i;

	if (!migrate->cpages || migrate->cpages != npages)
		return -EBUSY;

	*own_pages = 0;
	for (i = 0; i < npages; i++) {
		struct page *page = migrate_pfn_to_page(migrate->src[i]);

		if (page && is_device_private_page(page) &&
		    page->pgmap == pagemap)
			(*own_pages)++;
	}
	return 0;
}

/**
 * drm_pagemap_migrate_to_devmem() - migrate a range of an address space to
 *	device memory
 * @devmem_allocation: the allocation to migrate into, from
 *	drm_pagemap_devmem_init(), of at least @end - @start bytes; handed
 *	over, whatever the result (see below)
 * @mm: the address space
 * @start: first address, page aligned
 * @end: end (exclusive), page aligned, in the same VMA as @start
 * @mdetails: how to migrate
 *
 * All or nothing: collects the pages of [@start, @end) with
 * migrate_vma_setup() (system pages, pages never populated, and device
 * pages of the pagemap's owner: this pagemap's and peers'), and gives up
 * with -EBUSY unless every page was collected (a pinned page, one another
 * thread is migrating).  Then lets the drivers copy each page into the
 * allocation's pages (&drm_pagemap_devmem_ops.copy_to_devmem; pages the
 * CPU never populated read as zeroes), and switches the CPU mappings
 * over.  GPU SVM mappings of the old pages are invalidated on the way
 * (%MMU_NOTIFY_MIGRATE, with the pagemap's owner).  On success the
 * allocation's &drm_pagemap_devmem.pre_migrate_fence is dropped and its
 * timeslice starts (&drm_pagemap_migrate_details.timeslice_ms).
 *
 * Pages already in this pagemap stay where they are: when all are, there
 * is nothing to do (0); when some are and the copy functions cannot move
 * pages within one pagemap (&drm_pagemap_migrate_details.can_migrate_same_pagemap),
 * the migration is refused (-EBUSY).
 *
 * @devmem_allocation is consumed: its &drm_pagemap_devmem_ops.devmem_release
 * is called once its last page is freed, at once when no page migrated.
 * (Upstream leaves the release to the caller when an operation is
 * missing; here it is released on every path.)
 *
 * Context: the mmap lock of @mm held at least for reading; the allocation
 * must not be evicted meanwhile (hold its reservation).
 * Return: 0; -EOPNOTSUPP when an operation of the allocation is missing;
 * -ENOENT when no VMA is at @start; -EINVAL when [@start, @end) is not
 * inside one VMA or larger than the allocation; -EBUSY when the VMA is not
 * anonymous memory, not every page could be collected, pages are in this
 * pagemap already (see above), or the migration raced with another one;
 * -ENOMEM; -EFAULT when a page cannot be mapped for the copy; or the
 * driver's error (nothing migrated then).
 */
int drm_pagemap_migrate_to_devmem(struct drm_pagemap_devmem *devmem_allocation,
				  struct mm_struct *mm,
				  unsigned long start, unsigned long end,
				  const struct drm_pagemap_migrate_details *mdetails)
{
	struct drm_pagemap_devmem *devmem = devmem_allocation;
	const struct drm_pagemap_devmem_ops *ops = devmem->ops;
	struct drm_pagemap *dpagemap = devmem->dpagemap;
	struct dev_pagemap *pagemap = dpagemap->pagemap;
	unsigned long npages = npages_in_range(start, end);
	unsigned long i, own_pages = 0, migrated = 0, done = 0;
	struct migrate_vma migrate = {
		.start = start,
		.end = end,
		.pgmap_owner = pagemap->owner,
		.flags = MIGRATE_VMA_SELECT_SYSTEM |
			 MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
	};
	struct drm_pagemap_run run = { .src_ops = ops };
	struct drm_pagemap_migrate_buf buf;
	struct drm_pagemap_zdd *zdd;
	int err;

	mmap_assert_locked(mm);

	if (!ops->populate_devmem_pfn || !ops->copy_to_devmem ||
	    !ops->copy_to_ram) {
		err = -EOPNOTSUPP;
		goto err_release;
	}
	migrate.vma = vma_lookup(mm, start);
	if (!migrate.vma) {
		err = -ENOENT;
		goto err_release;
	}
	if (end > migrate.vma->vm_end || start >= end ||
	    end - start > devmem->size) {
		err = -EINVAL;
		goto err_release;
	}
	if (!vma_is_anonymous(migrate.vma)) {
		err = -EBUSY;
		goto err_release;
	}

	err = drm_pagemap_migrate_buf_alloc(&buf, npages);
	if (err)
		goto err_release;
	/* From here on, the zdd releases the allocation. */
	zdd = drm_pagemap_zdd_alloc(devmem, dpagemap);
	if (!zdd) {
		drm_pagemap_migrate_buf_free(&buf);
		err = -ENOMEM;
		goto err_release;
	}
	migrate.src = buf.src;
	migrate.dst = buf.dst;

	err = drm_pagemap_migrate_vma_setup(&migrate);
	if (err)
		goto out_free;

	err = drm_pagemap_check_collected(&migrate, npages, pagemap, &own_pages);
	if (err) {
		drm_dbg(dpagemap->drm, "migration of [%#lx, %#lx): %lu of %lu pages collected\n",
			start, end, migrate.cpages, npages);
		goto out_pages;
	}
	if (own_pages == npages)
		goto out_pages;
	if (own_pages && !mdetails->can_migrate_same_pagemap) {
		err = -EBUSY;
		goto out_pages;
	}

	err = ops->populate_devmem_pfn(devmem, npages, buf.dst);
	if (err) {
		memset(buf.dst, 0, npages * sizeof(*buf.dst));
		goto out_pages;
	}

	for (i = 0; i < npages; i++) {
		struct page *src = migrate_pfn_to_page(buf.src[i]);
		struct drm_pagemap_run cur = { .src_ops = ops };
		struct page *page = pfn_to_page(buf.dst[i]);

		if (src && is_device_private_page(src)) {
			struct drm_pagemap_zdd *src_zdd = drm_pagemap_page_zdd(src);

			cur.src_dpagemap = src_zdd->dpagemap;
			cur.src_ops = src_zdd->devmem_allocation->ops;
		}
		if (cur.src_dpagemap != run.src_dpagemap ||
		    cur.src_ops != run.src_ops) {
			err = drm_pagemap_copy_run(devmem, &buf, &run, i,
						   mdetails);
			if (err)
				break;
			run = cur;
			run.start = i;
		}

		zone_device_page_init(page);
		page->zone_device_data = drm_pagemap_zdd_get(zdd);
		buf.dst[i] = migrate_pfn(buf.dst[i]);
		buf.pages[i] = page;
		done = i + 1;
	}
	if (!err)
		err = drm_pagemap_copy_run(devmem, &buf, &run, npages, mdetails);
	if (err) {
		/* Nothing migrates: the new pages go, the old stay. */
		drm_pagemap_unlock_put_pages(buf.dst, done);
		memset(buf.dst, 0, npages * sizeof(*buf.dst));
	} else {
		dma_fence_put(devmem->pre_migrate_fence);
		devmem->pre_migrate_fence = NULL;
		devmem->timeslice_expiration = get_jiffies_64() +
			msecs_to_jiffies(mdetails->timeslice_ms);
	}

out_pages:
	migrate_vma_pages(&migrate);
	for (i = 0; !err && i < npages; i++)
		migrated += !!(buf.src[i] & MIGRATE_PFN_MIGRATE);
	if (!err && own_pages != npages && migrated < npages) {
		drm_dbg(dpagemap->drm, "migration of [%#lx, %#lx) raced: %lu of %lu pages moved\n",
			start, end, migrated, npages);
		err = -EBUSY;
	}
	migrate_vma_finalize(&migrate);
out_free:
	drm_pagemap_migrate_buf_free(&buf);
	drm_pagemap_zdd_put(zdd);
	return err;

err_release:
	drm_pagemap_devmem_release(devmem);
	return err;
}
EXPORT_SYMBOL_GPL(drm_pagemap_migrate_to_devmem);

/*
 * Allocate and lock system pages for the device pages of a migration to
 * RAM that @zdd's pages (or, with a NULL @zdd, @devmem's) are, and leave
 * the others where they are; map the new pages for the copy and let the
 * driver copy.  @vma is the VMA the pages are mapped in, NULL for
 * eviction.  The caller unmaps (drm_pagemap_unmap_pages() on the
 * destination pfns), then cancels on error.
 */
static int drm_pagemap_copy_to_ram(struct drm_pagemap_devmem *devmem,
				   struct drm_pagemap_zdd *zdd,
				   struct drm_pagemap_migrate_buf *buf,
				   unsigned long npages,
				   struct vm_area_struct *vma,
				   unsigned long start)
{
	unsigned long i, mpages = 0;
	int err;

	for (i = 0; i < npages; i++) {
		struct page *src = migrate_pfn_to_page(buf->src[i]);
		struct drm_pagemap_zdd *src_zdd;
		struct page *dst;

		if (!src || !(buf->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		src_zdd = drm_pagemap_page_zdd(src);
		if (zdd ? src_zdd != zdd : src_zdd->devmem_allocation != devmem) {
			buf->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		if (vma)
			dst = alloc_page_vma(GFP_HIGHUSER_MOVABLE, vma,
					     start + i * PAGE_SIZE);
		else
			dst = alloc_page(GFP_HIGHUSER_MOVABLE);
		if (!dst)
			return -ENOMEM;
		lock_page(dst);
		buf->dst[i] = migrate_pfn(page_to_pfn(dst));
		buf->pages[i] = src;
		mpages++;
	}
	if (!mpages)
		return 0;

	err = drm_pagemap_map_pages(devmem->dev, buf->addr, buf->dst,
				    npages, DMA_FROM_DEVICE);
	if (!err)
		err = devmem->ops->copy_to_ram(buf->pages, buf->addr, npages,
					       NULL);
	return err;
}

/* Give up a migration to RAM: the new pages go, every source page stays. */
static void drm_pagemap_migrate_cancel(struct drm_pagemap_migrate_buf *buf,
				       unsigned long npages)
{
	unsigned long i;

	drm_pagemap_unlock_put_pages(buf->dst, npages);
	for (i = 0; i < npages; i++)
		buf->src[i] &= ~MIGRATE_PFN_MIGRATE;
}

/*
 * Migrate the pages of @fault_page's allocation that @vma maps in the
 * allocation-sized window around @addr back to system memory.
 */
static int __drm_pagemap_migrate_to_ram(struct vm_area_struct *vma,
					struct page *fault_page,
					unsigned long addr)
{
	struct drm_pagemap_zdd *zdd = drm_pagemap_page_zdd(fault_page);
	struct drm_pagemap_devmem *devmem = zdd->devmem_allocation;
	unsigned long start, end, npages;
	struct migrate_vma migrate = {
		.vma = vma,
		.pgmap_owner = fault_page->pgmap->owner,
		.flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
		.fault_page = fault_page,
	};
	struct drm_pagemap_migrate_buf buf;
	int err;

	/* Within its timeslice the data stays: the CPU retries the access. */
	if (time_before64(get_jiffies_64(), devmem->timeslice_expiration))
		return 0;

	start = max(rounddown(addr, devmem->size), vma->vm_start);
	end = min(rounddown(addr, devmem->size) + devmem->size, vma->vm_end);
	npages = npages_in_range(start, end);
	migrate.start = start;
	migrate.end = end;

	err = drm_pagemap_migrate_buf_alloc(&buf, npages);
	if (err)
		return err;
	migrate.src = buf.src;
	migrate.dst = buf.dst;

	err = drm_pagemap_migrate_vma_setup(&migrate);
	if (err || !migrate.cpages)
		goto out_free;

	err = drm_pagemap_copy_to_ram(devmem, zdd, &buf, npages, vma, start);
	drm_pagemap_unmap_pages(devmem->dev, buf.addr, buf.dst, npages);
	if (err)
		drm_pagemap_migrate_cancel(&buf, npages);
	migrate_vma_pages(&migrate);
	migrate_vma_finalize(&migrate);
out_free:
	drm_pagemap_migrate_buf_free(&buf);
	return err;
}

/*
 * &dev_pagemap_ops.migrate_to_ram: a CPU fault on a device page.  Entered
 * with the page locked and referenced (do_swap_page()).
 */
static vm_fault_t drm_pagemap_migrate_to_ram(struct vm_fault *vmf)
{
	int err;

	err = __drm_pagemap_migrate_to_ram(vmf->vma, vmf->page, vmf->address);
	if (err == -ENOMEM)
		return VM_FAULT_OOM;
	return err ? VM_FAULT_SIGBUS : 0;
}

/* &dev_pagemap_ops.page_free: a device page's last reference is gone. */
static void drm_pagemap_page_free(struct page *page)
{
	struct drm_pagemap_zdd *zdd = drm_pagemap_page_zdd(page);

	page->zone_device_data = NULL;
	drm_pagemap_zdd_put(zdd);
}

static const struct dev_pagemap_ops drm_pagemap_pagemap_ops = {
	.page_free = drm_pagemap_page_free,
	.migrate_to_ram = drm_pagemap_migrate_to_ram,
};

/**
 * drm_pagemap_pagemap_ops_get() - the dev_pagemap operations of drm_pagemap
 *	memory
 *
 * For the &dev_pagemap of the driver's device memory: device pages freed
 * drop their allocation's reference, CPU faults on them migrate them back.
 *
 * Return: the operations.
 */
const struct dev_pagemap_ops *drm_pagemap_pagemap_ops_get(void)
{
	return &drm_pagemap_pagemap_ops;
}
EXPORT_SYMBOL_GPL(drm_pagemap_pagemap_ops_get);

/**
 * drm_pagemap_evict_to_ram() - migrate every page of an allocation to RAM
 * @devmem_allocation: the allocation
 *
 * Collects the allocation's pages in use wherever they are mapped (with
 * migrate_device_pfns(): the pages need not be contiguous, and may be
 * mapped by several processes or already partly freed), copies them to
 * new system pages (&drm_pagemap_devmem_ops.copy_to_ram) and switches
 * every CPU mapping over.  Pages another thread is migrating at the same
 * time are waited for.  The allocation is released (its last page freed)
 * by the time this returns 0.
 *
 * Context: may sleep; may hold the allocation's reservation; takes page
 * locks and, through the MMU notifiers, GPU SVM notifier locks.
 * Return: 0; -EFAULT when the address space of the allocation is gone
 * (its pages go with it); -EBUSY when pages stayed in use (pinned) after
 * repeated attempts; -ENOMEM; or the driver's error (the pages stay in
 * device memory).
 */
int drm_pagemap_evict_to_ram(struct drm_pagemap_devmem *devmem_allocation)
{
	struct drm_pagemap_devmem *devmem = devmem_allocation;
	unsigned long npages = devmem->size >> PAGE_SHIFT;
	struct drm_pagemap_migrate_buf buf;
	int tries, err;

	if (completion_done(&devmem->detached))
		return 0;
	if (devmem->mm && !mmget_not_zero(devmem->mm))
		return -EFAULT;

	err = drm_pagemap_migrate_buf_alloc(&buf, npages);
	if (err)
		goto out_mmput;

	for (tries = 0; tries < DRM_PAGEMAP_EVICT_TRIES; tries++) {
		if (completion_done(&devmem->detached))
			break;

		drm_pagemap_migrate_buf_reset(&buf, npages);
		err = devmem->ops->populate_devmem_pfn(devmem, npages, buf.src);
		if (err)
			break;
		err = migrate_device_pfns(buf.src, npages);
		if (err)
			break;
		err = drm_pagemap_copy_to_ram(devmem, NULL, &buf, npages, NULL, 0);
		drm_pagemap_unmap_pages(devmem->dev, buf.addr, buf.dst, npages);
		if (err)
			drm_pagemap_migrate_cancel(&buf, npages);
		migrate_device_pages(buf.src, buf.dst, npages);
		migrate_device_finalize(buf.src, buf.dst, npages);
		if (err)
			break;
		/* Pages locked by concurrent migrations: let them finish. */
		wait_for_completion_timeout(&devmem->detached,
					    msecs_to_jiffies(tries));
	}
	if (!err && !completion_done(&devmem->detached))
		err = -EBUSY;

	drm_pagemap_migrate_buf_free(&buf);
out_mmput:
	if (devmem->mm)
		mmput_async(devmem->mm);
	return err;
}
EXPORT_SYMBOL_GPL(drm_pagemap_evict_to_ram);

/**
 * drm_pagemap_devmem_init() - set up a device memory allocation
 * @devmem_allocation: the allocation, embedded in the driver's object
 * @dev: the device whose memory it is
 * @mm: the address space its pages will be migrated into (eviction pins
 *	it while it runs)
 * @ops: its operations; all but &drm_pagemap_devmem_ops.devmem_release
 *	are required
 * @dpagemap: the provider of its pages
 * @size: its size in bytes, a multiple of PAGE_SIZE
 * @pre_migrate_fence: a fence the first copy into the allocation waits
 *	for, or NULL; its reference passes to the allocation
 *
 * The allocation is then ready to be handed to
 * drm_pagemap_migrate_to_devmem().
 */
void drm_pagemap_devmem_init(struct drm_pagemap_devmem *devmem_allocation,
			     struct device *dev, struct mm_struct *mm,
			     const struct drm_pagemap_devmem_ops *ops,
			     struct drm_pagemap *dpagemap, size_t size,
			     struct dma_fence *pre_migrate_fence)
{
	init_completion(&devmem_allocation->detached);
	devmem_allocation->dev = dev;
	devmem_allocation->mm = mm;
	devmem_allocation->ops = ops;
	devmem_allocation->dpagemap = dpagemap;
	devmem_allocation->size = size;
	devmem_allocation->timeslice_expiration = 0;
	devmem_allocation->pre_migrate_fence = pre_migrate_fence;
}
EXPORT_SYMBOL_GPL(drm_pagemap_devmem_init);

/**
 * drm_pagemap_page_to_dpagemap() - the pagemap of a device page
 * @page: a device-private page that drm_pagemap_migrate_to_devmem() filled
 *
 * Return: the &struct drm_pagemap of its allocation.  For any other page
 * the result is undefined.
 */
struct drm_pagemap *drm_pagemap_page_to_dpagemap(struct page *page)
{
	return drm_pagemap_page_zdd(page)->devmem_allocation->dpagemap;
}
EXPORT_SYMBOL_GPL(drm_pagemap_page_to_dpagemap);

/**
 * drm_pagemap_populate_mm() - put part of an address space in a pagemap's
 *	memory
 * @dpagemap: the pagemap
 * @start: first address, page aligned
 * @end: end (exclusive)
 * @mm: the address space
 * @timeslice_ms: how long the pages stay there before a CPU fault may take
 *	them back
 *
 * Calls &drm_pagemap_ops.populate_mm with the mmap lock held for reading.
 * Best effort: the memory may be reclaimed at any time afterwards.
 *
 * Return: 0; -EFAULT when @mm is gone; -ENODEV when the device was
 * unbound; or another error of the provider.
 */
int drm_pagemap_populate_mm(struct drm_pagemap *dpagemap,
			    unsigned long start, unsigned long end,
			    struct mm_struct *mm,
			    unsigned long timeslice_ms)
{
	int err;

	if (!mmget_not_zero(mm))
		return -EFAULT;
	mmap_read_lock(mm);
	err = dpagemap->ops->populate_mm(dpagemap, start, end, mm,
					 timeslice_ms);
	mmap_read_unlock(mm);
	mmput(mm);
	return err;
}
EXPORT_SYMBOL(drm_pagemap_populate_mm);

/**
 * struct drm_pagemap_dev_hold - a pagemap's hold on its DRM device
 * @link: in the list of holds a worker drops
 * @drm: the DRM device (referenced, with its driver's module)
 *
 * Allocated each time a pagemap becomes live (drm_pagemap_init(),
 * drm_pagemap_reinit()) and dropped by a worker once the pagemap's last
 * reference is gone: that may happen in atomic context, where neither
 * drm_dev_put() nor module_put() of the last reference may run.
 */
struct drm_pagemap_dev_hold {
	struct llist_node link;
	struct drm_device *drm;
};

static void drm_pagemap_unhold_work_fn(struct work_struct *work);
static LLIST_HEAD(drm_pagemap_unhold_list);
static DECLARE_WORK(drm_pagemap_unhold_work, drm_pagemap_unhold_work_fn);

static void drm_pagemap_unhold_work_fn(struct work_struct *work)
{
	struct llist_node *node = llist_del_all(&drm_pagemap_unhold_list);
	struct drm_pagemap_dev_hold *hold, *next;

	llist_for_each_entry_safe(hold, next, node, link) {
		struct drm_device *drm = hold->drm;
		struct module *owner = drm->driver->fops->owner;

		drm_dev_put(drm);
		module_put(owner);
		kfree(hold);
		cond_resched();
	}
}

static void drm_pagemap_release(struct kref *ref)
{
	struct drm_pagemap *dpagemap = container_of(ref, typeof(*dpagemap), ref);
	struct drm_pagemap_dev_hold *hold = dpagemap->dev_hold;

	/*
	 * The hold keeps the provider (its device, its module, so its
	 * &drm_pagemap_ops) alive through this: cache or destroy the
	 * pagemap, then let the worker drop the hold.
	 */
	dpagemap->dev_hold = NULL;
	drm_pagemap_shrinker_add(dpagemap);
	llist_add(&hold->link, &drm_pagemap_unhold_list);
	queue_work(system_unbound_wq, &drm_pagemap_unhold_work);
}

/**
 * drm_pagemap_reinit() - make a pagemap whose last reference is gone live
 *	again
 * @dpagemap: the pagemap, released but not destroyed (a cached one)
 *
 * Takes a new hold on the device and the module and the first reference.
 *
 * Return: 0, or -ENOMEM (the pagemap is left released).
 */
int drm_pagemap_reinit(struct drm_pagemap *dpagemap)
{
	struct drm_pagemap_dev_hold *hold = kzalloc(sizeof(*hold), GFP_KERNEL);
	struct drm_device *drm = dpagemap->drm;

	if (!hold)
		return -ENOMEM;
	init_llist_node(&hold->link);
	hold->drm = drm;
	/* A module that is being unloaded still has its device, held here. */
	__module_get(drm->driver->fops->owner);
	drm_dev_get(drm);
	dpagemap->dev_hold = hold;
	kref_init(&dpagemap->ref);
	return 0;
}
EXPORT_SYMBOL(drm_pagemap_reinit);

/**
 * drm_pagemap_init() - set up a pagemap embedded in a driver structure
 * @dpagemap: the pagemap
 * @pagemap: the &struct dev_pagemap of its device-private pages
 * @drm: the DRM device whose memory it is: held, with its driver's module,
 *	as long as the pagemap has references
 * @ops: its operations
 *
 * The pagemap starts with one reference; drm_pagemap_put() the last one to
 * destroy it (&drm_pagemap_ops.destroy).
 *
 * Return: 0, or -ENOMEM.
 */
int drm_pagemap_init(struct drm_pagemap *dpagemap,
		     struct dev_pagemap *pagemap,
		     struct drm_device *drm,
		     const struct drm_pagemap_ops *ops)
{
	dpagemap->ops = ops;
	dpagemap->pagemap = pagemap;
	dpagemap->drm = drm;
	dpagemap->cache = NULL;
	INIT_LIST_HEAD(&dpagemap->shrink_link);
	return drm_pagemap_reinit(dpagemap);
}
EXPORT_SYMBOL(drm_pagemap_init);

/**
 * drm_pagemap_create() - allocate and set up a pagemap
 * @drm: the DRM device whose memory it is
 * @pagemap: the &struct dev_pagemap of its device-private pages
 * @ops: its operations; without &drm_pagemap_ops.destroy the pagemap is
 *	kfree()d when its last reference goes
 *
 * Return: the pagemap with one reference, or ERR_PTR(-ENOMEM).
 */
struct drm_pagemap *drm_pagemap_create(struct drm_device *drm,
				       struct dev_pagemap *pagemap,
				       const struct drm_pagemap_ops *ops)
{
	struct drm_pagemap *dpagemap = kzalloc(sizeof(*dpagemap), GFP_KERNEL);
	int err;

	if (!dpagemap)
		return ERR_PTR(-ENOMEM);
	err = drm_pagemap_init(dpagemap, pagemap, drm, ops);
	if (err) {
		kfree(dpagemap);
		return ERR_PTR(err);
	}
	return dpagemap;
}
EXPORT_SYMBOL(drm_pagemap_create);

/**
 * drm_pagemap_put() - drop a reference on a pagemap
 * @dpagemap: the pagemap, or NULL
 *
 * The last reference caches the pagemap (when it has a
 * &struct drm_pagemap_cache and its device is still bound) or destroys it.
 *
 * Context: any; from atomic context, the pagemap's
 * &drm_pagemap_ops.destroy must cope (it is told so).
 */
void drm_pagemap_put(struct drm_pagemap *dpagemap)
{
	if (likely(dpagemap)) {
		drm_pagemap_shrinker_might_lock(dpagemap);
		kref_put(&dpagemap->ref, drm_pagemap_release);
	}
}
EXPORT_SYMBOL(drm_pagemap_put);

/**
 * drm_pagemap_destroy() - destroy a pagemap without references
 * @dpagemap: the pagemap
 * @is_atomic_or_reclaim: called from atomic or reclaim context
 *
 * &drm_pagemap_ops.destroy, or kfree().  For drm_pagemap itself and its
 * cache.
 */
void drm_pagemap_destroy(struct drm_pagemap *dpagemap, bool is_atomic_or_reclaim)
{
	if (dpagemap->ops->destroy)
		dpagemap->ops->destroy(dpagemap, is_atomic_or_reclaim);
	else
		kfree(dpagemap);
}

static void __exit drm_pagemap_exit(void)
{
	flush_work(&drm_pagemap_unhold_work);
	if (WARN_ON(!llist_empty(&drm_pagemap_unhold_list)))
		disable_work_sync(&drm_pagemap_unhold_work);
}
module_exit(drm_pagemap_exit);
