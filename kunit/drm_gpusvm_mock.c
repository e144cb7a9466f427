// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * A mock driver for the drm_gpusvm and drm_pagemap KUnit suites.
 *
 * The "GPU" is nothing but the addresses the library gave it: reading a
 * GPU virtual address looks up the &struct drm_gpusvm_pages entry of the
 * page, turns a system DMA address back into its page (dma_to_phys()) and
 * a device address into the kernel page behind the device page.  Its
 * device memory is memremap_pages(%MEMORY_DEVICE_PRIVATE) over a free
 * physical range, one kernel page behind each device page; the copy
 * functions are memcpy()s, which tests can make fail.
 *
 * Clean-up runs after the test thread, whose exit tears the test's mm down
 * (and so frees its device pages) concurrently: it waits for every
 * allocation and pagemap to be released before it frees what they point
 * at, and fails the test (leaking, rather than freeing memory in use)
 * when something stays referenced.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/device.h>
#include <kunit/resource.h>
#include <kunit/test-bug.h>
#include <linux/bitmap.h>
#include <linux/dma-direct.h>
#include <linux/dma-fence.h>
#include <linux/dma-mapping.h>
#include <linux/hash.h>
#include <linux/highmem.h>
#include <linux/ioport.h>
#include <linux/pagewalk.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <drm/drm_device.h>
#include <drm/drm_drv.h>
#include <drm/drm_managed.h>

#include "drm_gpusvm_mock.h"

/* A page below every test mapping, only to give the test thread an mm. */
#define GM_SENTINEL	0x20000000UL

/* --- the DRM device ------------------------------------------------------ */

/* The DRM device's container, freed with its last reference. */
struct gm_drm {
	struct drm_device drm;
	struct gm_dev *gdev;
};

static struct gm_dev *drm_to_gdev(struct drm_device *drm)
{
	return container_of(drm, struct gm_drm, drm)->gdev;
}

/* drm_pagemap holds the module of fops->owner with the device. */
static const struct file_operations gm_fops = {
	.owner = THIS_MODULE,
};

static const struct drm_driver gm_drm_driver = {
	.name = "gpusvm-mock",
	.desc = "drm_gpusvm KUnit mock",
	.fops = &gm_fops,
};

/* The end of the test: every notifier and range freed. */
static void gm_ctx_cleanup(void *arg)
{
	struct gm_ctx *ctx = arg;
	struct kunit *test = ctx->test;

	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->notifier_frees),
			    atomic_read(&ctx->notifier_allocs),
			    "notifiers allocated and freed");
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->range_frees),
			    atomic_read(&ctx->range_allocs),
			    "ranges allocated and freed");
}

/**
 * gm_init() - the mock driver of a test
 * @test: the test
 *
 * Gives the test thread a fresh mm (kunit_vm_mmap()) and points
 * test->priv at the mock; call first.
 *
 * Return: the mock (the test is aborted on failure).
 */
struct gm_ctx *gm_init(struct kunit *test)
{
	struct gm_ctx *ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->test = test;
	atomic_set(&ctx->notifier_allocs, 0);
	atomic_set(&ctx->notifier_frees, 0);
	atomic_set(&ctx->range_allocs, 0);
	atomic_set(&ctx->range_frees, 0);
	test->priv = ctx;
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_ctx_cleanup,
							ctx), 0);

	/* The first kunit_vm_mmap() attaches a fresh mm to this thread. */
	KUNIT_ASSERT_EQ(test, kunit_vm_mmap(test, NULL, GM_SENTINEL, PAGE_SIZE,
					    PROT_READ,
					    MAP_PRIVATE | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE, 0),
			GM_SENTINEL);
	return ctx;
}

static void gm_dev_get(struct gm_dev *gdev)
{
	refcount_inc(&gdev->refs);
}

static void gm_dev_put(struct gm_dev *gdev)
{
	if (refcount_dec_and_test(&gdev->refs))
		kfree(gdev);
}

/* drmm action: the DRM device's last reference is gone. */
static void gm_drm_release(struct drm_device *drm, void *arg)
{
	struct gm_dev *gdev = arg;

	complete_all(&gdev->drm_released);
	gm_dev_put(gdev);
}

/**
 * gm_dev_unregister() - unbind and unregister the device now
 * @gdev: the device
 *
 * Its device-managed resources go: the pagemap cache and shrinker, and
 * the reference the device held on the DRM device.
 */
void gm_dev_unregister(struct gm_dev *gdev)
{
	if (gdev->unregistered)
		return;
	gdev->unregistered = true;
	kunit_device_unregister(gdev->ctx->test, gdev->dev);
}

/**
 * gm_dev_wait_drm_released() - wait until the DRM device is freed
 * @gdev: the device, unregistered
 *
 * A pagemap drops its hold on the DRM device from a worker: wait for it.
 *
 * Return: true when the DRM device was released in time.
 */
bool gm_dev_wait_drm_released(struct gm_dev *gdev)
{
	return wait_for_completion_timeout(&gdev->drm_released,
					   GM_DRAIN_TIMEOUT);
}

/*
 * The end of a device: unregistered, its DRM device released, every
 * pagemap made on it destroyed.
 */
static void gm_dev_cleanup(void *arg)
{
	struct gm_dev *gdev = arg;
	struct kunit *test = gdev->ctx->test;

	gm_dev_unregister(gdev);
	gm_dev_wait_destroys(gdev, atomic_read(&gdev->pagemaps));
	KUNIT_EXPECT_EQ_MSG(test, atomic_read(&gdev->destroys),
			    atomic_read(&gdev->pagemaps),
			    "pagemaps made and destroyed");
	if (!gm_dev_wait_drm_released(gdev))
		KUNIT_FAIL(test, "the mock DRM device is still referenced");
}

static void gm_dev_put_action(void *arg)
{
	gm_dev_put(arg);
}

/**
 * gm_dev_create() - a mock DRM device
 * @ctx: the test's mock driver
 *
 * A KUnit device (bound, so device-managed resources work) with a DRM
 * device on it that can DMA-map any page.  At the end of the test it is
 * unregistered and its DRM device must be released.
 *
 * Return: the device (the test is aborted on failure).
 */
struct gm_dev *gm_dev_create(struct gm_ctx *ctx)
{
	struct kunit *test = ctx->test;
	struct gm_drm *gdrm;
	struct gm_dev *gdev;
	char name[32];

	gdev = kzalloc(sizeof(*gdev), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gdev);
	gdev->ctx = ctx;
	refcount_set(&gdev->refs, 1);
	init_completion(&gdev->drm_released);
	init_waitqueue_head(&gdev->wq);
	atomic_set(&gdev->pagemaps, 0);
	atomic_set(&gdev->destroys, 0);
	atomic_set(&gdev->destroys_atomic, 0);
	/* The test's reference, dropped after everything else. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_dev_put_action,
							gdev), 0);

	snprintf(name, sizeof(name), "gpusvm-mock%d", ctx->ndevs++);
	gdev->dev = kunit_device_register(test, name);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gdev->dev);
	if (!gdev->dev->dma_mask)
		gdev->dev->dma_mask = &gdev->dev->coherent_dma_mask;
	KUNIT_ASSERT_EQ(test, dma_set_mask_and_coherent(gdev->dev,
							DMA_BIT_MASK(64)), 0);

	gdrm = devm_drm_dev_alloc(gdev->dev, &gm_drm_driver, struct gm_drm, drm);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, gdrm);
	gdrm->gdev = gdev;
	gdev->drm = &gdrm->drm;
	/* The DRM device holds one reference, the test the other. */
	gm_dev_get(gdev);
	KUNIT_ASSERT_EQ(test, drmm_add_action_or_reset(gdev->drm, gm_drm_release,
						       gdev), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_dev_cleanup,
							gdev), 0);
	return gdev;
}

/**
 * gm_require_devmem() - skip a test that needs device memory where there
 *	is none
 * @test: the test
 *
 * Device-private memory is ZONE_DEVICE memory: without
 * CONFIG_DEVICE_PRIVATE (UML) the test is skipped.  Fit for a suite's
 * .init.
 *
 * Return: 0.
 */
int gm_require_devmem(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_DEVICE_PRIVATE))
		kunit_skip(test, "device memory needs CONFIG_DEVICE_PRIVATE (ZONE_DEVICE)");
	return 0;
}

/* --- the GPU SVM --------------------------------------------------------- */

static const unsigned long gm_default_chunks[] = { SZ_2M, SZ_64K, SZ_4K };

/** gm_svm_default_config - 2M, 64K and 4K ranges; 512M notifiers */
const struct gm_svm_config gm_svm_default_config = {
	.chunk_sizes = gm_default_chunks,
	.num_chunks = ARRAY_SIZE(gm_default_chunks),
	.mm_start = 0,
	.mm_range = BIT(47),
	.notifier_size = SZ_512M,
};

static struct gm_svm *to_gm_svm(struct drm_gpusvm *gpusvm)
{
	return container_of(gpusvm, struct gm_svm, gpusvm);
}

/* No gpusvm argument here: the mock is found through the current test. */
static struct drm_gpusvm_notifier *gm_notifier_alloc(void)
{
	struct kunit *test = kunit_get_current_test();
	struct gm_ctx *ctx = test ? test->priv : NULL;

	if (ctx && ctx->fail_notifier_alloc)
		return NULL;
	if (ctx)
		atomic_inc(&ctx->notifier_allocs);
	return kzalloc(sizeof(struct drm_gpusvm_notifier), GFP_KERNEL);
}

static void gm_notifier_free(struct drm_gpusvm_notifier *notifier)
{
	atomic_inc(&to_gm_svm(notifier->gpusvm)->gdev->ctx->notifier_frees);
	kfree(notifier);
}

static struct drm_gpusvm_range *gm_range_alloc(struct drm_gpusvm *gpusvm)
{
	struct gm_svm *svm = to_gm_svm(gpusvm);
	struct gm_ctx *ctx = svm->gdev->ctx;
	struct gm_range *r;

	if (ctx->fail_range_alloc)
		return NULL;
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return NULL;
	drm_gpusvm_init_pages(&r->pages, svm->gdev->drm);
	INIT_LIST_HEAD(&r->gc_link);
	atomic_inc(&ctx->range_allocs);
	return &r->base;
}

static void gm_range_free(struct drm_gpusvm_range *range)
{
	struct gm_svm *svm = to_gm_svm(range->gpusvm);
	struct gm_range *r = to_gm_range(range);

	drm_gpusvm_free_pages(range->gpusvm, &r->pages, gm_range_npages(r));
	atomic_inc(&svm->gdev->ctx->range_frees);
	kfree(r);
}

/*
 * The invalidation callback, as a driver writes it: the GPU's mappings of
 * the ranges concerned go (the mock GPU has no page tables or TLB: its
 * mappings are the pages' addresses), and ranges the CPU unmapped are
 * marked and queued for the garbage collector.
 */
static void gm_invalidate(struct drm_gpusvm *gpusvm,
			  struct drm_gpusvm_notifier *notifier,
			  const struct mmu_notifier_range *mmu_range)
{
	const struct drm_gpusvm_ctx ctx = { .in_notifier = true };
	struct gm_svm *svm = to_gm_svm(gpusvm);
	struct drm_gpusvm_range *range = NULL;
	bool queue = false;

	atomic_inc(&svm->invalidations);
	if (mmu_range->event < ARRAY_SIZE(svm->events))
		atomic_inc(&svm->events[mmu_range->event]);
	svm->last_start = mmu_range->start;
	svm->last_end = mmu_range->end;
	svm->last_event = mmu_range->event;

	drm_gpusvm_for_each_range(range, notifier, mmu_range->start,
				  mmu_range->end) {
		struct gm_range *r = to_gm_range(range);

		if (r->pages.flags.has_dma_mapping)
			atomic_inc(&svm->unmapped_pages);
		drm_gpusvm_unmap_pages(gpusvm, &r->pages, gm_range_npages(r),
				       &ctx);
		if (mmu_range->event != MMU_NOTIFY_UNMAP)
			continue;

		drm_gpusvm_range_set_unmapped(range, &r->pages, 1, mmu_range);
		spin_lock(&svm->gc_lock);
		if (list_empty(&r->gc_link)) {
			drm_gpusvm_range_get(range);
			list_add_tail(&r->gc_link, &svm->gc_list);
			queue = true;
		}
		spin_unlock(&svm->gc_lock);
	}
	if (queue)
		queue_work(system_wq, &svm->gc_work);
}

static const struct drm_gpusvm_ops gm_svm_ops = {
	.notifier_alloc = gm_notifier_alloc,
	.notifier_free = gm_notifier_free,
	.range_alloc = gm_range_alloc,
	.range_free = gm_range_free,
	.invalidate = gm_invalidate,
};

/* Take @r off the collector's list: true if it was on it. */
static bool gm_svm_gc_cancel(struct gm_svm *svm, struct gm_range *r)
{
	bool queued;

	spin_lock(&svm->gc_lock);
	queued = !list_empty(&r->gc_link);
	list_del_init(&r->gc_link);
	spin_unlock(&svm->gc_lock);
	return queued;
}

/* Unbind and remove a range; the VM lock is held. */
static void gm_svm_remove_locked(struct gm_svm *svm, struct gm_range *r)
{
	bool queued = gm_svm_gc_cancel(svm, r);

	drm_gpusvm_unmap_pages(&svm->gpusvm, &r->pages, gm_range_npages(r),
			       &(struct drm_gpusvm_ctx){});
	drm_gpusvm_range_remove(&svm->gpusvm, &r->base);
	if (queued)
		drm_gpusvm_range_put(&r->base);
}

static void gm_svm_gc_work(struct work_struct *work)
{
	struct gm_svm *svm = container_of(work, struct gm_svm, gc_work);

	mutex_lock(&svm->lock);
	while (!svm->closed) {
		struct gm_range *r;

		spin_lock(&svm->gc_lock);
		r = list_first_entry_or_null(&svm->gc_list, struct gm_range,
					     gc_link);
		spin_unlock(&svm->gc_lock);
		if (!r)
			break;
		gm_svm_remove_locked(svm, r);
		atomic_inc(&svm->gc_removed);
	}
	mutex_unlock(&svm->lock);
}

static void gm_svm_release(void *arg)
{
	struct gm_svm *svm = arg;
	struct gm_range *r, *next;
	LIST_HEAD(list);

	mutex_lock(&svm->lock);
	svm->closed = true;
	drm_gpusvm_fini(&svm->gpusvm);
	mutex_unlock(&svm->lock);
	/* No invalidation after fini: the list is the collector's alone. */
	cancel_work_sync(&svm->gc_work);
	list_splice_init(&svm->gc_list, &list);
	list_for_each_entry_safe(r, next, &list, gc_link) {
		list_del_init(&r->gc_link);
		drm_gpusvm_range_put(&r->base);
	}
	mutex_destroy(&svm->lock);
	kfree(svm);
}

/**
 * gm_svm_create() - a mock GPU VM mirroring the test's mm
 * @gdev: its device
 * @cfg: its GPU SVM configuration, or NULL for gm_svm_default_config
 *
 * Torn down at the end of the test (or with gm_svm_destroy()): every range
 * must then be freed.
 *
 * Return: the VM (the test is aborted on failure).
 */
struct gm_svm *gm_svm_create(struct gm_dev *gdev,
			     const struct gm_svm_config *cfg)
{
	struct kunit *test = gdev->ctx->test;
	struct gm_svm *svm;
	int err;

	cfg = cfg ?: &gm_svm_default_config;
	svm = kzalloc(sizeof(*svm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svm);
	svm->gdev = gdev;
	mutex_init(&svm->lock);
	spin_lock_init(&svm->gc_lock);
	INIT_LIST_HEAD(&svm->gc_list);
	INIT_WORK(&svm->gc_work, gm_svm_gc_work);

	err = drm_gpusvm_init(&svm->gpusvm, "gpusvm-mock", current->mm,
			      cfg->mm_start, cfg->mm_range, cfg->notifier_size,
			      &gm_svm_ops, cfg->chunk_sizes, cfg->num_chunks);
	if (err) {
		kfree(svm);
		KUNIT_ASSERT_EQ(test, err, 0);
	}
	drm_gpusvm_driver_set_lock(&svm->gpusvm, &svm->lock);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_svm_release,
							svm), 0);
	return svm;
}

/**
 * gm_svm_destroy() - tear a mock GPU VM down now
 * @svm: the VM
 */
void gm_svm_destroy(struct gm_svm *svm)
{
	kunit_release_action(svm->gdev->ctx->test, gm_svm_release, svm);
}

/**
 * gm_svm_fault() - drm_gpusvm_range_find_or_insert() under the VM lock
 * @svm: the VM
 * @addr: the faulting address
 * @win_start: start of the GPU VA window
 * @win_end: end of the GPU VA window
 * @ctx: the context, or NULL for an all-zero one
 *
 * Return: what drm_gpusvm_range_find_or_insert() returns.
 */
struct drm_gpusvm_range *gm_svm_fault(struct gm_svm *svm, unsigned long addr,
				      unsigned long win_start,
				      unsigned long win_end,
				      const struct drm_gpusvm_ctx *ctx)
{
	static const struct drm_gpusvm_ctx zero;
	struct drm_gpusvm_range *r;

	mutex_lock(&svm->lock);
	r = drm_gpusvm_range_find_or_insert(&svm->gpusvm, addr, win_start,
					    win_end, ctx ?: &zero);
	mutex_unlock(&svm->lock);
	return r;
}

/**
 * gm_svm_range() - the range containing an address
 * @svm: the VM
 * @addr: the address
 *
 * Return: the range, or NULL.
 */
struct gm_range *gm_svm_range(struct gm_svm *svm, unsigned long addr)
{
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *r = NULL;

	mutex_lock(&svm->lock);
	notifier = drm_gpusvm_notifier_find(&svm->gpusvm, addr, addr + 1);
	if (notifier)
		r = drm_gpusvm_range_find(notifier, addr, addr + 1);
	mutex_unlock(&svm->lock);
	return r ? to_gm_range(r) : NULL;
}

/**
 * gm_svm_get_pages() - drm_gpusvm_get_pages() of a range, under the VM lock
 * @svm: the VM
 * @r: the range
 * @ctx: the context, or NULL for one with the VM's page owner only
 *
 * Return: what drm_gpusvm_get_pages() returns.
 */
int gm_svm_get_pages(struct gm_svm *svm, struct gm_range *r,
		     const struct drm_gpusvm_ctx *ctx)
{
	const struct drm_gpusvm_ctx dflt = {
		.device_private_page_owner = svm->owner,
	};
	int err;

	mutex_lock(&svm->lock);
	err = drm_gpusvm_get_pages(&svm->gpusvm, &r->pages, svm->gpusvm.mm,
				   &r->base.notifier->notifier,
				   drm_gpusvm_range_start(&r->base),
				   drm_gpusvm_range_end(&r->base), ctx ?: &dflt);
	mutex_unlock(&svm->lock);
	return err;
}

/**
 * gm_svm_unmap_pages() - drm_gpusvm_unmap_pages() of a range, under the
 *	VM lock
 * @svm: the VM
 * @r: the range
 */
void gm_svm_unmap_pages(struct gm_svm *svm, struct gm_range *r)
{
	mutex_lock(&svm->lock);
	drm_gpusvm_unmap_pages(&svm->gpusvm, &r->pages, gm_range_npages(r),
			       &(struct drm_gpusvm_ctx){});
	mutex_unlock(&svm->lock);
}

/**
 * gm_svm_remove() - unbind and remove a range, as the collector does
 * @svm: the VM
 * @r: the range
 */
void gm_svm_remove(struct gm_svm *svm, struct gm_range *r)
{
	mutex_lock(&svm->lock);
	gm_svm_remove_locked(svm, r);
	mutex_unlock(&svm->lock);
}

/**
 * gm_svm_pages_valid() - drm_gpusvm_pages_valid() under the notifier lock
 * @svm: the VM
 * @pages: pages of one of its ranges
 *
 * Return: whether the pages are valid.
 */
bool gm_svm_pages_valid(struct gm_svm *svm, struct drm_gpusvm_pages *pages)
{
	bool valid;

	drm_gpusvm_notifier_lock(&svm->gpusvm);
	valid = drm_gpusvm_pages_valid(&svm->gpusvm, pages);
	drm_gpusvm_notifier_unlock(&svm->gpusvm);
	return valid;
}

/**
 * gm_svm_flush_gc() - wait for the garbage collector
 * @svm: the VM
 */
void gm_svm_flush_gc(struct gm_svm *svm)
{
	flush_work(&svm->gc_work);
}

/**
 * gm_svm_count_notifiers() - the notifiers of a VM
 * @svm: the VM
 *
 * Return: how many there are.
 */
unsigned int gm_svm_count_notifiers(struct gm_svm *svm)
{
	struct drm_gpusvm_notifier *notifier;
	unsigned int n = 0;

	mutex_lock(&svm->lock);
	drm_gpusvm_for_each_notifier(notifier, &svm->gpusvm, 0, ULONG_MAX)
		n++;
	mutex_unlock(&svm->lock);
	return n;
}

/**
 * gm_svm_count_ranges() - the ranges of a VM
 * @svm: the VM
 *
 * Return: how many there are.
 */
unsigned int gm_svm_count_ranges(struct gm_svm *svm)
{
	struct drm_gpusvm_notifier *notifier;
	unsigned int n = 0;

	mutex_lock(&svm->lock);
	drm_gpusvm_for_each_notifier(notifier, &svm->gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX)
			n++;
	}
	mutex_unlock(&svm->lock);
	return n;
}

/* --- the GPU: the addresses it was given ---------------------------------- */

static struct page *gm_devaddr_page(dma_addr_t addr);

/*
 * The kernel page and offset the GPU reaches at @addr of pages mapped from
 * @pages_start, or NULL.
 */
static struct page *gm_gpu_translate(struct drm_gpusvm_pages *pages,
				     unsigned long pages_start,
				     unsigned long addr, unsigned long *offset)
{
	unsigned long i = (addr - pages_start) >> PAGE_SHIFT, pos = 0, j = 0;
	struct drm_pagemap_addr *e;
	dma_addr_t a;

	for (;;) {
		e = &pages->dma_addr[j];
		if (pos + NR_PAGES(e->order) > i)
			break;
		pos += NR_PAGES(e->order);
		j++;
	}
	a = e->addr + ((i - pos) << PAGE_SHIFT);
	*offset = offset_in_page(addr);
	if (e->proto == DRM_INTERCONNECT_SYSTEM)
		return pfn_to_page(PHYS_PFN(dma_to_phys(pages->drm->dev, a)));
	return gm_devaddr_page(a);
}

/* One GPU access of at most a page; the notifier lock is held. */
static int gm_gpu_access(struct drm_gpusvm_pages *pages,
			 unsigned long pages_start, unsigned long addr,
			 void *buf, size_t len, bool write)
{
	unsigned long offset;
	struct page *page;
	void *vaddr;

	page = gm_gpu_translate(pages, pages_start, addr, &offset);
	if (!page)
		return -EFAULT;
	vaddr = kmap_local_page(page);
	if (write)
		memcpy(vaddr + offset, buf, len);
	else
		memcpy(buf, vaddr + offset, len);
	kunmap_local(vaddr);
	return 0;
}

static int gm_gpu_rw(struct drm_gpusvm *gpusvm, struct drm_gpusvm_pages *pages,
		     unsigned long pages_start, unsigned long addr, void *buf,
		     size_t len, bool write)
{
	int err = 0;

	drm_gpusvm_notifier_lock(gpusvm);
	if (!drm_gpusvm_pages_valid(gpusvm, pages))
		err = -EAGAIN;
	while (!err && len) {
		size_t n = min_t(size_t, len, PAGE_SIZE - offset_in_page(addr));

		err = gm_gpu_access(pages, pages_start, addr, buf, n, write);
		addr += n;
		buf += n;
		len -= n;
	}
	drm_gpusvm_notifier_unlock(gpusvm);
	return err;
}

/**
 * gm_gpu_read() - the GPU reads through the addresses of mapped pages
 * @gpusvm: the GPU SVM whose notifier lock protects @pages
 * @pages: the pages
 * @pages_start: the address their first page mirrors
 * @addr: where to read, inside the pages
 * @buf: the destination
 * @len: bytes
 *
 * Return: 0; -EAGAIN when the pages are not valid.
 */
int gm_gpu_read(struct drm_gpusvm *gpusvm, struct drm_gpusvm_pages *pages,
		unsigned long pages_start, unsigned long addr, void *buf,
		size_t len)
{
	return gm_gpu_rw(gpusvm, pages, pages_start, addr, buf, len, false);
}

/**
 * gm_gpu_write() - the GPU writes through the addresses of mapped pages
 * @gpusvm: the GPU SVM whose notifier lock protects @pages
 * @pages: the pages
 * @pages_start: the address their first page mirrors
 * @addr: where to write, inside the pages
 * @buf: the source
 * @len: bytes
 *
 * Return: 0; -EAGAIN when the pages are not valid.
 */
int gm_gpu_write(struct drm_gpusvm *gpusvm, struct drm_gpusvm_pages *pages,
		 unsigned long pages_start, unsigned long addr,
		 const void *buf, size_t len)
{
	return gm_gpu_rw(gpusvm, pages, pages_start, addr, (void *)buf, len,
			 true);
}

/**
 * gm_pattern() - the data a test expects at an address
 * @addr: the address of a 32-bit word
 * @seed: the test's seed
 *
 * Return: a value that depends on every bit of @addr and @seed.
 */
u32 gm_pattern(unsigned long addr, u32 seed)
{
	return hash_64((u64)addr ^ ((u64)seed << 32 | seed), 32);
}

/**
 * gm_pattern_fill() - fill a buffer with the pattern
 * @buf: the buffer, @n bytes
 * @addr: the address of its first word
 * @n: its length, a multiple of 4
 * @seed: the pattern's seed
 */
void gm_pattern_fill(u32 *buf, unsigned long addr, unsigned long n, u32 seed)
{
	unsigned long i;

	for (i = 0; i < n / 4; i++)
		buf[i] = gm_pattern(addr + 4 * i, seed);
}

/**
 * gm_pattern_bad() - compare a buffer with the pattern
 * @buf: the buffer, @n bytes
 * @addr: the address of its first word
 * @n: its length, a multiple of 4
 * @seed: the pattern's seed
 *
 * Return: the number of 32-bit words that differ.
 */
unsigned long gm_pattern_bad(const u32 *buf, unsigned long addr,
			     unsigned long n, u32 seed)
{
	unsigned long i, bad = 0;

	for (i = 0; i < n / 4; i++)
		bad += buf[i] != gm_pattern(addr + 4 * i, seed);
	return bad;
}

/**
 * gm_gpu_check() - the GPU reads and compares with the pattern
 * @gpusvm: the GPU SVM whose notifier lock protects @pages
 * @pages: the pages
 * @pages_start: the address their first page mirrors
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 *
 * Return: the number of 32-bit words that differ (all when the GPU cannot
 * read).
 */
unsigned long gm_gpu_check(struct drm_gpusvm *gpusvm,
			   struct drm_gpusvm_pages *pages,
			   unsigned long pages_start, unsigned long addr,
			   unsigned long len, u32 seed)
{
	struct kunit *test = kunit_get_current_test();
	u32 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned long n, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (; len; addr += n, len -= n) {
		n = min(len, PAGE_SIZE - offset_in_page(addr));
		if (gm_gpu_read(gpusvm, pages, pages_start, addr, buf, n)) {
			bad += len / 4;
			break;
		}
		bad += gm_pattern_bad(buf, addr, n, seed);
	}
	kunit_kfree(test, buf);
	return bad;
}

/* --- the CPU side: the test thread's mm ---------------------------------- */

/**
 * gm_mmap_flags() - mmap(2) at a fixed address
 * @test: the test
 * @addr: the address
 * @len: the length
 * @prot: PROT_* bits
 * @flags: MAP_* bits (MAP_FIXED_NOREPLACE is added)
 *
 * Return: @addr (the test is aborted on failure).
 */
unsigned long gm_mmap_flags(struct kunit *test, unsigned long addr,
			    unsigned long len, unsigned long prot,
			    unsigned long flags)
{
	unsigned long got = kunit_vm_mmap(test, NULL, addr, len, prot,
					  flags | MAP_FIXED_NOREPLACE, 0);

	KUNIT_ASSERT_EQ(test, got, addr);
	return addr;
}

/**
 * gm_mmap() - map anonymous private memory at a fixed address
 * @test: the test
 * @addr: the address
 * @len: the length
 * @prot: PROT_* bits
 *
 * Return: @addr (the test is aborted on failure).
 */
unsigned long gm_mmap(struct kunit *test, unsigned long addr,
		      unsigned long len, unsigned long prot)
{
	return gm_mmap_flags(test, addr, len, prot, MAP_PRIVATE | MAP_ANONYMOUS);
}

/**
 * gm_munmap() - munmap(2) from the test thread
 * @test: the test
 * @addr: start
 * @len: length
 */
void gm_munmap(struct kunit *test, unsigned long addr, unsigned long len)
{
	KUNIT_ASSERT_EQ(test, vm_munmap(addr, len), 0);
}

/**
 * gm_zap() - madvise(MADV_DONTNEED) from the test thread
 * @test: the test
 * @addr: start, inside one VMA
 * @len: length
 *
 * Drops the pages as MADV_DONTNEED does (an %MMU_NOTIFY_CLEAR
 * invalidation); the next touch gets fresh zero pages.
 */
void gm_zap(struct kunit *test, unsigned long addr, unsigned long len)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && addr + len <= vma->vm_end)
		zap_page_range_single(vma, addr, len, NULL);
	mmap_read_unlock(mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
}

/**
 * gm_madvise() - madvise(2) from the test thread
 * @test: the test
 * @addr: start
 * @len: length
 * @advice: MADV_*
 */
void gm_madvise(struct kunit *test, unsigned long addr, unsigned long len,
		int advice)
{
	KUNIT_ASSERT_EQ(test, do_madvise(current->mm, addr, len, advice), 0);
}

/**
 * gm_cpu_fill() - the CPU writes the pattern
 * @test: the test
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 */
void gm_cpu_fill(struct kunit *test, unsigned long addr, unsigned long len,
		 u32 seed)
{
	u32 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned long n;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (; len; addr += n, len -= n) {
		n = min(len, PAGE_SIZE - offset_in_page(addr));
		gm_pattern_fill(buf, addr, n, seed);
		KUNIT_ASSERT_EQ(test, copy_to_user((void __user *)addr, buf, n),
				0);
	}
	kunit_kfree(test, buf);
}

/**
 * gm_cpu_check() - the CPU reads and compares with the pattern
 * @test: the test
 * @addr: start, 4-byte aligned
 * @len: length, a multiple of 4
 * @seed: the pattern's seed
 *
 * Return: the number of 32-bit words that differ.
 */
unsigned long gm_cpu_check(struct kunit *test, unsigned long addr,
			   unsigned long len, u32 seed)
{
	u32 *buf = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned long n, bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	for (; len; addr += n, len -= n) {
		n = min(len, PAGE_SIZE - offset_in_page(addr));
		KUNIT_ASSERT_EQ(test, copy_from_user(buf, (void __user *)addr, n),
				0);
		bad += gm_pattern_bad(buf, addr, n, seed);
	}
	kunit_kfree(test, buf);
	return bad;
}

struct gm_walk {
	enum gm_where where;
	struct dev_pagemap *pgmap;
};

static int gm_walk_pmd(pmd_t *pmd, unsigned long addr, unsigned long next,
		       struct mm_walk *walk)
{
	struct gm_walk *w = walk->private;

	/* A huge page: system memory; do not let the walk split it. */
	if (pmd_trans_huge(pmdp_get_lockless(pmd))) {
		w->where = GM_SYSTEM;
		walk->action = ACTION_CONTINUE;
	}
	return 0;
}

static int gm_walk_pte(pte_t *ptep, unsigned long addr, unsigned long next,
		       struct mm_walk *walk)
{
	struct gm_walk *w = walk->private;
	pte_t pte = ptep_get(ptep);
	swp_entry_t entry;

	if (pte_none(pte))
		return 0;
	if (pte_present(pte)) {
		w->where = GM_SYSTEM;
		return 0;
	}
	entry = pte_to_swp_entry(pte);
	if (is_device_private_entry(entry)) {
		w->where = GM_DEVICE;
		w->pgmap = pfn_swap_entry_to_page(entry)->pgmap;
	}
	return 0;
}

/**
 * gm_cpu_where() - where the CPU maps a page, without faulting
 * @test: the test
 * @addr: the address
 * @pgmap: the &struct dev_pagemap of a device page, or NULL
 *
 * Return: the &enum gm_where of the page.
 */
enum gm_where gm_cpu_where(struct kunit *test, unsigned long addr,
			   struct dev_pagemap **pgmap)
{
	static const struct mm_walk_ops ops = {
		.pmd_entry = gm_walk_pmd,
		.pte_entry = gm_walk_pte,
		.walk_lock = PGWALK_RDLOCK,
	};
	struct gm_walk w = { .where = GM_NONE };

	addr = PAGE_ALIGN_DOWN(addr);
	mmap_read_lock(current->mm);
	walk_page_range(current->mm, addr, addr + PAGE_SIZE, &ops, &w);
	mmap_read_unlock(current->mm);
	if (pgmap)
		*pgmap = w.pgmap;
	return w.where;
}

/**
 * gm_count_where() - how many pages of an interval are where
 * @test: the test
 * @addr: start, page aligned
 * @len: length, page aligned
 * @where: where
 * @pgmap: for %GM_DEVICE, the &struct dev_pagemap the pages must be of;
 *	NULL: any
 *
 * Return: the number of pages.
 */
unsigned long gm_count_where(struct kunit *test, unsigned long addr,
			     unsigned long len, enum gm_where where,
			     const struct dev_pagemap *pgmap)
{
	unsigned long n = 0, end = addr + len;

	for (; addr < end; addr += PAGE_SIZE) {
		struct dev_pagemap *p;

		if (gm_cpu_where(test, addr, &p) == where &&
		    (where != GM_DEVICE || !pgmap || p == pgmap))
			n++;
	}
	return n;
}

/**
 * gm_cpu_fault() - one CPU fault, as the page-fault handler takes it
 * @test: the test
 * @addr: the address
 * @write: a write fault
 *
 * Unlike an access, which repeats the fault until it succeeds, this shows
 * what one fault does (a device page whose timeslice runs stays).
 *
 * Return: what handle_mm_fault() returns.
 */
vm_fault_t gm_cpu_fault(struct kunit *test, unsigned long addr, bool write)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	vm_fault_t ret;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	ret = vma ? handle_mm_fault(vma, addr, write ? FAULT_FLAG_WRITE : 0,
				    NULL) : VM_FAULT_SIGSEGV;
	mmap_read_unlock(mm);
	return ret;
}

static void gm_mmdrop(void *mm)
{
	mmdrop(mm);
}

/**
 * gm_dead_mm() - an address space whose process has exited
 * @test: the test
 *
 * Return: an mm with no users left (mmget_not_zero() fails), kept
 * allocated until the end of the test.
 */
struct mm_struct *gm_dead_mm(struct kunit *test)
{
	struct mm_struct *mm = mm_alloc();

	KUNIT_ASSERT_NOT_NULL(test, mm);
	mmgrab(mm);
	mmput(mm);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_mmdrop, mm), 0);
	return mm;
}

/* --- device memory --------------------------------------------------------- */

/*
 * The mock's interconnect groups: memories created with the same group
 * share a device-private page owner.
 */
DRM_PAGEMAP_OWNER_LIST_DEFINE(gm_owner_list);

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* Every live memory, to resolve device addresses. */
static DEFINE_SPINLOCK(gm_mems_lock);
static LIST_HEAD(gm_mems);
static atomic_t gm_mem_ids = ATOMIC_INIT(0);

static struct gm_mem *page_to_gm_mem(struct page *page)
{
	return container_of(page->pgmap, struct gm_mem, pagemap);
}

static unsigned long gm_page_index(struct gm_mem *mem, struct page *page)
{
	return page_to_pfn(page) - mem->pfn_first;
}

static struct page *gm_devaddr_page(dma_addr_t addr)
{
	struct page *page = NULL;
	struct gm_mem *mem;

	spin_lock(&gm_mems_lock);
	list_for_each_entry(mem, &gm_mems, link) {
		if (addr >= mem->dev_base &&
		    addr < mem->dev_base + (mem->npages << PAGE_SHIFT)) {
			page = mem->backing[(addr - mem->dev_base) >> PAGE_SHIFT];
			break;
		}
	}
	spin_unlock(&gm_mems_lock);
	return page;
}

/* The kernel page on the other side of a copy: system or device. */
static struct page *gm_addr_page(struct gm_mem *mem, struct drm_pagemap_addr *a)
{
	if (a->proto == DRM_INTERCONNECT_SYSTEM)
		return pfn_to_page(PHYS_PFN(dma_to_phys(mem->gdev->drm->dev,
							a->addr)));
	atomic_inc(&mem->peer_pages);
	return gm_devaddr_page(a->addr);
}

static struct drm_pagemap_addr
gm_device_map(struct drm_pagemap *dpagemap, struct device *dev,
	      struct page *page, unsigned int order,
	      enum dma_data_direction dir)
{
	struct gm_mem *mem = page_to_gm_mem(page);
	dma_addr_t addr = mem->dev_base +
			  (gm_page_index(mem, page) << PAGE_SHIFT);

	atomic_inc(&mem->device_maps);
	if (mem->fail_device_map ||
	    (mem->private_only && dev != mem->gdev->drm->dev))
		addr = DMA_MAPPING_ERROR;
	return drm_pagemap_addr_encode(addr, DRM_INTERCONNECT_DRIVER, order, dir);
}

static void gm_device_unmap(struct drm_pagemap *dpagemap, struct device *dev,
			    struct drm_pagemap_addr addr)
{
	struct gm_mem *mem = container_of(dpagemap->pagemap, struct gm_mem,
					  pagemap);

	WARN_ON(addr.proto != DRM_INTERCONNECT_DRIVER ||
		!gm_devaddr_page(addr.addr));
	atomic_inc(&mem->device_unmaps);
}

static struct gm_alloc *__gm_alloc_create(struct gm_mem *mem,
					  struct drm_pagemap *dpagemap,
					  struct mm_struct *mm,
					  unsigned long size);

static int gm_populate_mm(struct drm_pagemap *dpagemap,
			  unsigned long start, unsigned long end,
			  struct mm_struct *mm, unsigned long timeslice_ms)
{
	struct gm_mem *mem = container_of(dpagemap->pagemap, struct gm_mem,
					  pagemap);
	struct drm_pagemap_migrate_details mdetails = mem->mdetails;
	struct gm_alloc *alloc;
	int err, idx;

	atomic_inc(&mem->populate_calls);
	if (!drm_dev_enter(dpagemap->drm, &idx))
		return -ENODEV;
	err = mem->fail_populate_mm;
	if (err)
		goto out;
	alloc = __gm_alloc_create(mem, dpagemap, mm, end - start);
	if (IS_ERR(alloc)) {
		err = PTR_ERR(alloc);
		goto out;
	}
	mdetails.timeslice_ms = timeslice_ms;
	err = drm_pagemap_migrate_to_devmem(&alloc->devmem, mm, start, end,
					    &mdetails);
out:
	drm_dev_exit(idx);
	return err;
}

/* Count, and free: may run in atomic context (a page freed). */
static void gm_pagemap_destroy(struct drm_pagemap *dpagemap,
			       bool is_atomic_or_reclaim)
{
	struct gm_dev *gdev = drm_to_gdev(dpagemap->drm);

	kfree(dpagemap);
	if (is_atomic_or_reclaim)
		atomic_inc(&gdev->destroys_atomic);
	atomic_inc(&gdev->destroys);
	wake_up_all(&gdev->wq);
}

/** gm_pagemap_ops - the mock's &struct drm_pagemap_ops */
const struct drm_pagemap_ops gm_pagemap_ops = {
	.device_map = gm_device_map,
	.device_unmap = gm_device_unmap,
	.populate_mm = gm_populate_mm,
	.destroy = gm_pagemap_destroy,
};

static struct gm_alloc *to_gm_alloc(struct drm_pagemap_devmem *devmem)
{
	return container_of(devmem, struct gm_alloc, devmem);
}

static void gm_alloc_free(struct kref *ref)
{
	kfree(container_of(ref, struct gm_alloc, ref));
}

/**
 * gm_alloc_put() - drop the test's reference on an allocation
 * @alloc: the allocation
 */
void gm_alloc_put(struct gm_alloc *alloc)
{
	kref_put(&alloc->ref, gm_alloc_free);
}

/* Its last page was freed: give the device pages back.  Atomic context. */
static void gm_devmem_release(struct drm_pagemap_devmem *devmem)
{
	struct gm_alloc *alloc = to_gm_alloc(devmem);
	struct gm_mem *mem = alloc->mem;
	struct gm_dev *gdev = mem->gdev;
	unsigned long i, flags;

	spin_lock_irqsave(&mem->lock, flags);
	for (i = 0; i < alloc->npages; i++)
		__clear_bit(alloc->idx[i], mem->used);
	spin_unlock_irqrestore(&mem->lock, flags);
	WARN_ON(alloc->released);
	alloc->released = true;
	atomic_inc(&mem->releases);
	gm_alloc_put(alloc);
	wake_up_all(&gdev->wq);
}

static int gm_populate_devmem_pfn(struct drm_pagemap_devmem *devmem,
				  unsigned long npages, unsigned long *pfn)
{
	struct gm_alloc *alloc = to_gm_alloc(devmem);
	struct gm_mem *mem = alloc->mem;
	unsigned long i;

	if (mem->fail_populate_pfn)
		return mem->fail_populate_pfn;
	if (WARN_ON(npages > alloc->npages))
		return -EINVAL;
	for (i = 0; i < npages; i++)
		pfn[i] = mem->pfn_first + alloc->idx[i];
	return 0;
}

/* Both directions of a copy between device pages and their other side. */
static int gm_copy(struct page **pages, struct drm_pagemap_addr *addr,
		   unsigned long npages, struct dma_fence *fence, bool to_devmem)
{
	struct gm_mem *mem = NULL;
	unsigned long i, n = 0;
	int err;

	for (i = 0; i < npages && !mem; i++)
		if (pages[i])
			mem = page_to_gm_mem(pages[i]);
	if (!mem)
		return 0;

	if (to_devmem) {
		atomic_inc(&mem->copies_to_devmem);
		mem->last_fence = fence;
		err = mem->fail_copy_to_devmem;
	} else {
		atomic_inc(&mem->copies_to_ram);
		err = mem->fail_copy_to_ram;
	}
	if (err)
		return err;

	for (i = 0; i < npages; i++) {
		struct page *dev, *other = NULL;
		void *d, *o;

		if (!pages[i])
			continue;
		dev = mem->backing[gm_page_index(mem, pages[i])];
		if (addr[i].addr) {
			other = gm_addr_page(mem, &addr[i]);
			if (WARN_ON(!other))
				return -EFAULT;
		} else if (WARN_ON(!to_devmem)) {
			return -EFAULT;
		}
		d = kmap_local_page(dev);
		if (!other) {
			memset(d, 0, PAGE_SIZE);
		} else {
			o = kmap_local_page(other);
			if (to_devmem)
				memcpy(d, o, PAGE_SIZE);
			else
				memcpy(o, d, PAGE_SIZE);
			kunmap_local(o);
		}
		kunmap_local(d);
		n++;
	}
	atomic_add(n, to_devmem ? &mem->pages_to_devmem : &mem->pages_to_ram);
	return 0;
}

static int gm_copy_to_devmem(struct page **pages,
			     struct drm_pagemap_addr *pagemap_addr,
			     unsigned long npages,
			     struct dma_fence *pre_migrate_fence)
{
	return gm_copy(pages, pagemap_addr, npages, pre_migrate_fence, true);
}

static int gm_copy_to_ram(struct page **pages,
			  struct drm_pagemap_addr *pagemap_addr,
			  unsigned long npages,
			  struct dma_fence *pre_migrate_fence)
{
	return gm_copy(pages, pagemap_addr, npages, pre_migrate_fence, false);
}

/** gm_devmem_ops - the mock's &struct drm_pagemap_devmem_ops */
const struct drm_pagemap_devmem_ops gm_devmem_ops = {
	.devmem_release = gm_devmem_release,
	.populate_devmem_pfn = gm_populate_devmem_pfn,
	.copy_to_devmem = gm_copy_to_devmem,
	.copy_to_ram = gm_copy_to_ram,
};

/* An allocation with the pages' reference only. */
static struct gm_alloc *__gm_alloc_create(struct gm_mem *mem,
					  struct drm_pagemap *dpagemap,
					  struct mm_struct *mm,
					  unsigned long size)
{
	unsigned long npages = size >> PAGE_SHIFT, i, bit = 0;
	struct gm_alloc *alloc;

	alloc = kzalloc(struct_size(alloc, idx, npages), GFP_KERNEL);
	if (!alloc)
		return ERR_PTR(-ENOMEM);
	kref_init(&alloc->ref);
	alloc->mem = mem;
	alloc->npages = npages;

	spin_lock_irq(&mem->lock);
	for (i = 0; i < npages; i++) {
		bit = find_next_zero_bit(mem->used, mem->npages, bit);
		if (bit >= mem->npages)
			break;
		__set_bit(bit, mem->used);
		alloc->idx[i] = bit;
	}
	if (i < npages) {
		while (i--)
			__clear_bit(alloc->idx[i], mem->used);
		spin_unlock_irq(&mem->lock);
		kfree(alloc);
		return ERR_PTR(-ENOSPC);
	}
	spin_unlock_irq(&mem->lock);

	atomic_inc(&mem->allocs);
	drm_pagemap_devmem_init(&alloc->devmem, mem->gdev->drm->dev, mm,
				&gm_devmem_ops, dpagemap, size, NULL);
	return alloc;
}

/**
 * gm_alloc_create() - an allocation of device memory for the test's mm
 * @mem: the memory
 * @size: bytes, a multiple of PAGE_SIZE
 *
 * Its pages are taken from @mem (not contiguously) now, and given back
 * when the allocation is released; its pagemap is @mem's.  The test holds
 * a reference: gm_alloc_put() it.
 *
 * Return: the allocation (the test is aborted on failure).
 */
struct gm_alloc *gm_alloc_create(struct gm_mem *mem, unsigned long size)
{
	struct gm_alloc *alloc = __gm_alloc_create(mem, mem->dpagemap,
						   current->mm, size);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(kunit_get_current_test(), alloc);
	kref_get(&alloc->ref);
	return alloc;
}

/**
 * gm_migrate() - drm_pagemap_migrate_to_devmem() under the mmap lock
 * @alloc: the allocation, handed over
 * @start: start
 * @end: end
 * @mdetails: how, or NULL for defaults
 *
 * Return: what drm_pagemap_migrate_to_devmem() returns.
 */
int gm_migrate(struct gm_alloc *alloc, unsigned long start, unsigned long end,
	       const struct drm_pagemap_migrate_details *mdetails)
{
	static const struct drm_pagemap_migrate_details none;
	int err;

	mmap_read_lock(current->mm);
	err = drm_pagemap_migrate_to_devmem(&alloc->devmem, current->mm, start,
					    end, mdetails ?: &none);
	mmap_read_unlock(current->mm);
	return err;
}

/**
 * gm_migrate_new() - migrate into a new allocation the test keeps no
 *	reference to
 * @mem: the memory
 * @start: start
 * @end: end
 * @mdetails: how, or NULL for defaults
 *
 * Return: what drm_pagemap_migrate_to_devmem() returns.
 */
int gm_migrate_new(struct gm_mem *mem, unsigned long start, unsigned long end,
		   const struct drm_pagemap_migrate_details *mdetails)
{
	struct gm_alloc *alloc = gm_alloc_create(mem, end - start);
	int err = gm_migrate(alloc, start, end, mdetails);

	gm_alloc_put(alloc);
	return err;
}

/**
 * gm_mem_used() - device pages in use
 * @mem: the memory
 *
 * Return: the pages live allocations hold.
 */
unsigned long gm_mem_used(struct gm_mem *mem)
{
	unsigned long n;

	spin_lock_irq(&mem->lock);
	n = bitmap_weight(mem->used, mem->npages);
	spin_unlock_irq(&mem->lock);
	return n;
}

/**
 * gm_mem_wait_idle() - wait until every allocation of a memory is released
 * @mem: the memory
 *
 * Return: true when they were in time.
 */
bool gm_mem_wait_idle(struct gm_mem *mem)
{
	return wait_event_timeout(mem->gdev->wq,
				  atomic_read(&mem->releases) ==
				  atomic_read(&mem->allocs),
				  GM_DRAIN_TIMEOUT);
}

/**
 * gm_dev_wait_destroys() - wait until pagemaps of a device are destroyed
 * @gdev: the device
 * @destroys: the number of &drm_pagemap_ops.destroy calls to wait for
 *
 * Return: true when they were in time.
 */
bool gm_dev_wait_destroys(struct gm_dev *gdev, int destroys)
{
	return wait_event_timeout(gdev->wq,
				  atomic_read(&gdev->destroys) >= destroys,
				  GM_DRAIN_TIMEOUT);
}

/**
 * gm_pagemap_create() - a pagemap of mock memory
 * @mem: the memory
 *
 * drm_pagemap_create() with the mock's operations; counted, so that the
 * clean-up can check it was destroyed.
 *
 * Return: the pagemap with one reference (the test is aborted on failure).
 */
struct drm_pagemap *gm_pagemap_create(struct gm_mem *mem)
{
	struct kunit *test = mem->gdev->ctx->test;
	struct drm_pagemap *dpagemap;

	dpagemap = drm_pagemap_create(mem->gdev->drm, &mem->pagemap,
				      &gm_pagemap_ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dpagemap);
	atomic_inc(&mem->gdev->pagemaps);
	return dpagemap;
}

/* The remove callback of a driver: the cache goes after the unplug. */
static void gm_dev_remove(void *arg)
{
	struct gm_dev *gdev = arg;

	if (!drm_dev_is_unplugged(gdev->drm))
		drm_dev_unplug(gdev->drm);
}

/**
 * gm_dev_cache() - give a device a pagemap shrinker and cache
 * @gdev: the device
 *
 * Both device-managed, as a driver makes them at probe; the device is
 * unplugged (drm_dev_unplug()) when it goes, before the cache does.
 *
 * Return: 0 or a negative errno.
 */
int gm_dev_cache(struct gm_dev *gdev)
{
	struct drm_pagemap_shrinker *shrinker;
	struct drm_pagemap_cache *cache;

	shrinker = drm_pagemap_shrinker_create_devm(gdev->drm);
	if (IS_ERR(shrinker))
		return PTR_ERR(shrinker);
	cache = drm_pagemap_cache_create_devm(shrinker);
	if (IS_ERR(cache))
		return PTR_ERR(cache);
	gdev->shrinker = shrinker;
	gdev->cache = cache;
	return devm_add_action_or_reset(gdev->dev, gm_dev_remove, gdev);
}

/**
 * gm_pagemap_lookup() - the pagemap of a memory, through the device's
 *	cache
 * @gdev: the device, with a cache (gm_dev_cache())
 * @mem: the memory
 *
 * The lookup sequence drm_pagemap_util.c documents: the cached pagemap,
 * live again, or a new one put in the cache.
 *
 * Return: the pagemap with a reference, or an ERR_PTR().
 */
struct drm_pagemap *gm_pagemap_lookup(struct gm_dev *gdev, struct gm_mem *mem)
{
	struct drm_pagemap *dpagemap;
	int err;

	err = drm_pagemap_cache_lock_lookup(gdev->cache);
	if (err)
		return ERR_PTR(err);
	dpagemap = drm_pagemap_get_from_cache(gdev->cache);
	if (!dpagemap) {
		dpagemap = drm_pagemap_create(gdev->drm, &mem->pagemap,
					      &gm_pagemap_ops);
		if (!IS_ERR(dpagemap)) {
			atomic_inc(&gdev->pagemaps);
			drm_pagemap_cache_set_pagemap(gdev->cache, dpagemap);
		}
	}
	drm_pagemap_cache_unlock_lookup(gdev->cache);
	return dpagemap;
}

static bool gm_has_interconnect(struct drm_pagemap_peer *peer1,
				struct drm_pagemap_peer *peer2)
{
	return peer1->private == peer2->private;
}

/*
 * The end of a memory: once every allocation is released (the test
 * thread's mm may still be going away), the mock's pagemap reference goes
 * and the device pages are removed.
 */
static void gm_mem_cleanup(void *arg)
{
	struct gm_mem *mem = arg;
	struct kunit *test = mem->gdev->ctx->test;
	unsigned long i;

	if (!gm_mem_wait_idle(mem)) {
		KUNIT_FAIL(test, "device memory in use: %d/%d released, %lu pages",
			   atomic_read(&mem->releases), atomic_read(&mem->allocs),
			   gm_mem_used(mem));
		return;	/* leaked rather than freed under its users */
	}
	drm_pagemap_put(mem->dpagemap);
	mem->dpagemap = NULL;

	memunmap_pages(&mem->pagemap);
	release_mem_region(mem->res->start, resource_size(mem->res));
	drm_pagemap_release_owner(&mem->peer);
	spin_lock(&gm_mems_lock);
	list_del(&mem->link);
	spin_unlock(&gm_mems_lock);
	for (i = 0; i < mem->npages; i++)
		__free_page(mem->backing[i]);
	kvfree(mem->backing);
	bitmap_free(mem->used);
	kfree(mem);
}

/**
 * gm_mem_create() - device-private memory for a mock device
 * @gdev: the device
 * @size: bytes, a multiple of 2M
 * @group: memories of the same group share a device-private page owner;
 *	NULL: a group of its own
 *
 * Its pagemap (&gm_mem.dpagemap) is made with it.  At the end of the test
 * every allocation must be released.
 *
 * Return: the memory (the test is aborted on failure, or skipped without
 * CONFIG_DEVICE_PRIVATE).
 */
struct gm_mem *gm_mem_create(struct gm_dev *gdev, unsigned long size,
			     const void *group)
{
	struct kunit *test = gdev->ctx->test;
	struct gm_mem *mem;
	unsigned long i;
	void *addr;
	int err;

	KUNIT_ASSERT_TRUE(test, IS_ALIGNED(size, SZ_2M));
	mem = kzalloc(sizeof(*mem), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, mem);
	mem->gdev = gdev;
	mem->npages = size >> PAGE_SHIFT;
	spin_lock_init(&mem->lock);
	INIT_LIST_HEAD(&mem->link);
	mem->backing = kvcalloc(mem->npages, sizeof(*mem->backing), GFP_KERNEL);
	mem->used = bitmap_zalloc(mem->npages, GFP_KERNEL);
	if (!mem->backing || !mem->used) {
		err = -ENOMEM;
		goto err_free;
	}
	for (i = 0; i < mem->npages; i++) {
		mem->backing[i] = alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!mem->backing[i]) {
			err = -ENOMEM;
			goto err_free;
		}
	}

	/* The region is a whole memory section; only @size of it is used. */
	mem->res = request_free_mem_region(&iomem_resource, size,
					   "gpusvm mock memory");
	if (IS_ERR(mem->res)) {
		err = PTR_ERR(mem->res);
		goto err_free;
	}
	mem->peer.private = (void *)(group ?: mem);
	err = drm_pagemap_acquire_owner(&mem->peer, &gm_owner_list,
					gm_has_interconnect);
	if (err)
		goto err_region;
	mem->pagemap.type = MEMORY_DEVICE_PRIVATE;
	mem->pagemap.range.start = mem->res->start;
	mem->pagemap.range.end = mem->res->start + size - 1;
	mem->pagemap.nr_range = 1;
	mem->pagemap.ops = drm_pagemap_pagemap_ops_get();
	mem->pagemap.owner = mem->peer.owner;
	addr = memremap_pages(&mem->pagemap, NUMA_NO_NODE);
	if (IS_ERR(addr)) {
		err = PTR_ERR(addr);
		goto err_owner;
	}
	mem->pfn_first = PHYS_PFN(mem->res->start);
	mem->dev_base = (u64)atomic_inc_return(&gm_mem_ids) << 40;
	spin_lock(&gm_mems_lock);
	list_add_tail(&mem->link, &gm_mems);
	spin_unlock(&gm_mems_lock);

	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gm_mem_cleanup,
							mem), 0);
	mem->dpagemap = gm_pagemap_create(mem);
	return mem;

err_owner:
	drm_pagemap_release_owner(&mem->peer);
err_region:
	release_mem_region(mem->res->start, resource_size(mem->res));
err_free:
	for (i = 0; mem->backing && i < mem->npages && mem->backing[i]; i++)
		__free_page(mem->backing[i]);
	kvfree(mem->backing);
	bitmap_free(mem->used);
	kfree(mem);
	KUNIT_ASSERT_EQ_MSG(test, err, 0, "no mock device memory");
	return NULL;
}

#else /* !IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

static struct page *gm_devaddr_page(dma_addr_t addr)
{
	return NULL;
}

struct gm_mem *gm_mem_create(struct gm_dev *gdev, unsigned long size,
			     const void *group)
{
	gm_require_devmem(gdev->ctx->test);
	return NULL;
}

struct drm_pagemap *gm_pagemap_create(struct gm_mem *mem)
{
	return ERR_PTR(-EOPNOTSUPP);
}

struct drm_pagemap *gm_pagemap_lookup(struct gm_dev *gdev, struct gm_mem *mem)
{
	return ERR_PTR(-EOPNOTSUPP);
}

int gm_dev_cache(struct gm_dev *gdev)
{
	return -EOPNOTSUPP;
}

unsigned long gm_mem_used(struct gm_mem *mem)
{
	return 0;
}

bool gm_mem_wait_idle(struct gm_mem *mem)
{
	return true;
}

bool gm_dev_wait_destroys(struct gm_dev *gdev, int destroys)
{
	return true;
}

struct gm_alloc *gm_alloc_create(struct gm_mem *mem, unsigned long size)
{
	kunit_skip(kunit_get_current_test(), "no device memory");
	return NULL;
}

void gm_alloc_put(struct gm_alloc *alloc)
{
}

int gm_migrate(struct gm_alloc *alloc, unsigned long start, unsigned long end,
	       const struct drm_pagemap_migrate_details *mdetails)
{
	return -EOPNOTSUPP;
}

int gm_migrate_new(struct gm_mem *mem, unsigned long start, unsigned long end,
		   const struct drm_pagemap_migrate_details *mdetails)
{
	return -EOPNOTSUPP;
}

const struct drm_pagemap_ops gm_pagemap_ops;
const struct drm_pagemap_devmem_ops gm_devmem_ops;

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */
