// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for drm_gpusvm: arguments, chunk selection, notifiers and
 * page collection, on a real user mm from kunit_vm_mmap().
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/hmm.h>
#include <linux/prandom.h>
#include <linux/sched/mm.h>
#include <linux/sizes.h>
#include <drm/drm_gpusvm.h>
#include <drm/drm_pagemap.h>

#include "gpusvm_kunit.h"

#define WIN_START	0UL
#define WIN_END		BIT(47)
#define RW		(PROT_READ | PROT_WRITE)

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
};

static const struct init_case init_cases[] = {
	{ "no-invalidate-op", &no_invalidate_ops,
	  { SZ_2M, SZ_4K }, 2, SZ_2M, 0, SZ_1G },
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
};

static void init_case_desc(const struct init_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(init, init_cases, init_case_desc);

static void drm_gpusvm_init_rejects(struct kunit *test)
{
	const struct init_case *c = test->param_value;
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm gpusvm;
	int mm_count = atomic_read(&current->mm->mm_count);

	KUNIT_EXPECT_EQ(test, drm_gpusvm_init(&gpusvm, "kunit", &gk->vxe->drm,
					      current->mm, NULL, c->mm_start,
					      c->mm_range, c->notifier_size,
					      c->ops, c->chunks, c->num_chunks),
			-EINVAL);
	/* No reference on the mm is left behind. */
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

static void drm_gpusvm_init_fini(struct kunit *test)
{
	static const unsigned long chunks[] = { SZ_4K };
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int mm_count = atomic_read(&current->mm->mm_count);
	struct drm_gpusvm gpusvm;

	/* The whole address space, up to the last page, is a valid window. */
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(&gpusvm, "kunit", &gk->vxe->drm,
					      current->mm, NULL, 0,
					      -PAGE_SIZE, SZ_4K, &noop_ops,
					      chunks, 1), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count + 1);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_has_mapping(&gpusvm, 0, ULONG_MAX));
	drm_gpusvm_fini(&gpusvm);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

/* --- the driver's own notifier and range objects ------------------------ */

/* What the counting ops did; test->priv points at it. */
struct obj_counts {
	int notifier_allocs, notifier_frees;
	int range_allocs, range_frees;
	bool fail_notifier, fail_range;
};

static struct obj_counts *obj_counts(void)
{
	return kunit_get_current_test()->priv;
}

/* NULL when told to fail; otherwise one more allocation, counted. */
static void *counted_alloc(bool fail, int *allocs, size_t size)
{
	if (fail)
		return NULL;
	(*allocs)++;
	return kzalloc(size, GFP_KERNEL);
}

static struct drm_gpusvm_notifier *counting_notifier_alloc(void)
{
	struct obj_counts *c = obj_counts();

	return counted_alloc(c->fail_notifier, &c->notifier_allocs,
			     sizeof(struct drm_gpusvm_notifier));
}

static void counting_notifier_free(struct drm_gpusvm_notifier *notifier)
{
	obj_counts()->notifier_frees++;
	kfree(notifier);
}

static struct drm_gpusvm_range *counting_range_alloc(struct drm_gpusvm *gpusvm)
{
	struct obj_counts *c = obj_counts();

	return counted_alloc(c->fail_range, &c->range_allocs,
			     sizeof(struct drm_gpusvm_range));
}

static void counting_range_free(struct drm_gpusvm_range *range)
{
	obj_counts()->range_frees++;
	kfree(range);
}

static const struct drm_gpusvm_ops counting_ops = {
	.invalidate = noop_invalidate,
	.notifier_alloc = counting_notifier_alloc,
	.notifier_free = counting_notifier_free,
	.range_alloc = counting_range_alloc,
	.range_free = counting_range_free,
};

/* A drm_gpusvm of its own over the test's mm: 64K and 4K chunks, 2M notifiers. */
static void counting_init(struct kunit *test, struct gpusvm_kunit *gk,
			  struct drm_gpusvm *gpusvm, struct obj_counts *c)
{
	static const unsigned long chunks[] = { SZ_64K, SZ_4K };

	test->priv = c;
	gk_mmap(gk, GK_BASE, SZ_8M, RW);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_init(gpusvm, "kunit", &gk->vxe->drm,
					      current->mm, NULL, 0, -PAGE_SIZE,
					      SZ_2M, &counting_ops, chunks,
					      ARRAY_SIZE(chunks)), 0);
}

static struct drm_gpusvm_range *counting_insert(struct drm_gpusvm *gpusvm,
						unsigned long addr)
{
	return drm_gpusvm_range_find_or_insert(gpusvm, addr, WIN_START, WIN_END,
					       &(struct drm_gpusvm_ctx){});
}

static void drm_gpusvm_init_fini_removes_ranges(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int mm_count = atomic_read(&current->mm->mm_count);
	struct obj_counts c = {};
	struct drm_gpusvm gpusvm;

	counting_init(test, gk, &gpusvm, &c);
	/* Three ranges in two notifiers, left for fini to clean up. */
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(&gpusvm, GK_BASE)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(&gpusvm, GK_BASE + SZ_64K)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(counting_insert(&gpusvm, GK_BASE + SZ_4M)));
	KUNIT_EXPECT_EQ(test, c.notifier_allocs, 2);
	KUNIT_EXPECT_EQ(test, c.range_allocs, 3);

	drm_gpusvm_fini(&gpusvm);
	/* Every object went back through the driver's own free op. */
	KUNIT_EXPECT_EQ(test, c.range_frees, 3);
	KUNIT_EXPECT_EQ(test, c.notifier_frees, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&current->mm->mm_count), mm_count);
}

static void drm_gpusvm_init_alloc_failures(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct obj_counts c = {};
	struct drm_gpusvm_range *r;
	struct drm_gpusvm gpusvm;

	counting_init(test, gk, &gpusvm, &c);

	/* No notifier: -ENOMEM, and nothing is left in the tree. */
	c.fail_notifier = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(&gpusvm, GK_BASE)), -ENOMEM);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	c.fail_notifier = false;

	/* No range under a new notifier: the notifier goes again. */
	c.fail_range = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(&gpusvm, GK_BASE)), -ENOMEM);
	KUNIT_EXPECT_EQ(test, c.notifier_frees, c.notifier_allocs);
	KUNIT_EXPECT_NULL(test, drm_gpusvm_notifier_find(&gpusvm, 0, ULONG_MAX));
	c.fail_range = false;

	/* Allocation works again: a range, then a failure next to it. */
	r = counting_insert(&gpusvm, GK_BASE);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	c.fail_range = true;
	KUNIT_EXPECT_EQ(test, PTR_ERR(counting_insert(&gpusvm, GK_BASE + SZ_64K)),
			-ENOMEM);
	c.fail_range = false;
	/* The existing notifier and range are untouched. */
	KUNIT_EXPECT_PTR_EQ(test, counting_insert(&gpusvm, GK_BASE), r);
	KUNIT_EXPECT_EQ(test, c.notifier_allocs - c.notifier_frees, 1);
	KUNIT_EXPECT_EQ(test, c.range_allocs, 1);

	drm_gpusvm_fini(&gpusvm);
	KUNIT_EXPECT_EQ(test, c.range_frees, c.range_allocs);
	KUNIT_EXPECT_EQ(test, c.notifier_frees, c.notifier_allocs);
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

static struct gpusvm_kunit *chunk_setup(struct kunit *test, u64 mirror_start,
					u64 mirror_end)
{
	const struct chunk_table *t = test->param_value;
	struct vxe_svm_config cfg = vxe_svm_default_config;

	cfg.chunk_sizes = t->sizes;
	cfg.num_chunks = t->num;
	cfg.mirror_start = mirror_start;
	cfg.mirror_end = mirror_end;
	return gk_create(test, &cfg);
}

static void expect_range(struct kunit *test, struct gpusvm_kunit *gk,
			 unsigned long fault, unsigned long win_start,
			 unsigned long win_end, const struct drm_gpusvm_ctx *ctx,
			 struct expect e)
{
	const struct chunk_table *t = test->param_value;
	unsigned long size = e.size[t->idx];
	struct drm_gpusvm_range *r;

	r = gk_fault_range(gk, fault, win_start, win_end, ctx);
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
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	expect_range(test, gk, GK_BASE + SZ_2M + 5 * SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	/* The last page of the VMA. */
	expect_range(test, gk, GK_BASE + SZ_2M - SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_vma_start(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);

	/* 2M around the fault would start before the VMA. */
	gk_mmap(gk, GK_BASE + SZ_64K, SZ_4M, RW);
	expect_range(test, gk, GK_BASE + SZ_64K + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* The 2M block after it is whole again. */
	expect_range(test, gk, GK_BASE + SZ_2M + SZ_1M, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_vma_end(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);

	/* The VMA ends 64K before the 2M boundary. */
	gk_mmap(gk, GK_BASE, SZ_2M - SZ_64K, RW);
	expect_range(test, gk, GK_BASE + SZ_8K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	expect_range(test, gk, GK_BASE + SZ_2M - SZ_64K - SZ_4K, WIN_START,
		     WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_gpuva_window(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	unsigned long ws = GK_BASE + SZ_4K, we = GK_BASE + SZ_4M - SZ_64K;

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	/* Every chunk but 4K starts before the GPU window. */
	expect_range(test, gk, GK_BASE + SZ_8K, ws, we, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* 2M would end past it; 64K fits. */
	expect_range(test, gk, GK_BASE + SZ_2M + SZ_1M, ws, we, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* Outside the window there is no range at all. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE, ws, we, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, we, ws, we, NULL)),
			-EINVAL);
}

static void drm_gpusvm_chunk_mirror_window(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, GK_BASE + SZ_1M,
					      GK_BASE + SZ_8M);

	gk_mmap(gk, GK_BASE, SZ_8M + SZ_2M, RW);
	expect_range(test, gk, GK_BASE + SZ_1M + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	expect_range(test, gk, GK_BASE + SZ_4M, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE + SZ_4K,
						     WIN_START, WIN_END, NULL)),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE + SZ_8M,
						     WIN_START, WIN_END, NULL)),
			-EINVAL);
}

static void drm_gpusvm_chunk_neighbours(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	unsigned long small = GK_BASE + SZ_64K + SZ_8K;

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	/* A 4K range, forced by a one-page GPU window. */
	expect_range(test, gk, small, small, small + SZ_4K, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* Its 64K and 2M blocks are taken: the neighbour page gets 4K. */
	expect_range(test, gk, small + SZ_8K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* The next 64K block is free, its 2M block is not. */
	expect_range(test, gk, GK_BASE + SZ_128K + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* The next 2M block is free. */
	expect_range(test, gk, GK_BASE + SZ_2M + SZ_4K, WIN_START, WIN_END,
		     NULL, (struct expect){ { SZ_2M, SZ_2M, SZ_64K, SZ_4K } });
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 4);
}

static void drm_gpusvm_chunk_existing(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	const struct chunk_table *t = test->param_value;
	struct drm_gpusvm_range *r, *again;
	unsigned long off;

	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	r = gk_fault_range(gk, GK_BASE, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	/* Every address of the range finds it, even with a tiny window. */
	for (off = 0; off < t->sizes[0]; off += SZ_4K) {
		again = gk_fault_range(gk, GK_BASE + off, WIN_START, WIN_END, NULL);
		KUNIT_EXPECT_PTR_EQ(test, again, r);
	}
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 1);
	KUNIT_EXPECT_PTR_EQ(test, gk_find_range(gk, GK_BASE + t->sizes[0] - 1), r);
	KUNIT_EXPECT_NULL(test, gk_find_range(gk, GK_BASE + t->sizes[0]));
}

static void drm_gpusvm_chunk_check_pages(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx check = { .check_pages_threshold = SZ_64K };

	/* 1M: no 2M chunk fits, so 64K is the largest candidate. */
	gk_mmap(gk, GK_BASE, SZ_1M, RW);
	gk_cpu_fill(gk, GK_BASE + SZ_4K, SZ_4K, 1);

	/* Sparse 64K block: refused when checking, at any page of it. */
	expect_range(test, gk, GK_BASE + SZ_4K, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	expect_range(test, gk, GK_BASE + SZ_32K, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_4K, SZ_4K, SZ_4K, SZ_4K } });
	/* Fully populated 64K block: accepted. */
	gk_cpu_fill(gk, GK_BASE + SZ_64K, SZ_64K, 2);
	expect_range(test, gk, GK_BASE + SZ_64K + SZ_8K, WIN_START, WIN_END,
		     &check, (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
	/* Without the check, a sparse block is taken whole. */
	expect_range(test, gk, GK_BASE + SZ_256K, WIN_START, WIN_END, NULL,
		     (struct expect){ { SZ_64K, SZ_4K, SZ_64K, SZ_4K } });
}

static void drm_gpusvm_chunk_check_pages_threshold(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx check = { .check_pages_threshold = SZ_64K };

	/* Chunks above the threshold are not checked: a sparse 2M is fine. */
	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	/* Sparse for real: no huge page may back the 2M block. */
	if (IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		gk_madvise(gk, GK_BASE, SZ_4M, MADV_NOHUGEPAGE);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 3);
	expect_range(test, gk, GK_BASE + SZ_1M, WIN_START, WIN_END, &check,
		     (struct expect){ { SZ_2M, SZ_2M, SZ_4K, SZ_4K } });
}

static void drm_gpusvm_chunk_errors(struct kunit *test)
{
	struct gpusvm_kunit *gk = chunk_setup(test, WIN_START, WIN_END);
	struct drm_gpusvm_ctx ro = { .read_only = true };
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_mmap(gk, GK_BASE + SZ_4M, SZ_2M, PROT_READ);

	/* A hole, and the page after the VMA. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE + SZ_2M + SZ_4K,
						     WIN_START, WIN_END, NULL)),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE + SZ_2M,
						     WIN_START, WIN_END, NULL)),
			-EFAULT);
	/* Read-only VMA: only for read-only access. */
	KUNIT_EXPECT_EQ(test, PTR_ERR(gk_fault_range(gk, GK_BASE + SZ_4M,
						     WIN_START, WIN_END, NULL)),
			-EPERM);
	r = gk_fault_range(gk, GK_BASE + SZ_4M, WIN_START, WIN_END, &ro);
	KUNIT_EXPECT_FALSE(test, IS_ERR(r));
	/* Failed lookups leave neither ranges nor notifiers behind. */
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 1);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 1);
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
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_notifier *notifier;

	gk_mmap(gk, GK_BASE + SZ_64M, SZ_2M, RW);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 0);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, GK_BASE + SZ_64M,
						       WIN_START, WIN_END, NULL)));
	KUNIT_ASSERT_EQ(test, gk_count_notifiers(gk), 1);
	KUNIT_EXPECT_EQ(test, vxe_svm_nr_notifiers(), gk->notifiers0 + 1);

	/* It covers the notifier-size aligned window around the range. */
	notifier = drm_gpusvm_notifier_find(&gk->vm->svm.gpusvm, GK_BASE,
					    GK_BASE + 1);
	KUNIT_ASSERT_NOT_NULL(test, notifier);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_start(notifier),
			ALIGN_DOWN(GK_BASE + SZ_64M, SZ_512M));
	KUNIT_EXPECT_EQ(test, drm_gpusvm_notifier_size(notifier), SZ_512M);
	KUNIT_EXPECT_PTR_EQ(test, notifier->notifier.mm, current->mm);
}

static void drm_gpusvm_notifier_shared(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_8M, RW);
	gk_mmap(gk, GK_BASE + SZ_512M, SZ_2M, RW);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, GK_BASE, WIN_START,
						       WIN_END, NULL)));
	KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, GK_BASE + SZ_4M,
						       WIN_START, WIN_END, NULL)));
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 1);
	KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, GK_BASE + SZ_512M,
						       WIN_START, WIN_END, NULL)));
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 2);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 3);
}

static void drm_gpusvm_notifier_removed_with_last_range(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *a, *b;

	gk_mmap(gk, GK_BASE, SZ_8M, RW);
	a = gk_fault_range(gk, GK_BASE, WIN_START, WIN_END, NULL);
	b = gk_fault_range(gk, GK_BASE + SZ_2M, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(a));
	KUNIT_ASSERT_FALSE(test, IS_ERR(b));

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_range_remove(&gk->vm->svm.gpusvm, a);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 1);

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_range_remove(&gk->vm->svm.gpusvm, b);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 0);
	KUNIT_EXPECT_EQ(test, vxe_svm_nr_notifiers(), gk->notifiers0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 0);
}

static void drm_gpusvm_notifier_range_ref(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	r = gk_fault_range(gk, GK_BASE, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));

	/* A reference keeps a removed range alive, not in the tree. */
	KUNIT_EXPECT_PTR_EQ(test, drm_gpusvm_range_get(r), r);
	mutex_lock(&gk->vm->lock);
	drm_gpusvm_range_remove(&gk->vm->svm.gpusvm, r);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 1);
	KUNIT_EXPECT_NULL(test, gk_find_range(gk, GK_BASE));
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk), 0);
	drm_gpusvm_range_put(r);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->nr_ranges), 0);
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
	struct vxe_svm_config cfg = vxe_svm_default_config;
	struct drm_gpusvm_notifier *notifier;
	struct gpusvm_kunit *gk;
	unsigned long a;

	cfg.notifier_size = *size;
	gk = gk_create(test, &cfg);
	gk_mmap(gk, GK_BASE, SZ_8M, RW);
	for (a = GK_BASE; a < GK_BASE + SZ_8M; a += SZ_2M)
		KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, a, WIN_START,
							       WIN_END, NULL)));

	/* One notifier per window that holds ranges, each size-aligned. */
	KUNIT_EXPECT_EQ(test, gk_count_notifiers(gk),
			DIV_ROUND_UP(SZ_8M, *size));
	KUNIT_EXPECT_EQ(test, gk_count_ranges(gk), 4);
	mutex_lock(&gk->vm->lock);
	drm_gpusvm_for_each_notifier(notifier, &gk->vm->svm.gpusvm, 0, ULONG_MAX) {
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
	mutex_unlock(&gk->vm->lock);
}

static void drm_gpusvm_notifier_iteration_order(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
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
	gk_mmap(gk, GK_BASE, SZ_512K, RW);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		unsigned long a = GK_BASE + 2 * order[i] * SZ_4K;

		KUNIT_ASSERT_FALSE(test, IS_ERR(gk_fault_range(gk, a, a, a + SZ_4K,
							       NULL)));
	}

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_for_each_notifier(notifier, &gk->vm->svm.gpusvm, 0, ULONG_MAX) {
		struct drm_gpusvm_range *r = NULL;

		drm_gpusvm_for_each_range(r, notifier, 0, ULONG_MAX) {
			KUNIT_EXPECT_EQ(test, drm_gpusvm_range_start(r),
					GK_BASE + 2 * n * SZ_4K);
			KUNIT_EXPECT_GT(test, drm_gpusvm_range_start(r), last);
			last = drm_gpusvm_range_start(r);
			n++;
		}
	}
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_has_mapping(&gk->vm->svm.gpusvm,
						       GK_BASE, GK_BASE + 1));
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_has_mapping(&gk->vm->svm.gpusvm,
							GK_BASE + SZ_4K,
							GK_BASE + SZ_8K));
	mutex_unlock(&gk->vm->lock);
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
	struct gpusvm_kunit *gk;
	int invalidate;		/* how many calls invalidate; <0: all */
	int calls;
};

static int race_hmm_fault(struct drm_gpusvm *gpusvm, struct hmm_range *hmm_range)
{
	struct kunit *test = kunit_get_current_test();
	struct race *race = test->priv;
	int err;

	mmap_read_lock(gpusvm->mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(gpusvm->mm);

	race->calls++;
	if (race->invalidate) {
		if (race->invalidate > 0)
			race->invalidate--;
		gk_zap(race->gk, hmm_range->start, PAGE_SIZE);
	}
	return err;
}

static struct drm_gpusvm_range *pages_range(struct gpusvm_kunit *gk,
					    unsigned long addr)
{
	struct drm_gpusvm_range *r;

	r = gk_fault_range(gk, addr, WIN_START, WIN_END, NULL);
	KUNIT_ASSERT_FALSE(gk->test, IS_ERR(r));
	return r;
}

static int get_pages(struct gpusvm_kunit *gk, struct drm_gpusvm_range *r,
		     bool read_only)
{
	struct drm_gpusvm_ctx ctx = { .read_only = read_only };
	int err;

	mutex_lock(&gk->vm->lock);
	err = drm_gpusvm_range_get_pages(&gk->vm->svm.gpusvm, r, &ctx);
	mutex_unlock(&gk->vm->lock);
	return err;
}

static void drm_gpusvm_pages_populated(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;
	unsigned long bad;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 11);
	r = pages_range(gk, GK_BASE);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_EXPECT_TRUE(test, r->flags.has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, r->flags.has_devmem_pages);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->dma_addr[0].proto, DRM_INTERCONNECT_SYSTEM);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->dma_addr[0].dir, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_NE(test, r->notifier_seq, LONG_MAX);

	/* The GPU reads the CPU's data through those DMA addresses. */
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_2M, 11, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static void drm_gpusvm_pages_unpopulated(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;
	unsigned long bad;
	u32 word = 1;

	/* Never touched by the CPU: get_pages() faults the pages in. */
	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	r = pages_range(gk, GK_BASE);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, GK_BASE + 60, &word,
					     sizeof(word), false), 0);
	KUNIT_EXPECT_EQ(test, word, 0);

	/* Faulted for writing: what the GPU writes, the CPU reads. */
	KUNIT_ASSERT_EQ(test, gk_gpu_fill(gk, GK_BASE, SZ_64K, 12), 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_64K, 12), 0);
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_64K, 12, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static void drm_gpusvm_pages_read_only_vma(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_ctx ro = { .read_only = true };
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_64K, PROT_READ);
	r = gk_fault_range(gk, GK_BASE, WIN_START, WIN_END, &ro);
	KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	/* Faulting a read-only VMA for writing is refused by the mm. */
	KUNIT_EXPECT_EQ(test, get_pages(gk, r, false), -EPERM);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, true), 0);
	KUNIT_EXPECT_EQ(test, (unsigned int)r->dma_addr[0].dir, DMA_TO_DEVICE);
}

static void drm_gpusvm_pages_thp(struct kunit *test)
{
	struct gpusvm_kunit *gk;
	struct drm_gpusvm_range *r;
	unsigned long bad;

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		kunit_skip(test, "no transparent huge pages in this kernel");

	gk = gk_create(test, NULL);
	gk_mmap(gk, GK_BASE, SZ_4M, RW);
	/* The first touch of an aligned 2M block gets a huge page (THP=always). */
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 13);
	r = pages_range(gk, GK_BASE + SZ_4K);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(r), SZ_2M);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	/* One mapping for the whole folio. */
	KUNIT_EXPECT_EQ(test, (unsigned int)r->dma_addr[0].order, HPAGE_PMD_ORDER);
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_2M, 13, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static void drm_gpusvm_pages_race_retry(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct race race = { .gk = gk, .invalidate = 1 };
	struct drm_gpusvm_range *r;
	unsigned long bad;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 14);
	r = pages_range(gk, GK_BASE);

	test->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	/* The stale collection was thrown away and done again. */
	KUNIT_EXPECT_EQ(test, race.calls, 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.invalidations), 1);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	/* The first page was dropped (zero now); the rest is intact. */
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE + SZ_4K, SZ_64K - SZ_4K,
					   14, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, gk_cpu_check(gk, GK_BASE, SZ_4K, 14), SZ_4K / 4);
}

/*
 * get_pages() while the stub the caller activated answers every
 * hmm_range_fault(): -EBUSY once the whole time-out has passed, after more
 * than one attempt (*@calls), with nothing mapped.  Then the stub goes and
 * a new call succeeds.
 */
static void expect_pages_timeout(struct kunit *test, struct gpusvm_kunit *gk,
				 struct drm_gpusvm_range *r, const int *calls)
{
	unsigned long t0 = jiffies;

	KUNIT_EXPECT_EQ(test, get_pages(gk, r, false), -EBUSY);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	KUNIT_EXPECT_GT(test, *calls, 1);
	KUNIT_EXPECT_GE(test, jiffies_to_msecs(jiffies - t0),
			HMM_RANGE_DEFAULT_TIMEOUT);
	KUNIT_EXPECT_FALSE(test, r->flags.has_dma_mapping);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_EXPECT_EQ(test, get_pages(gk, r, false), 0);
}

static void drm_gpusvm_pages_timeout(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct race race = { .gk = gk, .invalidate = -1 };
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_4K, RW);
	r = pages_range(gk, GK_BASE);
	/* Every collection is invalidated before it can be published. */
	test->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	expect_pages_timeout(test, gk, r, &race.calls);
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

static int busy_hmm_fault(struct drm_gpusvm *gpusvm, struct hmm_range *hmm_range)
{
	struct kunit *test = kunit_get_current_test();
	struct busy *busy = test->priv;
	int err;

	busy->calls++;
	if (busy->busy) {
		if (busy->busy > 0)
			busy->busy--;
		return -EBUSY;
	}
	mmap_read_lock(gpusvm->mm);
	err = hmm_range_fault(hmm_range);
	mmap_read_unlock(gpusvm->mm);
	return err;
}

static void drm_gpusvm_pages_hmm_busy_retry(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct busy busy = { .busy = 2 };
	struct drm_gpusvm_range *r;
	unsigned long bad;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 15);
	r = pages_range(gk, GK_BASE);

	test->priv = &busy;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, busy_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);

	/* Two -EBUSY answers, each followed by a new read_begin and walk. */
	KUNIT_EXPECT_EQ(test, busy.calls, 3);
	KUNIT_EXPECT_TRUE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_ASSERT_EQ(test, gk_gpu_check(gk, GK_BASE, SZ_64K, 15, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
}

static void drm_gpusvm_pages_hmm_busy_timeout(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct busy busy = { .busy = -1 };
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_4K, RW);
	r = pages_range(gk, GK_BASE);
	/* hmm_range_fault() says -EBUSY for ever. */
	test->priv = &busy;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, busy_hmm_fault);
	expect_pages_timeout(test, gk, r, &busy.calls);
}

static void drm_gpusvm_pages_already_valid(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct race race = { .gk = gk };
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	r = pages_range(gk, GK_BASE);
	test->priv = &race;
	kunit_activate_static_stub(test, drm_gpusvm_hmm_fault, race_hmm_fault);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	kunit_deactivate_static_stub(test, drm_gpusvm_hmm_fault);
	KUNIT_EXPECT_EQ(test, race.calls, 1);
}

static void drm_gpusvm_pages_unmap(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_ctx ctx = {};
	struct drm_gpusvm_range *r;
	unsigned long seq;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	r = pages_range(gk, GK_BASE);
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	seq = r->notifier_seq;

	mutex_lock(&gk->vm->lock);
	drm_gpusvm_range_unmap_pages(&gk->vm->svm.gpusvm, r, &ctx);
	mutex_unlock(&gk->vm->lock);
	KUNIT_EXPECT_FALSE(test, drm_gpusvm_range_pages_valid_unlocked(&gk->vm->svm.gpusvm, r));
	KUNIT_EXPECT_FALSE(test, r->flags.has_dma_mapping);
	KUNIT_EXPECT_EQ(test, r->notifier_seq, LONG_MAX);

	/* Collected again at the same sequence: nothing changed the mm. */
	KUNIT_ASSERT_EQ(test, get_pages(gk, r, false), 0);
	KUNIT_EXPECT_EQ(test, r->notifier_seq, seq);
}

static void drm_gpusvm_pages_vma_gone(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct drm_gpusvm_range *r;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	r = pages_range(gk, GK_BASE);
	KUNIT_ASSERT_EQ(test, drm_gpusvm_range_size(r), SZ_2M);
	/*
	 * Half of it goes before its pages are collected.  The VM lock keeps
	 * the garbage collector from removing the range meanwhile.
	 */
	mutex_lock(&gk->vm->lock);
	gk_munmap(gk, GK_BASE + SZ_1M, SZ_1M);
	KUNIT_EXPECT_TRUE(test, r->flags.unmapped);
	KUNIT_EXPECT_TRUE(test, r->flags.partial_unmap);
	KUNIT_EXPECT_EQ(test, drm_gpusvm_range_get_pages(&gk->vm->svm.gpusvm, r,
							 &(struct drm_gpusvm_ctx){}),
			-EFAULT);
	KUNIT_EXPECT_FALSE(test, r->flags.has_dma_mapping);
	mutex_unlock(&gk->vm->lock);
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

kunit_test_suites(&drm_gpusvm_init_suite, &drm_gpusvm_chunk_suite,
		  &drm_gpusvm_notifier_suite, &drm_gpusvm_pages_suite);
