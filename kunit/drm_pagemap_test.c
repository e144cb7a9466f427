// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for drm_pagemap: migration to device memory (all or
 * nothing, peers, pages already there, failing copies), the way back (CPU
 * faults, timeslices, eviction), the lifetime of a pagemap and of the DRM
 * device behind it, the pagemap cache and its shrinker, populate_mm, and
 * the owner lists of drm_pagemap_util.c.  The provider is the mock of
 * drm_gpusvm_mock.c: device-private pages over kernel pages, no vxe.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-fence.h>
#include <linux/jiffies.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <drm/drm_drv.h>
#include <drm/drm_pagemap.h>
#include <drm/drm_pagemap_util.h>

#include "drm_gpusvm_mock.h"

#define RW		GM_RW
#define NPAGES		(SZ_64K / PAGE_SIZE)

/* Memories of this group share a device-private page owner. */
static const int pm_group;

/* A mock device with 2M of device memory; 1M of the test's mm mapped. */
static struct gm_mem *pm_create(struct kunit *test)
{
	struct gm_mem *mem = gm_mem_create(gm_dev_create(gm_init(test)),
					   SZ_2M, &pm_group);

	gm_mmap(test, GM_BASE, SZ_1M, RW);
	return mem;
}

/* Device pages of @mem in [@addr, @addr + @len). */
static unsigned long pm_on(struct gm_mem *mem, unsigned long addr,
			   unsigned long len)
{
	return gm_count_where(kunit_get_current_test(), addr, len, GM_DEVICE,
			      &mem->pagemap);
}

/* System pages in [@addr, @addr + @len). */
static unsigned long pm_system(unsigned long addr, unsigned long len)
{
	return gm_count_where(kunit_get_current_test(), addr, len, GM_SYSTEM,
			      NULL);
}

/* The allocation was released and @mem has no page in use. */
static void pm_expect_idle(struct kunit *test, struct gm_mem *mem)
{
	KUNIT_EXPECT_TRUE(test, gm_mem_wait_idle(mem));
	KUNIT_EXPECT_EQ(test, gm_mem_used(mem), 0);
}

/* --- migration to device memory ------------------------------------------- */

static void drm_pagemap_migrate_basic(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 1);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_devmem), NPAGES);
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), NPAGES);
	KUNIT_EXPECT_FALSE(test, alloc->released);
	KUNIT_EXPECT_FALSE(test, completion_done(&alloc->devmem.detached));

	/* The data is there: the CPU reads it back, and the memory is free. */
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 1), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_TRUE(test, completion_done(&alloc->devmem.detached));
	gm_alloc_put(alloc);
}

static void drm_pagemap_migrate_unpopulated_zero(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	u8 *buf = kunit_kmalloc(test, SZ_64K, GFP_KERNEL);
	unsigned long i;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Stale data in the device memory: a page never populated must not see it. */
	for (i = 0; i < a->npages; i++)
		memset(page_address(a->backing[i]), 0xa5, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_ASSERT_EQ(test, copy_from_user(buf, (void __user *)GM_BASE, SZ_64K),
			0);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, SZ_64K));
}

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* The page the stub makes migrate_vma_setup() miss. */
struct busy_page {
	unsigned long index;
	int calls;
};

/*
 * migrate_vma_setup(), but one page is not collected, as when another
 * thread holds it: what migrate_vma_setup() itself does with a page it
 * cannot isolate or unmap (the page stays where it is).
 */
static int drop_one_vma_setup(struct migrate_vma *migrate)
{
	struct gm_ctx *ctx = kunit_get_current_test()->priv;
	struct busy_page *busy = ctx->priv;
	int err = migrate_vma_setup(migrate);

	busy->calls++;
	if (!err && (migrate->src[busy->index] & MIGRATE_PFN_MIGRATE)) {
		migrate->src[busy->index] &= ~MIGRATE_PFN_MIGRATE;
		migrate->cpages--;
	}
	return err;
}

static void drm_pagemap_migrate_busy_page(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct busy_page busy = { .index = 5 };
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 2);
	((struct gm_ctx *)test->priv)->priv = &busy;
	kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
				   drop_one_vma_setup);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_EXPECT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EBUSY);
	kunit_deactivate_static_stub(test, drm_pagemap_migrate_vma_setup);
	KUNIT_EXPECT_EQ(test, busy.calls, 1);

	/* All or nothing: nothing moved, nothing copied, the memory is back. */
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 2), 0);
	gm_alloc_put(alloc);
}

/* migrate_vma_setup() out of memory */
static int enomem_vma_setup(struct migrate_vma *migrate)
{
	return -ENOMEM;
}

/* migrate_vma_setup() collects nothing: another thread took every page. */
static int empty_vma_setup(struct migrate_vma *migrate)
{
	migrate->cpages = 0;
	return 0;
}

/*
 * The collection of pages fails, or finds none: the migration to device
 * memory fails with its error or -EBUSY, releasing its allocation; a CPU
 * fault gets VM_FAULT_OOM for -ENOMEM, and is retried when nothing was
 * collected (the data stays where it is).
 */
static void drm_pagemap_migrate_vma_setup_fails(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 19);
	kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
				   enomem_vma_setup);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_EXPECT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			-ENOMEM);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	gm_alloc_put(alloc);
	kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
				   empty_vma_setup);
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EBUSY);
	kunit_deactivate_static_stub(test, drm_pagemap_migrate_vma_setup);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);

	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
				   enomem_vma_setup);
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false), VM_FAULT_OOM);
	kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
				   empty_vma_setup);
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false), 0);
	kunit_deactivate_static_stub(test, drm_pagemap_migrate_vma_setup);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 19), 0);
	pm_expect_idle(test, a);
}

#else

/* Never run: the suite needs device memory. */
static void drm_pagemap_migrate_busy_page(struct kunit *test)
{
}

static void drm_pagemap_migrate_vma_setup_fails(struct kunit *test)
{
}

#endif

static void drm_pagemap_migrate_pinned_page(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct page *pinned;
	long n;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 3);
	/* Someone DMAs to one page: it cannot move, so nothing does. */
	mmap_read_lock(current->mm);
	n = pin_user_pages(GM_BASE + 7 * PAGE_SIZE, 1, FOLL_WRITE, &pinned);
	mmap_read_unlock(current->mm);
	KUNIT_ASSERT_EQ(test, n, 1);
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);
	pm_expect_idle(test, a);
	unpin_user_page(pinned);

	/* Unpinned, it all goes. */
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 3), 0);
}

static void drm_pagemap_migrate_copy_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 4);
	a->fail_copy_to_devmem = -EIO;
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_EXPECT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EIO);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_devmem), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 4), 0);
	gm_alloc_put(alloc);
}

static void drm_pagemap_migrate_populate_pfn_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 5);
	a->fail_populate_pfn = -ENOSPC;
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			-ENOSPC);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 5), 0);
}

static void drm_pagemap_migrate_own_pages_present(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *again;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 6);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* All there already: nothing to do, and the new allocation goes. */
	again = gm_alloc_create(a, SZ_64K);
	KUNIT_EXPECT_EQ(test, gm_migrate(again, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_TRUE(test, again->released);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), NPAGES);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	gm_alloc_put(again);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 6), 0);
}

static void drm_pagemap_migrate_own_pages_refused(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 7);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_32K, NULL),
			0);
	/* Some pages there already, and no way to move them within it. */
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_32K), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE + SZ_32K, SZ_32K), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 7), 0);
}

static void drm_pagemap_migrate_same_pagemap(struct kunit *test)
{
	const struct drm_pagemap_migrate_details same = {
		.can_migrate_same_pagemap = true,
	};
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *first, *second;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 8);
	first = gm_alloc_create(a, SZ_32K);
	KUNIT_ASSERT_EQ(test, gm_migrate(first, GM_BASE, GM_BASE + SZ_32K, NULL),
			0);
	/* The copy functions can move pages within it: all of it moves. */
	second = gm_alloc_create(a, SZ_64K);
	KUNIT_EXPECT_EQ(test, gm_migrate(second, GM_BASE, GM_BASE + SZ_64K,
					 &same), 0);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	/* The first allocation's pages were all moved out: it is released. */
	KUNIT_EXPECT_TRUE(test, first->released);
	KUNIT_EXPECT_FALSE(test, second->released);
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), NPAGES);
	/* Its pages were read through their own pagemap's addresses. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->peer_pages), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 8), 0);
	gm_alloc_put(first);
	gm_alloc_put(second);
}

/* Two devices joined by an interconnect, each with its memory. */
static void pm_create_peers(struct kunit *test, struct gm_mem **a,
			    struct gm_mem **b)
{
	struct gm_ctx *ctx = gm_init(test);

	*a = gm_mem_create(gm_dev_create(ctx), SZ_2M, &pm_group);
	*b = gm_mem_create(gm_dev_create(ctx), SZ_2M, &pm_group);
	KUNIT_ASSERT_PTR_EQ(test, (*a)->pagemap.owner, (*b)->pagemap.owner);
	gm_mmap(test, GM_BASE, SZ_1M, RW);
}

static void drm_pagemap_migrate_peer_destination_copies(struct kunit *test)
{
	struct gm_mem *a, *b;

	pm_create_peers(test, &a, &b);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 9);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* From a peer's memory: the destination copies from its pages. */
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(b, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->copies_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->peer_pages), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);
	/* The source pages were mapped for the destination by their provider. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_maps), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_unmaps), NPAGES);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 9), 0);
}

static void drm_pagemap_migrate_peer_source_copies(struct kunit *test)
{
	const struct drm_pagemap_migrate_details peer = {
		.source_peer_migrates = true,
	};
	struct gm_mem *a, *b;

	pm_create_peers(test, &a, &b);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 10);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* The source peer copies, into the destination's pages. */
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, &peer),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(b, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_ram), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->copies_to_devmem), 0);
	/* The destination pages were mapped for the source by their provider. */
	KUNIT_EXPECT_EQ(test, atomic_read(&b->device_maps), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->device_unmaps), NPAGES);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 10), 0);
}

static void drm_pagemap_migrate_peer_unreachable(struct kunit *test)
{
	const struct drm_pagemap_migrate_details peer = {
		.source_peer_migrates = true,
	};
	struct gm_mem *a, *b;

	pm_create_peers(test, &a, &b);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 11);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* B's memory refuses A: A cannot copy into it, nothing moves. */
	b->private_only = true;
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, &peer),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);
	pm_expect_idle(test, b);
	/* Nor can B reach A's pages when A's memory refuses B. */
	b->private_only = false;
	a->private_only = true;
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	pm_expect_idle(test, b);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 11), 0);
}

static void drm_pagemap_migrate_bad_ranges(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *small;

	gm_mmap_flags(test, GM_BASE + SZ_2M, SZ_64K, RW,
		      MAP_SHARED | MAP_ANONYMOUS);
	gm_cpu_fill(test, GM_BASE + SZ_2M, SZ_64K, 12);
	/* Each allocation is released however the migration fails. */
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE + SZ_1M,
					     GM_BASE + SZ_1M + SZ_64K, NULL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE + SZ_1M - SZ_32K,
					     GM_BASE + SZ_1M + SZ_32K, NULL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE + SZ_64K,
					     GM_BASE + SZ_64K, NULL), -EINVAL);
	small = gm_alloc_create(a, SZ_32K);
	KUNIT_EXPECT_EQ(test, gm_migrate(small, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, small->released);
	gm_alloc_put(small);
	KUNIT_EXPECT_EQ(test, gm_migrate_new(a, GM_BASE + SZ_2M,
					     GM_BASE + SZ_2M + SZ_64K, NULL),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->releases), 5);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE + SZ_2M, SZ_64K), NPAGES);
	pm_expect_idle(test, a);
}

/* Each op a migration needs, missing in turn: -EOPNOTSUPP, nothing moves. */
static void drm_pagemap_migrate_missing_ops(struct kunit *test)
{
	struct drm_pagemap_devmem_ops *ops = kunit_kzalloc(test, sizeof(*ops),
							   GFP_KERNEL);
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, ops);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 13);
	for (i = 0; i < 3; i++) {
		*ops = gm_devmem_ops;
		if (i == 0)
			ops->populate_devmem_pfn = NULL;
		else if (i == 1)
			ops->copy_to_devmem = NULL;
		else
			ops->copy_to_ram = NULL;
		alloc = gm_alloc_create(a, SZ_64K);
		alloc->devmem.ops = ops;
		KUNIT_EXPECT_EQ_MSG(test, gm_migrate(alloc, GM_BASE,
						     GM_BASE + SZ_64K, NULL),
				    -EOPNOTSUPP, "op %d missing", i);
		KUNIT_EXPECT_TRUE(test, alloc->released);
		gm_alloc_put(alloc);
	}
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_devmem), 0);
}

static void drm_pagemap_migrate_pre_migrate_fence(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct dma_fence *fence = dma_fence_get_stub();
	struct gm_alloc *alloc;
	unsigned int refs;

	refs = kref_read(&fence->refcount);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 14);
	alloc = gm_alloc_create(a, SZ_64K);
	/* The allocation takes the reference. */
	alloc->devmem.pre_migrate_fence = dma_fence_get(fence);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* The copy was told to wait for it; then the reference was dropped. */
	KUNIT_EXPECT_PTR_EQ(test, a->last_fence, fence);
	KUNIT_EXPECT_NULL(test, alloc->devmem.pre_migrate_fence);
	KUNIT_EXPECT_EQ(test, kref_read(&fence->refcount), refs);
	dma_fence_put(fence);
	gm_alloc_put(alloc);
}

/*
 * A migration from system memory and a peer's memory at once, whose copy
 * of the system run (the first) fails: nothing moves, from either.
 */
static void drm_pagemap_migrate_mixed_copy_error(struct kunit *test)
{
	struct gm_mem *a, *b;

	pm_create_peers(test, &a, &b);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 20);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE + SZ_32K,
					     GM_BASE + SZ_64K, NULL), 0);
	b->fail_copy_to_devmem = -EIO;
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, NULL),
			-EIO);
	/* One copy tried: the system pages' run, before the peer's. */
	KUNIT_EXPECT_EQ(test, atomic_read(&b->copies_to_devmem), 1);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_32K), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE + SZ_32K, SZ_32K), NPAGES / 2);
	pm_expect_idle(test, b);
	b->fail_copy_to_devmem = 0;
	KUNIT_EXPECT_EQ(test, gm_migrate_new(b, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	KUNIT_EXPECT_EQ(test, pm_on(b, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&b->copies_to_devmem), 3);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 20), 0);
}

static void drm_pagemap_migrate_cpu_fault_back(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	u32 word;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 15);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* One word read: its whole allocation comes back, in one copy. */
	KUNIT_ASSERT_EQ(test, copy_from_user(&word,
					     (void __user *)(GM_BASE + SZ_32K + 8),
					     sizeof(word)), 0);
	KUNIT_EXPECT_EQ(test, word, gm_pattern(GM_BASE + SZ_32K + 8, 15));
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_ram), NPAGES);
	pm_expect_idle(test, a);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 15), 0);
}

static void drm_pagemap_migrate_timeslice(struct kunit *test)
{
	const struct drm_pagemap_migrate_details slice = { .timeslice_ms = 3000 };
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;
	u64 expires;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 16);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K,
					 &slice), 0);
	expires = alloc->devmem.timeslice_expiration;
	KUNIT_EXPECT_GT(test, expires, get_jiffies_64());

	/* A CPU fault within the timeslice leaves the data where it is. */
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false), 0);
	if (time_before64(get_jiffies_64(), expires))
		KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	else
		kunit_info(test, "slow machine: the timeslice ended before the check\n");
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);

	/* After it, the same fault takes it back. */
	while (time_before_eq64(get_jiffies_64(), expires))
		msleep(20);
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 1);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 16), 0);
	pm_expect_idle(test, a);
	gm_alloc_put(alloc);
}

static void drm_pagemap_migrate_timeslice_access_waits(struct kunit *test)
{
	const struct drm_pagemap_migrate_details slice = { .timeslice_ms = 500 };
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc;
	u64 expires, t0;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 17);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K,
					 &slice), 0);
	expires = alloc->devmem.timeslice_expiration;
	t0 = get_jiffies_64();
	/* An access repeats its fault until the timeslice is over. */
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 17), 0);
	if (time_before64(t0, expires))
		KUNIT_EXPECT_GE(test, get_jiffies_64(), expires);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	pm_expect_idle(test, a);
	gm_alloc_put(alloc);
}

static void drm_pagemap_migrate_copy_to_ram_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 18);
	KUNIT_ASSERT_EQ(test, gm_migrate_new(a, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* The copy back fails: SIGBUS for this fault, the data stays. */
	a->fail_copy_to_ram = -EIO;
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false),
			VM_FAULT_SIGBUS);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	a->fail_copy_to_ram = 0;
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 18), 0);
	pm_expect_idle(test, a);
}

static struct kunit_case drm_pagemap_migrate_cases[] = {
	KUNIT_CASE(drm_pagemap_migrate_basic),
	KUNIT_CASE(drm_pagemap_migrate_unpopulated_zero),
	KUNIT_CASE(drm_pagemap_migrate_busy_page),
	KUNIT_CASE(drm_pagemap_migrate_pinned_page),
	KUNIT_CASE(drm_pagemap_migrate_copy_error),
	KUNIT_CASE(drm_pagemap_migrate_populate_pfn_error),
	KUNIT_CASE(drm_pagemap_migrate_own_pages_present),
	KUNIT_CASE(drm_pagemap_migrate_own_pages_refused),
	KUNIT_CASE(drm_pagemap_migrate_same_pagemap),
	KUNIT_CASE(drm_pagemap_migrate_peer_destination_copies),
	KUNIT_CASE(drm_pagemap_migrate_peer_source_copies),
	KUNIT_CASE(drm_pagemap_migrate_peer_unreachable),
	KUNIT_CASE(drm_pagemap_migrate_bad_ranges),
	KUNIT_CASE(drm_pagemap_migrate_missing_ops),
	KUNIT_CASE(drm_pagemap_migrate_pre_migrate_fence),
	KUNIT_CASE(drm_pagemap_migrate_cpu_fault_back),
	KUNIT_CASE_SLOW(drm_pagemap_migrate_timeslice),
	KUNIT_CASE(drm_pagemap_migrate_timeslice_access_waits),
	KUNIT_CASE(drm_pagemap_migrate_copy_to_ram_error),
	KUNIT_CASE(drm_pagemap_migrate_vma_setup_fails),
	KUNIT_CASE(drm_pagemap_migrate_mixed_copy_error),
	{}
};

static struct kunit_suite drm_pagemap_migrate_suite = {
	.name = "drm_pagemap_migrate",
	.init = gm_require_devmem,
	.test_cases = drm_pagemap_migrate_cases,
};

/* --- eviction ----------------------------------------------------------------- */

/* 64K of the pattern @seed migrated into an allocation the test holds. */
static struct gm_alloc *pm_migrated(struct gm_mem *mem, u32 seed)
{
	struct kunit *test = kunit_get_current_test();
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, seed);
	alloc = gm_alloc_create(mem, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	return alloc;
}

static void drm_pagemap_evict_all(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 21);

	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), 0);
	/* Released by the time it returns: every page back, none in use. */
	KUNIT_EXPECT_TRUE(test, completion_done(&alloc->devmem.detached));
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), 0);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_ram), NPAGES);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 21), 0);
	gm_alloc_put(alloc);
}

static void drm_pagemap_evict_partly_freed(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 22);

	/* Half of it gone with its mapping: the rest is evicted. */
	gm_munmap(test, GM_BASE, SZ_32K);
	KUNIT_EXPECT_FALSE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->pages_to_ram), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE + SZ_32K, SZ_32K), NPAGES / 2);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE + SZ_32K, SZ_32K, 22), 0);
	gm_alloc_put(alloc);
}

static void drm_pagemap_evict_copy_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 23);

	a->fail_copy_to_ram = -EIO;
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), -EIO);
	/* The pages stay in device memory, intact. */
	KUNIT_EXPECT_FALSE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	a->fail_copy_to_ram = 0;
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 23), 0);
	gm_alloc_put(alloc);
}

static void drm_pagemap_evict_populate_pfn_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 24);

	a->fail_populate_pfn = -ENODEV;
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), -ENODEV);
	KUNIT_EXPECT_FALSE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	a->fail_populate_pfn = 0;
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 24), 0);
	pm_expect_idle(test, a);
	gm_alloc_put(alloc);
}

static void drm_pagemap_evict_released(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 25);

	/* The CPU took it all back already: nothing to do. */
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 25), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 1);
	gm_alloc_put(alloc);
}

/*
 * An allocation whose process is gone has nowhere to go (-EFAULT; its
 * pages go with the address space); one without an address space (a
 * kernel user's) is evicted all the same.
 */
static void drm_pagemap_evict_mm(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_alloc *alloc = pm_migrated(a, 26);

	alloc->devmem.mm = gm_dead_mm(test);
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), -EFAULT);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);
	alloc->devmem.mm = NULL;
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(&alloc->devmem), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 26), 0);
	gm_alloc_put(alloc);
}

static struct kunit_case drm_pagemap_evict_cases[] = {
	KUNIT_CASE(drm_pagemap_evict_all),
	KUNIT_CASE(drm_pagemap_evict_partly_freed),
	KUNIT_CASE(drm_pagemap_evict_copy_error),
	KUNIT_CASE(drm_pagemap_evict_populate_pfn_error),
	KUNIT_CASE(drm_pagemap_evict_released),
	KUNIT_CASE(drm_pagemap_evict_mm),
	{}
};

static struct kunit_suite drm_pagemap_evict_suite = {
	.name = "drm_pagemap_evict",
	.init = gm_require_devmem,
	.test_cases = drm_pagemap_evict_cases,
};

/* --- the lifetime of a pagemap -------------------------------------------- */

/* Wait for the DRM device's references to come back to @refs. */
static bool pm_wait_drm_refs(struct gm_dev *gdev, unsigned int refs)
{
	unsigned long timeout = jiffies + GM_DRAIN_TIMEOUT;

	while (kref_read(&gdev->drm->ref) != refs) {
		if (time_after(jiffies, timeout))
			return false;
		msleep(20);
	}
	return true;
}

static void drm_pagemap_lifetime_refcount(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_dev *gdev = a->gdev;
	unsigned int drm_refs = kref_read(&gdev->drm->ref);
	int destroys = atomic_read(&gdev->destroys);
	struct drm_pagemap *p;

	p = gm_pagemap_create(a);
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 1);
	KUNIT_EXPECT_PTR_EQ(test, p->drm, gdev->drm);
	KUNIT_EXPECT_PTR_EQ(test, p->pagemap, &a->pagemap);
	/* A live pagemap holds its DRM device. */
	KUNIT_EXPECT_EQ(test, kref_read(&gdev->drm->ref), drm_refs + 1);

	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_get(p), p);
	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_get_unless_zero(p), p);
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 3);
	drm_pagemap_put(p);
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys);
	/* The last put destroys it, once, and lets go of the device. */
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	KUNIT_EXPECT_TRUE(test, pm_wait_drm_refs(gdev, drm_refs));

	/* NULL is fine everywhere. */
	KUNIT_EXPECT_NULL(test, drm_pagemap_get(NULL));
	KUNIT_EXPECT_NULL(test, drm_pagemap_get_unless_zero(NULL));
	drm_pagemap_put(NULL);
}

/* A driver's pagemap with the struct drm_pagemap embedded. */
struct pm_embedded {
	struct drm_pagemap dpagemap;
	int *destroyed;
	bool *atomic;
};

static void pm_embedded_destroy(struct drm_pagemap *dpagemap,
				bool is_atomic_or_reclaim)
{
	struct pm_embedded *e = container_of(dpagemap, struct pm_embedded,
					     dpagemap);

	(*e->destroyed)++;
	*e->atomic = is_atomic_or_reclaim;
	kfree(e);
}

static void drm_pagemap_lifetime_init_embedded(struct kunit *test)
{
	static const struct drm_pagemap_ops ops = {
		.destroy = pm_embedded_destroy,
	};
	struct gm_mem *a = pm_create(test);
	unsigned int drm_refs = kref_read(&a->gdev->drm->ref);
	struct pm_embedded *e = kzalloc(sizeof(*e), GFP_KERNEL);
	bool atomic = false;
	int destroyed = 0;

	KUNIT_ASSERT_NOT_NULL(test, e);
	e->destroyed = &destroyed;
	e->atomic = &atomic;
	KUNIT_ASSERT_EQ(test, drm_pagemap_init(&e->dpagemap, &a->pagemap,
					       a->gdev->drm, &ops), 0);
	KUNIT_EXPECT_EQ(test, kref_read(&e->dpagemap.ref), 1);
	KUNIT_EXPECT_PTR_EQ(test, e->dpagemap.ops, &ops);
	KUNIT_EXPECT_NULL(test, e->dpagemap.cache);
	KUNIT_EXPECT_EQ(test, kref_read(&a->gdev->drm->ref), drm_refs + 1);
	drm_pagemap_put(&e->dpagemap);
	/* Destroyed by the driver's callback, told it may be atomic. */
	KUNIT_EXPECT_EQ(test, destroyed, 1);
	KUNIT_EXPECT_TRUE(test, atomic);
	KUNIT_EXPECT_TRUE(test, pm_wait_drm_refs(a->gdev, drm_refs));
}

static void drm_pagemap_lifetime_no_destroy_op(struct kunit *test)
{
	static const struct drm_pagemap_ops ops = {};
	struct gm_mem *a = pm_create(test);
	unsigned int drm_refs = kref_read(&a->gdev->drm->ref);
	struct drm_pagemap *p;

	/* Without a destroy callback, the last put kfree()s it. */
	p = drm_pagemap_create(a->gdev->drm, &a->pagemap, &ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, p);
	KUNIT_EXPECT_EQ(test, kref_read(&a->gdev->drm->ref), drm_refs + 1);
	drm_pagemap_put(p);
	KUNIT_EXPECT_TRUE(test, pm_wait_drm_refs(a->gdev, drm_refs));
}

static void drm_pagemap_lifetime_put_from_page_free(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_dev *gdev = a->gdev;
	int destroys = atomic_read(&gdev->destroys);
	int atomics = atomic_read(&gdev->destroys_atomic);
	struct gm_alloc *alloc;
	struct drm_pagemap *p;

	p = gm_pagemap_create(a);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 31);
	alloc = gm_alloc_create(a, SZ_64K);
	alloc->devmem.dpagemap = p;
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* The pages keep it: every reference but theirs can go. */
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 2);
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys);
	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_page_to_dpagemap(pfn_to_page(a->pfn_first +
									    alloc->idx[0])),
			    p);

	/* The last page freed drops the last reference. */
	gm_munmap(test, GM_BASE, SZ_64K);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys_atomic), atomics + 1);
	gm_alloc_put(alloc);
}

static void drm_pagemap_lifetime_holds_drm_after_unbind(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);
	struct gm_dev *gdev = a->gdev;
	struct gm_alloc *alloc;

	gm_cpu_fill(test, GM_BASE, SZ_64K, 32);
	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, NULL),
			0);
	/* The device goes, with the process's data in its memory. */
	gm_dev_unregister(gdev);
	drm_pagemap_put(a->dpagemap);
	a->dpagemap = NULL;
	/* The pages' pagemap still holds the DRM device... */
	msleep(50);
	KUNIT_EXPECT_FALSE(test, completion_done(&gdev->drm_released));
	/* ...and the data comes back when the CPU touches it. */
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 32), 0);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	/* With the last page gone, the device is released. */
	KUNIT_EXPECT_TRUE(test, gm_dev_wait_drm_released(gdev));
	gm_alloc_put(alloc);
}

static void drm_pagemap_lifetime_pagemap_ops(struct kunit *test)
{
	const struct dev_pagemap_ops *ops = drm_pagemap_pagemap_ops_get();
	struct gm_mem *a = pm_create(test);

	KUNIT_ASSERT_NOT_NULL(test, ops);
	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_pagemap_ops_get(), ops);
	KUNIT_EXPECT_NOT_NULL(test, ops->page_free);
	KUNIT_EXPECT_NOT_NULL(test, ops->migrate_to_ram);
	KUNIT_EXPECT_PTR_EQ(test, a->pagemap.ops, ops);
}

static struct kunit_case drm_pagemap_lifetime_cases[] = {
	KUNIT_CASE(drm_pagemap_lifetime_refcount),
	KUNIT_CASE(drm_pagemap_lifetime_init_embedded),
	KUNIT_CASE(drm_pagemap_lifetime_no_destroy_op),
	KUNIT_CASE(drm_pagemap_lifetime_put_from_page_free),
	KUNIT_CASE(drm_pagemap_lifetime_holds_drm_after_unbind),
	KUNIT_CASE(drm_pagemap_lifetime_pagemap_ops),
	{}
};

static struct kunit_suite drm_pagemap_lifetime_suite = {
	.name = "drm_pagemap_lifetime",
	.init = gm_require_devmem,
	.test_cases = drm_pagemap_lifetime_cases,
};

/* --- populate_mm ------------------------------------------------------------ */

static void drm_pagemap_populate_mm_migrates(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 41);
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      current->mm, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->populate_calls), 1);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 41), 0);
	pm_expect_idle(test, a);
}

static void drm_pagemap_populate_mm_timeslice(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 42);
	/* The timeslice reaches the migration. */
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      current->mm, 10000), 0);
	KUNIT_EXPECT_EQ(test, gm_cpu_fault(test, GM_BASE, false), 0);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->copies_to_ram), 0);
	/* Unmapping does not wait for it. */
	gm_munmap(test, GM_BASE, SZ_64K);
	pm_expect_idle(test, a);
}

static void drm_pagemap_populate_mm_gone(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      gm_dead_mm(test), 0),
			-EFAULT);
	/* The provider was not even asked. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->populate_calls), 0);
}

static void drm_pagemap_populate_mm_unplugged(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 43);
	drm_dev_unplug(a->gdev->drm);
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      current->mm, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->populate_calls), 1);
	KUNIT_EXPECT_EQ(test, pm_system(GM_BASE, SZ_64K), NPAGES);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->allocs), 0);
}

static void drm_pagemap_populate_mm_provider_error(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	gm_mmap(test, GM_BASE + SZ_4M, SZ_4M, RW);
	/* More than the provider has. */
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE + SZ_4M,
						      GM_BASE + SZ_8M,
						      current->mm, 0), -ENOSPC);
	a->fail_populate_mm = -EIO;
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      current->mm, 0), -EIO);
	/* The migration's own errors come through too. */
	a->fail_populate_mm = 0;
	a->fail_copy_to_devmem = -EAGAIN;
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(a->dpagemap, GM_BASE,
						      GM_BASE + SZ_64K,
						      current->mm, 0), -EAGAIN);
	KUNIT_EXPECT_EQ(test, pm_on(a, GM_BASE, SZ_1M), 0);
	pm_expect_idle(test, a);
}

static struct kunit_case drm_pagemap_populate_cases[] = {
	KUNIT_CASE(drm_pagemap_populate_mm_migrates),
	KUNIT_CASE(drm_pagemap_populate_mm_timeslice),
	KUNIT_CASE(drm_pagemap_populate_mm_gone),
	KUNIT_CASE(drm_pagemap_populate_mm_unplugged),
	KUNIT_CASE(drm_pagemap_populate_mm_provider_error),
	{}
};

static struct kunit_suite drm_pagemap_populate_suite = {
	.name = "drm_pagemap_populate",
	.init = gm_require_devmem,
	.test_cases = drm_pagemap_populate_cases,
};

/* --- the pagemap cache and its shrinker ------------------------------------- */

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)

/* A device with a cache and memory; no pagemap in the cache yet. */
static struct gm_mem *cache_create(struct kunit *test)
{
	struct gm_mem *a = pm_create(test);

	KUNIT_ASSERT_EQ(test, gm_dev_cache(a->gdev), 0);
	return a;
}

static struct drm_pagemap *cache_lookup(struct gm_mem *a)
{
	struct drm_pagemap *p = gm_pagemap_lookup(a->gdev, a);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(kunit_get_current_test(), p);
	return p;
}

static void drm_pagemap_cache_empty(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct drm_pagemap_cache *cache = a->gdev->cache;

	KUNIT_EXPECT_NULL(test, drm_pagemap_get_from_cache_if_active(cache));
	KUNIT_ASSERT_EQ(test, drm_pagemap_cache_lock_lookup(cache), 0);
	KUNIT_EXPECT_NULL(test, drm_pagemap_get_from_cache(cache));
	drm_pagemap_cache_unlock_lookup(cache);
}

static void drm_pagemap_cache_live_hit(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct drm_pagemap *p = cache_lookup(a);

	KUNIT_EXPECT_PTR_EQ(test, p->cache, a->gdev->cache);
	/* A live pagemap is found, referenced, both ways. */
	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_get_from_cache_if_active(a->gdev->cache),
			    p);
	KUNIT_EXPECT_PTR_EQ(test, cache_lookup(a), p);
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->gdev->pagemaps), 2);
	drm_pagemap_put(p);
	drm_pagemap_put(p);
	drm_pagemap_put(p);
}

static void drm_pagemap_cache_keeps_released(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct gm_dev *gdev = a->gdev;
	unsigned int drm_refs = kref_read(&gdev->drm->ref);
	int destroys = atomic_read(&gdev->destroys);
	struct drm_pagemap *p = cache_lookup(a);

	KUNIT_EXPECT_EQ(test, kref_read(&gdev->drm->ref), drm_refs + 1);
	/* Its last user gone, it waits in the cache, not holding the device. */
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys);
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 0);
	KUNIT_EXPECT_TRUE(test, pm_wait_drm_refs(gdev, drm_refs));
	KUNIT_EXPECT_NULL(test, drm_pagemap_get_from_cache_if_active(gdev->cache));

	/* The next lookup makes the same pagemap live again. */
	KUNIT_EXPECT_PTR_EQ(test, cache_lookup(a), p);
	KUNIT_EXPECT_EQ(test, kref_read(&p->ref), 1);
	KUNIT_EXPECT_EQ(test, kref_read(&gdev->drm->ref), drm_refs + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->pagemaps), 2);
	drm_pagemap_put(p);
}

static void drm_pagemap_cache_shrinker(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct gm_dev *gdev = a->gdev;
	int destroys = atomic_read(&gdev->destroys);
	struct drm_pagemap *p = cache_lookup(a);

	drm_pagemap_put(p);
	/* Memory pressure destroys an unused cached pagemap... */
	drop_slab();
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	/* ...and the next lookup makes a new one. */
	p = cache_lookup(a);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->pagemaps), 3);
	/* A live one is left alone. */
	drop_slab();
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	KUNIT_EXPECT_PTR_EQ(test, drm_pagemap_get_from_cache_if_active(gdev->cache),
			    p);
	drm_pagemap_put(p);
	drm_pagemap_put(p);
}

static void drm_pagemap_cache_fini_destroys(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct gm_dev *gdev = a->gdev;
	int destroys = atomic_read(&gdev->destroys);
	int atomics = atomic_read(&gdev->destroys_atomic);

	drm_pagemap_put(cache_lookup(a));
	/* The device goes: its cached pagemap with it, in process context. */
	gm_dev_unregister(gdev);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys_atomic), atomics);
}

static void drm_pagemap_cache_unplug_then_put(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct gm_dev *gdev = a->gdev;
	int destroys = atomic_read(&gdev->destroys);
	struct drm_pagemap *p = cache_lookup(a);

	/* Unplugged: the last put destroys instead of caching. */
	drm_dev_unplug(gdev->drm);
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
	/* The cache does not hand out the destroyed pagemap... */
	KUNIT_EXPECT_NULL(test, drm_pagemap_get_from_cache_if_active(gdev->cache));
	KUNIT_ASSERT_EQ(test, drm_pagemap_cache_lock_lookup(gdev->cache), 0);
	KUNIT_EXPECT_NULL(test, drm_pagemap_get_from_cache(gdev->cache));
	drm_pagemap_cache_unlock_lookup(gdev->cache);
	/* ...nor touch it when it goes. */
	gm_dev_unregister(gdev);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
}

static void drm_pagemap_cache_unbind_then_put(struct kunit *test)
{
	struct gm_mem *a = cache_create(test);
	struct gm_dev *gdev = a->gdev;
	int destroys = atomic_read(&gdev->destroys);
	struct drm_pagemap *p = cache_lookup(a);

	/* The device goes while the pagemap is in use: it stays. */
	gm_dev_unregister(gdev);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys);
	KUNIT_EXPECT_FALSE(test, completion_done(&gdev->drm_released));
	/* Its last put destroys it, cache or no cache. */
	drm_pagemap_put(p);
	KUNIT_EXPECT_EQ(test, atomic_read(&gdev->destroys), destroys + 1);
}

static struct kunit_case drm_pagemap_cache_cases[] = {
	KUNIT_CASE(drm_pagemap_cache_empty),
	KUNIT_CASE(drm_pagemap_cache_live_hit),
	KUNIT_CASE(drm_pagemap_cache_keeps_released),
	KUNIT_CASE(drm_pagemap_cache_shrinker),
	KUNIT_CASE(drm_pagemap_cache_fini_destroys),
	KUNIT_CASE(drm_pagemap_cache_unplug_then_put),
	KUNIT_CASE(drm_pagemap_cache_unbind_then_put),
	{}
};

#else

/*
 * Without CONFIG_DEVICE_PRIVATE there is no pagemap to cache: the header's
 * stubs say so.
 */
static void drm_pagemap_nodev_stubs(struct kunit *test)
{
	struct gm_dev *gdev = gm_dev_create(gm_init(test));
	struct drm_pagemap dpagemap;

	KUNIT_EXPECT_EQ(test, PTR_ERR(drm_pagemap_shrinker_create_devm(gdev->drm)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(drm_pagemap_cache_create_devm(NULL)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, PTR_ERR(drm_pagemap_create(gdev->drm, NULL,
							 &gm_pagemap_ops)),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, drm_pagemap_init(&dpagemap, NULL, gdev->drm,
					       &gm_pagemap_ops), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, drm_pagemap_populate_mm(NULL, 0, PAGE_SIZE,
						      current->mm, 0),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, drm_pagemap_migrate_to_devmem(NULL, current->mm, 0,
							    PAGE_SIZE, NULL),
			-EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, drm_pagemap_evict_to_ram(NULL), -EOPNOTSUPP);
	KUNIT_EXPECT_NULL(test, drm_pagemap_pagemap_ops_get());
	KUNIT_EXPECT_NULL(test, drm_pagemap_page_to_dpagemap(NULL));
	drm_pagemap_put(NULL);
}

static struct kunit_case drm_pagemap_cache_cases[] = {
	KUNIT_CASE(drm_pagemap_nodev_stubs),
	{}
};

#endif /* IS_ENABLED(CONFIG_DEVICE_PRIVATE) */

static struct kunit_suite drm_pagemap_cache_suite = {
	.name = "drm_pagemap_cache",
	.test_cases = drm_pagemap_cache_cases,
};

/* --- owners ------------------------------------------------------------------- */

/* Which of four peers share an interconnect (symmetric). */
static const bool owner_links[4][4] = {
	{ 1, 1, 1, 1 },
	{ 1, 1, 0, 1 },
	{ 1, 0, 1, 1 },
	{ 1, 1, 1, 1 },
};

static bool owner_has_interconnect(struct drm_pagemap_peer *peer1,
				   struct drm_pagemap_peer *peer2)
{
	return owner_links[(uintptr_t)peer1->private][(uintptr_t)peer2->private];
}

static DRM_PAGEMAP_OWNER_LIST_DEFINE(owner_test_list);

static void owner_join(struct kunit *test, struct drm_pagemap_peer *peer,
		       uintptr_t id)
{
	memset(peer, 0, sizeof(*peer));
	peer->private = (void *)id;
	KUNIT_ASSERT_EQ(test, drm_pagemap_acquire_owner(peer, &owner_test_list,
							owner_has_interconnect),
			0);
	KUNIT_EXPECT_NOT_NULL(test, peer->owner);
	KUNIT_EXPECT_PTR_EQ(test, peer->list, &owner_test_list);
}

static void drm_pagemap_owner_groups(struct kunit *test)
{
	struct drm_pagemap_peer p[4];

	/* 0 and 1 share an interconnect; 2 has none with 1: a group of its own. */
	owner_join(test, &p[0], 0);
	owner_join(test, &p[1], 1);
	owner_join(test, &p[2], 2);
	KUNIT_EXPECT_PTR_EQ(test, p[1].owner, p[0].owner);
	KUNIT_EXPECT_PTR_NE(test, p[2].owner, p[0].owner);
	/* 3 reaches everybody: it joins the first group. */
	owner_join(test, &p[3], 3);
	KUNIT_EXPECT_PTR_EQ(test, p[3].owner, p[0].owner);
	drm_pagemap_release_owner(&p[3]);
	drm_pagemap_release_owner(&p[2]);
	drm_pagemap_release_owner(&p[1]);
	drm_pagemap_release_owner(&p[0]);
	KUNIT_EXPECT_TRUE(test, list_empty(&owner_test_list.peers));
}

static void drm_pagemap_owner_needs_every_member(struct kunit *test)
{
	struct drm_pagemap_peer p[3];

	/* 1 and 2 each reach 0, not each other. */
	owner_join(test, &p[0], 1);
	owner_join(test, &p[1], 0);
	KUNIT_EXPECT_PTR_EQ(test, p[1].owner, p[0].owner);
	owner_join(test, &p[2], 2);
	KUNIT_EXPECT_PTR_NE(test, p[2].owner, p[0].owner);
	drm_pagemap_release_owner(&p[0]);
	drm_pagemap_release_owner(&p[1]);
	drm_pagemap_release_owner(&p[2]);
	KUNIT_EXPECT_TRUE(test, list_empty(&owner_test_list.peers));
}

static void drm_pagemap_owner_release(struct kunit *test)
{
	struct drm_pagemap_peer p[3], never = {};

	owner_join(test, &p[0], 0);
	owner_join(test, &p[1], 1);
	/* The group outlives a member: a newcomer still finds it. */
	drm_pagemap_release_owner(&p[0]);
	KUNIT_EXPECT_NULL(test, p[0].owner);
	owner_join(test, &p[2], 3);
	KUNIT_EXPECT_PTR_EQ(test, p[2].owner, p[1].owner);
	drm_pagemap_release_owner(&p[1]);
	drm_pagemap_release_owner(&p[2]);
	KUNIT_EXPECT_TRUE(test, list_empty(&owner_test_list.peers));
	/* A peer that never joined leaves nothing. */
	drm_pagemap_release_owner(&never);
}

static struct kunit_case drm_pagemap_owner_cases[] = {
	KUNIT_CASE(drm_pagemap_owner_groups),
	KUNIT_CASE(drm_pagemap_owner_needs_every_member),
	KUNIT_CASE(drm_pagemap_owner_release),
	{}
};

static struct kunit_suite drm_pagemap_owner_suite = {
	.name = "drm_pagemap_owner",
	.test_cases = drm_pagemap_owner_cases,
};

kunit_test_suites(&drm_pagemap_migrate_suite, &drm_pagemap_evict_suite,
		  &drm_pagemap_lifetime_suite, &drm_pagemap_populate_suite,
		  &drm_pagemap_cache_suite, &drm_pagemap_owner_suite);
