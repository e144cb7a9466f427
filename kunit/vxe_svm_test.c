// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for vxe's SVM: GPU accesses through faults, invalidation by
 * every kind of CPU change, garbage collection, teardown without leaks,
 * and every fault-injection point of the backend.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <drm/drm_gpusvm.h>

#include "gpusvm_kunit.h"
#include "vxe_gt_stats.h"

#define RW	(PROT_READ | PROT_WRITE)

static void expect_gpu_data(struct kunit *test, struct gpusvm_kunit *gk,
			    unsigned long addr, unsigned long len, u32 seed)
{
	unsigned long bad;

	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, addr, len, seed, &bad), 0);
	KUNIT_EXPECT_EQ_MSG(test, bad, 0, "[%#lx, +%#lx) seed %u", addr, len,
			    seed);
}

static void vxe_svm_gpu_reads_and_writes(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	/* 4M + 64K + 4K: 2M, 64K and 4K ranges. */
	gk_mmap(gk, GK_BASE, SZ_4M + SZ_64K + SZ_4K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_4M + SZ_64K + SZ_4K, 21);
	expect_gpu_data(test, gk, GK_BASE, SZ_4M + SZ_64K + SZ_4K, 21);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 4);

	KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_4M + SZ_64K + SZ_4K, 22), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_4M + SZ_64K + SZ_4K, 22), 0);
	/* One fault per range, none since. */
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.fault_errors), 0);
}

static void vxe_svm_fault_errors(struct kunit *test)
{
	struct vxe_svm_config cfg = vxe_svm_default_config;
	struct gpusvm_kunit *gk;
	u32 word = 0;

	cfg.mirror_end = GK_BASE + SZ_4M;
	gk = gk_create(test, &cfg);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_mmap(gk, GK_BASE + SZ_4M, SZ_2M, RW);

	/* Nothing mapped by the CPU there. */
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + SZ_2M, &word, 4,
					     false), -EFAULT);
	/*
	 * Mapped, but outside the GPU's mirror: no VMA there, so the fault
	 * fails before it reaches the SVM handler.
	 */
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + SZ_4M, &word, 4,
					     true), -EFAULT);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.fault_errors), 1);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 0);
	/* An access straddling the end of a mapping does its first part. */
	word = 0x12345678;
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + SZ_2M - 2, &word,
					     4, true), -EFAULT);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 1);
}

static void vxe_svm_munmap_full(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 23);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 23);
	r = gk_find_range(gk, GK_BASE);
	KUNIT_ASSERT_NOT_NULL(test, r);

	/* Hold the VM lock: the collector must not run before we look. */
	mutex_lock(&gk->vm->lock);
	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_TRUE(test, r->flags.unmapped);
	KUNIT_EXPECT_FALSE(test, r->flags.partial_unmap);
	KUNIT_EXPECT_FALSE(test, to_vxe_svm_range(r)->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_TRUE(test, to_vxe_svm_range(r)->pages.flags.unmapped);
	KUNIT_EXPECT_FALSE(test, to_vxe_svm_range(r)->bound);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.ranges_zapped), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.tlb_invalidations), 1);

	/* The worker removes it, and its notifier with it. */
	gk_flush_gc(gk);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.gc_removed), 1);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 0);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 0);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, false),
			-EFAULT);
}

static void vxe_svm_gc_not_in_notifier(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 24);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 24);

	mutex_lock(&gk->vm->lock);
	gk_munmap(gk, GK_BASE, SZ_64K);
	/* The notifier has run: the range is marked, still in the tree. */
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.invalidations), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.gc_removed), 0);
	mutex_unlock(&gk->vm->lock);

	gk_flush_gc(gk);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 0);
}

static void vxe_svm_munmap_middle_of_2m(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 25);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 25);
	r = gk_find_range(gk, GK_BASE);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(r), SZ_2M);

	mutex_lock(&gk->vm->lock);
	gk_munmap(gk, GK_BASE + SZ_1M, SZ_64K);
	KUNIT_EXPECT_TRUE(test, r->flags.unmapped);
	KUNIT_EXPECT_TRUE(test, r->flags.partial_unmap);
	mutex_unlock(&gk->vm->lock);
	gk_flush_gc(gk);

	/* Both sides still hold the CPU's data, through smaller ranges. */
	expect_gpu_data(test, gk, GK_BASE, SZ_1M, 25);
	expect_gpu_data(test, gk, GK_BASE + SZ_1M + SZ_64K, SZ_1M - SZ_64K, 25);
	r = gk_find_range(gk, GK_BASE + SZ_1M - SZ_4K);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(r), SZ_64K);
	/* The hole faults. */
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + SZ_1M, &word, 4,
					     false), -EFAULT);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.gc_removed), 1);
}

static void vxe_svm_madv_dontneed(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;
	unsigned long bad;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 26);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 26);
	r = gk_find_range(gk, GK_BASE);

	gk_zap(gk, GK_BASE, SZ_64K);
	/* Not an unmap: the range stays, its pages do not. */
	KUNIT_EXPECT_FALSE(test, r->flags.unmapped);
	KUNIT_EXPECT_FALSE(test, gk_pages_valid(gk, r));
	KUNIT_EXPECT_FALSE(test, to_vxe_svm_range(r)->bound);

	/* The GPU sees the fresh zero pages, not the old data. */
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_64K, 26, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, SZ_64K / 4);
	KUNIT_EXPECT_PTR_EQ(test, gk_find_range(gk, GK_BASE), r);
}

static void vxe_svm_cpu_rewrite_seen(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 27);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 27);

	/* Same pages rewritten: coherent at once. */
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 28);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 28);

	/* New pages (dropped, then rewritten): seen after the invalidation. */
	gk_zap(gk, GK_BASE + SZ_64K, SZ_64K);
	gk_cpu_fill(gk, GK_BASE + SZ_64K, SZ_64K, 29);
	expect_gpu_data(test, gk, GK_BASE + SZ_64K, SZ_64K, 29);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 28);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 2);
}

static void vxe_svm_mprotect_read_only(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	u32 word = 0xdeadbeef;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 30);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 30);

	KUNIT_ASSERT_EQ(test, gk_mprotect(gk, GK_BASE, SZ_64K, PROT_READ), 0);
	KUNIT_EXPECT_GE(test, atomic_read(&gk->vm->stats.invalidations), 1);
	/* The mirror is read-write: the fault is refused, not half served. */
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, true),
			-EPERM);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 30), 0);

	/* Writable again: the GPU writes again. */
	KUNIT_ASSERT_EQ(test, gk_mprotect(gk, GK_BASE, SZ_64K, RW), 0);
	KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_64K, 31), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 31), 0);
}

static void vxe_svm_missing_tlb_flush_is_caught(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct page *old;
	unsigned long bad;

	gk_mmap(gk, GK_BASE, SZ_4K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 32);
	expect_gpu_data(test, gk, GK_BASE, SZ_4K, 32);
	/* Keep the old page allocated, so the stale access reads it safely. */
	old = gk_get_page(gk, GK_BASE);

	gk_forget_tlb_invalidations(gk);
	gk_zap(gk, GK_BASE, SZ_4K);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 33);
	/* The TLB still holds the old translation: stale data. */
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_4K, 32, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	kunit_deactivate_static_stub(test, vxe_vm_tlb_invalidate);

	/* The flush that was missed brings the GPU up to date... */
	KUNIT_ASSERT_EQ(test, vxe_vm_tlb_invalidate(gk->vm, GK_BASE,
						    GK_BASE + SZ_4K), 0);
	expect_gpu_data(test, gk, GK_BASE, SZ_4K, 33);
	/* ...and with it in place, the same sequence reads the new data. */
	gk_zap(gk, GK_BASE, SZ_4K);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 34);
	expect_gpu_data(test, gk, GK_BASE, SZ_4K, 34);
	put_page(old);
}

static void vxe_svm_unbound_needs_no_tlb_flush(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_ctx ctx = {};
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	r = gk_fault_range(gk, GK_BASE, 0, 1UL << 47, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	KUNIT_ASSERT_EQ(test, gk_get_pages(gk, r, &ctx), 0);

	/* Pages collected but never bound: unmapped, no TLB invalidation. */
	gk_zap(gk, GK_BASE, SZ_64K);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.invalidations), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.ranges_zapped), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.tlb_invalidations), 0);
	KUNIT_EXPECT_FALSE(test, gk_pages_valid(gk, r));
}

static void vxe_svm_two_vms_one_mm(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_vm *other;
	u32 word;

	other = vxe_vm_create(gk->vxe, current->mm, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, other);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 35);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 35);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(other, GK_BASE + 4, &word, 4, false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE + 4, 35));

	/* One munmap invalidates both mirrors. */
	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_GE(test, atomic_read(&gk->vm->stats.invalidations), 1);
	KUNIT_EXPECT_GE(test, atomic_read(&other->stats.invalidations), 1);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(other, GK_BASE, &word, 4, false),
			-EFAULT);
	vxe_vm_destroy(other);
}

static void vxe_svm_fini_no_leaks(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	unsigned long a;

	/* Ranges in three notifiers, some unmapped and not collected yet. */
	gk_mmap(gk, GK_BASE, SZ_8M, RW);
	gk_mmap(gk, GK_BASE + SZ_512M, SZ_2M, RW);
	gk_mmap(gk, GK_BASE + SZ_1G, SZ_64K + SZ_4K, RW);
	for (a = GK_BASE; a < GK_BASE + SZ_8M; a += SZ_1M)
		KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, a, SZ_4K, 36), 0);
	KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, GK_BASE + SZ_512M, SZ_4K, 36), 0);
	/* Populated first, or the check-pages rule would split it into 4K. */
	gk_cpu_fill(gk, GK_BASE + SZ_1G, SZ_64K + SZ_4K, 35);
	KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, GK_BASE + SZ_1G, SZ_64K + SZ_4K, 36), 0);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 3);
	mutex_lock(&gk->vm->lock);
	gk_munmap(gk, GK_BASE + SZ_4M, SZ_2M);
	/* Unmapped, not collected: still counted. */
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 4 + 1 + 2);
	KUNIT_EXPECT_EQ(test, vxe_svm_nr_notifiers(), gk->notifiers0 + 3);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_vms), 1);

	/*
	 * Teardown frees every range and notifier and unmaps every page: a
	 * range freed with live DMA mappings, or a range left over, would WARN
	 * (and fail the test).
	 */
	KUNIT_EXPECT_GT(test, gk_count_mapped_ranges(gk), 0);
	gk_destroy_vm(gk);
	KUNIT_EXPECT_EQ(test, vxe_svm_nr_notifiers(), gk->notifiers0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_vms), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE + SZ_1G, SZ_64K + SZ_4K, 36), 0);
}

/* Prefetch maps what the CPU maps, skips the holes, and counts no fault. */
static void vxe_svm_prefetch_skips_holes(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int faults;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_mmap(gk, GK_BASE + SZ_4M, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 31);
	gk_cpu_fill(gk, GK_BASE + SZ_4M, SZ_64K, 32);

	mutex_lock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, vxe_svm_prefetch(gk->vm, gk_mirror(gk, GK_BASE), GK_BASE,
					       GK_BASE + SZ_8M,
					       DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC), 0);
	KUNIT_EXPECT_TRUE(test, vxe_svm_has_mapping(gk->vm, GK_BASE, GK_BASE + 1));
	KUNIT_EXPECT_FALSE(test, vxe_svm_has_mapping(gk->vm, GK_BASE + SZ_2M,
						     GK_BASE + SZ_4M));
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 0);

	faults = atomic_read(&gk->vm->stats.faults);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 31);
	expect_gpu_data(test, gk, GK_BASE + SZ_4M, SZ_64K, 32);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), faults);
}

/* Zapping keeps the ranges and their pages; the next access binds again. */
static void vxe_svm_zap_keeps_ranges(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 33);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 33);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 1);

	mutex_lock(&gk->vm->lock);
	vxe_svm_zap_range(gk->vm, GK_BASE, GK_BASE + SZ_2M);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 1);
	KUNIT_EXPECT_EQ(test, gk_count_mapped_ranges(gk), 1);

	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 33);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), 2);
}

/* Unmapping an interval removes the ranges overlapping it, and only them. */
static void vxe_svm_unmap_range_removes(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_4M, 34);
	expect_gpu_data(test, gk, GK_BASE, SZ_4M, 34);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 2);

	mutex_lock(&gk->vm->lock);
	vxe_svm_unmap_range(gk->vm, GK_BASE + SZ_1M, GK_BASE + SZ_1M + SZ_4K);
	KUNIT_EXPECT_FALSE(test, vxe_svm_has_mapping(gk->vm, GK_BASE,
						     GK_BASE + SZ_2M));
	KUNIT_EXPECT_TRUE(test, vxe_svm_has_mapping(gk->vm, GK_BASE + SZ_2M,
						    GK_BASE + SZ_4M));
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 1);
	expect_gpu_data(test, gk, GK_BASE, SZ_4M, 34);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 2);
}

/*
 * Binding a mirror again over a piece that still has SVM ranges is
 * refused with -EBUSY; once the CPU unmapped it, it succeeds at once (the
 * garbage is collected first).
 */
static void vxe_svm_rebind_busy_until_unmapped(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 35);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 35);
	KUNIT_EXPECT_EQ(test, vxe_vm_bind_mirror(gk->vm, GK_BASE,
						 GK_BASE + SZ_2M), -EBUSY);
	/* Next to it: no range there, the mirror splits. */
	KUNIT_EXPECT_EQ(test, vxe_vm_bind_mirror(gk->vm, GK_BASE + SZ_2M,
						 GK_BASE + SZ_4M), 0);

	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_EQ(test, vxe_vm_bind_mirror(gk->vm, GK_BASE,
						 GK_BASE + SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 0);
}

/* What a bind job checks in the ioctl, for one UNMAP or NULL MAP */
static int precheck(struct gpusvm_kunit *gk, u32 op, u64 start, u64 end)
{
	return gk_bind_precheck(gk, op, op == DRM_XE_VM_BIND_OP_MAP ?
				DRM_XE_VM_BIND_FLAG_NULL : 0, start,
				end - start, 0);
}

/*
 * A bind job refuses in the ioctl, as Xe does, to unmap or map over mirror
 * memory the GPU still maps (-EBUSY), and changes nothing doing so; next
 * to it, or once the CPU unmapped the memory, it lets the bind through.
 */
static void vxe_svm_job_precheck_busy(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int ranges;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 36);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 36);
	ranges = gk_count_ranges(gk);
	KUNIT_EXPECT_GT(test, ranges, 0);
	KUNIT_EXPECT_EQ(test, precheck(gk, DRM_XE_VM_BIND_OP_UNMAP, GK_BASE,
				       GK_BASE + SZ_2M), -EBUSY);
	KUNIT_EXPECT_EQ(test, precheck(gk, DRM_XE_VM_BIND_OP_MAP,
				       GK_BASE + SZ_64K, GK_BASE + SZ_128K),
			-EBUSY);
	KUNIT_EXPECT_EQ(test, precheck(gk, DRM_XE_VM_BIND_OP_MAP,
				       GK_BASE + SZ_2M, GK_BASE + SZ_4M), 0);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), ranges);

	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_EQ(test, precheck(gk, DRM_XE_VM_BIND_OP_UNMAP, GK_BASE,
				       GK_BASE + SZ_2M), 0);
}

/* The fault handler follows the VMA: no VMA, no mapping; a closed VM fails. */
static void vxe_svm_fault_needs_vma(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	u32 word = 0;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	KUNIT_EXPECT_EQ(test, vxe_vm_handle_fault(gk->vm, (1ULL << 47) + SZ_2M,
						  false), -EFAULT);
	KUNIT_EXPECT_EQ(test, vxe_vm_handle_fault(gk->vm, GK_BASE, false), 0);
	vxe_vm_close(gk->vm);
	KUNIT_EXPECT_EQ(test, vxe_vm_handle_fault(gk->vm, GK_BASE, false), -EIO);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, false),
			-EIO);
}

/*
 * Xe's GT statistics: a fault on a 2M range counts once in the total and
 * once for 2M; a fault on a range that is mapped already is a valid fault
 * (not a VMA fault: those are of BO bindings); the CPU's unmap of a range
 * the GPU maps is an SVM TLB invalidation.  Clearing zeroes them.
 */
static void vxe_svm_gt_stats_faults(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_gt_stats *stats = &gk->vxe->stats;

	vxe_gt_stats_clear(stats);
	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	KUNIT_ASSERT_EQ(test, vxe_vm_handle_fault(gk->vm, GK_BASE, false), 0);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 1);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_COUNT), 1);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_VALID_PAGEFAULT_COUNT), 0);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_4K_PAGEFAULT_COUNT), 0);

	/* Mapped already (the GPU's access raced with another's fault). */
	KUNIT_ASSERT_EQ(test, vxe_vm_handle_fault(gk->vm, GK_BASE + SZ_1M,
						  false), 0);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 2);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_VALID_PAGEFAULT_COUNT), 1);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_VMA_PAGEFAULT_COUNT), 0);

	/* The CPU unmaps it: one invalidation, one TLB invalidation by SVM */
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_TLB_INVAL_COUNT), 0);
	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_TLB_INVAL_COUNT), 1);
	KUNIT_EXPECT_GE(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_TLB_INVAL), 1);

	/*
	 * The garbage collector removes the range (its worker may have run
	 * already): one run that removed ranges.
	 */
	gk_flush_gc(gk);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_GARBAGE_COLLECTOR_COUNT), 1);

	vxe_gt_stats_clear(stats);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 0);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_VALID_PAGEFAULT_COUNT), 0);
}

/* Every counter has a name of its own, and the SVM ones are Xe's. */
static void vxe_svm_gt_stats_names(struct kunit *test)
{
	static const struct {
		enum vxe_gt_stats_id id;
		const char *name;
	} xe[] = {
		{ VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT, "svm_pagefault_count" },
		{ VXE_GT_STATS_ID_TLB_INVAL, "tlb_inval_count" },
		{ VXE_GT_STATS_ID_SVM_64K_VALID_PAGEFAULT_COUNT,
		  "svm_64K_valid_pagefault_count" },
		{ VXE_GT_STATS_ID_SVM_2M_PAGEFAULT_US, "svm_2M_pagefault_us" },
		{ VXE_GT_STATS_ID_SVM_4K_MIGRATE_COUNT, "svm_4K_migrate_count" },
		{ VXE_GT_STATS_ID_SVM_DEVICE_COPY_KB, "svm_device_copy_kb" },
		{ VXE_GT_STATS_ID_SVM_64K_CPU_COPY_US, "svm_64K_cpu_copy_us" },
		{ VXE_GT_STATS_ID_SVM_2M_GET_PAGES_US, "svm_2M_get_pages_us" },
		{ VXE_GT_STATS_ID_SVM_2M_BIND_US, "svm_2M_bind_us" },
	};
	enum vxe_gt_stats_id a, b;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(xe); i++)
		KUNIT_EXPECT_STREQ(test, vxe_gt_stats_name(xe[i].id), xe[i].name);
	for (a = 0; a < VXE_GT_STATS_NUM; a++) {
		KUNIT_ASSERT_NOT_NULL(test, vxe_gt_stats_name(a));
		for (b = a + 1; b < VXE_GT_STATS_NUM; b++)
			KUNIT_EXPECT_STRNEQ(test, vxe_gt_stats_name(a),
					    vxe_gt_stats_name(b));
	}
	KUNIT_EXPECT_NULL(test, vxe_gt_stats_name(VXE_GT_STATS_NUM));
}

/*
 * Time counters sum nanoseconds: three intervals of at least 0.6 us read
 * as at least 1 us (Xe's whole microseconds per interval would give 0),
 * and a microsecond counter reads in microseconds.
 */
static void vxe_svm_gt_stats_time_sum(struct kunit *test)
{
	struct vxe_gt_stats *stats = kunit_kzalloc(test, sizeof(*stats),
						   GFP_KERNEL);
	int i;

	KUNIT_ASSERT_NOT_NULL(test, stats);
	for (i = 0; i < 3; i++)
		vxe_gt_stats_us(stats, VXE_GT_STATS_ID_SVM_TLB_INVAL_US,
				ktime_sub_ns(ktime_get(), 600));
	KUNIT_EXPECT_GE(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_TLB_INVAL_US), 1);
	vxe_gt_stats_clear(stats);
	vxe_gt_stats_us_sized(stats, VXE_GT_STATS_ID_SVM_4K_BIND_US, SZ_2M,
			      ktime_sub_us(ktime_get(), 5000));
	KUNIT_EXPECT_GE(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_BIND_US), 5000);
	KUNIT_EXPECT_LT(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_2M_BIND_US), 5000000);
	/* Counts are not times */
	vxe_gt_stats_incr(stats, VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT, 7);
	KUNIT_EXPECT_EQ(test, vxe_gt_stats_read(stats,
						VXE_GT_STATS_ID_SVM_PAGEFAULT_COUNT), 7);
}

/*
 * svm_max_chunk_size drops the chunk sizes above it from new VMs; a value
 * that is no chunk size leaves them all.
 */
static void vxe_svm_config_max_chunk(struct kunit *test)
{
	static const struct {
		unsigned int kib;
		unsigned long first;
		int num;
	} cases[] = {
		{ 2048, SZ_2M, 3 },
		{ 64, SZ_64K, 2 },
		{ 4, SZ_4K, 1 },
		{ 1024, SZ_2M, 3 },
		{ 0, SZ_2M, 3 },
	};
	unsigned int saved = vxe_svm_max_chunk_kib;
	struct vxe_svm_config cfg;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		vxe_svm_max_chunk_kib = cases[i].kib;
		vxe_svm_config_current(&cfg);
		KUNIT_EXPECT_EQ_MSG(test, cfg.chunk_sizes[0], cases[i].first,
				    "svm_max_chunk_size=%u", cases[i].kib);
		KUNIT_EXPECT_EQ_MSG(test, cfg.num_chunks, cases[i].num,
				    "svm_max_chunk_size=%u", cases[i].kib);
		KUNIT_EXPECT_EQ(test, cfg.chunk_sizes[cfg.num_chunks - 1],
				(unsigned long)SZ_4K);
	}
	vxe_svm_max_chunk_kib = saved;
}

static struct kunit_case vxe_svm_cases[] = {
	KUNIT_CASE(vxe_svm_gpu_reads_and_writes),
	KUNIT_CASE(vxe_svm_fault_errors),
	KUNIT_CASE(vxe_svm_munmap_full),
	KUNIT_CASE(vxe_svm_gc_not_in_notifier),
	KUNIT_CASE(vxe_svm_munmap_middle_of_2m),
	KUNIT_CASE(vxe_svm_madv_dontneed),
	KUNIT_CASE(vxe_svm_cpu_rewrite_seen),
	KUNIT_CASE(vxe_svm_mprotect_read_only),
	KUNIT_CASE(vxe_svm_missing_tlb_flush_is_caught),
	KUNIT_CASE(vxe_svm_unbound_needs_no_tlb_flush),
	KUNIT_CASE(vxe_svm_two_vms_one_mm),
	KUNIT_CASE(vxe_svm_fini_no_leaks),
	KUNIT_CASE(vxe_svm_prefetch_skips_holes),
	KUNIT_CASE(vxe_svm_zap_keeps_ranges),
	KUNIT_CASE(vxe_svm_unmap_range_removes),
	KUNIT_CASE(vxe_svm_rebind_busy_until_unmapped),
	KUNIT_CASE(vxe_svm_job_precheck_busy),
	KUNIT_CASE(vxe_svm_fault_needs_vma),
	KUNIT_CASE(vxe_svm_gt_stats_faults),
	KUNIT_CASE(vxe_svm_gt_stats_names),
	KUNIT_CASE(vxe_svm_gt_stats_time_sum),
	KUNIT_CASE(vxe_svm_config_max_chunk),
	{}
};

static struct kunit_suite vxe_svm_suite = {
	.name = "vxe_svm",
	.test_cases = vxe_svm_cases,
};

/* --- fault injection at every backend operation ------------------------- */

static void vxe_svm_inject_pt_alloc(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_inject *inj = &gk->vxe->inj;
	struct drm_gpusvm_range *r;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 40);
	vxe_inject_arm(inj, VXE_INJECT_PT_ALLOC, 0, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, false),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, vxe_inject_hits(inj, VXE_INJECT_PT_ALLOC), 1);
	/* Consistent: the range has its pages, the GPU maps nothing. */
	r = gk_find_range(gk, GK_BASE);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, gk_pages_valid(gk, r));
	KUNIT_EXPECT_FALSE(test, to_vxe_svm_range(r)->bound);
	/* The retry succeeds. */
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 40);
}

static void vxe_svm_inject_pt_bind(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_inject *inj = &gk->vxe->inj;
	struct vxe_pt_xlate x;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 41);
	vxe_inject_arm(inj, VXE_INJECT_PT_BIND, 0, 1, -EIO);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, false),
			-EIO);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&gk->vm->pt, GK_BASE, &x), -ENOENT);
	expect_gpu_data(test, gk, GK_BASE, SZ_2M, 41);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&gk->vm->pt, GK_BASE, &x), 0);
}

static void vxe_svm_inject_tlb_inval_retried(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_inject *inj = &gk->vxe->inj;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 42);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 42);

	/* Two lost invalidations: the third attempt gets through. */
	vxe_inject_arm(inj, VXE_INJECT_TLB_INVAL, 0, 2, -ETIMEDOUT);
	gk_zap(gk, GK_BASE, SZ_64K);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 43);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.tlb_inval_failures), 2);
	KUNIT_EXPECT_FALSE(test, gk->vm->wedged);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 43);
}

static void vxe_svm_inject_tlb_inval_wedges(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_inject *inj = &gk->vxe->inj;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 44);
	expect_gpu_data(test, gk, GK_BASE, SZ_64K, 44);

	/* Never gets through: the VM cannot be trusted and stops. */
	vxe_inject_arm(inj, VXE_INJECT_TLB_INVAL, 0, -1, -ETIMEDOUT);
	gk_zap(gk, GK_BASE, SZ_64K);
	vxe_inject_disarm(inj, VXE_INJECT_TLB_INVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.tlb_inval_failures), 6);
	KUNIT_EXPECT_TRUE(test, gk->vm->wedged);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE, &word, 4, false),
			-EIO);
	/* Teardown still releases everything. */
	gk_destroy_vm(gk);
	KUNIT_EXPECT_EQ(test, vxe_svm_nr_notifiers(), gk->notifiers0);
}

static struct kunit_case vxe_svm_inject_cases[] = {
	KUNIT_CASE(vxe_svm_inject_pt_alloc),
	KUNIT_CASE(vxe_svm_inject_pt_bind),
	KUNIT_CASE(vxe_svm_inject_tlb_inval_retried),
	KUNIT_CASE(vxe_svm_inject_tlb_inval_wedges),
	{}
};

static struct kunit_suite vxe_svm_inject_suite = {
	.name = "vxe_svm_inject",
	.test_cases = vxe_svm_inject_cases,
};

kunit_test_suites(&vxe_svm_suite, &vxe_svm_inject_suite);
