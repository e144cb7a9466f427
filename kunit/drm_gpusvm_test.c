// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for drm_gpusvm: arguments, chunk selection, notifiers, page
 * collection, the pages API of users that are not ranges, invalidation and
 * the garbage collector's part, and what drm_gpusvm sees of device memory
 * (scan_mm, devmem_only, allow_mixed), on a real user mm from
 * kunit_vm_mmap().  The driver is the mock of drm_gpusvm_mock.c: no vxe.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/static_stub.h>
#include <kunit/test-bug.h>
#include <kunit/test.h>
#include <linux/hmm.h>
#include <linux/jiffies.h>
#include <linux/prandom.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "drm_gpusvm_mock.h"

#define WIN_START	0UL
#define WIN_END		BIT(47)
#define RW		GM_RW

/* A mock device and a GPU VM mirroring the test's mm. */
static struct gm_svm *svm_create(struct kunit *test,
				 const struct gm_svm_config *cfg)
{
	struct gm_ctx *ctx = gm_init(test);

	return gm_svm_create(gm_dev_create(ctx), cfg);
}

static struct gm_ctx *svm_ctx(struct gm_svm *svm)
{
	return svm->gdev->ctx;
}

/* Ranges allocated and not freed yet. */
static int live_ranges(struct gm_svm *svm)
{
	return atomic_read(&svm_ctx(svm)->range_allocs) -
	       atomic_read(&svm_ctx(svm)->range_frees);
}

/* Notifiers allocated and not freed yet. */
static int live_notifiers(struct gm_svm *svm)
{
	return atomic_read(&svm_ctx(svm)->notifier_allocs) -
	       atomic_read(&svm_ctx(svm)->notifier_frees);
}

/* --- drm_gpusvm_init() arguments ---------------------------------------- */

static void noop_invalidate(struct drm_gpusvm *gpusvm,
			    struct drm_gpusvm_notifier *notifier,
			    const struct mmu_notifier_range *mmu_range)
{
}

static const struct drm_gpusvm_ops noop_ops = {
	.invalidate = noop_invalidate,
};

static const struct drm_gpusvm_ops no_invalidate_ops;

struct init_case {
	const char *name;
	const struct drm_gpusvm_ops *ops;
	unsigned long chunks[3];
	int num_chunks;
	unsigned long notifier_size;
	unsigned long mm_start;
	unsigned long mm_range;
	bool no_mm;
};

static const struct init_case init_cases[] = {
	{ "no-invalidate-op", &no_invalidate_ops,
	  { SZ_2M, SZ_4K }, 2, SZ_2M, 0, SZ_1G },
	{ "no-ops", NULL, { SZ_2M, SZ_4K }, 2, SZ_2M, 0, SZ_1G },
	{ "no-chunks", &noop_ops, { SZ_2M, SZ_4K }, 0, SZ_2M, 0, SZ_1G },
	{ "chunk-not-power-of-two", &noop_ops,
	  { SZ_2M, SZ_8K + SZ_4K, SZ_4K }, 3, SZ_2M, 0, SZ_1G },
	{ "chunks-ascending", &noop_ops, { SZ_4K, SZ_2M }, 2, SZ_2M, 0, SZ_1G },
	{ "chunks-repeated", &noop_ops,
	  { SZ_2M, SZ_2M, SZ_4K }, 3, SZ_2M, 0, SZ_1G },
	{ "last-chunk-not-page", &noop_ops,
	  { SZ_2M, SZ_64K }, 2, SZ_2M, 0, SZ_1G },
	{ "notifier-smaller-than-chunk", &noop_ops,
	  { SZ_2M, SZ_4K }, 2, SZ_1M, 0, SZ_1G },
	{ "notifier-not-power-of-two", &noop_ops,
	  { SZ_2M, SZ_4K }, 2, SZ_4M + SZ_2M, 0, SZ_1G },
	{ "window-unaligned", &noop_ops, { SZ_2M, SZ_4K }, 2, SZ_2M, 100, SZ_1G },
	{ "window-empty", &noop_ops, { SZ_2M, SZ_4K }, 2, SZ_2M, 0, 0 },
	{ "window-wraps", &noop_ops,
	  { SZ_2M, SZ_4K }, 2, SZ_2M, -SZ_1G, SZ_2G },
	/* Without an mm: no window, notifier, ops or chunks. */
	{ "no-mm-with-window", NULL, { 0 }, 0, 0, 0, SZ_1G, true },
	{ "no-mm-with-notifier-size", NULL, { 0 }, 0, SZ_2M, 0, 0, true },
	{ "no-mm-with-ops", &noop_ops, { 0 }, 0, 0, 0, 0, true },
	{ "no-mm-with-chunks", NULL, { SZ_4K }, 1, 0, 0, 0, true },
};

static void init_case_desc(const struct init_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(init, init_cases, init_case_desc);

static void drm_gpusvm_init_rejects(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	struct drm_gpusvm gpusvm;
	int mm_count;

	gm_init(test);
	mm_count = atomic_read(&current->mm->mm_count);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_init(&gpusvm, "kunit",
					      c->no_mm ? NULL : current->mm,
					      c->mm_start, c->mm_range,
					      c->notifier_size, c->ops,
					      c->chunks, c->num_chunks),
			-EINVAL);
	/* No reference on the mm is left behind. */
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

static void drm_gpusvm_init_fini(struct kunit *test)
{
	static const unsigned long chunks[] = { SZ_4K };
	struct drm_gpusvm gpusvm;
	int mm_count;

	gm_init(test);
	mm_count = atomic_read(&current->mm->mm_count);
	/* The whole address space, up to the last page, is a valid window. */
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&gpusvm, "kunit", current->mm, 0,
					      -PAGE_SIZE, SZ_4K, &noop_ops,
					      chunks, 1), 0);
	KUNIT_EXPECT_PTR_EQ(test, gpusvm.mm, current->mm);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count + 1);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_has_mapping(&gpusvm, 0, ULONG_MAX));
	drm_gpusvm_fini(&gpusvm);
	KUNIT_EXPECT_NULL(test, gpusvm.mm);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

/* A mock VM with 64K and 4K chunks and 2M notifiers. */
static struct gm_svm *counting_create(struct kunit *test)
{
	static const unsigned long chunks[] = { SZ_64K, SZ_4K };
	const struct gm_svm_config cfg = {
		.chunk_sizes = chunks, .num_chunks = ARRAY_SIZE(chunks),
		.mm_start = 0, .mm_range = -PAGE_SIZE, .notifier_size = SZ_2M,
	};
	struct gm_svm *svm = svm_create(test, &cfg);

	gm_mmap(test, GM_BASE, SZ_8M, RW);
	return svm;
}

static struct drm_gpusvm_range *counting_insert(struct gm_svm *svm,
						unsigned long addr)
{
	return gm_svm_fault(svm, addr, WIN_START, WIN_END, NULL);
}

static void drm_gpusvm_init_fini_removes_ranges(struct kunit *test)
{
	struct gm_svm *svm = counting_create(test);
	struct gm_ctx *ctx = svm_ctx(svm);
	int mm_count = atomic_read(&current->mm->mm_count);

	/* Three ranges in two notifiers, left for fini to clean up. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(svm, GM_BASE)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(svm, GM_BASE + SZ_64K)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(svm, GM_BASE + SZ_4M)));
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->notifier_allocs), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->range_allocs), 3);

	gm_svm_destroy(svm);
	/* Every object went back through the driver's own free op. */
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->range_frees), 3);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->notifier_frees), 2);
	/* The GPU SVM's reference on the mm went with it. */
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count - 1);
}

static void drm_gpusvm_init_alloc_failures(struct kunit *test)
{
	struct gm_svm *svm = counting_create(test);
	struct gm_ctx *ctx = svm_ctx(svm);
	struct drm_gpusvm_range *r;

	/* No notifier: -ENOMEM, and nothing is left in the tree. */
	ctx->fail_notifier_alloc = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(svm, GM_BASE)), -ENOMEM);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&svm->gpusvm, 0,
							 ULONG_MAX));
	ctx->fail_notifier_alloc = false;

	/* No range under a new notifier: the notifier goes again. */
	ctx->fail_range_alloc = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(svm, GM_BASE)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 0);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&svm->gpusvm, 0,
							 ULONG_MAX));
	ctx->fail_range_alloc = false;

	/* Allocation works again: a range, then a failure next to it. */
	r = counting_insert(svm, GM_BASE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	ctx->fail_range_alloc = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(svm, GM_BASE + SZ_64K)),
			-ENOMEM);
	ctx->fail_range_alloc = false;
	/* The existing notifier and range are untouched. */
	KUNIT_EXPECT_PTR_EQ(test, counting_insert(svm, GM_BASE), r);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->range_allocs), 1);
}

static struct kunit_case drm_gpusvm_init_cases[] = {
	KUNIT_CASE_PARAM(drm_gpusvm_init_rejects, init_gen_params),
	KUNIT_CASE(drm_gpusvm_init_fini),
	KUNIT_CASE(drm_gpusvm_init_fini_removes_ranges),
	KUNIT_CASE(drm_gpusvm_init_alloc_failures),
	{}
};

static struct kunit_suite drm_gpusvm_init_suite = {
	.name = "drm_gpusvm_init",
	.test_cases = drm_gpusvm_init_cases,
};

/* --- chunk selection, over chunk-size tables ---------------------------- */

struct chunk_table {
	const char *name;
	unsigned long sizes[3];
	int num;
	int idx;	/* column of the expectations below */
};

static const struct chunk_table chunk_tables[] = {
	{ "2M-64K-4K", { SZ_2M, SZ_64K, SZ_4K }, 3, 0 },
	{ "2M-4K", { SZ_2M, SZ_4K }, 2, 1 },
	{ "64K-4K", { SZ_64K, SZ_4K }, 2, 2 },
	{ "4K", { SZ_4K }, 1, 3 },
};

static void chunk_table_desc(const struct chunk_table *t, char *desc)
{
	strscpy(desc, t->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(chunk_table, chunk_tables, chunk_table_desc);

/* Expected range size for each table, in the order of chunk_tables[]. */
struct expect {
	unsigned long size[4];
};

static struct gm_svm *chunk_setup(struct kunit *test, unsigned long mm_start,
				  unsigned long mm_end)
{
	const struct chunk_table *t = test->param_value;
	struct gm_svm_config cfg = gm_svm_default_config;

	cfg.chunk_sizes = t->sizes;
	cfg.num_chunks = t->num;
	cfg.mm_start = mm_start;
	cfg.mm_range = mm_end - mm_start;
	return svm_create(test, &cfg);
}

static void expect_range(struct kunit *test, struct gm_svm *svm,
			 unsigned long fault, unsigned long win_start,
			 unsigned long win_end, const struct drm_gpusvm_ctx *ctx,
			 struct expect e)
{
	const struct chunk_table *t = test->param_value;
	unsigned long size = e.size[t->idx];
	struct drm_gpusvm_range *r;

	r = gm_svm_fault(svm, fault, win_start, win_end, ctx);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(r), "fault at %#lx: %ld", fault,
			       PTR_ERR(r));
	KUNIT_EXPECT_EQ_MSG(test, drm_gpusvm_range_size(r), size,
			    "fault at %#lx", fault);
	KUNIT_EXPECT_EQ_MSG(test, drm_gpusvm_range_start(r),
			    ALIGN_DOWN(fault, size), "fault at %#lx", fault);
	KUNIT_EXPECT_FALSE(test, r->flags.migrate_devmem);
}

static void drm_gpusvm_chunk_largest(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);

	gm_mmap(test, GM_BASE, SZ_4M, RW);
	expect_range(test, svm, GM_BASE + SZ_2M + 5 * SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	/* The last page of the VMA. */
	expect_range(test, svm, GM_BASE + SZ_2M - SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_vma_start(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);

	/* 2M around the fault would start before the VMA. */
	gm_mmap(test, GM_BASE + SZ_64K, SZ_4M, RW);
	expect_range(test, svm, GM_BASE + SZ_64K + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* The 2M block after it is whole again. */
	expect_range(test, svm, GM_BASE + SZ_2M + SZ_1M, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_vma_end(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);

	/* The VMA ends 64K before the 2M boundary. */
	gm_mmap(test, GM_BASE, SZ_2M - SZ_64K, RW);
	expect_range(test, svm, GM_BASE + SZ_8K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	expect_range(test, svm, GM_BASE + SZ_2M - SZ_64K - SZ_4K, WIN_START,
		     WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_gpuva_window(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	unsigned long ws = GM_BASE + SZ_4K, we = GM_BASE + SZ_4M - SZ_64K;

	gm_mmap(test, GM_BASE, SZ_4M, RW);
	/* Every chunk but 4K starts before the GPU window. */
	expect_range(test, svm, GM_BASE + SZ_8K, ws, we, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* 2M would end past it; 64K fits. */
	expect_range(test, svm, GM_BASE + SZ_2M + SZ_1M, ws, we, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* Outside the window there is no range at all. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE, ws, we, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, we, ws, we, NULL)),
			-EINVAL);
}

static void drm_gpusvm_chunk_mirror_window(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, GM_BASE + SZ_1M,
					 GM_BASE + SZ_8M);

	gm_mmap(test, GM_BASE, SZ_8M + SZ_2M, RW);
	expect_range(test, svm, GM_BASE + SZ_1M + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	expect_range(test, svm, GM_BASE + SZ_4M, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE + SZ_4K,
						   WIN_START, WIN_END, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE + SZ_8M,
						   WIN_START, WIN_END, NULL)),
			-EINVAL);
}

static void drm_gpusvm_chunk_neighbours(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	unsigned long small = GM_BASE + SZ_64K + SZ_8K;

	gm_mmap(test, GM_BASE, SZ_4M, RW);
	/* A 4K range, forced by a one-page GPU window. */
	expect_range(test, svm, small, small, small + SZ_4K, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* Its 64K and 2M blocks are taken: the neighbour page gets 4K. */
	expect_range(test, svm, small + SZ_8K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* The next 64K block is free, its 2M block is not. */
	expect_range(test, svm, GM_BASE + SZ_128K + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* The next 2M block is free. */
	expect_range(test, svm, GM_BASE + SZ_2M + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 4);
}

static void drm_gpusvm_chunk_existing(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	const struct chunk_table *t = test->param_value;
	struct drm_gpusvm_range *r, *again;
	unsigned long off;

	gm_mmap(test, GM_BASE, SZ_4M, RW);
	r = gm_svm_fault(svm, GM_BASE, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	/* Every address of the range finds it, even with a tiny window. */
	for (off = 0; off < t->sizes[0]; off += SZ_4K) {
		again = gm_svm_fault(svm, GM_BASE + off, GM_BASE + off,
				     GM_BASE + off + SZ_4K, NULL);
		KUNIT_EXPECT_PTR_EQ(test, again, r);
	}
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 1);
	KUNIT_EXPECT_PTR_EQ(test, gm_svm_range(svm, GM_BASE + t->sizes[0] - 1),
			    to_gm_range(r));
	KUNIT_EXPECT_NULL(test, gm_svm_range(svm, GM_BASE + t->sizes[0]));
}

static void drm_gpusvm_chunk_check_pages(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx check = { .check_pages_threshold = SZ_64K };

	/* 1M: no 2M chunk fits, so 64K is the largest candidate. */
	gm_mmap(test, GM_BASE, SZ_1M, RW);
	gm_cpu_fill(test, GM_BASE + SZ_4K, SZ_4K, 1);

	/* Sparse 64K block: refused when checking, at any page of it. */
	expect_range(test, svm, GM_BASE + SZ_4K, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	expect_range(test, svm, GM_BASE + SZ_32K, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* Fully populated 64K block: accepted. */
	gm_cpu_fill(test, GM_BASE + SZ_64K, SZ_64K, 2);
	expect_range(test, svm, GM_BASE + SZ_64K + SZ_8K, WIN_START, WIN_END,
		     &check, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* Without the check, a sparse block is taken whole. */
	expect_range(test, svm, GM_BASE + SZ_256K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_check_pages_threshold(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx check = { .check_pages_threshold = SZ_64K };

	/* Chunks above the threshold are not checked: a sparse 2M is fine. */
	gm_mmap(test, GM_BASE, SZ_4M, RW);
	/* Sparse for real: no huge page may back the 2M block. */
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		gm_madvise(test, GM_BASE, SZ_4M, MADV_NOHUGEPAGE);
	gm_cpu_fill(test, GM_BASE, SZ_4K, 3);
	expect_range(test, svm, GM_BASE + SZ_1M, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_2M, SZ_2M, SZ_4K, SZ_4K } });
}

static void drm_gpusvm_chunk_errors(struct kunit *test)
{
	struct gm_svm *svm = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx ro = { .read_only = true };
	struct drm_gpusvm_range *r;

	gm_mmap(test, GM_BASE, SZ_2M, RW);
	gm_mmap(test, GM_BASE + SZ_4M, SZ_2M, PROT_READ);

	/* A hole, and the page after the VMA: no VMA there. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE + SZ_2M + SZ_4K,
						   WIN_START, WIN_END, NULL)),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE + SZ_2M,
						   WIN_START, WIN_END, NULL)),
			-ENOENT);
	/* Read-only VMA: only for read-only access. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gm_svm_fault(svm, GM_BASE + SZ_4M,
						   WIN_START, WIN_END, NULL)),
			-EPERM);
	r = gm_svm_fault(svm, GM_BASE + SZ_4M, WIN_START, WIN_END, &ro);
	KUNIT_EXPECT_FALSE(test, IS_ERR(r));
	/* Failed lookups leave neither ranges nor notifiers behind. */
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 1);
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 1);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 1);
}

static struct kunit_case drm_gpusvm_chunk_cases[] = {
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_largest, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_vma_start, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_vma_end, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_gpuva_window, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_mirror_window, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_neighbours, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_existing, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_check_pages, chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_check_pages_threshold,
			 chunk_table_gen_params),
	KUNIT_CASE_PARAM(drm_gpusvm_chunk_errors, chunk_table_gen_params),
	{}
};

static struct kunit_suite drm_gpusvm_chunk_suite = {
	.name = "drm_gpusvm_chunk",
	.test_cases = drm_gpusvm_chunk_cases,
};

/* --- notifiers ----------------------------------------------------------- */

static void drm_gpusvm_notifier_on_demand(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_notifier *notifier;

	gm_mmap(test, GM_BASE + SZ_64M, SZ_2M, RW);
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, GM_BASE + SZ_64M,
						     WIN_START, WIN_END, NULL)));
	KUNIT_ASSERT_EQ(test, gm_svm_count_notifiers(svm), 1);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 1);

	/* It covers the notifier-size aligned window around the range. */
	notifier = drm_gpusvm_notifier_find(&svm->gpusvm, GM_BASE, GM_BASE + 1);
	KUNIT_ASSERT_NOT_NULL(test, notifier);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_start(notifier),
			ALIGN_DOWN(GM_BASE + SZ_64M, SZ_512M));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_size(notifier), SZ_512M);
	KUNIT_EXPECT_PTR_EQ(test, notifier->notifier.mm, current->mm);
}

static void drm_gpusvm_notifier_shared(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);

	gm_mmap(test, GM_BASE, SZ_8M, RW);
	gm_mmap(test, GM_BASE + SZ_512M, SZ_2M, RW);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, GM_BASE, WIN_START,
						     WIN_END, NULL)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, GM_BASE + SZ_4M,
						     WIN_START, WIN_END, NULL)));
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, GM_BASE + SZ_512M,
						     WIN_START, WIN_END, NULL)));
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 2);
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 3);
}

static void drm_gpusvm_notifier_removed_with_last_range(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_range *a, *b;

	gm_mmap(test, GM_BASE, SZ_8M, RW);
	a = gm_svm_fault(svm, GM_BASE, WIN_START, WIN_END, NULL);
	b = gm_svm_fault(svm, GM_BASE + SZ_2M, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));

	mutex_lock(&svm->lock);
	drm_gpusvm_range_remove(&svm->gpusvm, a);
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 1);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 1);

	mutex_lock(&svm->lock);
	drm_gpusvm_range_remove(&svm->gpusvm, b);
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 0);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 0);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 0);
}

static void drm_gpusvm_notifier_range_ref(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_range *r;

	gm_mmap(test, GM_BASE, SZ_2M, RW);
	r = gm_svm_fault(svm, GM_BASE, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));

	/* A reference keeps a removed range alive, not in the tree. */
	KUNIT_EXPECT_PTR_EQ(test, drm_gpusvm_range_get(r), r);
	mutex_lock(&svm->lock);
	drm_gpusvm_range_remove(&svm->gpusvm, r);
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 1);
	KUNIT_EXPECT_NULL(test, gm_svm_range(svm, GM_BASE));
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 0);
	drm_gpusvm_range_put(r);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 0);
}

static const unsigned long notifier_sizes[] = { SZ_2M, SZ_4M, SZ_512M };

static void notifier_size_desc(const unsigned long *size, char *desc)
{
	snprintf(desc, KUNIT_PARAM_DESC_SIZE, "notifier-%luK", *size / SZ_1K);
}

KUNIT_ARRAY_PARAM(notifier_size, notifier_sizes, notifier_size_desc);

static void drm_gpusvm_notifier_size_variants(struct kunit *test)
{
	const unsigned long *size = test->param_value;
	struct gm_svm_config cfg = gm_svm_default_config;
	struct drm_gpusvm_notifier *notifier;
	struct gm_svm *svm;
	unsigned long a;

	cfg.notifier_size = *size;
	svm = svm_create(test, &cfg);
	gm_mmap(test, GM_BASE, SZ_8M, RW);
	for (a = GM_BASE; a < GM_BASE + SZ_8M; a += SZ_2M)
		KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, a, WIN_START,
							     WIN_END, NULL)));

	/* One notifier per window that holds ranges, each size-aligned. */
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm),
			DIV_ROUND_UP(SZ_8M, *size));
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 4);
	mutex_lock(&svm->lock);
	drm_gpusvm_for_each_notifier(notifier, &svm->gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		KUNIT_EXPECT_TRUE(test, IS_ALIGNED(drm_gpusvm_notifier_start(notifier),
						   *size));
		KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_size(notifier), *size);
		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX) {
			KUNIT_EXPECT_GE(test, drm_gpusvm_range_start(r),
					drm_gpusvm_notifier_start(notifier));
			KUNIT_EXPECT_LE(test, drm_gpusvm_range_end(r),
					drm_gpusvm_notifier_end(notifier));
		}
	}
	mutex_unlock(&svm->lock);
}

static void drm_gpusvm_notifier_iteration_order(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_notifier *notifier;
	struct rnd_state rnd;
	unsigned int order[64], i, n = 0;
	unsigned long last = 0;
	const u64 seed = 0x5eed0001;

	kunit_info(test, "seed %#llx\n", seed);
	prandom_seed_state(&rnd, seed);
	for (i = 0; i < ARRAY_SIZE(order); i++)
		order[i] = i;
	for (i = ARRAY_SIZE(order) - 1; i > 0; i--) {
		unsigned int j = prandom_u32_state(&rnd) % (i + 1);

		swap(order[i], order[j]);
	}

	/* 64 one-page ranges, every other page, inserted in random order. */
	gm_mmap(test, GM_BASE, SZ_512K, RW);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		unsigned long a = GM_BASE + 2 * order[i] * SZ_4K;

		KUNIT_ASSERT_FALSE(test, IS_ERR(gm_svm_fault(svm, a, a, a + SZ_4K,
							     NULL)));
	}

	mutex_lock(&svm->lock);
	drm_gpusvm_for_each_notifier(notifier, &svm->gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX) {
			KUNIT_EXPECT_EQ(test, drm_gpusvm_range_start(r),
					GM_BASE + 2 * n * SZ_4K);
			KUNIT_EXPECT_GT(test, drm_gpusvm_range_start(r), last);
			last = drm_gpusvm_range_start(r);
			n++;
		}
	}
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_has_mapping(&svm->gpusvm,
						       GM_BASE, GM_BASE + 1));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_has_mapping(&svm->gpusvm,
							GM_BASE + SZ_4K,
							GM_BASE + SZ_8K));
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_EQ(test, n, ARRAY_SIZE(order));
}

static struct kunit_case drm_gpusvm_notifier_cases[] = {
	KUNIT_CASE(drm_gpusvm_notifier_on_demand),
	KUNIT_CASE(drm_gpusvm_notifier_shared),
	KUNIT_CASE(drm_gpusvm_notifier_removed_with_last_range),
	KUNIT_CASE(drm_gpusvm_notifier_range_ref),
	KUNIT_CASE_PARAM(drm_gpusvm_notifier_size_variants,
			 notifier_size_gen_params),
	KUNIT_CASE(drm_gpusvm_notifier_iteration_order),
	{}
};

static struct kunit_suite drm_gpusvm_notifier_suite = {
	.name = "drm_gpusvm_notifier",
	.test_cases = drm_gpusvm_notifier_cases,
};

/* --- collecting pages ---------------------------------------------------- */

/*
 * A stand-in for drm_gpusvm's hmm_range_fault() step that, after it,
 * invalidates the first page the way MADV_DONTNEED does: an invalidation
 * racing between mmu_interval_read_begin() and the commit, made to happen
 * at exactly that point.
 */
struct race {
	int invalidate;		/* how many calls invalidate; <0: all */
	int calls;
};

static struct race *test_race(void)
{
	struct gm_ctx *ctx = kunit_get_current_test()->priv;

	return ctx->priv;
}

static int race_hmm_fault(struct drm_gpusvm *gpusvm, struct mm_struct *mm,
			  struct hmm_range *hmm_range)
{
	struct race *race = test_race();
	int err;

	mmap_read_lock(mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(mm);

	race->calls++;
	if (race->invalidate) {
		if (race->invalidate > 0)
			race->invalidate--;
		gm_zap(kunit_get_current_test(), hmm_range->start, PAGE_SIZE);
	}
	return err;
}

static struct gm_range *pages_range(struct gm_svm *svm, unsigned long addr)
{
	struct drm_gpusvm_range *r;

	r = gm_svm_fault(svm, addr, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(kunit_get_current_test(), IS_ERR(r));
	return to_gm_range(r);
}

static int get_pages(struct gm_svm *svm, struct gm_range *r, bool read_only)
{
	struct drm_gpusvm_ctx ctx = { .read_only = read_only };

	return gm_svm_get_pages(svm, r, &ctx);
}

/* The GPU reads the pattern through the range's pages: wrong words. */
static unsigned long range_gpu_check(struct gm_svm *svm, struct gm_range *r,
				     unsigned long addr, unsigned long len,
				     u32 seed)
{
	return gm_gpu_check(&svm->gpusvm, &r->pages,
			    drm_gpusvm_range_start(&r->base), addr, len, seed);
}

static void drm_gpusvm_pages_populated(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_2M, RW);
	gm_cpu_fill(test, GM_BASE, SZ_2M, 11);
	r = pages_range(svm, GM_BASE);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_TRUE(test, r->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_NULL(test, r->pages.dpagemap);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[0].proto,
			DRM_INTERCONNECT_SYSTEM);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[0].dir,
			DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_NE(test, r->pages.notifier_seq, LONG_MAX);

	/* The GPU reads the CPU's data through those DMA addresses. */
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_2M, 11), 0);
}

static void drm_gpusvm_pages_unpopulated(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	u32 *buf = kunit_kzalloc(test, SZ_64K, GFP_KERNEL);
	struct gm_range *r;
	unsigned long i;
	u32 word = 1;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* Never touched by the CPU: get_pages() faults the pages in. */
	gm_mmap(test, GM_BASE, SZ_64K, RW);
	r = pages_range(svm, GM_BASE);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	KUNIT_ASSERT_EQ(test, gm_gpu_read(&svm->gpusvm, &r->pages, GM_BASE,
					  GM_BASE + 60, &word, sizeof(word)), 0);
	KUNIT_EXPECT_EQ(test, word, 0);
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_SYSTEM,
					     NULL), SZ_64K / PAGE_SIZE);

	/* Faulted for writing: what the GPU writes, the CPU reads. */
	for (i = 0; i < SZ_64K / 4; i++)
		buf[i] = gm_pattern(GM_BASE + 4 * i, 12);
	KUNIT_ASSERT_EQ(test, gm_gpu_write(&svm->gpusvm, &r->pages, GM_BASE,
					   GM_BASE, buf, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 12), 0);
}

static void drm_gpusvm_pages_read_only_vma(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_ctx ro = { .read_only = true };
	struct drm_gpusvm_range *r;
	struct gm_range *gr;

	gm_mmap(test, GM_BASE, SZ_64K, PROT_READ);
	r = gm_svm_fault(svm, GM_BASE, WIN_START, WIN_END, &ro);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	gr = to_gm_range(r);
	/* Faulting a read-only VMA for writing is refused by the mm. */
	KUNIT_EXPECT_EQ(test, get_pages(svm, gr, false), -EPERM);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &gr->pages));
	KUNIT_ASSERT_EQ(test, get_pages(svm, gr, true), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)gr->pages.dma_addr[0].dir,
			DMA_TO_DEVICE);
}

static void drm_gpusvm_pages_thp(struct kunit *test)
{
	struct gm_svm *svm;
	struct gm_range *r;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "no transparent huge pages in this kernel");

	svm = svm_create(test, NULL);
	gm_mmap(test, GM_BASE, SZ_4M, RW);
	/* The first touch of an aligned 2M block gets a huge page (THP=always). */
	gm_cpu_fill(test, GM_BASE, SZ_2M, 13);
	r = pages_range(svm, GM_BASE + SZ_4K);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(&r->base), SZ_2M);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	/* One mapping for the whole folio. */
	KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[0].order,
			PMD_SHIFT - PAGE_SHIFT);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_2M, 13), 0);
}

static void drm_gpusvm_pages_race_retry(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct race race = { .invalidate = 1 };
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 14);
	r = pages_range(svm, GM_BASE);

	svm_ctx(svm)->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	/* The stale collection was thrown away and done again. */
	KUNIT_EXPECT_EQ(test, race.calls, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->invalidations), 1);
	KUNIT_EXPECT_EQ(test, svm->last_event, MMU_NOTIFY_CLEAR);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	/* The first page was dropped (zero now); the rest is intact. */
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE + SZ_4K,
					      SZ_64K - SZ_4K, 14), 0);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_4K, 14), SZ_4K / 4);
}

/*
 * get_pages() while the stub the caller activated answers every
 * hmm_range_fault(): -EBUSY once the whole time-out has passed, after more
 * than one attempt (*@calls), with nothing mapped.  Then the stub goes and
 * a new call succeeds.
 */
static void expect_pages_timeout(struct kunit *test, struct gm_svm *svm,
				 struct gm_range *r, const int *calls)
{
	unsigned long t0 = jiffies;

	KUNIT_EXPECT_EQ(test, get_pages(svm, r, false), -EBUSY);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	KUNIT_EXPECT_GT(test, *calls, 1);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - t0),
			HMM_RANGE_DEFAULT_TIMEOUT);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_EQ(test, get_pages(svm, r, false), 0);
}

static void drm_gpusvm_pages_timeout(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct race race = { .invalidate = -1 };
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_4K, RW);
	r = pages_range(svm, GM_BASE);
	/* Every collection is invalidated before it can be published. */
	svm_ctx(svm)->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	expect_pages_timeout(test, svm, r, &race.calls);
}

/*
 * hmm_range_fault() itself returns -EBUSY when an invalidation hits the
 * range during its walk.  The stub says -EBUSY without walking for the
 * first @busy calls (<0: always), then walks.
 */
struct busy {
	int busy;
	int calls;
};

static int busy_hmm_fault(struct drm_gpusvm *gpusvm, struct mm_struct *mm,
			  struct hmm_range *hmm_range)
{
	struct gm_ctx *ctx = kunit_get_current_test()->priv;
	struct busy *busy = ctx->priv;
	int err;

	busy->calls++;
	if (busy->busy) {
		if (busy->busy > 0)
			busy->busy--;
		return -EBUSY;
	}
	mmap_read_lock(mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(mm);
	return err;
}

static void drm_gpusvm_pages_hmm_busy_retry(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct busy busy = { .busy = 2 };
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 15);
	r = pages_range(svm, GM_BASE);

	svm_ctx(svm)->priv = &busy;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, busy_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	/* Two -EBUSY answers, each followed by a new read_begin and walk. */
	KUNIT_EXPECT_EQ(test, busy.calls, 3);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 15), 0);
}

static void drm_gpusvm_pages_hmm_busy_timeout(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct busy busy = { .busy = -1 };
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_4K, RW);
	r = pages_range(svm, GM_BASE);
	/* hmm_range_fault() says -EBUSY for ever. */
	svm_ctx(svm)->priv = &busy;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, busy_hmm_fault);
	expect_pages_timeout(test, svm, r, &busy.calls);
}

static void drm_gpusvm_pages_already_valid(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct race race = {};
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	r = pages_range(svm, GM_BASE);
	svm_ctx(svm)->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);
	KUNIT_EXPECT_EQ(test, race.calls, 1);
}

static void drm_gpusvm_pages_unmap(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_pagemap_addr *dma_addr;
	struct gm_range *r;
	unsigned long seq;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	r = pages_range(svm, GM_BASE);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	seq = r->pages.notifier_seq;
	dma_addr = r->pages.dma_addr;

	gm_svm_unmap_pages(svm, r);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_EQ(test, r->pages.notifier_seq, LONG_MAX);
	/* The address array is kept for the next collection. */
	KUNIT_EXPECT_PTR_EQ(test, r->pages.dma_addr, dma_addr);
	/* Unmapping again does nothing. */
	gm_svm_unmap_pages(svm, r);

	/* Collected again at the same sequence: nothing changed the mm. */
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	KUNIT_EXPECT_EQ(test, r->pages.notifier_seq, seq);
	KUNIT_EXPECT_PTR_EQ(test, r->pages.dma_addr, dma_addr);
}

static void drm_gpusvm_pages_vma_gone(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_2M, RW);
	r = pages_range(svm, GM_BASE);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(&r->base), SZ_2M);
	/*
	 * Half of it goes before its pages are collected.  The VM lock keeps
	 * the garbage collector from removing the range meanwhile.
	 */
	mutex_lock(&svm->lock);
	gm_munmap(test, GM_BASE + SZ_1M, SZ_1M);
	KUNIT_EXPECT_TRUE(test, r->base.flags.unmapped);
	KUNIT_EXPECT_TRUE(test, r->base.flags.partial_unmap);
	KUNIT_EXPECT_TRUE(test, r->pages.flags.unmapped);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_get_pages(&svm->gpusvm, &r->pages,
						   current->mm,
						   &r->base.notifier->notifier,
						   GM_BASE, GM_BASE + SZ_2M,
						   &(struct drm_gpusvm_ctx){}),
			-EFAULT);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);
	mutex_unlock(&svm->lock);
}

static struct kunit_case drm_gpusvm_pages_cases[] = {
	KUNIT_CASE(drm_gpusvm_pages_populated),
	KUNIT_CASE(drm_gpusvm_pages_unpopulated),
	KUNIT_CASE(drm_gpusvm_pages_read_only_vma),
	KUNIT_CASE(drm_gpusvm_pages_thp),
	KUNIT_CASE(drm_gpusvm_pages_race_retry),
	KUNIT_CASE_SLOW(drm_gpusvm_pages_timeout),
	KUNIT_CASE(drm_gpusvm_pages_hmm_busy_retry),
	KUNIT_CASE_SLOW(drm_gpusvm_pages_hmm_busy_timeout),
	KUNIT_CASE(drm_gpusvm_pages_already_valid),
	KUNIT_CASE(drm_gpusvm_pages_unmap),
	KUNIT_CASE(drm_gpusvm_pages_vma_gone),
	{}
};

static struct kunit_suite drm_gpusvm_pages_suite = {
	.name = "drm_gpusvm_pages",
	.test_cases = drm_gpusvm_pages_cases,
};

/* --- the pages API without ranges: a userptr ------------------------------ */

/*
 * A user of drm_gpusvm_get_pages() that is not an SVM range, as a userptr
 * binding is: its own MMU interval notifier over its own interval, and
 * a GPU SVM initialized without an mm only for the notifier lock.
 */
struct uptr {
	struct drm_gpusvm *gpusvm;
	struct mm_struct *mm;
	struct drm_gpusvm_pages pages;
	struct mmu_interval_notifier notifier;
	unsigned long start, end;
	int invalidations;
};

static bool uptr_invalidate(struct mmu_interval_notifier *mni,
			    const struct mmu_notifier_range *range,
			    unsigned long cur_seq)
{
	struct uptr *u = container_of(mni, struct uptr, notifier);
	const struct drm_gpusvm_ctx ctx = { .in_notifier = true };

	if (!mmu_notifier_range_blockable(range))
		return false;
	down_write(&u->gpusvm->notifier_lock);
	mmu_interval_set_seq(mni, cur_seq);
	drm_gpusvm_unmap_pages(u->gpusvm, &u->pages,
			       (u->end - u->start) >> PAGE_SHIFT, &ctx);
	u->invalidations++;
	up_write(&u->gpusvm->notifier_lock);
	return true;
}

static const struct mmu_interval_notifier_ops uptr_ops = {
	.invalidate = uptr_invalidate,
};

static void gpusvm_fini_action(void *gpusvm)
{
	drm_gpusvm_fini(gpusvm);
}

/* A GPU SVM in the mode for users that are not ranges. */
static struct drm_gpusvm *simple_create(struct kunit *test, struct gm_dev **gdev)
{
	struct gm_ctx *ctx = gm_init(test);
	struct drm_gpusvm *gpusvm;

	*gdev = gm_dev_create(ctx);
	gpusvm = kunit_kzalloc(test, sizeof(*gpusvm), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, gpusvm);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(gpusvm, "userptr", NULL, 0, 0, 0,
					      NULL, NULL, 0), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, gpusvm_fini_action,
							gpusvm), 0);
	return gpusvm;
}

static void uptr_release(void *arg)
{
	struct uptr *u = arg;

	mmu_interval_notifier_remove(&u->notifier);
	drm_gpusvm_free_pages(u->gpusvm, &u->pages,
			      (u->end - u->start) >> PAGE_SHIFT);
}

static struct uptr *uptr_create(struct kunit *test, struct drm_gpusvm *gpusvm,
				struct gm_dev *gdev, struct mm_struct *mm,
				unsigned long start, unsigned long len)
{
	struct uptr *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->gpusvm = gpusvm;
	u->mm = mm;
	u->start = start;
	u->end = start + len;
	drm_gpusvm_init_pages(&u->pages, gdev->drm);
	KUNIT_ASSERT_EQ(test, mmu_interval_notifier_insert(&u->notifier, mm,
							   start, len,
							   &uptr_ops), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, uptr_release, u),
			0);
	return u;
}

static int uptr_get_pages(struct uptr *u, bool read_only)
{
	const struct drm_gpusvm_ctx ctx = { .read_only = read_only };

	return drm_gpusvm_get_pages(u->gpusvm, &u->pages, u->mm, &u->notifier,
				    u->start, u->end, &ctx);
}

static bool uptr_valid(struct uptr *u)
{
	bool valid;

	drm_gpusvm_notifier_lock(u->gpusvm);
	valid = drm_gpusvm_pages_valid(u->gpusvm, &u->pages);
	drm_gpusvm_notifier_unlock(u->gpusvm);
	return valid;
}

static unsigned long uptr_gpu_check(struct uptr *u, unsigned long addr,
				    unsigned long len, u32 seed)
{
	return gm_gpu_check(u->gpusvm, &u->pages, u->start, addr, len, seed);
}

/* Without an mm: no window, no ranges, no reference on any mm. */
static void drm_gpusvm_simple_init(struct kunit *test)
{
	struct drm_gpusvm gpusvm;
	int mm_count;

	gm_init(test);
	mm_count = atomic_read(&current->mm->mm_count);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&gpusvm, NULL, NULL, 0, 0, 0,
					      NULL, NULL, 0), 0);
	KUNIT_EXPECT_NULL(test, gpusvm.mm);
	KUNIT_EXPECT_NULL(test, gpusvm.ops);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_has_mapping(&gpusvm, 0, ULONG_MAX));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(&gpusvm, 0, ULONG_MAX),
			ULONG_MAX);
	drm_gpusvm_fini(&gpusvm);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

static void drm_gpusvm_simple_get_pages(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	struct uptr *u;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 21);
	u = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE + SZ_8K,
			SZ_32K);
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, false), 0);
	KUNIT_EXPECT_TRUE(test, uptr_valid(u));
	KUNIT_EXPECT_TRUE(test, u->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_NE(test, u->pages.notifier_seq, LONG_MAX);
	KUNIT_EXPECT_EQ(test, uptr_gpu_check(u, u->start, SZ_32K, 21), 0);
	/* Collecting valid pages again is a no-op. */
	KUNIT_EXPECT_EQ(test, uptr_get_pages(u, false), 0);
	KUNIT_EXPECT_EQ(test, u->invalidations, 0);
}

static void drm_gpusvm_simple_invalidation(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	struct uptr *u;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 22);
	u = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE, SZ_32K);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, false), 0);

	/* Outside its interval: not its business. */
	gm_zap(test, GM_BASE + SZ_32K, SZ_4K);
	KUNIT_EXPECT_EQ(test, u->invalidations, 0);
	KUNIT_EXPECT_TRUE(test, uptr_valid(u));

	/* Inside: unmapped by its callback, and collected anew. */
	gm_zap(test, GM_BASE + SZ_4K, SZ_4K);
	KUNIT_EXPECT_EQ(test, u->invalidations, 1);
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
	KUNIT_EXPECT_FALSE(test, u->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_EQ(test, u->pages.notifier_seq, LONG_MAX);
	gm_cpu_fill(test, GM_BASE, SZ_32K, 23);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, false), 0);
	KUNIT_EXPECT_EQ(test, uptr_gpu_check(u, GM_BASE, SZ_32K, 23), 0);
}

static void drm_gpusvm_simple_unmap_and_free(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	const unsigned long npages = SZ_32K >> PAGE_SHIFT;
	struct uptr *u;

	gm_mmap(test, GM_BASE, SZ_32K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_32K, 24);
	u = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE, SZ_32K);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, false), 0);

	drm_gpusvm_unmap_pages(gpusvm, &u->pages, npages,
			       &(struct drm_gpusvm_ctx){});
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
	KUNIT_EXPECT_NOT_NULL(test, u->pages.dma_addr);

	drm_gpusvm_free_pages(gpusvm, &u->pages, npages);
	KUNIT_EXPECT_NULL(test, u->pages.dma_addr);
	/* Safe on pages freed already. */
	drm_gpusvm_free_pages(gpusvm, &u->pages, npages);

	/* Freed mapped pages are unmapped first; collected, they work again. */
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, true), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)u->pages.dma_addr[0].dir,
			DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, uptr_gpu_check(u, GM_BASE, SZ_32K, 24), 0);
	drm_gpusvm_free_pages(gpusvm, &u->pages, npages);
	KUNIT_EXPECT_FALSE(test, u->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_NULL(test, u->pages.dma_addr);
}

static void drm_gpusvm_simple_read_only(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	u8 *buf = kunit_kmalloc(test, SZ_16K, GFP_KERNEL);
	struct uptr *u;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	gm_mmap(test, GM_BASE, SZ_16K, PROT_READ);
	u = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE, SZ_16K);
	KUNIT_EXPECT_EQ(test, uptr_get_pages(u, false), -EPERM);
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, true), 0);
	KUNIT_EXPECT_TRUE(test, uptr_valid(u));
	KUNIT_EXPECT_EQ(test, (unsigned int)u->pages.dma_addr[0].dir,
			DMA_TO_DEVICE);
	/* Never written: zero pages, read as zeroes. */
	memset(buf, 0xa5, SZ_16K);
	KUNIT_ASSERT_EQ(test, gm_gpu_read(gpusvm, &u->pages, GM_BASE, GM_BASE,
					  buf, SZ_16K), 0);
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, SZ_16K));
}

static void drm_gpusvm_simple_no_vma(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	struct uptr *u;

	gm_mmap(test, GM_BASE, SZ_32K, RW);
	u = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE, SZ_32K);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(u, false), 0);
	gm_munmap(test, GM_BASE + SZ_16K, SZ_16K);
	KUNIT_EXPECT_EQ(test, u->invalidations, 1);
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
	/* Half of it has no VMA any more. */
	KUNIT_EXPECT_EQ(test, uptr_get_pages(u, false), -EFAULT);
	KUNIT_EXPECT_FALSE(test, u->pages.flags.has_dma_mapping);
}

static void drm_gpusvm_simple_mm_gone(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	struct mm_struct *mm = mm_alloc();
	struct uptr *u;

	KUNIT_ASSERT_NOT_NULL(test, mm);
	/* A process that registered a userptr, then exited. */
	u = uptr_create(test, gpusvm, gdev, mm, GM_BASE, SZ_16K);
	mmput(mm);
	KUNIT_EXPECT_EQ(test, uptr_get_pages(u, false), -EFAULT);
	KUNIT_EXPECT_FALSE(test, uptr_valid(u));
}

/* Two users of one notifier lock: each its own interval and pages. */
static void drm_gpusvm_simple_two_users(struct kunit *test)
{
	struct gm_dev *gdev;
	struct drm_gpusvm *gpusvm = simple_create(test, &gdev);
	struct uptr *a, *b;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_64K, 25);
	a = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE, SZ_32K);
	b = uptr_create(test, gpusvm, gdev, current->mm, GM_BASE + SZ_16K,
			SZ_32K);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(a, false), 0);
	KUNIT_ASSERT_EQ(test, uptr_get_pages(b, false), 0);

	/* Only b covers the last 16K. */
	gm_zap(test, GM_BASE + SZ_32K, SZ_4K);
	KUNIT_EXPECT_TRUE(test, uptr_valid(a));
	KUNIT_EXPECT_FALSE(test, uptr_valid(b));
	/* Both cover the middle. */
	KUNIT_ASSERT_EQ(test, uptr_get_pages(b, false), 0);
	gm_zap(test, GM_BASE + SZ_16K, SZ_4K);
	KUNIT_EXPECT_FALSE(test, uptr_valid(a));
	KUNIT_EXPECT_FALSE(test, uptr_valid(b));
	KUNIT_EXPECT_EQ(test, a->invalidations, 1);
	KUNIT_EXPECT_EQ(test, b->invalidations, 2);
}

static struct kunit_case drm_gpusvm_simple_cases[] = {
	KUNIT_CASE(drm_gpusvm_simple_init),
	KUNIT_CASE(drm_gpusvm_simple_get_pages),
	KUNIT_CASE(drm_gpusvm_simple_invalidation),
	KUNIT_CASE(drm_gpusvm_simple_unmap_and_free),
	KUNIT_CASE(drm_gpusvm_simple_read_only),
	KUNIT_CASE(drm_gpusvm_simple_no_vma),
	KUNIT_CASE(drm_gpusvm_simple_mm_gone),
	KUNIT_CASE(drm_gpusvm_simple_two_users),
	{}
};

static struct kunit_suite drm_gpusvm_simple_suite = {
	.name = "drm_gpusvm_simple",
	.test_cases = drm_gpusvm_simple_cases,
};

/* --- ranges: invalidation, unmapping, removal ------------------------------ */

/* A 64K range of collected pages, filled with @seed. */
static struct gm_range *mapped_range(struct gm_svm *svm, unsigned long addr,
				     u32 seed)
{
	struct kunit *test = kunit_get_current_test();
	struct gm_range *r;

	gm_cpu_fill(test, addr, SZ_64K, seed);
	r = pages_range(svm, addr);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(&r->base), SZ_64K);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	return r;
}

static const unsigned long small_chunks[] = { SZ_64K, SZ_4K };

static const struct gm_svm_config small_config = {
	.chunk_sizes = small_chunks,
	.num_chunks = ARRAY_SIZE(small_chunks),
	.mm_start = 0,
	.mm_range = BIT(47),
	.notifier_size = SZ_2M,
};

static void drm_gpusvm_range_set_unmapped_refuses(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct mmu_notifier_range mr = {
		.start = GM_BASE, .end = GM_BASE + SZ_64K,
		.event = MMU_NOTIFY_UNMAP,
	};
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_128K, RW);
	r = mapped_range(svm, GM_BASE, 31);
	/* As the invalidation callback does, under the notifier lock. */
	down_write(&svm->gpusvm.notifier_lock);
	drm_gpusvm_unmap_pages(&svm->gpusvm, &r->pages, gm_range_npages(r),
			       &(struct drm_gpusvm_ctx){ .in_notifier = true });
	drm_gpusvm_range_set_unmapped(&r->base, &r->pages, 1, &mr);
	up_write(&svm->gpusvm.notifier_lock);

	KUNIT_EXPECT_TRUE(test, r->base.flags.unmapped);
	KUNIT_EXPECT_FALSE(test, r->base.flags.partial_unmap);
	KUNIT_EXPECT_TRUE(test, r->pages.flags.unmapped);
	/* The VMA is still there, but the pages are refused from now on. */
	KUNIT_EXPECT_EQ(test, get_pages(svm, r, false), -EFAULT);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);

	/* A second range, unmapped in part. */
	r = mapped_range(svm, GM_BASE + SZ_64K, 32);
	mr.start = GM_BASE + SZ_64K + SZ_32K;
	mr.end = GM_BASE + SZ_256K;
	down_write(&svm->gpusvm.notifier_lock);
	drm_gpusvm_range_set_unmapped(&r->base, &r->pages, 1, &mr);
	up_write(&svm->gpusvm.notifier_lock);
	KUNIT_EXPECT_TRUE(test, r->base.flags.unmapped);
	KUNIT_EXPECT_TRUE(test, r->base.flags.partial_unmap);
	/* Pages that were valid stay so until invalidated. */
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	gm_svm_unmap_pages(svm, r);
	KUNIT_EXPECT_EQ(test, get_pages(svm, r, false), -EFAULT);
}

static void drm_gpusvm_range_munmap_collected(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	r = mapped_range(svm, GM_BASE, 33);
	KUNIT_ASSERT_EQ(test, live_ranges(svm), 1);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));

	/* The range goes with the collector, so it is not looked at again. */
	gm_munmap(test, GM_BASE, SZ_64K);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->events[MMU_NOTIFY_UNMAP]), 1);
	KUNIT_EXPECT_EQ(test, svm->last_start, GM_BASE);
	KUNIT_EXPECT_EQ(test, svm->last_end, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->unmapped_pages), 1);

	/* The collector removes it, and its notifier with it. */
	gm_svm_flush_gc(svm);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->gc_removed), 1);
	KUNIT_EXPECT_EQ(test, gm_svm_count_ranges(svm), 0);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 0);
	KUNIT_EXPECT_EQ(test, live_notifiers(svm), 0);
}

static void drm_gpusvm_range_partial_munmap(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm_range *again;
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_2M, RW);
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		gm_madvise(test, GM_BASE, SZ_2M, MADV_NOHUGEPAGE);
	gm_cpu_fill(test, GM_BASE, SZ_2M, 34);
	r = pages_range(svm, GM_BASE);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(&r->base), SZ_2M);
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);

	mutex_lock(&svm->lock);
	gm_munmap(test, GM_BASE + SZ_1M, SZ_1M);
	KUNIT_EXPECT_TRUE(test, r->base.flags.unmapped);
	KUNIT_EXPECT_TRUE(test, r->base.flags.partial_unmap);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);
	mutex_unlock(&svm->lock);

	/* Removed; what is still mapped gets a range of its own. */
	gm_svm_flush_gc(svm);
	KUNIT_EXPECT_NULL(test, gm_svm_range(svm, GM_BASE));
	again = gm_svm_fault(svm, GM_BASE + SZ_4K, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(again));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_size(again), SZ_64K);
	KUNIT_ASSERT_EQ(test, get_pages(svm, to_gm_range(again), false), 0);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, to_gm_range(again), GM_BASE,
					      SZ_64K, 34), 0);
}

static void drm_gpusvm_range_invalidation_events(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_128K, RW);
	r = mapped_range(svm, GM_BASE, 35);

	/* MADV_DONTNEED of one page: the range's pages go, the range stays. */
	gm_zap(test, GM_BASE + SZ_8K, SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->invalidations), 1);
	KUNIT_EXPECT_EQ(test, svm->last_event, MMU_NOTIFY_CLEAR);
	KUNIT_EXPECT_EQ(test, svm->last_start, GM_BASE + SZ_8K);
	KUNIT_EXPECT_EQ(test, svm->last_end, GM_BASE + SZ_8K + SZ_4K);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_FALSE(test, r->base.flags.unmapped);
	KUNIT_EXPECT_PTR_EQ(test, gm_svm_range(svm, GM_BASE), r);

	/* Collected again: the zapped page reads as zeroes. */
	KUNIT_ASSERT_EQ(test, get_pages(svm, r, false), 0);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_8K, 35), 0);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE + SZ_8K, SZ_4K, 35),
			SZ_4K / 4);

	/* A change next to the range, in the same notifier: no unmapping. */
	gm_zap(test, GM_BASE + SZ_64K, SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->invalidations), 2);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_EQ(test, atomic_read(&svm->unmapped_pages), 1);
}

static void drm_gpusvm_range_remove_unmaps(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_128K, RW);
	r = mapped_range(svm, GM_BASE, 36);
	mapped_range(svm, GM_BASE + SZ_64K, 37);
	gm_svm_remove(svm, r);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 1);
	KUNIT_EXPECT_NULL(test, gm_svm_range(svm, GM_BASE));
	KUNIT_EXPECT_EQ(test, gm_svm_count_notifiers(svm), 1);
	/* The other range is untouched. */
	r = gm_svm_range(svm, GM_BASE + SZ_64K);
	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE + SZ_64K, SZ_64K,
					      37), 0);
}

static void drm_gpusvm_range_fini_with_ranges(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct gm_ctx *ctx = svm_ctx(svm);
	int mm_count = atomic_read(&current->mm->mm_count);

	gm_mmap(test, GM_BASE, SZ_256K, RW);
	gm_mmap(test, GM_BASE + SZ_4M, SZ_64K, RW);
	mapped_range(svm, GM_BASE, 38);
	mapped_range(svm, GM_BASE + SZ_64K, 39);
	pages_range(svm, GM_BASE + SZ_128K);		/* never collected */
	mapped_range(svm, GM_BASE + SZ_4M, 40);
	/* One more, unmapped by the CPU and waiting for the collector. */
	mutex_lock(&svm->lock);
	gm_munmap(test, GM_BASE + SZ_4M, SZ_64K);
	KUNIT_EXPECT_EQ(test, live_ranges(svm), 4);
	mutex_unlock(&svm->lock);

	/* Torn down with all of that left: everything goes. */
	gm_svm_destroy(svm);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->range_frees), 4);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->notifier_frees),
			atomic_read(&ctx->notifier_allocs));
	/* Neither the GPU SVM nor a notifier holds the mm any more. */
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count - 1);
}

static void drm_gpusvm_range_find_vma_start(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, NULL);
	struct drm_gpusvm *g = &svm->gpusvm;

	gm_mmap(test, GM_BASE, SZ_1M, RW);
	gm_mmap(test, GM_BASE + SZ_4M, SZ_2M, RW);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(g, GM_BASE + SZ_512K,
							GM_BASE + SZ_8M),
			GM_BASE);
	/* The first VMA that intersects may begin before the interval. */
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(g, GM_BASE + SZ_4M + SZ_1M,
							GM_BASE + SZ_4M + SZ_2M),
			GM_BASE + SZ_4M);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(g, GM_BASE + SZ_2M,
							GM_BASE + SZ_8M),
			GM_BASE + SZ_4M);
	/* A hole. */
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(g, GM_BASE + SZ_1M,
							GM_BASE + SZ_4M),
			ULONG_MAX);
	/* The end is exclusive. */
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(g, GM_BASE - SZ_1M,
							GM_BASE),
			ULONG_MAX);
}

static void drm_gpusvm_range_mm_gone(struct kunit *test)
{
	static const unsigned long chunks[] = { SZ_4K };
	struct drm_gpusvm_range *r;
	struct drm_gpusvm gpusvm;
	struct mm_struct *mm;

	gm_init(test);
	mm = gm_dead_mm(test);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&gpusvm, "exited", mm, 0, BIT(47),
					      SZ_2M, &noop_ops, chunks, 1), 0);
	r = drm_gpusvm_range_find_or_insert(&gpusvm, GM_BASE, WIN_START, WIN_END,
					    &(struct drm_gpusvm_ctx){});
	KUNIT_EXPECT_EQ(test, PTR_ERR(r), -EFAULT);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_find_vma_start(&gpusvm, 0, ULONG_MAX),
			ULONG_MAX);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	drm_gpusvm_fini(&gpusvm);
}

static void drm_gpusvm_range_migrate_devmem_flag(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct drm_gpusvm_ctx devmem = { .devmem_possible = true };
	struct drm_gpusvm_range *r;

	gm_mmap(test, GM_BASE, SZ_128K, RW);
	gm_mmap_flags(test, GM_BASE + SZ_1M, SZ_64K, RW,
		      MAP_SHARED | MAP_ANONYMOUS);
	/* Private anonymous memory may migrate, if the driver says so. */
	r = gm_svm_fault(svm, GM_BASE, WIN_START, WIN_END, &devmem);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	KUNIT_EXPECT_TRUE(test, r->flags.migrate_devmem);
	r = gm_svm_fault(svm, GM_BASE + SZ_64K, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	KUNIT_EXPECT_FALSE(test, r->flags.migrate_devmem);
	/* Shared memory (shmem) never does. */
	r = gm_svm_fault(svm, GM_BASE + SZ_1M, WIN_START, WIN_END, &devmem);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	KUNIT_EXPECT_FALSE(test, r->flags.migrate_devmem);
}

static void drm_gpusvm_range_evict_system(struct kunit *test)
{
	struct gm_svm *svm = svm_create(test, &small_config);
	struct gm_range *r;

	gm_mmap(test, GM_BASE, SZ_64K, RW);
	gm_cpu_fill(test, GM_BASE, SZ_32K, 41);
	r = pages_range(svm, GM_BASE);
	/* System memory: eviction faults the rest in, nothing moves. */
	mutex_lock(&svm->lock);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_evict(&svm->gpusvm, &r->base), 0);
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_SYSTEM,
					     NULL), SZ_64K / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_32K, 41), 0);

	/* Without a VMA there is nothing to fault. */
	mutex_lock(&svm->lock);
	gm_munmap(test, GM_BASE, SZ_64K);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_evict(&svm->gpusvm, &r->base),
			-EFAULT);
	mutex_unlock(&svm->lock);
}

static struct kunit_case drm_gpusvm_range_cases[] = {
	KUNIT_CASE(drm_gpusvm_range_set_unmapped_refuses),
	KUNIT_CASE(drm_gpusvm_range_munmap_collected),
	KUNIT_CASE(drm_gpusvm_range_partial_munmap),
	KUNIT_CASE(drm_gpusvm_range_invalidation_events),
	KUNIT_CASE(drm_gpusvm_range_remove_unmaps),
	KUNIT_CASE(drm_gpusvm_range_fini_with_ranges),
	KUNIT_CASE(drm_gpusvm_range_find_vma_start),
	KUNIT_CASE(drm_gpusvm_range_mm_gone),
	KUNIT_CASE(drm_gpusvm_range_migrate_devmem_flag),
	KUNIT_CASE(drm_gpusvm_range_evict_system),
	{}
};

static struct kunit_suite drm_gpusvm_range_suite = {
	.name = "drm_gpusvm_range",
	.test_cases = drm_gpusvm_range_cases,
};

/* --- device pages, as drm_gpusvm sees them --------------------------------- */

/* Memories of this group share a device-private page owner. */
static const int dm_group;

/*
 * A mock VM with 64K ranges, and one or two mock memories (A, B) of its
 * device that share its page owner (B may be NULL).
 */
static struct gm_svm *dm_create(struct kunit *test, struct gm_mem **a,
				struct gm_mem **b)
{
	struct gm_svm *svm = svm_create(test, &small_config);

	*a = gm_mem_create(svm->gdev, SZ_2M, &dm_group);
	if (b)
		*b = gm_mem_create(svm->gdev, SZ_2M, &dm_group);
	svm->owner = (*a)->pagemap.owner;
	gm_mmap(test, GM_BASE, SZ_1M, RW);
	return svm;
}

/*
 * A small-config gpusvm with one device-memory allocator, a range over the
 * first 64K of its mapping (inserted before the CPU touches it, as a
 * GPU's first fault does), and the CPU's pattern of @seed in it.
 */
static struct gm_range *dm_range(struct kunit *test, struct gm_svm **svm,
				 struct gm_mem **a, u32 seed)
{
	struct gm_range *r;

	*svm = dm_create(test, a, NULL);
	r = pages_range(*svm, GM_BASE);
	gm_cpu_fill(test, GM_BASE, SZ_64K, seed);
	return r;
}

static void dm_migrate(struct gm_mem *mem, unsigned long start,
		       unsigned long end)
{
	KUNIT_ASSERT_EQ(kunit_get_current_test(),
			gm_migrate_new(mem, start, end, NULL), 0);
}

static enum drm_gpusvm_scan_result dm_scan(struct gm_svm *svm,
					   struct gm_range *r,
					   struct gm_mem *mem)
{
	return drm_gpusvm_scan_mm(&r->base, svm->owner,
				  mem ? &mem->pagemap : NULL);
}

static void drm_gpusvm_scan_unpopulated(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm = dm_create(test, &a, NULL);
	struct gm_range *r = pages_range(svm, GM_BASE);

	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_UNPOPULATED);
	/* One page missing is enough; nothing is faulted in by the scan. */
	gm_cpu_fill(test, GM_BASE, SZ_64K - SZ_4K, 51);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_UNPOPULATED);
	KUNIT_EXPECT_EQ(test, gm_cpu_where(test, GM_BASE + SZ_64K - SZ_4K, NULL),
			GM_NONE);
}

static void drm_gpusvm_scan_system(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 52);

	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_SYSTEM);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, NULL), DRM_GPUSVM_SCAN_SYSTEM);
}

static void drm_gpusvm_scan_equal(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 53);

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_EQUAL);
	/* The scan left the pages where they were. */
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_DEVICE,
					     &a->pagemap), SZ_64K / PAGE_SIZE);
}

static void drm_gpusvm_scan_other(struct kunit *test)
{
	struct gm_mem *a, *b;
	struct gm_svm *svm = dm_create(test, &a, &b);
	struct gm_range *r = pages_range(svm, GM_BASE);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 54);
	dm_migrate(b, GM_BASE, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_OTHER);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, NULL), DRM_GPUSVM_SCAN_OTHER);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, b), DRM_GPUSVM_SCAN_EQUAL);
}

static void drm_gpusvm_scan_mixed_device(struct kunit *test)
{
	struct gm_mem *a, *b;
	struct gm_svm *svm = dm_create(test, &a, &b);
	struct gm_range *r = pages_range(svm, GM_BASE);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 55);
	dm_migrate(a, GM_BASE, GM_BASE + SZ_32K);
	dm_migrate(b, GM_BASE + SZ_32K, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_MIXED_DEVICE);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, b), DRM_GPUSVM_SCAN_MIXED_DEVICE);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, NULL),
			DRM_GPUSVM_SCAN_MIXED_DEVICE);
}

static void drm_gpusvm_scan_mixed(struct kunit *test)
{
	struct gm_mem *a, *b;
	struct gm_svm *svm = dm_create(test, &a, &b);
	struct gm_range *r = pages_range(svm, GM_BASE);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 56);
	dm_migrate(a, GM_BASE + SZ_16K, GM_BASE + SZ_32K);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_MIXED);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, b), DRM_GPUSVM_SCAN_MIXED);
	/* Two pagemaps and system memory: still mixed. */
	dm_migrate(b, GM_BASE + SZ_32K, GM_BASE + SZ_32K + SZ_16K);
	KUNIT_EXPECT_EQ(test, dm_scan(svm, r, a), DRM_GPUSVM_SCAN_MIXED);
}

static void drm_gpusvm_scan_foreign_owner(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 57);
	struct gm_mem *c;

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	/* Device pages of another owner are not seen: not populated. */
	c = gm_mem_create(svm->gdev, SZ_2M, NULL);
	KUNIT_EXPECT_PTR_NE(test, c->pagemap.owner, a->pagemap.owner);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_scan_mm(&r->base, c->pagemap.owner,
						 &c->pagemap),
			DRM_GPUSVM_SCAN_UNPOPULATED);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_scan_mm(&r->base, NULL, NULL),
			DRM_GPUSVM_SCAN_UNPOPULATED);
	/* And they stay where they are. */
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_DEVICE,
					     &a->pagemap), SZ_64K / PAGE_SIZE);
}

static struct kunit_case drm_gpusvm_scan_cases[] = {
	KUNIT_CASE(drm_gpusvm_scan_unpopulated),
	KUNIT_CASE(drm_gpusvm_scan_system),
	KUNIT_CASE(drm_gpusvm_scan_equal),
	KUNIT_CASE(drm_gpusvm_scan_other),
	KUNIT_CASE(drm_gpusvm_scan_mixed_device),
	KUNIT_CASE(drm_gpusvm_scan_mixed),
	KUNIT_CASE(drm_gpusvm_scan_foreign_owner),
	{}
};

static struct kunit_suite drm_gpusvm_scan_suite = {
	.name = "drm_gpusvm_scan",
	.init = gm_require_devmem,
	.test_cases = drm_gpusvm_scan_cases,
};

static int dm_get_pages(struct gm_svm *svm, struct gm_range *r,
			bool devmem_only, bool allow_mixed)
{
	const struct drm_gpusvm_ctx ctx = {
		.device_private_page_owner = svm->owner,
		.devmem_only = devmem_only,
		.allow_mixed = allow_mixed,
	};

	return gm_svm_get_pages(svm, r, &ctx);
}

/* Nothing of @r is mapped, and no pagemap is held for it. */
static void dm_expect_unmapped(struct kunit *test, struct gm_svm *svm,
			       struct gm_range *r)
{
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_NULL(test, r->pages.dpagemap);
}

static void drm_gpusvm_devmem_device_pages(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 61);
	unsigned int refs;
	int i;

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	refs = kref_read(&a->dpagemap->ref);

	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, false), 0);
	KUNIT_EXPECT_TRUE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_TRUE(test, r->pages.flags.has_devmem_pages);
	/* The pages hold their pagemap while mapped. */
	KUNIT_EXPECT_PTR_EQ(test, r->pages.dpagemap, a->dpagemap);
	KUNIT_EXPECT_EQ(test, kref_read(&a->dpagemap->ref), refs + 1);
	/* Each page mapped by its provider, at the provider's address. */
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_maps), 16);
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[i].proto,
				DRM_INTERCONNECT_DRIVER);
	/* The GPU reads the data in device memory through them. */
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 61), 0);

	gm_svm_unmap_pages(svm, r);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_unmaps), 16);
	KUNIT_EXPECT_EQ(test, kref_read(&a->dpagemap->ref), refs);
}

static void drm_gpusvm_devmem_only_mixed(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 62);

	dm_migrate(a, GM_BASE, GM_BASE + SZ_32K);
	/* A system page where only device memory will do. */
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, true, true), -EFAULT);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_unmaps),
			atomic_read(&a->device_maps));

	/* All of it in device memory: fine. */
	dm_migrate(a, GM_BASE + SZ_32K, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, true, true), 0);
	KUNIT_EXPECT_TRUE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 62), 0);
}

static void drm_gpusvm_devmem_mixed_needs_allow(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 63);

	/* Device pages, then system pages. */
	dm_migrate(a, GM_BASE, GM_BASE + SZ_16K);
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, false), -EOPNOTSUPP);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_unmaps),
			atomic_read(&a->device_maps));

	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, true), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[0].proto,
			DRM_INTERCONNECT_DRIVER);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->pages.dma_addr[15].proto,
			DRM_INTERCONNECT_SYSTEM);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 63), 0);
	/* Nothing was migrated back to make it fit. */
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_DEVICE,
					     &a->pagemap), 4);
}

static void drm_gpusvm_devmem_system_then_device(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 64);

	/* System pages, then device pages: mixed all the same. */
	dm_migrate(a, GM_BASE + SZ_32K, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, false), -EOPNOTSUPP);
	dm_expect_unmapped(test, svm, r);
	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, true), 0);
	KUNIT_EXPECT_TRUE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 64), 0);
}

static void drm_gpusvm_devmem_two_allocations(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 65);

	dm_migrate(a, GM_BASE, GM_BASE + SZ_32K);
	dm_migrate(a, GM_BASE + SZ_32K, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->allocs) - atomic_read(&a->releases),
			2);
	/* One pagemap, two allocations: only with allow_mixed. */
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, true, false), -EOPNOTSUPP);
	dm_expect_unmapped(test, svm, r);
	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, true, true), 0);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 65), 0);
}

static void drm_gpusvm_devmem_two_pagemaps(struct kunit *test)
{
	struct gm_mem *a, *b;
	struct gm_svm *svm = dm_create(test, &a, &b);
	struct gm_range *r = pages_range(svm, GM_BASE);

	gm_cpu_fill(test, GM_BASE, SZ_64K, 66);
	dm_migrate(a, GM_BASE, GM_BASE + SZ_32K);
	dm_migrate(b, GM_BASE + SZ_32K, GM_BASE + SZ_64K);
	/* One struct drm_gpusvm_pages maps one pagemap's pages at most. */
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, false), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, true), -EOPNOTSUPP);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->device_unmaps),
			atomic_read(&a->device_maps));
	KUNIT_EXPECT_EQ(test, atomic_read(&b->device_maps), 0);
	/* The driver's answer: evict, and collect again. */
	mutex_lock(&svm->lock);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_evict(&svm->gpusvm, &r->base), 0);
	mutex_unlock(&svm->lock);
	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, false), 0);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 66), 0);
}

static void drm_gpusvm_devmem_foreign_owner(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 67);

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	/* A device that cannot reach them: they come back to system memory. */
	KUNIT_ASSERT_EQ(test, gm_svm_get_pages(svm, r, &(struct drm_gpusvm_ctx){}),
			0);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_devmem_pages);
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_SYSTEM,
					     NULL), 16);
	KUNIT_EXPECT_EQ(test, range_gpu_check(svm, r, GM_BASE, SZ_64K, 67), 0);
	KUNIT_EXPECT_TRUE(test, gm_mem_wait_idle(a));
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), 0);
}

static void drm_gpusvm_devmem_range_evict(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 68);

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, false), 0);

	mutex_lock(&svm->lock);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_evict(&svm->gpusvm, &r->base), 0);
	mutex_unlock(&svm->lock);
	/* Back in system memory, the GPU mapping invalidated, VRAM freed. */
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_SYSTEM,
					     NULL), 16);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_GE(test, atomic_read(&svm->events[MMU_NOTIFY_MIGRATE]), 1);
	KUNIT_EXPECT_TRUE(test, gm_mem_wait_idle(a));
	KUNIT_EXPECT_EQ(test, gm_mem_used(a), 0);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 68), 0);
}

static void drm_gpusvm_devmem_evict_timeslice(struct kunit *test)
{
	const struct drm_pagemap_migrate_details slice = { .timeslice_ms = 500 };
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 71);
	struct gm_alloc *alloc;
	u64 expires;

	alloc = gm_alloc_create(a, SZ_64K);
	KUNIT_ASSERT_EQ(test, gm_migrate(alloc, GM_BASE, GM_BASE + SZ_64K, &slice),
			0);
	expires = alloc->devmem.timeslice_expiration;
	/* Eviction faults as the CPU does: it waits for the timeslice. */
	mutex_lock(&svm->lock);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_evict(&svm->gpusvm, &r->base), 0);
	mutex_unlock(&svm->lock);
	KUNIT_EXPECT_GE(test, get_jiffies_64(), expires);
	KUNIT_EXPECT_TRUE(test, alloc->released);
	KUNIT_EXPECT_EQ(test, gm_count_where(test, GM_BASE, SZ_64K, GM_SYSTEM,
					     NULL), 16);
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 71), 0);
	gm_alloc_put(alloc);
}

static void drm_gpusvm_devmem_map_error(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 69);
	unsigned int refs;

	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	refs = kref_read(&a->dpagemap->ref);
	a->fail_device_map = true;
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, false), -EFAULT);
	dm_expect_unmapped(test, svm, r);
	KUNIT_EXPECT_EQ(test, kref_read(&a->dpagemap->ref), refs);
	a->fail_device_map = false;
	KUNIT_EXPECT_EQ(test, dm_get_pages(svm, r, false, false), 0);
}

static void drm_gpusvm_devmem_migration_invalidates(struct kunit *test)
{
	struct gm_mem *a;
	struct gm_svm *svm;
	struct gm_range *r = dm_range(test, &svm, &a, 70);

	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, false), 0);
	KUNIT_EXPECT_FALSE(test, r->pages.flags.has_devmem_pages);

	/* Migrating pages the GPU maps takes the GPU's mapping down. */
	dm_migrate(a, GM_BASE, GM_BASE + SZ_64K);
	KUNIT_EXPECT_EQ(test, svm->last_event, MMU_NOTIFY_MIGRATE);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_ASSERT_EQ(test, dm_get_pages(svm, r, false, false), 0);
	KUNIT_EXPECT_TRUE(test, r->pages.flags.has_devmem_pages);

	/* So does a CPU access, which takes the data back. */
	KUNIT_EXPECT_EQ(test, gm_cpu_check(test, GM_BASE, SZ_64K, 70), 0);
	KUNIT_EXPECT_FALSE(test, gm_svm_pages_valid(svm, &r->pages));
	KUNIT_EXPECT_NULL(test, r->pages.dpagemap);
	KUNIT_EXPECT_TRUE(test, gm_mem_wait_idle(a));
}

static struct kunit_case drm_gpusvm_devmem_cases[] = {
	KUNIT_CASE(drm_gpusvm_devmem_device_pages),
	KUNIT_CASE(drm_gpusvm_devmem_only_mixed),
	KUNIT_CASE(drm_gpusvm_devmem_mixed_needs_allow),
	KUNIT_CASE(drm_gpusvm_devmem_system_then_device),
	KUNIT_CASE(drm_gpusvm_devmem_two_allocations),
	KUNIT_CASE(drm_gpusvm_devmem_two_pagemaps),
	KUNIT_CASE(drm_gpusvm_devmem_foreign_owner),
	KUNIT_CASE(drm_gpusvm_devmem_range_evict),
	KUNIT_CASE(drm_gpusvm_devmem_evict_timeslice),
	KUNIT_CASE(drm_gpusvm_devmem_map_error),
	KUNIT_CASE(drm_gpusvm_devmem_migration_invalidates),
	{}
};

static struct kunit_suite drm_gpusvm_devmem_suite = {
	.name = "drm_gpusvm_devmem",
	.init = gm_require_devmem,
	.test_cases = drm_gpusvm_devmem_cases,
};

kunit_test_suites(&drm_gpusvm_init_suite, &drm_gpusvm_chunk_suite,
		  &drm_gpusvm_notifier_suite, &drm_gpusvm_pages_suite,
		  &drm_gpusvm_simple_suite, &drm_gpusvm_range_suite,
		  &drm_gpusvm_scan_suite, &drm_gpusvm_devmem_suite);
