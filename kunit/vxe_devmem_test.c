// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests of device memory: drm_gpusvm's migration to and from VRAM
 * (migrate_to_devmem, migrate_to_ram, evict_to_ram), the two core-mm
 * patches under it, and vxe's TTM-managed VRAM.  Every test compares every
 * byte it moved with a pattern computed from the address.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/device.h>
#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/dma-direct.h>
#include <linux/kthread.h>
#include <linux/migrate.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagewalk.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <linux/swap.h>
#include <linux/swapops.h>
#include <linux/uaccess.h>
#include <drm/drm_gem.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>
#include <drm/ttm/ttm_tt.h>

#include "gpusvm_kunit.h"
#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_gt_stats.h"
#include "vxe_mi.h"
#include "vxe_ttm_vram_mgr.h"
#include "vxe_vm.h"
#include "vxe_vram.h"

#define RW		(PROT_READ | PROT_WRITE)
#define DM_VRAM		SZ_16M
/* How long a CPU fault on VRAM may take, even under TCG with KASAN */
#define DM_FAULT_TIMEOUT	(60 * HZ)

static struct gpusvm_kunit *dm_create(struct kunit *test, u64 vram)
{
	return gk_create_vram(test, NULL, vram);
}

/* Are the pages of the range at @addr valid and (some of them) in VRAM? */
static bool dm_in_vram(struct gpusvm_kunit *gk, unsigned long addr)
{
	struct drm_gpusvm_range *r = gk_find_range(gk, addr);
	bool in;

	if (!r)
		return false;
	drm_gpusvm_notifier_lock(&gk->vm->svm.gpusvm);
	in = drm_gpusvm_pages_valid(&gk->vm->svm.gpusvm,
				    &to_vxe_svm_range(r)->pages) &&
	     to_vxe_svm_range(r)->pages.flags.has_devmem_pages;
	drm_gpusvm_notifier_unlock(&gk->vm->svm.gpusvm);
	return in;
}

/* VRAM in use, once the released SVM allocations have dropped their BOs */
static u64 dm_vram_used(struct gpusvm_kunit *gk)
{
	flush_work(&gk->vxe->bo_put_work);
	return gk->vxe->vram->size - vxe_ttm_vram_mgr_free(gk->vxe);
}

static void dm_expect_gpu(struct gpusvm_kunit *gk, unsigned long addr,
			  unsigned long len, u32 seed)
{
	unsigned long bad;

	KUNIT_EXPECT_EQ(gk->test, gk_gpu_check(gk, addr, len, seed, &bad), 0);
	KUNIT_EXPECT_EQ(gk->test, bad, 0);
}

/* CPU-fill, then have the GPU read it all: the first fault migrates. */
static void dm_fill_migrate(struct gpusvm_kunit *gk, unsigned long addr,
			    unsigned long len, u32 seed)
{
	gk_cpu_fill(gk, addr, len, seed);
	dm_expect_gpu(gk, addr, len, seed);
	KUNIT_EXPECT_TRUE(gk->test, dm_in_vram(gk, addr));
}

static int dm_evict_all(struct gpusvm_kunit *gk)
{
	return ttm_resource_manager_evict_all(&gk->vxe->ttm,
					      &gk->vxe->vram_mgr.manager);
}

/* A GPU fault migrates the range to VRAM; the GPU reads the same data. */
static void devmem_migrate_on_first_fault(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 512);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
}

/* The CPU reads migrated memory back: same bytes, VRAM freed. */
static void devmem_cpu_reads_back(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 2);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 2), 0);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

/* What the GPU writes into VRAM is what the CPU reads afterwards. */
static void devmem_gpu_writes_in_vram(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 3);
	KUNIT_EXPECT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_2M, 4), 0);
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 4), 0);
}

/* Pages the CPU never touched migrate as zeroes. */
static void devmem_untouched_pages_are_zero(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	unsigned long off;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	for (off = 0; off < SZ_64K; off += PAGE_SIZE) {
		memset(buf, 0xa5, PAGE_SIZE);
		KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + off, buf,
						     PAGE_SIZE, false), 0);
		KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, PAGE_SIZE));
	}
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 16);
}

/*
 * Migrating a range the GPU does not map yet issues no invalidation to
 * the driver (its own MMU_NOTIFY_MIGRATE): no zap, no TLB flush.
 */
static void devmem_own_migration_not_invalidated(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	int inv;

	/* 64K: no transparent huge page, whose split would invalidate. */
	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 5);
	inv = atomic_read(&gk->vm->stats.invalidations);
	dm_expect_gpu(gk, GK_BASE, SZ_64K, 5);
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.invalidations), inv);
}

/* Migrating a range the GPU maps from system memory does invalidate it. */
static void devmem_migration_of_mapped_range_invalidates(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct vxe_vma *vma;
	int inv;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 6);
	vma = gk_mirror(gk, GK_BASE);
	mutex_lock(&gk->vm->lock);
	vma->attr.devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM;
	mutex_unlock(&gk->vm->lock);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 6);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));

	inv = atomic_read(&gk->vm->stats.invalidations);
	mutex_lock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, vxe_svm_prefetch(gk->vm, vma, GK_BASE,
					       GK_BASE + SZ_2M,
					       VXE_MEM_REGION_VRAM), 0);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_GT(test, atomic_read(&gk->vm->stats.invalidations), inv);
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 6);
}

/* A CPU fault on one page brings its whole allocation back. */
static void devmem_cpu_fault_migrates_allocation(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 7);
	KUNIT_ASSERT_EQ(test, get_user(word, (u32 __user *)(GK_BASE + SZ_1M)), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE + SZ_1M, 7));
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 7), 0);
}

/* One CPU thread reading a word of the test's mm. */
struct dm_reader {
	struct kunit *test;
	struct mm_struct *mm;
	unsigned long addr;
	u32 val;
	int err;
	struct completion done;
};

static int dm_reader_fn(void *arg)
{
	struct dm_reader *r = arg;

	/* The test's static stubs apply to this thread too. */
	current->kunit_test = r->test;
	kthread_use_mm(r->mm);
	r->err = get_user(r->val, (u32 __user *)r->addr);
	kthread_unuse_mm(r->mm);
	complete(&r->done);
	return 0;
}

#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
/* A CPU fault that takes its time between the fault and the collection. */
static int dm_slow_migrate_vma_setup(struct migrate_vma *migrate)
{
	msleep(20);
	return migrate_vma_setup(migrate);
}
#endif

/*
 * @n threads fault at once on VRAM pages (all on one page, or each on its
 * own): every one gets the right data in bounded time.  With @slow, each
 * fault waits 20 ms before it collects the pages to migrate: without the
 * do_swap_page() patch, every faulting thread holds a reference on the
 * page meanwhile, each migration sees the others' references and gives
 * up, and the threads livelock.
 */
static void dm_many_readers(struct kunit *test, int n, bool same_page,
			    bool slow)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct dm_reader *r;
	int i;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 8);
#if IS_ENABLED(CONFIG_DEVICE_PRIVATE)
	if (slow)
		kunit_activate_static_stub(test, drm_pagemap_migrate_vma_setup,
					   dm_slow_migrate_vma_setup);
#endif

	/* Not test-managed: a thread that hangs must not touch freed memory. */
	r = kcalloc(n, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r);
	for (i = 0; i < n; i++) {
		struct task_struct *t;

		r[i].test = test;
		r[i].mm = current->mm;
		mmgrab(r[i].mm);
		r[i].addr = GK_BASE + (same_page ? 64 : i * 17 * PAGE_SIZE + 64);
		init_completion(&r[i].done);
		t = kthread_run(dm_reader_fn, &r[i], "dm-reader/%d", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	}
	for (i = 0; i < n; i++) {
		if (!wait_for_completion_timeout(&r[i].done, DM_FAULT_TIMEOUT)) {
			KUNIT_FAIL(test, "reader %d still faulting after %d s: livelock",
				   i, DM_FAULT_TIMEOUT / HZ);
			return;
		}
		KUNIT_EXPECT_EQ(test, r[i].err, 0);
		KUNIT_EXPECT_EQ(test, r[i].val, gk_pattern(r[i].addr, 8));
		mmdrop(r[i].mm);
	}
	kfree(r);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 8), 0);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

static void devmem_many_threads_one_page(struct kunit *test)
{
	dm_many_readers(test, 16, true, false);
}

static void devmem_many_threads_one_page_slow(struct kunit *test)
{
	dm_many_readers(test, 8, true, true);
}

static void devmem_many_threads_many_pages(struct kunit *test)
{
	dm_many_readers(test, 16, false, false);
}

/*
 * Pinned pages cannot migrate, and migration is all or nothing: the range
 * stays in system memory (none of its pages move, the allocation is
 * released), and the GPU uses it there with the data intact.
 */
static void devmem_pinned_page_migrates_nothing(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct page *pinned[4];

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 9);
	KUNIT_ASSERT_EQ(test, pin_user_pages_fast(GK_BASE + SZ_16K, 4, FOLL_WRITE,
						  pinned), 4);
	dm_expect_gpu(gk, GK_BASE, SZ_64K, 9);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 0);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_64K, 10), 0);
	unpin_user_pages(pinned, 4);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 10), 0);
}

/* A BO of @size in VRAM, for pressure; NULL when VRAM is full. */
static struct vxe_bo *dm_vram_bo(struct gpusvm_kunit *gk, u64 size)
{
	struct vxe_bo *bo;
	int err;

	bo = vxe_bo_create(gk->vxe, NULL, size, DRM_XE_GEM_CPU_CACHING_WC, 0,
			   BIT(VXE_MEM_REGION_VRAM));
	KUNIT_ASSERT_FALSE(gk->test, IS_ERR(bo));
	dma_resv_lock(bo->ttm.base.resv, NULL);
	err = vxe_bo_validate(bo);
	dma_resv_unlock(bo->ttm.base.resv);
	if (err) {
		drm_gem_object_put(&bo->ttm.base);
		return NULL;
	}
	return bo;
}

/* The page holding page @i of a BO, wherever the BO is. */
static struct page *dm_bo_page(struct gpusvm_kunit *gk, struct vxe_bo *bo,
			       unsigned long i)
{
	u64 off;

	if (bo->ttm.resource->mem_type == TTM_PL_VRAM) {
		KUNIT_ASSERT_EQ(gk->test, vxe_vram_resource_offset(bo->ttm.resource,
								   i, &off), 0);
		return vxe_vram_backing(gk->vxe->vram, off);
	}
	KUNIT_ASSERT_TRUE(gk->test, bo->ttm.ttm && ttm_tt_is_populated(bo->ttm.ttm));
	return bo->ttm.ttm->pages[i];
}

/* Write (or count the words that differ from) a BO's pattern. */
static unsigned long dm_bo_pattern(struct gpusvm_kunit *gk, struct vxe_bo *bo,
				   u32 seed, bool write)
{
	unsigned long i, j, bad = 0;

	dma_resv_lock(bo->ttm.base.resv, NULL);
	for (i = 0; i < PFN_UP(bo->ttm.base.size); i++) {
		u32 *p = kmap_local_page(dm_bo_page(gk, bo, i));

		for (j = 0; j < PAGE_SIZE / 4; j++) {
			u32 v = gk_pattern(i * PAGE_SIZE + j * 4, seed);

			if (write)
				p[j] = v;
			else
				bad += p[j] != v;
		}
		kunmap_local(p);
	}
	dma_resv_unlock(bo->ttm.base.resv);
	return bad;
}

/*
 * VRAM fragmented by small BOs: a 64K range gets non-contiguous pages,
 * and eviction brings all of them back.
 */
static void devmem_evict_noncontiguous(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, SZ_1M);
	const unsigned long nbos = SZ_1M / SZ_4K;
	struct vxe_bo **bos = kunit_kcalloc(test, nbos, sizeof(*bos), GFP_KERNEL);
	struct drm_gpusvm_range *r;
	unsigned long i, gaps = 0;

	KUNIT_ASSERT_NOT_NULL(test, bos);
	for (i = 0; i < nbos; i++) {
		bos[i] = dm_vram_bo(gk, SZ_4K);
		KUNIT_ASSERT_NOT_NULL(test, bos[i]);
	}
	for (i = 0; i < nbos; i += 2)
		drm_gem_object_put(&bos[i]->ttm.base);

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_64K, 11);
	r = gk_find_range(gk, GK_BASE);
	KUNIT_ASSERT_NOT_NULL(test, r);
	drm_gpusvm_notifier_lock(&gk->vm->svm.gpusvm);
	for (i = 1; i < 16; i++) {
		struct drm_pagemap_addr *a = to_vxe_svm_range(r)->pages.dma_addr;

		gaps += a[i].addr != a[i - 1].addr + PAGE_SIZE;
	}
	drm_gpusvm_notifier_unlock(&gk->vm->svm.gpusvm);
	KUNIT_EXPECT_GT(test, gaps, 0);

	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 11), 0);
	for (i = 1; i < nbos; i += 2)
		drm_gem_object_put(&bos[i]->ttm.base);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

/* Evicted while the GPU maps it: the GPU faults again and reads right. */
static void devmem_evict_while_gpu_bound(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	int inv;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 12);
	inv = atomic_read(&gk->vm->stats.invalidations);
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_GT(test, atomic_read(&gk->vm->stats.invalidations), inv);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 12);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 12), 0);
}

/* Eviction of an allocation whose pages are partly freed already. */
static void devmem_evict_partly_freed(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 13);
	gk_munmap(gk, GK_BASE, SZ_1M);
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE + SZ_1M, SZ_1M, 13), 0);
}

/* munmap frees the device pages; the last one releases the allocation. */
static void devmem_release_on_munmap(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	unsigned long off;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 14);
	for (off = 0; off < SZ_2M; off += SZ_512K) {
		KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
		gk_munmap(gk, GK_BASE + off, SZ_512K);
	}
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	gk_flush_gc(gk);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 0);
}

static int dm_device_pte(pte_t *ptep, unsigned long addr, unsigned long next,
			 struct mm_walk *walk)
{
	pte_t pte = ptep_get(ptep);
	struct page **page = walk->private;
	swp_entry_t entry;

	if (pte_present(pte) || pte_none(pte))
		return 0;
	entry = pte_to_swp_entry(pte);
	if (is_device_private_entry(entry)) {
		*page = pfn_swap_entry_to_page(entry);
		get_page(*page);
	}
	return 0;
}

/* The device private page mapped at @addr, referenced, or NULL. */
static struct page *dm_device_page(struct gpusvm_kunit *gk, unsigned long addr)
{
	static const struct mm_walk_ops ops = {
		.pte_entry = dm_device_pte,
		.walk_lock = PGWALK_RDLOCK,
	};
	struct page *page = NULL;

	mmap_read_lock(current->mm);
	walk_page_range(current->mm, addr, addr + PAGE_SIZE, &ops, &page);
	mmap_read_unlock(current->mm);
	return page;
}

/*
 * A device page still referenced (pinned by someone) after the process
 * unmapped it: its anon_vma is gone, and eviction must not walk it.  Core
 * mm's migrate_device_pfns() used to collect such a page and
 * remove_migration_ptes() read the freed anon_vma (KASAN use-after-free);
 * now it leaves the page out, and eviction reports the allocation busy
 * until the reference goes.
 */
static void devmem_evict_page_held_after_munmap(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct page *page;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 16);
	page = dm_device_page(gk, GK_BASE + SZ_4K);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_TRUE(test, is_device_private_page(page));
	gk_munmap(gk, GK_BASE, SZ_2M);
	/* anon_vmas are freed after a grace period (SLAB_TYPESAFE_BY_RCU) */
	rcu_barrier();
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), -EBUSY);
	put_page(page);
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

/* A failed copy to VRAM migrates nothing: the GPU uses system memory. */
static void devmem_copy_to_vram_fails(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 15);
	vxe_inject_arm(&gk->vxe->inj, VXE_INJECT_COPY, 0, 1, -EIO);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 15);
	KUNIT_EXPECT_EQ(test, vxe_inject_hits(&gk->vxe->inj, VXE_INJECT_COPY), 1);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 15), 0);
}

/* A failed copy back on a CPU fault fails the access; data stays in VRAM. */
static void devmem_copy_to_ram_fails(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 16);
	vxe_inject_arm(&gk->vxe->inj, VXE_INJECT_COPY, 0, 1, -EIO);
	KUNIT_EXPECT_NE(test,
			copy_from_user(&word, (void __user *)GK_BASE, sizeof(word)),
			0);
	vxe_inject_disarm(&gk->vxe->inj, VXE_INJECT_COPY);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 16);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 16), 0);
}

/* A failed copy during eviction fails it; nothing is lost. */
static void devmem_evict_copy_fails(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 17);
	vxe_inject_arm(&gk->vxe->inj, VXE_INJECT_COPY, 0, 1, -EIO);
	KUNIT_EXPECT_NE(test, dm_evict_all(gk), 0);
	vxe_inject_disarm(&gk->vxe->inj, VXE_INJECT_COPY);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 17);
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 17), 0);
}

/* No VRAM to be had: the range stays in system memory, no error. */
static void devmem_vram_alloc_fails(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 18);
	vxe_inject_arm(&gk->vxe->inj, VXE_INJECT_VRAM_ALLOC, 0, 1, -ENOSPC);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 18);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.fault_errors), 0);
}

/* VRAM full of BOs: an SVM fault evicts one through TTM, losing nothing. */
static void devmem_bos_evicted_for_svm(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, SZ_4M);
	struct vxe_bo *a = dm_vram_bo(gk, SZ_2M), *b = dm_vram_bo(gk, SZ_2M);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	dm_bo_pattern(gk, a, 19, true);
	dm_bo_pattern(gk, b, 20, true);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 21);
	KUNIT_EXPECT_NE(test, a->ttm.resource->mem_type == TTM_PL_VRAM,
			b->ttm.resource->mem_type == TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, dm_bo_pattern(gk, a, 19, false), 0);
	KUNIT_EXPECT_EQ(test, dm_bo_pattern(gk, b, 20, false), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 21), 0);
	drm_gem_object_put(&a->ttm.base);
	drm_gem_object_put(&b->ttm.base);
}

/* VRAM full of SVM ranges: a BO evicts one, which goes back to the CPU. */
static void devmem_svm_evicted_for_bo(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, SZ_4M);
	struct vxe_bo *bo;

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 22);
	dm_fill_migrate(gk, GK_BASE + SZ_2M, SZ_2M, 23);
	bo = dm_vram_bo(gk, SZ_2M);
	KUNIT_ASSERT_NOT_NULL(test, bo);
	KUNIT_EXPECT_NE(test, dm_in_vram(gk, GK_BASE),
			dm_in_vram(gk, GK_BASE + SZ_2M));
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 22), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE + SZ_2M, SZ_2M, 23), 0);
	drm_gem_object_put(&bo->ttm.base);
}

/*
 * A BO larger than all of VRAM cannot be placed there: -ENOMEM at creation;
 * with DEFER_BACKING, at its first validation.
 */
static void devmem_bo_larger_than_vram(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, SZ_1M);
	struct vxe_bo *bo;

	bo = vxe_bo_create(gk->vxe, NULL, SZ_2M, DRM_XE_GEM_CPU_CACHING_WC, 0,
			   BIT(VXE_MEM_REGION_VRAM));
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(bo), -ENOMEM);

	bo = vxe_bo_create(gk->vxe, NULL, SZ_2M, DRM_XE_GEM_CPU_CACHING_WC,
			   DRM_XE_GEM_CREATE_FLAG_DEFER_BACKING,
			   BIT(VXE_MEM_REGION_VRAM));
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	dma_resv_lock(bo->ttm.base.resv, NULL);
	KUNIT_EXPECT_EQ(test, vxe_bo_validate(bo), -ENOMEM);
	dma_resv_unlock(bo->ttm.base.resv);
	drm_gem_object_put(&bo->ttm.base);
}

/* A BO moves VRAM -> TT -> VRAM with its data. */
static void devmem_bo_round_trip(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct vxe_bo *bo = dm_vram_bo(gk, SZ_64K);

	KUNIT_ASSERT_NOT_NULL(test, bo);
	dm_bo_pattern(gk, bo, 24, true);
	KUNIT_EXPECT_EQ(test, dm_evict_all(gk), 0);
	KUNIT_EXPECT_EQ(test, bo->ttm.resource->mem_type, TTM_PL_TT);
	KUNIT_EXPECT_EQ(test, dm_bo_pattern(gk, bo, 24, false), 0);
	dma_resv_lock(bo->ttm.base.resv, NULL);
	KUNIT_EXPECT_EQ(test, vxe_bo_validate(bo), 0);
	dma_resv_unlock(bo->ttm.base.resv);
	KUNIT_EXPECT_EQ(test, bo->ttm.resource->mem_type, TTM_PL_VRAM);
	KUNIT_EXPECT_EQ(test, dm_bo_pattern(gk, bo, 24, false), 0);
	drm_gem_object_put(&bo->ttm.base);
}

/* By default a range goes to VRAM once; back from the CPU, it stays. */
static void devmem_default_migrates_once(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 25);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 25), 0);
	KUNIT_EXPECT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_2M, 26), 0);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 512);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 26), 0);
}

static void dm_restore_always(void *unused)
{
	vxe_svm_always_migrate_to_vram = false;
}

/* always_migrate_to_vram: GPU, CPU, GPU, ... each GPU round in VRAM. */
static void devmem_always_migrate_ping_pong(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 round;

	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, dm_restore_always, NULL), 0);
	vxe_svm_always_migrate_to_vram = true;
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 27);
	for (round = 0; round < 4; round++) {
		dm_expect_gpu(gk, GK_BASE, SZ_2M, 27 + round);
		KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
		KUNIT_EXPECT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_2M, 28 + round), 0);
		KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 28 + round), 0);
		KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 4 * 512);
}

/* PREFETCH to system memory takes a range out of VRAM. */
static void devmem_prefetch_to_system(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 33);
	mutex_lock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, vxe_svm_prefetch(gk->vm, gk_mirror(gk, GK_BASE),
					       GK_BASE, GK_BASE + SZ_2M,
					       VXE_MEM_REGION_SYS), 0);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 33);
}

/* A mirror preferring system memory never migrates on GPU faults. */
static void devmem_preferred_system_stays(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 34);
	mutex_lock(&gk->vm->lock);
	gk_mirror(gk, GK_BASE)->attr.devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM;
	mutex_unlock(&gk->vm->lock);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 34);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

/* Shared memory is not anonymous: it may not migrate, and does not. */
static void devmem_shared_memory_stays(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	KUNIT_ASSERT_EQ(test, kunit_vm_mmap(test, NULL, GK_BASE, SZ_2M, RW,
					    MAP_SHARED | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE, 0), GK_BASE);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 35);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 35);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_FALSE(test, gk_find_range(gk, GK_BASE)->flags.migrate_devmem);
}

/* A transparent huge page is split and migrated, every byte intact. */
static void devmem_thp_source(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "needs CONFIG_TRANSPARENT_HUGEPAGE");
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_madvise(gk, GK_BASE, SZ_2M, MADV_HUGEPAGE);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 36);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 512);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 36), 0);
}

/* A second VM of the device maps the first one's VRAM pages directly. */
static void devmem_second_vm_maps_vram(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct vxe_vm *vm2;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 37);
	vm2 = vxe_vm_create(gk->vxe, current->mm, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm2));
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm2, GK_BASE + SZ_1M, buf,
					     PAGE_SIZE, false), 0);
	KUNIT_EXPECT_EQ(test, buf[5], gk_pattern(GK_BASE + SZ_1M + 20, 37));
	/* Still in VRAM: the second VM migrated nothing, copied nothing. */
	KUNIT_EXPECT_EQ(test, atomic_read(&vm2->stats.vram_pages), 0);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
	vxe_vm_destroy(vm2);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 37), 0);
}

/* A second vxe device with VRAM, on the interconnect, and a VM of it */
static struct vxe_vm *dm_peer_vm(struct kunit *test, struct vxe_device **vxe2)
{
	struct device *dev = kunit_device_register(test, "vxe-kunit-peer");
	struct vxe_vm *vm2;

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, dev);
	*vxe2 = vxe_device_create(dev, DM_VRAM);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, *vxe2);
	vm2 = vxe_vm_create(*vxe2, current->mm, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(vm2));
	return vm2;
}

/* The first DMA address of the range of @vm at @addr (valid pages) */
static struct drm_pagemap_addr dm_vm_addr(struct vxe_vm *vm, unsigned long addr,
					  struct drm_pagemap **dpagemap)
{
	struct drm_pagemap_addr a = { .addr = DMA_MAPPING_ERROR };
	struct drm_gpusvm_notifier *notifier;
	struct drm_gpusvm_range *r = NULL;

	mutex_lock(&vm->lock);
	notifier = drm_gpusvm_notifier_find(&vm->svm.gpusvm, addr, addr + 1);
	if (notifier)
		r = drm_gpusvm_range_find(notifier, addr, addr + 1);
	drm_gpusvm_notifier_lock(&vm->svm.gpusvm);
	if (r && drm_gpusvm_pages_valid(&vm->svm.gpusvm,
					&to_vxe_svm_range(r)->pages)) {
		a = to_vxe_svm_range(r)->pages.dma_addr[(addr - drm_gpusvm_range_start(r)) >>
							PAGE_SHIFT];
		*dpagemap = to_vxe_svm_range(r)->pages.dpagemap;
	}
	drm_gpusvm_notifier_unlock(&vm->svm.gpusvm);
	mutex_unlock(&vm->lock);
	return a;
}

/*
 * Devices on the interconnect share a device-private page owner: a VM of
 * the peer that prefers system memory (no migration) maps the pages where
 * they are, in this device's VRAM, at the DMA address of their backing
 * memory (%VXE_INTERCONNECT_P2P), and its engine reads them through it.
 */
static void devmem_peer_maps_in_place(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct drm_pagemap *dpagemap = NULL;
	struct drm_pagemap_addr a;
	struct vxe_device *vxe2;
	struct vxe_vram *vram;
	struct vxe_vm *vm2;
	struct page *page;
	u64 copies;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 38);
	vm2 = dm_peer_vm(test, &vxe2);
	KUNIT_EXPECT_PTR_EQ(test, vxe_svm_owner(vm2), vxe_svm_owner(gk->vm));
	mutex_lock(&vm2->lock);
	to_vxe_vma(drm_gpuva_find_first(&vm2->gpuvm, GK_BASE, 1))->attr.devmem_fd =
		DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM;
	mutex_unlock(&vm2->lock);
	copies = atomic64_read(&gk->vxe->vram->copies);

	KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm2, GK_BASE + PAGE_SIZE, buf,
					     PAGE_SIZE, false), 0);
	KUNIT_EXPECT_EQ(test, buf[7], gk_pattern(GK_BASE + PAGE_SIZE + 28, 38));
	a = dm_vm_addr(vm2, GK_BASE + PAGE_SIZE, &dpagemap);
	page = dm_device_page(gk, GK_BASE + PAGE_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, page);
	vram = vxe_vram_of_page(page);
	KUNIT_EXPECT_PTR_EQ(test, vram, gk->vxe->vram);
	KUNIT_EXPECT_EQ(test, (int)a.proto, VXE_INTERCONNECT_P2P);
	KUNIT_EXPECT_EQ(test, dma_to_phys(vxe2->drm.dev, a.addr),
			vxe_vram_peer_address(vram, vxe_vram_page_offset(vram, page)));
	KUNIT_EXPECT_PTR_EQ(test, dpagemap, gk->vm->svm.dpagemap);
	put_page(page);
	/* Nothing moved: no copy, still all in this device's VRAM */
	KUNIT_EXPECT_EQ(test, atomic64_read(&gk->vxe->vram->copies), copies);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), SZ_2M);
	KUNIT_EXPECT_EQ(test, atomic_read(&vm2->stats.vram_pages), 0);
	vxe_vm_destroy(vm2);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 38), 0);
}

/*
 * A VM of the peer that prefers its own VRAM (the default) pulls the range
 * in: a migration from VRAM to VRAM, copied by the source device straight
 * into the peer's VRAM (source_peer_migrates), with no copy of the peer's
 * own and no page of system memory on the way.
 */
static void devmem_peer_migrates_directly(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct drm_pagemap *dpagemap = NULL;
	struct drm_pagemap_addr a;
	struct vxe_device *vxe2;
	struct vxe_vm *vm2;
	u64 copies, copies2;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 39);
	vm2 = dm_peer_vm(test, &vxe2);
	copies = atomic64_read(&gk->vxe->vram->copies);
	copies2 = atomic64_read(&vxe2->vram->copies);

	KUNIT_EXPECT_EQ(test, vxe_gpu_access(vm2, GK_BASE, buf, PAGE_SIZE,
					     false), 0);
	KUNIT_EXPECT_EQ(test, buf[0], gk_pattern(GK_BASE, 39));
	KUNIT_EXPECT_EQ(test, atomic_read(&vm2->stats.vram_pages), 512);
	KUNIT_EXPECT_EQ(test, atomic64_read(&gk->vxe->vram->copies), copies + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&vxe2->vram->copies), copies2);
	a = dm_vm_addr(vm2, GK_BASE, &dpagemap);
	KUNIT_EXPECT_EQ(test, (int)a.proto, VXE_INTERCONNECT_VRAM);
	KUNIT_EXPECT_PTR_EQ(test, dpagemap, vm2->svm.dpagemap);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	/* The first device maps it in the peer's VRAM now. */
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 39);
	vxe_vm_destroy(vm2);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 39), 0);
}

/*
 * A VMA whose preferred location is the peer's VRAM: this device's faults
 * put the range there and map it in place (MADVISE with the peer's fd).
 */
static void devmem_preferred_peer(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct drm_pagemap *dpagemap = NULL;
	struct drm_pagemap_addr a;
	struct vxe_device *vxe2;
	struct vxe_vma *vma;
	struct vxe_vm *vm2;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 40);
	vm2 = dm_peer_vm(test, &vxe2);
	vma = gk_mirror(gk, GK_BASE);
	mutex_lock(&gk->vm->lock);
	vma->attr.devmem_fd = 1000;	/* a file of the peer, as MADVISE keeps it */
	vma->attr.dpagemap = drm_pagemap_get(vm2->svm.dpagemap);
	mutex_unlock(&gk->vm->lock);

	dm_expect_gpu(gk, GK_BASE, SZ_2M, 40);
	a = dm_vm_addr(gk->vm, GK_BASE, &dpagemap);
	KUNIT_EXPECT_EQ(test, (int)a.proto, VXE_INTERCONNECT_P2P);
	KUNIT_EXPECT_PTR_EQ(test, dpagemap, vm2->svm.dpagemap);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.vram_pages), 512);
	vxe_vm_destroy(vm2);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 40), 0);
}

/* drm_pagemap refuses an allocation smaller than the range, and releases it. */
static void devmem_allocation_too_small(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct drm_gpusvm_ctx ctx = { .devmem_possible = true };
	struct drm_pagemap_migrate_details mdetails = {};
	struct drm_gpusvm_range *r;
	struct vxe_bo *bo;
	int err;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	r = gk_fault_range(gk, GK_BASE, GK_BASE, GK_BASE + SZ_64K, &ctx);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	KUNIT_ASSERT_TRUE(test, r->flags.migrate_devmem);

	mutex_lock(&gk->vm->lock);
	mmap_read_lock(current->mm);
	bo = vxe_bo_create_svm(gk->vxe, SZ_4K, current->mm,
			       gk->vm->svm.dpagemap);
	KUNIT_ASSERT_FALSE(test, IS_ERR(bo));
	drm_gem_object_get(&bo->ttm.base);
	err = drm_pagemap_migrate_to_devmem(&bo->devmem, current->mm,
					    drm_gpusvm_range_start(r),
					    drm_gpusvm_range_end(r), &mdetails);
	ttm_bo_unreserve(&bo->ttm);
	drm_gem_object_put(&bo->ttm.base);
	mmap_read_unlock(current->mm);
	mutex_unlock(&gk->vm->lock);

	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_EQ(test, dm_vram_used(gk), 0);
}

/* The copy engine: an injected delay slows it, nothing else changes. */
static void devmem_slow_copy_engine(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	s64 copies;

	gk->vxe->vram->copy_delay_us = 2000;
	copies = atomic64_read(&gk->vxe->vram->copies);
	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_64K, 39);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 39), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&gk->vxe->vram->copies), copies + 2);
}

/* --- GPU atomics and the atomic policy (MADVISE) ------------------------ */

#define DM_BATCH	(GK_BASE + SZ_8M)	/* a batch, outside the data */

/* Set the mirror VMA's atomic policy and preferred location. */
static void dm_set_attr(struct gpusvm_kunit *gk, u32 atomic, s32 devmem_fd)
{
	struct vxe_vma *vma = gk_mirror(gk, GK_BASE);

	mutex_lock(&gk->vm->lock);
	vma->attr.atomic = atomic;
	vma->attr.devmem_fd = devmem_fd;
	mutex_unlock(&gk->vm->lock);
}

/*
 * Run IGT's MI_ATOMIC | MI_ATOMIC_INC on the dword at @addr through the
 * engine (its atomic memory port), from a batch at DM_BATCH.
 */
static int dm_gpu_atomic_inc(struct gpusvm_kunit *gk, u64 addr)
{
	u32 bb[] = {
		VXE_MI_ATOMIC | VXE_MI_ATOMIC_OP(VXE_ATOMIC_INC) |
		VXE_MI_NUM_DW(3),
		lower_32_bits(addr), upper_32_bits(addr),
		VXE_MI_BATCH_BUFFER_END,
	};
	struct vxe_mi_ctx ctx = { .vm = gk->vm };

	KUNIT_ASSERT_EQ(gk->test, copy_to_user((void __user *)DM_BATCH, bb,
					       sizeof(bb)), 0);
	return vxe_mi_run(&ctx, DM_BATCH);
}

static u64 dm_stat(struct gpusvm_kunit *gk, enum vxe_gt_stats_id id)
{
	return vxe_gt_stats_read(&gk->vxe->stats, id);
}

/* The data at GK_BASE in system memory, bound, with a batch beside it. */
static void dm_atomic_setup(struct gpusvm_kunit *gk, u32 atomic, u32 seed)
{
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_mmap(gk, DM_BATCH, SZ_4K, RW);
	dm_set_attr(gk, atomic, DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, seed);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, seed);
	KUNIT_ASSERT_FALSE(gk->test, dm_in_vram(gk, GK_BASE));
}

/*
 * With the default policy, a GPU atomic needs VRAM (Xe's
 * xe_vma_need_vram_for_atomic() on a discrete GPU): the range the GPU
 * maps in system memory (preferred there) faults for the atomic, moves to
 * VRAM, and the atomic is done there, once.
 */
static void devmem_atomic_faults_into_vram(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u64 migrations;
	u32 word;

	dm_atomic_setup(gk, DRM_XE_ATOMIC_UNDEFINED, 51);
	migrations = dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT);
	KUNIT_ASSERT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE + SZ_4K), 0);
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT),
			migrations + 1);
	/* Bound in VRAM with atomics allowed: the next one does not fault. */
	KUNIT_ASSERT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT),
			migrations + 1);
	KUNIT_ASSERT_EQ(test, get_user(word, (u32 __user *)(GK_BASE + SZ_4K)), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE + SZ_4K, 51) + 2);
}

/* %DRM_XE_ATOMIC_GLOBAL needs VRAM too. */
static void devmem_atomic_global_in_vram(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 word;

	dm_atomic_setup(gk, DRM_XE_ATOMIC_GLOBAL, 52);
	KUNIT_ASSERT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE), 0);
	KUNIT_EXPECT_TRUE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_ASSERT_EQ(test, get_user(word, (u32 __user *)GK_BASE), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 52) + 1);
}

/*
 * %DRM_XE_ATOMIC_DEVICE: Battlemage's device atomics work in system
 * memory, so the atomic is done there, without a fault or a migration.
 */
static void devmem_atomic_device_in_system(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u64 faults;
	u32 word;

	dm_atomic_setup(gk, DRM_XE_ATOMIC_DEVICE, 53);
	/* The data's 2M range: the batch's fault is on a 4K one. */
	faults = dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT);
	KUNIT_ASSERT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE + 64), 0);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT),
			faults);
	KUNIT_ASSERT_EQ(test, get_user(word, (u32 __user *)(GK_BASE + 64)), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE + 64, 53) + 1);
}

/* %DRM_XE_ATOMIC_CPU: no GPU atomic there: the fault fails, -EACCES. */
static void devmem_atomic_cpu_refused(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	u32 word;

	dm_atomic_setup(gk, DRM_XE_ATOMIC_CPU, 54);
	KUNIT_EXPECT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE), -EACCES);
	KUNIT_EXPECT_FALSE(test, dm_in_vram(gk, GK_BASE));
	KUNIT_ASSERT_EQ(test, get_user(word, (u32 __user *)GK_BASE), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 54));
	/* Plain stores still work. */
	KUNIT_EXPECT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_4K, 55), 0);
}

/*
 * An atomic that needs VRAM in memory that cannot move there (shared
 * anonymous memory: shmem) fails with -EACCES, as on Xe.
 */
static void devmem_atomic_unmovable_refused(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	KUNIT_ASSERT_EQ(test, kunit_vm_mmap(test, NULL, GK_BASE, SZ_2M, RW,
					    MAP_SHARED | MAP_ANONYMOUS |
					    MAP_FIXED_NOREPLACE, 0), GK_BASE);
	gk_mmap(gk, DM_BATCH, SZ_4K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 56);
	dm_expect_gpu(gk, GK_BASE, SZ_2M, 56);
	KUNIT_EXPECT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE), -EACCES);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 56), 0);
}

/*
 * A range moved to VRAM for an atomic gets the device's timeslice: a CPU
 * fault does not take it back before it ends.  A range moved by a plain
 * fault has none.
 */
static void devmem_atomic_timeslice(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);
	struct vxe_bo *bo;
	u64 now;

	/* A plain fault's migration: expired at once. */
	gk_mmap(gk, GK_BASE + SZ_2M, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE + SZ_2M, SZ_2M, 57);
	spin_lock(&gk->vxe->svm_bos_lock);
	bo = list_last_entry(&gk->vxe->svm_bos, struct vxe_bo, svm_link);
	now = get_jiffies_64();
	KUNIT_EXPECT_FALSE(test, time_after64(bo->devmem.timeslice_expiration,
					      now));
	spin_unlock(&gk->vxe->svm_bos_lock);

	/* An atomic's: a minute, and nothing touches it meanwhile. */
	WRITE_ONCE(gk->vxe->atomic_svm_timeslice_ms, 60000);
	dm_atomic_setup(gk, DRM_XE_ATOMIC_UNDEFINED, 58);
	KUNIT_ASSERT_EQ(test, dm_gpu_atomic_inc(gk, GK_BASE), 0);
	KUNIT_ASSERT_TRUE(test, dm_in_vram(gk, GK_BASE));
	spin_lock(&gk->vxe->svm_bos_lock);
	bo = list_last_entry(&gk->vxe->svm_bos, struct vxe_bo, svm_link);
	now = get_jiffies_64();
	KUNIT_EXPECT_TRUE(test, time_after64(bo->devmem.timeslice_expiration,
					     now + msecs_to_jiffies(30000)));
	spin_unlock(&gk->vxe->svm_bos_lock);
}

/* The GT statistics of a fault that migrates, and of the CPU taking it back. */
static void devmem_gt_stats(struct kunit *test)
{
	struct gpusvm_kunit *gk = dm_create(test, DM_VRAM);

	vxe_gt_stats_clear(&gk->vxe->stats);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	dm_fill_migrate(gk, GK_BASE, SZ_2M, 59);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 1);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT), 1);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_MIGRATE_COUNT), 1);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_DEVICE_COPY_KB),
			SZ_2M / SZ_1K);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_DEVICE_COPY_KB),
			SZ_2M / SZ_1K);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_CPU_COPY_KB), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_2M, 59), 0);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_CPU_COPY_KB),
			SZ_2M / SZ_1K);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_2M_CPU_COPY_KB),
			SZ_2M / SZ_1K);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_64K_MIGRATE_COUNT), 0);
	vxe_gt_stats_clear(&gk->vxe->stats);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 0);
	KUNIT_EXPECT_EQ(test, dm_stat(gk, VXE_GT_STATS_ID_SVM_CPU_COPY_KB), 0);
}

static struct kunit_case vxe_devmem_cases[] = {
	KUNIT_CASE(devmem_migrate_on_first_fault),
	KUNIT_CASE(devmem_cpu_reads_back),
	KUNIT_CASE(devmem_gpu_writes_in_vram),
	KUNIT_CASE(devmem_untouched_pages_are_zero),
	KUNIT_CASE(devmem_own_migration_not_invalidated),
	KUNIT_CASE(devmem_migration_of_mapped_range_invalidates),
	KUNIT_CASE(devmem_cpu_fault_migrates_allocation),
	KUNIT_CASE_SLOW(devmem_many_threads_one_page),
	KUNIT_CASE_SLOW(devmem_many_threads_one_page_slow),
	KUNIT_CASE_SLOW(devmem_many_threads_many_pages),
	KUNIT_CASE(devmem_pinned_page_migrates_nothing),
	KUNIT_CASE(devmem_evict_noncontiguous),
	KUNIT_CASE(devmem_evict_while_gpu_bound),
	KUNIT_CASE(devmem_evict_partly_freed),
	KUNIT_CASE(devmem_release_on_munmap),
	KUNIT_CASE(devmem_evict_page_held_after_munmap),
	KUNIT_CASE(devmem_copy_to_vram_fails),
	KUNIT_CASE(devmem_copy_to_ram_fails),
	KUNIT_CASE(devmem_evict_copy_fails),
	KUNIT_CASE(devmem_vram_alloc_fails),
	KUNIT_CASE(devmem_bos_evicted_for_svm),
	KUNIT_CASE(devmem_svm_evicted_for_bo),
	KUNIT_CASE(devmem_bo_larger_than_vram),
	KUNIT_CASE(devmem_bo_round_trip),
	KUNIT_CASE(devmem_default_migrates_once),
	KUNIT_CASE(devmem_always_migrate_ping_pong),
	KUNIT_CASE(devmem_prefetch_to_system),
	KUNIT_CASE(devmem_preferred_system_stays),
	KUNIT_CASE(devmem_shared_memory_stays),
	KUNIT_CASE(devmem_thp_source),
	KUNIT_CASE(devmem_second_vm_maps_vram),
	KUNIT_CASE(devmem_peer_maps_in_place),
	KUNIT_CASE(devmem_peer_migrates_directly),
	KUNIT_CASE(devmem_preferred_peer),
	KUNIT_CASE(devmem_allocation_too_small),
	KUNIT_CASE(devmem_slow_copy_engine),
	KUNIT_CASE(devmem_atomic_faults_into_vram),
	KUNIT_CASE(devmem_atomic_global_in_vram),
	KUNIT_CASE(devmem_atomic_device_in_system),
	KUNIT_CASE(devmem_atomic_cpu_refused),
	KUNIT_CASE(devmem_atomic_unmovable_refused),
	KUNIT_CASE(devmem_atomic_timeslice),
	KUNIT_CASE(devmem_gt_stats),
	{}
};

static struct kunit_suite vxe_devmem_suite = {
	.name = "vxe_devmem",
	.init = gk_require_vram,
	.test_cases = vxe_devmem_cases,
};

kunit_test_suite(vxe_devmem_suite);
