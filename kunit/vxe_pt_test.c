// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for the vxe page tables, TLB model and fault injector.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/sizes.h>
#include <drm/drm_pagemap.h>

#include "vxe_inject.h"
#include "vxe_pt.h"

#define VA_BITS		48
#define NPAGES_MAX	(SZ_2M / SZ_4K)

struct vxe_pt_test {
	struct vxe_pt pt;
	struct vxe_inject inj;
	struct drm_pagemap_addr addrs[NPAGES_MAX];
};

static int vxe_pt_test_init(struct kunit *test)
{
	struct vxe_pt_test *t;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, vxe_pt_init(&t->pt, VA_BITS, &t->inj), 0);
	test->priv = t;
	return 0;
}

static void vxe_pt_test_exit(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;

	vxe_pt_fini(&t->pt);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 0);
}

/*
 * Describe @size bytes at device address @addr as chunks of @order pages,
 * @gap bytes apart (0: each chunk follows on from the one before).
 */
static unsigned long fill_addrs_gap(struct vxe_pt_test *t, u64 addr, u64 size,
				    unsigned int order, u64 gap,
				    enum drm_interconnect_protocol proto)
{
	unsigned long npages = size >> PAGE_SHIFT, i, j = 0;

	for (i = 0; i < npages; i += 1UL << order, j++)
		t->addrs[j] =
			drm_pagemap_addr_encode(addr + (i << PAGE_SHIFT) + j * gap,
						proto, order,
						DMA_BIDIRECTIONAL);
	return npages;
}

static unsigned long fill_addrs(struct vxe_pt_test *t, u64 addr, u64 size,
				unsigned int order,
				enum drm_interconnect_protocol proto)
{
	return fill_addrs_gap(t, addr, size, order, 0, proto);
}

static int map_gap(struct vxe_pt_test *t, u64 va, u64 addr, u64 size,
		   unsigned int order, u64 gap, u32 flags)
{
	unsigned long npages = fill_addrs_gap(t, addr, size, order, gap,
					      DRM_INTERCONNECT_SYSTEM);
	int err = vxe_pt_prepare(&t->pt, va, va + size);

	return err ?: vxe_pt_commit(&t->pt, va, t->addrs, npages, flags);
}

static int map(struct vxe_pt_test *t, u64 va, u64 addr, u64 size,
	       unsigned int order, u32 flags)
{
	return map_gap(t, va, addr, size, order, 0, flags);
}

/* 4K pages that do not follow on (a page apart): 4K leaves only */
static int map_4k_leaves(struct vxe_pt_test *t, u64 va, u64 addr, u64 size)
{
	return map_gap(t, va, addr, size, 0, SZ_4K, 0);
}

static void vxe_pt_init_bad_va_bits(struct kunit *test)
{
	struct vxe_pt pt;

	KUNIT_EXPECT_EQ(test, vxe_pt_init(&pt, 21, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_init(&pt, 49, NULL), -EINVAL);
	KUNIT_ASSERT_EQ(test, vxe_pt_init(&pt, 22, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&pt.nr_nodes), 1);
	/* The top of a 22-bit space is out of range. */
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&pt, SZ_4M - SZ_4K, SZ_4M + SZ_4K),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&pt, SZ_4M - SZ_4K, SZ_4M), 0);
	vxe_pt_fini(&pt);
	KUNIT_EXPECT_EQ(test, atomic_read(&pt.nr_nodes), 0);
}

static void vxe_pt_prepare_bad_range(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;

	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, SZ_4K, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, SZ_8K, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, 1, SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, 0, SZ_4K + 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, BIT_ULL(VA_BITS) - SZ_4K,
					     BIT_ULL(VA_BITS) + SZ_4K), -EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 1);
}

static void vxe_pt_prepare_allocates_once(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;

	/* One 4K page: a level-2, a level-1 and a level-0 node. */
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 4);
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 4);
	/* Crossing into the next 2M block adds one level-0 node. */
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G + SZ_2M - SZ_4K,
					     SZ_1G + SZ_2M + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 5);
	/* The last page of the address space. */
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, BIT_ULL(VA_BITS) - SZ_4K,
					     BIT_ULL(VA_BITS)), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 8);
}

static void vxe_pt_commit_unprepared(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	fill_addrs(t, SZ_1M, SZ_4K, 0, DRM_INTERCONNECT_SYSTEM);
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, SZ_2M, t->addrs, 1, 0),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_2M, &x), -ENOENT);
}

static void vxe_pt_commit_bad_args(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, 0, SZ_2M), 0);
	fill_addrs(t, 0, SZ_64K, 4, DRM_INTERCONNECT_SYSTEM);
	/* A 64K chunk does not fit in 8 pages. */
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, 0, t->addrs, 8, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, 0, t->addrs, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, 1, t->addrs, 16, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, 0, t->addrs, 16, 0), 0);
}

struct leaf_case {
	const char *name;
	u64 va;
	u64 addr;
	u64 size;
	unsigned int order;
	u64 gap;
	unsigned int shift;
	unsigned long leaves;
};

static const struct leaf_case leaf_cases[] = {
	{ "4K", SZ_1G + SZ_4K, SZ_1M + SZ_4K, SZ_4K, 0, 0, VXE_SHIFT_4K, 1 },
	{ "64K", SZ_1G + SZ_64K, SZ_1M, SZ_64K, 4, 0, VXE_SHIFT_64K, 1 },
	{ "2M", SZ_1G, SZ_2M * 3, SZ_2M, 9, 0, VXE_SHIFT_2M, 1 },
	{ "2M-chunk-addr-64K-aligned", SZ_1G, SZ_2M + SZ_64K, SZ_2M, 9, 0,
	  VXE_SHIFT_64K, 32 },
	{ "2M-chunk-va-not-64K-aligned-to-addr", SZ_1G + SZ_4K, SZ_2M, SZ_2M, 9,
	  0, VXE_SHIFT_4K, 512 },
	/* Chunks that follow on are one run (VRAM's device pages, one each) */
	{ "64K-of-4K-chunks", SZ_1G, SZ_1M, SZ_64K, 0, 0, VXE_SHIFT_64K, 1 },
	{ "2M-of-4K-chunks", SZ_1G, SZ_2M, SZ_2M, 0, 0, VXE_SHIFT_2M, 1 },
	{ "2M-of-64K-chunks", SZ_1G, SZ_2M, SZ_2M, 4, 0, VXE_SHIFT_2M, 1 },
	{ "2M-of-4K-chunks-addr-64K-aligned", SZ_1G, SZ_1M, SZ_2M, 0, 0,
	  VXE_SHIFT_64K, 32 },
	/* Chunks apart are not */
	{ "64K-of-4K-chunks-apart", SZ_1G, SZ_1M, SZ_64K, 0, SZ_4K,
	  VXE_SHIFT_4K, 16 },
	{ "2M-of-64K-chunks-apart", SZ_1G, SZ_2M, SZ_2M, 4, SZ_2M,
	  VXE_SHIFT_64K, 32 },
};

static void leaf_case_desc(const struct leaf_case *c, char *desc)
{
	strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(leaf, leaf_cases, leaf_case_desc);

static void vxe_pt_leaf_size(struct kunit *test)
{
	const struct leaf_case *c = test->param_value;
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;
	u64 off;

	KUNIT_ASSERT_EQ(test, map_gap(t, c->va, c->addr, c->size, c->order,
				      c->gap, 0), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_written, c->leaves);

	/* Every page translates to its own address through a leaf of the
	 * expected size; nothing outside the range is mapped.
	 */
	for (off = 0; off < c->size; off += SZ_4K) {
		u64 chunk = off >> (PAGE_SHIFT + c->order);

		KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, c->va + off + 8, &x), 0);
		KUNIT_EXPECT_EQ(test, x.addr, c->addr + off + chunk * c->gap + 8);
		KUNIT_EXPECT_EQ(test, x.shift, c->shift);
		KUNIT_EXPECT_TRUE(test, x.pte & VXE_PTE_RW);
		KUNIT_EXPECT_FALSE(test, x.pte & VXE_PTE_DM);
	}
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, c->va - SZ_4K, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, c->va + c->size, &x), -ENOENT);

	/* The zap clears exactly the leaves written. */
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, c->va, c->va + c->size),
			c->leaves);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, c->va, &x), -ENOENT);
}

static void vxe_pt_read_only_and_devmem(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;
	unsigned long n;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_4K, 0, VXE_PT_READ_ONLY), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, true, &x), -EACCES);

	n = fill_addrs(t, SZ_64K, SZ_64K, 4, DRM_INTERCONNECT_DRIVER);
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_2G, SZ_2G + SZ_64K), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_commit(&t->pt, SZ_2G, t->addrs, n, 0), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_2G + 4, true, &x), 0);
	KUNIT_EXPECT_TRUE(test, x.pte & VXE_PTE_DM);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_64K + 4);
}

/*
 * A run stops where the protocol changes, even when the addresses follow
 * on: system pages and device pages are never one leaf.
 */
static void vxe_pt_runs_stop_at_protocol(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;
	unsigned int i;

	fill_addrs(t, SZ_1M, SZ_32K, 0, DRM_INTERCONNECT_SYSTEM);
	for (i = 0; i < 8; i++)
		t->addrs[8 + i] =
			drm_pagemap_addr_encode(SZ_1M + SZ_32K + i * SZ_4K,
						DRM_INTERCONNECT_DRIVER, 0,
						DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + SZ_64K), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_commit(&t->pt, SZ_1G, t->addrs, 16, 0), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_written, 16);
	for (i = 0; i < 16; i++) {
		KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G + i * SZ_4K, &x), 0);
		KUNIT_EXPECT_EQ(test, x.shift, VXE_SHIFT_4K);
		KUNIT_EXPECT_EQ(test, !!(x.pte & VXE_PTE_DM), i >= 8);
		KUNIT_EXPECT_EQ(test, x.addr, SZ_1M + i * SZ_4K);
	}
}

/*
 * The level a walk stops at, as a GPU reports a page fault's: the 4K
 * table of a mapped 2M block, the 2M entry of a block without one, the
 * root's entry of an address nothing was prepared for, and a 2M leaf.
 */
static void vxe_pt_fault_levels(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_4K, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_fault_level(&t->pt, SZ_1G + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_fault_level(&t->pt, SZ_1G + SZ_2M), 1);
	KUNIT_EXPECT_EQ(test, vxe_pt_fault_level(&t->pt, (u64)SZ_1G + SZ_1G), 2);
	KUNIT_EXPECT_EQ(test, vxe_pt_fault_level(&t->pt, 1ull << 40),
			VXE_PT_LEVELS - 1);
	KUNIT_ASSERT_EQ(test, map(t, SZ_2G, SZ_2M, SZ_2M, 9, 0), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_fault_level(&t->pt, SZ_2G + SZ_4K), 1);
}

/* A memory port that must not be reached: counts its calls. */
static int vxe_pt_count_copy(void *priv, const struct vxe_pt_xlate *x,
			     void *buf, size_t len, bool write)
{
	(*(int *)priv)++;
	return 0;
}

/*
 * NULL leaves (Xe's sparse bindings): the largest leaves that fit, no
 * device address; reads give zeros and writes are dropped, without
 * touching memory.
 */
static void vxe_pt_null_leaves(struct kunit *test)
{
	const u64 size = SZ_2M + SZ_64K + SZ_4K;
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;
	struct vxe_pt_stats st;
	u8 buf[64];
	int calls = 0;

	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + size), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_commit(&t->pt, SZ_1G, NULL,
					    size >> PAGE_SHIFT, VXE_PT_NULL), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_written, 3);
	KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), 0);
	KUNIT_EXPECT_EQ(test, x.shift, VXE_SHIFT_2M);
	KUNIT_EXPECT_TRUE(test, x.pte & VXE_PTE_NULL);
	KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G + SZ_2M, &x), 0);
	KUNIT_EXPECT_EQ(test, x.shift, VXE_SHIFT_64K);
	KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G + size - 1, &x), 0);
	KUNIT_EXPECT_EQ(test, x.shift, VXE_SHIFT_4K);
	KUNIT_EXPECT_TRUE(test, x.pte & VXE_PTE_RW);

	/* Across the 2M/64K boundary: zeros, and the port never called */
	memset(buf, 0xa5, sizeof(buf));
	KUNIT_EXPECT_EQ(test, vxe_pt_access(&t->pt, SZ_1G + SZ_2M - 32, buf,
					    sizeof(buf), false,
					    vxe_pt_count_copy, &calls, NULL), 0);
	KUNIT_EXPECT_TRUE(test, !memchr_inv(buf, 0, sizeof(buf)));
	KUNIT_EXPECT_EQ(test, vxe_pt_access(&t->pt, SZ_1G + size - 8, buf, 8,
					    true, vxe_pt_count_copy, &calls,
					    NULL), 0);
	KUNIT_EXPECT_EQ(test, calls, 0);
	/* Past the end: a fault */
	KUNIT_EXPECT_EQ(test, vxe_pt_access(&t->pt, SZ_1G + size, buf, 4,
					    false, vxe_pt_count_copy, &calls,
					    NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_1G, SZ_1G + size), 3);
}

static void vxe_pt_tlb_hit_miss_fault(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;

	KUNIT_EXPECT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), -ENOENT);
	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_2M, SZ_2M, 9, 0), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G + 100, true, &x), 0);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_2M + 100);
	/* The whole 2M leaf is one TLB entry. */
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G + SZ_1M, false, &x), 0);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_2M + SZ_1M);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_faults, 1);
	KUNIT_EXPECT_EQ(test, st.tlb_misses, 2);
	KUNIT_EXPECT_EQ(test, st.tlb_hits, 1);
}

static void vxe_pt_tlb_stale_without_invalidation(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_4K, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_1G, SZ_1G + SZ_4K), 1);

	/* The tables are empty, but the TLB still serves the old page. */
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), -ENOENT);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_1M);

	/* Rebinding to another page does not help either... */
	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_8M, SZ_4K, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_1M);

	/* ...until the TLB is invalidated. */
	KUNIT_ASSERT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, SZ_1G, SZ_1G + SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	KUNIT_EXPECT_EQ(test, x.addr, SZ_8M);
}

static void vxe_pt_tlb_invalidate_range_only(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, map_4k_leaves(t, SZ_1G, SZ_1M, SZ_64K), 0);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G + i * SZ_4K,
						       false, &x), 0);
	/* Drop pages 4..7 only. */
	KUNIT_ASSERT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, SZ_1G + 4 * SZ_4K + 1,
						    SZ_1G + 8 * SZ_4K - 1), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_flushed, 4);
	for (i = 0; i < 16; i++)
		KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G + i * SZ_4K,
						       false, &x), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_misses, 16 + 4);
	KUNIT_EXPECT_EQ(test, st.tlb_hits, 12);

	/* A full flush drops everything. */
	KUNIT_ASSERT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, 0, U64_MAX), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_flushed, 4 + 16);
}

static void vxe_pt_tlb_lru_replacement(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;
	unsigned int i;

	KUNIT_ASSERT_EQ(test, map_4k_leaves(t, 0, SZ_1M, SZ_2M), 0);
	for (i = 0; i < VXE_TLB_ENTRIES; i++)
		KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, i * SZ_4K, false, &x), 0);
	/* Touch page 0 again so page 1 is the least recently used. */
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, 0, false, &x), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, VXE_TLB_ENTRIES * SZ_4K,
					       false, &x), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_misses, VXE_TLB_ENTRIES + 1);
	KUNIT_EXPECT_EQ(test, st.tlb_hits, 1);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, 0, false, &x), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_4K, false, &x), 0);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.tlb_hits, 2);
	KUNIT_EXPECT_EQ(test, st.tlb_misses, VXE_TLB_ENTRIES + 2);
}

static void vxe_pt_zap_whole_leaves(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_2M, SZ_2M, 9, 0), 0);
	KUNIT_ASSERT_EQ(test, map(t, SZ_2G, SZ_1M, SZ_128K, 4, 0), 0);

	/* One 4K page inside each: the whole 2M and the whole first 64K go. */
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_1G + SZ_1M, SZ_1G + SZ_1M + SZ_4K), 1);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_2G + SZ_8K, SZ_2G + SZ_8K + SZ_4K), 1);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_2G, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_2G + SZ_64K - SZ_4K, &x), -ENOENT);
	KUNIT_ASSERT_EQ(test, vxe_pt_lookup(&t->pt, SZ_2G + SZ_64K, &x), 0);
	KUNIT_EXPECT_EQ(test, x.shift, VXE_SHIFT_64K);

	/* Zapping empty or out-of-space ranges finds nothing. */
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_4G, SZ_4G * 2), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, BIT_ULL(VA_BITS), U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, 0, U64_MAX), 1);
}

static void vxe_pt_small_leaf_under_2m(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_stats st;
	struct vxe_pt_xlate x;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_2M, SZ_2M, 9, 0), 0);
	/* 4K leaves before the 2M block are fine, then the last one clashes:
	 * all or nothing, so none of them is written.
	 */
	KUNIT_EXPECT_EQ(test, map(t, SZ_1G - SZ_8K, SZ_8M, SZ_16K, 0, 0), -EEXIST);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G - SZ_8K, &x), -ENOENT);
	vxe_pt_get_stats(&t->pt, &st);
	KUNIT_EXPECT_EQ(test, st.leaves_written, 1);

	/* A 2M leaf over existing 4K leaves replaces them. */
	KUNIT_ASSERT_EQ(test, map(t, SZ_2G, SZ_1M, SZ_8K, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, map(t, SZ_2G, SZ_4M, SZ_2M, 9, 0), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_zap(&t->pt, SZ_2G, SZ_2G + SZ_2M), 1);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_2G + SZ_4K, &x), -ENOENT);
}

static void vxe_pt_inject_alloc(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	/* The second of three node allocations fails. */
	vxe_inject_arm(&t->inj, VXE_INJECT_PT_ALLOC, 1, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + SZ_4K), -ENOMEM);
	KUNIT_EXPECT_EQ(test, vxe_inject_hits(&t->inj, VXE_INJECT_PT_ALLOC), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 2);
	fill_addrs(t, SZ_1M, SZ_4K, 0, DRM_INTERCONNECT_SYSTEM);
	KUNIT_EXPECT_EQ(test, vxe_pt_commit(&t->pt, SZ_1G, t->addrs, 1, 0), -EINVAL);

	/* The retry reuses what was linked and completes the path. */
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, SZ_1G, SZ_1G + SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 4);
	KUNIT_ASSERT_EQ(test, vxe_pt_commit(&t->pt, SZ_1G, t->addrs, 1, 0), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), 0);
}

static void vxe_pt_inject_bind(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	vxe_inject_arm(&t->inj, VXE_INJECT_PT_BIND, 0, 1, -EIO);
	KUNIT_EXPECT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_64K, 0, 0), -EIO);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), -ENOENT);
	KUNIT_EXPECT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_64K, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&t->pt, SZ_1G, &x), 0);
}

static void vxe_pt_inject_tlb_inval(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	struct vxe_pt_xlate x;

	KUNIT_ASSERT_EQ(test, map(t, SZ_1G, SZ_1M, SZ_4K, 0, 0), 0);
	KUNIT_ASSERT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	vxe_pt_zap(&t->pt, SZ_1G, SZ_1G + SZ_4K);

	/* A lost invalidation leaves the stale entry in place. */
	vxe_inject_arm(&t->inj, VXE_INJECT_TLB_INVAL, 0, -1, -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, 0, U64_MAX), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, 0, U64_MAX), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), 0);
	vxe_inject_disarm(&t->inj, VXE_INJECT_TLB_INVAL);
	KUNIT_EXPECT_EQ(test, vxe_inject_hits(&t->inj, VXE_INJECT_TLB_INVAL), 2);
	KUNIT_EXPECT_EQ(test, vxe_pt_tlb_invalidate(&t->pt, 0, U64_MAX), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_translate(&t->pt, SZ_1G, false, &x), -ENOENT);
}

static void vxe_inject_counts(struct kunit *test)
{
	struct vxe_inject inj = {};
	int i, fails = 0;

	KUNIT_EXPECT_EQ(test, vxe_inject_check(NULL, VXE_INJECT_PT_ALLOC), 0);
	KUNIT_EXPECT_EQ(test, vxe_inject_check(&inj, VXE_INJECT_PT_ALLOC), 0);

	/* Skip 3, fail 2, then succeed again. */
	vxe_inject_arm(&inj, VXE_INJECT_PT_ALLOC, 3, 2, -ENOSPC);
	for (i = 0; i < 10; i++) {
		int err = vxe_inject_check(&inj, VXE_INJECT_PT_ALLOC);

		KUNIT_EXPECT_EQ(test, err, (i == 3 || i == 4) ? -ENOSPC : 0);
		fails += !!err;
	}
	KUNIT_EXPECT_EQ(test, fails, 2);
	KUNIT_EXPECT_EQ(test, vxe_inject_hits(&inj, VXE_INJECT_PT_ALLOC), 2);
	/* Other sites are not affected. */
	KUNIT_EXPECT_EQ(test, vxe_inject_check(&inj, VXE_INJECT_PT_BIND), 0);
	KUNIT_EXPECT_STREQ(test, vxe_inject_site_name(VXE_INJECT_TLB_INVAL), "tlb_inval");
	KUNIT_EXPECT_STREQ(test, vxe_inject_site_name(VXE_INJECT_NR), "?");
}

/*
 * The level of the highest table an update writes, as Xe works out a bind
 * job's interval: where a table is missing, its parent's; a whole 2M block
 * at least level 1; else the leaves.
 */
static void vxe_pt_update_level_cases(struct kunit *test)
{
	struct vxe_pt_test *t = test->priv;
	const u64 base = SZ_1G;

	/* Empty tables: the root gets a new level-2 table */
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base, base + SZ_4K), 3);
	KUNIT_ASSERT_EQ(test, vxe_pt_prepare(&t->pt, base, base + SZ_2M), 0);
	/* Leaves under an existing level-0 table, a whole 2M block above */
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base + SZ_4K,
						  base + SZ_8K), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base, base + SZ_2M), 1);
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base + SZ_2M - SZ_4K,
						  base + SZ_2M), 0);
	/* The next 2M has no level-0 table: its level-1 entry is written */
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base + SZ_2M - SZ_4K,
						  base + SZ_2M + SZ_4K), 1);
	/* The next 1G has no level-1 table, the next 512G no level-2 one */
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base + SZ_1G,
						  base + SZ_1G + SZ_4K), 2);
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, BIT_ULL(39),
						  BIT_ULL(39) + SZ_4K), 3);
	/* Nothing, or out of range: 0 */
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, base, base), 0);
	KUNIT_EXPECT_EQ(test, vxe_pt_update_level(&t->pt, BIT_ULL(VA_BITS),
						  BIT_ULL(VA_BITS) + SZ_4K), 0);
	/* Looking allocates nothing */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pt.nr_nodes), 4);
}

static struct kunit_case vxe_pt_cases[] = {
	KUNIT_CASE(vxe_pt_init_bad_va_bits),
	KUNIT_CASE(vxe_pt_prepare_bad_range),
	KUNIT_CASE(vxe_pt_prepare_allocates_once),
	KUNIT_CASE(vxe_pt_commit_unprepared),
	KUNIT_CASE(vxe_pt_commit_bad_args),
	KUNIT_CASE_PARAM(vxe_pt_leaf_size, leaf_gen_params),
	KUNIT_CASE(vxe_pt_read_only_and_devmem),
	KUNIT_CASE(vxe_pt_runs_stop_at_protocol),
	KUNIT_CASE(vxe_pt_fault_levels),
	KUNIT_CASE(vxe_pt_null_leaves),
	KUNIT_CASE(vxe_pt_tlb_hit_miss_fault),
	KUNIT_CASE(vxe_pt_tlb_stale_without_invalidation),
	KUNIT_CASE(vxe_pt_tlb_invalidate_range_only),
	KUNIT_CASE(vxe_pt_tlb_lru_replacement),
	KUNIT_CASE(vxe_pt_zap_whole_leaves),
	KUNIT_CASE(vxe_pt_small_leaf_under_2m),
	KUNIT_CASE(vxe_pt_inject_alloc),
	KUNIT_CASE(vxe_pt_inject_bind),
	KUNIT_CASE(vxe_pt_inject_tlb_inval),
	KUNIT_CASE(vxe_pt_update_level_cases),
	KUNIT_CASE(vxe_inject_counts),
	{}
};

static struct kunit_suite vxe_pt_suite = {
	.name = "vxe_pt",
	.init = vxe_pt_test_init,
	.exit = vxe_pt_test_exit,
	.test_cases = vxe_pt_cases,
};

kunit_test_suite(vxe_pt_suite);

MODULE_DESCRIPTION("KUnit tests for the vxe page tables and TLB model");
MODULE_LICENSE("Dual MIT/GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
