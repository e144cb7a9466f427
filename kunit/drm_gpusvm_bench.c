// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * A micro-benchmark of drm_gpusvm alone: drm_gpusvm_range_find_or_insert()
 * and drm_gpusvm_get_pages() on the KUnit mock driver
 * (drm_gpusvm_mock.c), so that the library's own cost shows without vxe's
 * command interpreter, page tables and fault path; and what the kernel's
 * primitives (a timestamp, a lock, an allocation, a page copy) cost in
 * the same guest.  "make bench" runs it
 * in the benchmark kernel (ci/configs/bench.config).
 *
 * Each figure is timed with ktime over all the ranges of a 32 MiB mapping,
 * BENCH_REPS times; one line per figure, on the console as a KTAP
 * diagnostic:
 *
 *   # <case>: BENCH name=<figure> unit=<unit> median=<v> min=<v> max=<v> reps=<n>
 *
 * which bench/report.c collects.  The cases assert only that the library
 * did its work (every range inserted, every page collected): a benchmark
 * never fails on a timing.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/ktime.h>
#include <linux/sizes.h>
#include <linux/sort.h>

#include "drm_gpusvm_mock.h"

#define BENCH_LEN	SZ_32M
#define BENCH_REPS	7

/*
 * Chunk sizes, largest first; a VM of the largest chunk bench_chunks[c]
 * takes the tail from c (the library wants the last one to be PAGE_SIZE).
 * The mapping is 2M aligned: every range is of the largest chunk.
 */
static const unsigned long bench_chunks[] = { SZ_2M, SZ_64K, SZ_4K };

/* The chunk's name in a figure's name */
static const char *bench_chunk_name(unsigned long chunk)
{
	switch (chunk) {
	case SZ_4K:
		return "4K";
	case SZ_64K:
		return "64K";
	default:
		return "2M";
	}
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Print one figure: the median, minimum and maximum of @n samples. */
static void bench_report(struct kunit *test, const char *name,
			 const char *chunk, const char *unit, u64 *v, int n)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	kunit_info(test, "BENCH name=%s.%s unit=%s median=%llu min=%llu max=%llu reps=%d\n",
		   name, chunk, unit, v[n / 2], v[0], v[n - 1], n);
}

/* A mock VM whose largest chunk is bench_chunks[@c], mirroring the whole mm */
static struct gm_svm *bench_svm(struct kunit *test, struct gm_dev *gdev,
				unsigned int c)
{
	const struct gm_svm_config cfg = {
		.chunk_sizes = &bench_chunks[c],
		.num_chunks = ARRAY_SIZE(bench_chunks) - c,
		.mm_start = 0,
		.mm_range = BIT(47),
		.notifier_size = SZ_512M,
	};

	return gm_svm_create(gdev, &cfg);
}

/* Insert the ranges of the whole mapping: ns per range */
static u64 bench_insert_all(struct kunit *test, struct gm_svm *svm,
			    unsigned long chunk)
{
	unsigned long addr, n = BENCH_LEN / chunk;
	ktime_t t0 = ktime_get();
	u64 ns;

	for (addr = GM_BASE; addr < GM_BASE + BENCH_LEN; addr += chunk) {
		struct drm_gpusvm_range *r;

		r = gm_svm_fault(svm, addr, 0, BIT(47), NULL);
		KUNIT_ASSERT_FALSE(test, IS_ERR(r));
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	KUNIT_ASSERT_EQ(test, gm_svm_count_ranges(svm), n);
	return div64_u64(ns, n);
}

/* Collect the pages of every range: ns per 4K page */
static u64 bench_get_pages_all(struct kunit *test, struct gm_svm *svm,
			       unsigned long chunk)
{
	unsigned long addr;
	ktime_t t0 = ktime_get();
	u64 ns;

	for (addr = GM_BASE; addr < GM_BASE + BENCH_LEN; addr += chunk) {
		struct gm_range *r = gm_svm_range(svm, addr);

		KUNIT_ASSERT_NOT_NULL(test, r);
		KUNIT_ASSERT_EQ(test, gm_svm_get_pages(svm, r, NULL), 0);
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	for (addr = GM_BASE; addr < GM_BASE + BENCH_LEN; addr += chunk)
		KUNIT_ASSERT_TRUE(test, gm_svm_pages_valid(svm,
							   &gm_svm_range(svm, addr)->pages));
	return div64_u64(ns, BENCH_LEN / PAGE_SIZE);
}

/*
 * drm_gpusvm_range_find_or_insert() of every range of a 32 MiB mapping
 * into an empty VM (the notifier is made by the first), per chunk size,
 * and the lookup of ranges that exist.
 */
static void drm_gpusvm_bench_find_or_insert(struct kunit *test)
{
	struct gm_dev *gdev = gm_dev_create(gm_init(test));
	u64 insert[BENCH_REPS], find[BENCH_REPS];
	unsigned int c;
	int i;

	gm_mmap(test, GM_BASE, BENCH_LEN, GM_RW);
	for (c = 0; c < ARRAY_SIZE(bench_chunks); c++) {
		for (i = 0; i < BENCH_REPS; i++) {
			struct gm_svm *svm = bench_svm(test, gdev, c);

			insert[i] = bench_insert_all(test, svm, bench_chunks[c]);
			/* The same again: every range is found, none made */
			find[i] = bench_insert_all(test, svm, bench_chunks[c]);
			gm_svm_destroy(svm);
		}
		bench_report(test, "drm_gpusvm_range_find_or_insert.insert",
			     bench_chunk_name(bench_chunks[c]), "ns/range",
			     insert, BENCH_REPS);
		bench_report(test, "drm_gpusvm_range_find_or_insert.find",
			     bench_chunk_name(bench_chunks[c]), "ns/range",
			     find, BENCH_REPS);
	}
}

/*
 * drm_gpusvm_get_pages() of every range of a 32 MiB mapping, per chunk
 * size and per 4K page: over pages the CPU populated (hmm_range_fault()
 * finds them, each is DMA-mapped), and over pages never touched
 * (hmm_range_fault() faults them in: the page allocator and zeroing
 * count too; with THP "always" whole 2M folios).
 */
static void drm_gpusvm_bench_get_pages(struct kunit *test)
{
	struct gm_dev *gdev = gm_dev_create(gm_init(test));
	u64 populated[BENCH_REPS], first[BENCH_REPS];
	unsigned int c;
	int i;

	gm_mmap(test, GM_BASE, BENCH_LEN, GM_RW);
	for (c = 0; c < ARRAY_SIZE(bench_chunks); c++) {
		for (i = 0; i < BENCH_REPS; i++) {
			struct gm_svm *svm = bench_svm(test, gdev, c);

			/* Fresh pages: the next touch allocates them */
			gm_zap(test, GM_BASE, BENCH_LEN);
			bench_insert_all(test, svm, bench_chunks[c]);
			first[i] = bench_get_pages_all(test, svm, bench_chunks[c]);
			gm_svm_destroy(svm);

			svm = bench_svm(test, gdev, c);
			bench_insert_all(test, svm, bench_chunks[c]);
			populated[i] = bench_get_pages_all(test, svm,
							   bench_chunks[c]);
			gm_svm_destroy(svm);
		}
		bench_report(test, "drm_gpusvm_get_pages.first_touch",
			     bench_chunk_name(bench_chunks[c]), "ns/page",
			     first, BENCH_REPS);
		bench_report(test, "drm_gpusvm_get_pages.populated",
			     bench_chunk_name(bench_chunks[c]), "ns/page",
			     populated, BENCH_REPS);
	}
}

/* Loops of one primitive in drm_gpusvm_bench_primitives() */
#define BENCH_PRIM_LOOPS	20000

enum bench_prim {
	BENCH_PRIM_KTIME_GET,
	BENCH_PRIM_SPIN_LOCK,
	BENCH_PRIM_RWSEM_READ,
	BENCH_PRIM_RWSEM_WRITE,
	BENCH_PRIM_ATOMIC64_ADD,
	BENCH_PRIM_KMALLOC_256,
	BENCH_PRIM_MEMCPY_4K,
	BENCH_PRIM_CLEAR_PAGE,
	BENCH_PRIM_NUM
};

static const char *const bench_prim_names[BENCH_PRIM_NUM] = {
	[BENCH_PRIM_KTIME_GET] = "ktime_get",
	[BENCH_PRIM_SPIN_LOCK] = "spin_lock_unlock",
	[BENCH_PRIM_RWSEM_READ] = "down_up_read",
	[BENCH_PRIM_RWSEM_WRITE] = "down_up_write",
	[BENCH_PRIM_ATOMIC64_ADD] = "atomic64_add",
	[BENCH_PRIM_KMALLOC_256] = "kmalloc_kfree_256",
	[BENCH_PRIM_MEMCPY_4K] = "memcpy_4K",
	[BENCH_PRIM_CLEAR_PAGE] = "clear_page_4K",
};

/* Where the timestamps go, so that the compiler keeps them */
static u64 bench_sink;

/* BENCH_PRIM_LOOPS of primitive @p: ns per one */
static u64 bench_prim_run(struct kunit *test, enum bench_prim p, void *src,
			  void *dst)
{
	static DEFINE_SPINLOCK(lock);
	static DECLARE_RWSEM(sem);
	atomic64_t counter = ATOMIC64_INIT(0);
	u64 sink = 0, ns;
	ktime_t t0;
	int i;

	t0 = ktime_get();
	for (i = 0; i < BENCH_PRIM_LOOPS; i++) {
		switch (p) {
		case BENCH_PRIM_KTIME_GET:
			sink += ktime_get();
			break;
		case BENCH_PRIM_SPIN_LOCK:
			spin_lock(&lock);
			spin_unlock(&lock);
			break;
		case BENCH_PRIM_RWSEM_READ:
			down_read(&sem);
			up_read(&sem);
			break;
		case BENCH_PRIM_RWSEM_WRITE:
			down_write(&sem);
			up_write(&sem);
			break;
		case BENCH_PRIM_ATOMIC64_ADD:
			atomic64_add(i, &counter);
			break;
		case BENCH_PRIM_KMALLOC_256: {
			void *p256 = kmalloc(256, GFP_KERNEL);

			KUNIT_ASSERT_NOT_NULL(test, p256);
			kfree(p256);
			break;
		}
		case BENCH_PRIM_MEMCPY_4K:
			memcpy(dst, src, PAGE_SIZE);
			break;
		case BENCH_PRIM_CLEAR_PAGE:
			clear_page(dst);
			break;
		default:
			break;
		}
		barrier();
	}
	ns = ktime_to_ns(ktime_sub(ktime_get(), t0));
	WRITE_ONCE(bench_sink, sink);

	/* The work was done */
	if (p == BENCH_PRIM_ATOMIC64_ADD)
		KUNIT_EXPECT_EQ(test, atomic64_read(&counter),
				(s64)BENCH_PRIM_LOOPS * (BENCH_PRIM_LOOPS - 1) / 2);
	if (p == BENCH_PRIM_MEMCPY_4K)
		KUNIT_EXPECT_EQ(test, memcmp(dst, src, PAGE_SIZE), 0);
	if (p == BENCH_PRIM_CLEAR_PAGE)
		KUNIT_EXPECT_TRUE(test, !memchr_inv(dst, 0, PAGE_SIZE));
	return div_u64(ns, BENCH_PRIM_LOOPS);
}

/*
 * What the kernel's primitives cost in this guest, ns each, next to a copy
 * and a clear of one page: a GPU fault of a 4K range pays a few dozen of
 * the former (timestamps for the statistics, locks, atomics, allocations),
 * dmirror's read of a page mostly two copies.  QEMU's TCG prices the two
 * kinds differently from hardware: these are the prices here.
 */
static void drm_gpusvm_bench_primitives(struct kunit *test)
{
	u64 v[BENCH_REPS];
	void *src, *dst;
	unsigned int p;
	int i;

	src = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	dst = kunit_kmalloc(test, PAGE_SIZE, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	memset(src, 0x5a, PAGE_SIZE);

	for (p = 0; p < BENCH_PRIM_NUM; p++) {
		for (i = 0; i < BENCH_REPS; i++)
			v[i] = bench_prim_run(test, p, src, dst);
		bench_report(test, "primitive", bench_prim_names[p], "ns/op",
			     v, BENCH_REPS);
	}}

static struct kunit_case drm_gpusvm_bench_cases[] = {
	KUNIT_CASE_SLOW(drm_gpusvm_bench_find_or_insert),
	KUNIT_CASE_SLOW(drm_gpusvm_bench_get_pages),
	KUNIT_CASE_SLOW(drm_gpusvm_bench_primitives),
	{}
};

static struct kunit_suite drm_gpusvm_bench_suite = {
	.name = "drm_gpusvm_bench",
	.test_cases = drm_gpusvm_bench_cases,
};

kunit_test_suite(drm_gpusvm_bench_suite);

MODULE_DESCRIPTION("Micro-benchmark of drm_gpusvm on the KUnit mock driver");
MODULE_LICENSE("Dual MIT/GPL");
