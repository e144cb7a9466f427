// SPDX-License-Identifier: GPL-2.0
/*
 * The mm against a job in flight: the GPU maps process memory (its batch
 * writes it), stops at a semaphore the CPU holds, the process changes its
 * address space (munmap, mremap, fork, madvise, mprotect, MAP_FIXED), and
 * the CPU lets the GPU go on.  A GPU that kept a stale mapping writes
 * pages the process no longer has: every dword of every buffer is checked
 * afterwards.  Then CPU threads and two engines on the same words, CPU
 * threads faulting on GPU-written (VRAM) pages at once, eviction under BO
 * pressure, migration ping-pong, and the kinds of memory a mirror maps
 * (shared and private file pages, the stack, THPs).
 *
 * Each case runs twice: with the mirror's preferred location set to
 * system memory (variant sysmem), and with the data prefetched to VRAM
 * (variant vram; skipped on a device without VRAM).  Data patterns come
 * from the printed seed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xe_open.h"
#include "xe_svm.h"

#define SEED		0x7ace5eedu
#define SZ_1M		(1024ul * 1024)
#define SZ_2M		(2 * SZ_1M)
#define MIRROR_RANGE	0x800000000000ull	/* the user address space */

/* Dwords of the shared control page */
#define CTL_GATE	0	/* the GPU waits until it is 1 */
#define CTL_PHASE	16	/* the GPU stores 1 there at the gate */
#define CTL_UFENCE	32	/* the user fence of the first queue (u64) */
#define CTL_UFENCE2	48	/* ... of the second */

/* Marks the GPU stores into dword 0 / 1 / 2 of page N: MARK_x + N */
#define MARK_A		0xa0000000u
#define MARK_B		0xb0000000u
#define MARK_C		0xc0000000u
#define NO_MARK		(-1ll)

/* How long a job may take under TCG with KASAN: 60 s */
#define RACE_WAIT_NS	(60ll * 1000 * 1000 * 1000)

/* What the cases of a fixture use: the device, a mirroring VM, queues */
struct gpu {
	int fd;
	int vm;
	int nq;
	int q[2];
	struct drm_xe_engine_class_instance eng[2];
	uint32_t *ctl;
	uint32_t region;	/* where place() prefetches to */
};

FIXTURE(race) {
	struct gpu g;
};

FIXTURE_VARIANT(race) {
	int vram;
};

FIXTURE_VARIANT_ADD(race, sysmem) {
	.vram = 0,
};

FIXTURE_VARIANT_ADD(race, vram) {
	.vram = 1,
};

FIXTURE_SETUP(race)
{
	struct gpu *g = &self->g;
	int i;

	g->vm = -1;
	g->nq = 0;
	g->ctl = MAP_FAILED;
	g->fd = xe_open_card();
	if (g->fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	if (variant->vram && !has_vram(g->fd))
		SKIP(return, "no VRAM region");
	g->region = variant->vram ? 1 : 0;
	g->vm = xe_vm_create_fault(g->fd);
	if (g->vm < 0)
		SKIP(return, "no fault-mode VM (%d): no GPU page faults", g->vm);
	ASSERT_EQ(0, xe_mirror(g->fd, g->vm, 0, MIRROR_RANGE));
	if (!variant->vram && has_vram(g->fd))
		ASSERT_EQ(0, xe_madvise(g->fd, g->vm, 0, MIRROR_RANGE,
					DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC,
					(uint32_t)DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM));

	g->nq = query_engines(g->fd, g->eng, 2);
	ASSERT_LT(0, g->nq);
	for (i = 0; i < g->nq; i++) {
		g->q[i] = xe_queue_create(g->fd, g->vm, g->eng[i].engine_class,
					  g->eng[i].engine_instance);
		ASSERT_LT(0, g->q[i]);
	}
	/* Shared: fork()ed children see it, and it never moves to VRAM. */
	g->ctl = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, g->ctl);
	TH_LOG("seed %#x, %s", SEED, variant->vram ? "VRAM" : "system memory");
}

FIXTURE_TEARDOWN(race)
{
	struct gpu *g = &self->g;
	int i;

	for (i = 0; i < g->nq; i++)
		if (g->q[i] > 0)
			xe_queue_destroy(g->fd, g->q[i]);
	if (g->vm > 0)
		xe_vm_destroy(g->fd, g->vm);
	if (g->ctl != MAP_FAILED)
		munmap(g->ctl, 4096);
	if (g->fd >= 0)
		close(g->fd);
}

/* @size bytes of private anonymous memory, 2M-aligned, or NULL */
static uint32_t *map_aligned(size_t size)
{
	size_t span = size + SZ_2M;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (char *)(((uintptr_t)p + SZ_2M - 1) & ~(SZ_2M - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + span - (a + size));
	return (uint32_t *)a;
}

/* Fresh private anonymous memory at @at (MAP_FIXED), or NULL */
static uint32_t *map_fixed(void *at, size_t size)
{
	void *p = mmap(at, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Fill pages [@first, @first + @n) of @data with pattern(@seed) */
static void fill(uint32_t *data, unsigned int first, unsigned int n,
		 uint32_t seed)
{
	size_t i;

	for (i = (size_t)first * 1024; i < (size_t)(first + n) * 1024; i++)
		data[i] = pattern(seed, i);
}

/*
 * The dwords of pages [@first, @first + @n) of @data that differ from
 * what they should hold: pattern(@seed) (0: zeroes, fresh memory), but
 * @m0 + page in dword 0 and @m1 + page in dword 1 unless NO_MARK.
 */
static unsigned long bad_dwords(const uint32_t *data, unsigned int first,
				unsigned int n, uint32_t seed, long long m0,
				long long m1)
{
	unsigned long bad = 0;
	unsigned int p, j;

	for (p = first; p < first + n; p++)
		for (j = 0; j < 1024; j++) {
			size_t i = (size_t)p * 1024 + j;
			uint32_t want = seed ? pattern(seed, i) : 0;

			if (j == 0 && m0 != NO_MARK)
				want = (uint32_t)m0 + p;
			if (j == 1 && m1 != NO_MARK)
				want = (uint32_t)m1 + p;
			bad += data[i] != want;
		}
	return bad;
}

/* Append stores of @mark + N into dword @dw of pages [@first, @first + @n) */
static uint32_t *emit_marks(uint32_t *b, uint32_t *data, unsigned int first,
			    unsigned int n, unsigned int dw, uint32_t mark)
{
	unsigned int p;

	for (p = first; p < first + n; p++)
		b = xe_emit_store(b, (uintptr_t)&data[p * 1024 + dw], mark + p);
	return b;
}

/* Append the gate: tell the CPU (phase 1), wait until it opens the gate */
static uint32_t *emit_gate(uint32_t *b, uint32_t *ctl)
{
	b = xe_emit_store(b, (uintptr_t)&ctl[CTL_PHASE], 1);
	return xe_emit_wait_eq(b, (uintptr_t)&ctl[CTL_GATE], 1);
}

/* A batch buffer for @stores stores and a gate, in malloc'd memory */
static uint32_t *batch_alloc(unsigned int stores)
{
	return malloc((stores * 4 + 16) * 4);
}

/* Prefetch [@addr, @addr + @size) to the variant's memory region */
static int place(struct gpu *g, void *addr, size_t size)
{
	return xe_bind(g->fd, g->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
		       (uintptr_t)addr, size, g->region);
}

static uint64_t *ufence_of(struct gpu *g, int qi)
{
	return (uint64_t *)&g->ctl[qi ? CTL_UFENCE2 : CTL_UFENCE];
}

/* Submit @batch on queue @qi with the gate closed */
static int gpu_start(struct gpu *g, int qi, const uint32_t *batch)
{
	__atomic_store_n(&g->ctl[CTL_GATE], 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&g->ctl[CTL_PHASE], 0, __ATOMIC_SEQ_CST);
	*ufence_of(g, qi) = 0;
	return xe_exec(g->fd, g->q[qi], batch, ufence_of(g, qi));
}

static int queue_banned(struct gpu *g, int qi)
{
	struct drm_xe_exec_queue_get_property p = {
		.exec_queue_id = g->q[qi],
		.property = DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN,
	};

	return xe_ioctl(g->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &p) ?
	       -1 : (int)p.value;
}

/* Wait (60 s at most) until the job on @qi reached its gate: 0, -EIO, -ETIME */
static int gpu_at_gate(struct gpu *g, int qi)
{
	unsigned int i;

	for (i = 0; i < 600000; i++) {
		if (__atomic_load_n(&g->ctl[CTL_PHASE], __ATOMIC_ACQUIRE) == 1)
			return 0;
		if (!(i % 1000) && queue_banned(g, qi))
			return -EIO;
		usleep(100);
	}
	return -ETIME;
}

/* Open the gate and wait for the job on @qi: 0, -EIO (banned), -ETIME */
static int gpu_finish(struct gpu *g, int qi)
{
	__atomic_store_n(&g->ctl[CTL_GATE], 1, __ATOMIC_SEQ_CST);
	return xe_wait_ufence(g->fd, g->q[qi], ufence_of(g, qi),
			      RACE_WAIT_NS);
}

/*
 * The skeleton of the munmap / MAP_FIXED cases: 2M of data in the
 * variant's memory, the GPU marks dword 0 of every page and stops at the
 * gate; @fresh_n pages from @fresh_first on are then replaced with fresh
 * memory (filled from SEED + 1) the way @how says, the GPU marks dword 1
 * of every page, and every dword is checked.
 */
#define REPLACE_UNMAP	0	/* munmap, then mmap at the same address */
#define REPLACE_FIXED	1	/* mmap(MAP_FIXED) over it */

static void replace_while_gpu_waits(struct __test_metadata *_metadata,
				    struct gpu *g,
				    unsigned int fresh_first,
				    unsigned int fresh_n, int how)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *b, *fresh;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, g->ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(g, 0));
	if (how == REPLACE_UNMAP)
		ASSERT_EQ(0, munmap(&data[fresh_first * 1024], fresh_n * 4096));
	fresh = map_fixed(&data[fresh_first * 1024], fresh_n * 4096);
	ASSERT_EQ(&data[fresh_first * 1024], fresh);
	fill(data, fresh_first, fresh_n, SEED + 1);
	ASSERT_EQ(0, gpu_finish(g, 0));

	EXPECT_EQ(0, bad_dwords(data, 0, fresh_first, SEED, MARK_A, MARK_B));
	EXPECT_EQ(0, bad_dwords(data, fresh_first, fresh_n, SEED + 1,
				NO_MARK, MARK_B));
	EXPECT_EQ(0, bad_dwords(data, fresh_first + fresh_n,
				pages - fresh_first - fresh_n, SEED, MARK_A,
				MARK_B));
	munmap(data, SZ_2M);
	free(batch);
}

/* munmap of the whole 2M range while the job maps it */
TEST_F(race, munmap_all_during_job)
{
	replace_while_gpu_waits(_metadata, &self->g, 0, 512, REPLACE_UNMAP);
}

/* munmap of its first half */
TEST_F(race, munmap_partial_during_job)
{
	replace_while_gpu_waits(_metadata, &self->g, 0, 256, REPLACE_UNMAP);
}

/* munmap of the middle of a 2M range: the range is split in three */
TEST_F(race, munmap_middle_during_job)
{
	replace_while_gpu_waits(_metadata, &self->g, 128, 256, REPLACE_UNMAP);
}

/* mmap(MAP_FIXED) of fresh memory over part of a bound range */
TEST_F(race, map_fixed_replaces_during_job)
{
	replace_while_gpu_waits(_metadata, &self->g, 64, 320, REPLACE_FIXED);
}

/*
 * mremap() moving bound memory while the job waits: the GPU then writes
 * the new address (which holds the data and the GPU's first marks), and
 * fresh memory mapped at the old address (which must get the marks the
 * GPU stores there, not the moved pages).
 */
TEST_F(race, mremap_move_during_job)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *to = map_aligned(SZ_2M);
	uint32_t *batch = batch_alloc(3 * pages), *b;

	ASSERT_TRUE(data && to && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, to, 0, pages, 1, MARK_B);
	b = emit_marks(b, data, 0, pages, 1, MARK_C);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	ASSERT_EQ(to, mremap(data, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED,
			     to));
	ASSERT_EQ(data, map_fixed(data, SZ_2M));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	EXPECT_EQ(0, bad_dwords(to, 0, pages, SEED, MARK_A, MARK_B));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, 0, NO_MARK, MARK_C));
	munmap(data, SZ_2M);
	munmap(to, SZ_2M);
	free(batch);
}

/*
 * mremap() growing bound memory in place (1M to 2M) while the job waits:
 * the GPU writes the old part (data kept) and the new one (zeroes).
 */
TEST_F(race, mremap_grow_during_job)
{
	const unsigned int pages = SZ_2M / 4096, half = pages / 2;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *b;

	ASSERT_TRUE(data && batch);
	ASSERT_EQ(0, munmap(&data[half * 1024], SZ_1M));
	fill(data, 0, half, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_1M));
	b = emit_marks(batch, data, 0, half, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	ASSERT_EQ(data, mremap(data, SZ_1M, SZ_2M, 0));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	EXPECT_EQ(0, bad_dwords(data, 0, half, SEED, MARK_A, MARK_B));
	EXPECT_EQ(0, bad_dwords(data, half, half, 0, NO_MARK, MARK_B));
	munmap(data, SZ_2M);
	free(batch);
}

/*
 * mremap() shrinking bound memory (2M to 1M) while the job waits; fresh
 * memory takes the freed half before the GPU writes all of it again.
 */
TEST_F(race, mremap_shrink_during_job)
{
	const unsigned int pages = SZ_2M / 4096, half = pages / 2;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *b;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	ASSERT_EQ(data, mremap(data, SZ_2M, SZ_1M, 0));
	ASSERT_EQ(&data[half * 1024], map_fixed(&data[half * 1024], SZ_1M));
	fill(data, half, half, SEED + 1);
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	EXPECT_EQ(0, bad_dwords(data, 0, half, SEED, MARK_A, MARK_B));
	EXPECT_EQ(0, bad_dwords(data, half, half, SEED + 1, NO_MARK, MARK_B));
	munmap(data, SZ_2M);
	free(batch);
}

/*
 * fork() while the job maps the data: the child checks its copy; the GPU
 * then writes the parent's (copy-on-write breaks in the parent), which
 * the child, still sharing nothing but the original pages, must not see;
 * then the child writes its own copy.
 */
TEST_F(race, fork_during_job)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	int to_child[2], to_parent[2], status;
	uint32_t *b;
	char c = 0;
	pid_t pid;

	ASSERT_TRUE(data && batch);
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(to_parent));
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		unsigned int p;
		int bad;

		bad = bad_dwords(data, 0, pages, SEED, MARK_A, NO_MARK) != 0;
		if (write(to_parent[1], "r", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			_exit(8);
		/* The GPU wrote the parent's copy: the pages we share no more */
		bad |= (bad_dwords(data, 0, pages, SEED, MARK_A, NO_MARK) != 0) << 1;
		for (p = 0; p < pages; p++)
			data[p * 1024 + 1] = MARK_C + p;
		bad |= (bad_dwords(data, 0, pages, SEED, MARK_A, MARK_C) != 0) << 2;
		_exit(bad);
	}
	ASSERT_EQ(1, read(to_parent[0], &c, 1));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	ASSERT_EQ(1, write(to_child[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: 1 = wrong data after fork, 2 = saw the GPU's writes, %s",
		       "4 = lost its own");
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, MARK_B));
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	munmap(data, SZ_2M);
	free(batch);
}

/* MADV_DONTNEED while the job maps the data: the GPU writes fresh zero pages */
TEST_F(race, madvise_dontneed_during_job)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *b;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	ASSERT_EQ(0, madvise(data, SZ_2M, MADV_DONTNEED));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, 0, NO_MARK, MARK_B));
	munmap(data, SZ_2M);
	free(batch);
}

/*
 * MADV_FREE, then MADV_PAGEOUT (which discards the clean lazily freed
 * pages), while the job maps the data: each page is either kept whole or
 * discarded (zeroes), and in either case holds the GPU's later write.
 */
TEST_F(race, madvise_free_during_job)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	unsigned int p, kept = 0, bad = 0;
	uint32_t *b;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));
	ASSERT_EQ(0, madvise(data, SZ_2M, MADV_FREE));
	if (madvise(data, SZ_2M, MADV_PAGEOUT))
		TH_LOG("MADV_PAGEOUT: %s (pages kept)", strerror(errno));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	for (p = 0; p < pages; p++) {
		if (!bad_dwords(data, p, 1, SEED, MARK_A, MARK_B))
			kept++;
		else if (bad_dwords(data, p, 1, 0, NO_MARK, MARK_B))
			bad++;
	}
	TH_LOG("%u of %u pages kept, %u discarded", kept, pages,
	       pages - kept - bad);
	EXPECT_EQ(0, bad);
	munmap(data, SZ_2M);
	free(batch);
}

/*
 * mprotect(PROT_READ) while the job waits to write: the GPU's write
 * fault is refused, the queue is banned, its fence never written, and
 * the data keeps what it had; writable again, a new queue writes it.
 */
TEST_F(race, mprotect_readonly_during_job)
{
	struct gpu *g = &self->g;
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *b;
	int err;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(g, data, SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, g->ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);

	ASSERT_EQ(0, gpu_start(g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(g, 0));
	ASSERT_EQ(0, mprotect(data, SZ_2M, PROT_READ));
	err = gpu_finish(g, 0);
	ASSERT_TRUE(err == -EIO || err == -ETIME) TH_LOG("wait: %d", err);
	EXPECT_EQ(0, *ufence_of(g, 0));
	EXPECT_EQ(1, queue_banned(g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, NO_MARK));

	ASSERT_EQ(0, mprotect(data, SZ_2M, PROT_READ | PROT_WRITE));
	xe_queue_destroy(g->fd, g->q[0]);
	g->q[0] = xe_queue_create(g->fd, g->vm, g->eng[0].engine_class,
				  g->eng[0].engine_instance);
	ASSERT_LT(0, g->q[0]);
	ASSERT_EQ(0, gpu_start(g, 0, batch));
	ASSERT_EQ(0, gpu_finish(g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, MARK_B));
	munmap(data, SZ_2M);
	free(batch);
}

#define CPU_THREADS	8
#define CPU_ITERS	2000
#define GPU_ITERS	256

struct counter_thread {
	pthread_t thread;
	uint32_t *words;
	int t;
};

static void *count_on_cpu(void *arg)
{
	struct counter_thread *c = arg;
	uint32_t *own = &c->words[32 + c->t];
	unsigned int i;

	for (i = 0; i < CPU_ITERS; i++) {
		__atomic_fetch_add(&c->words[0], 1, __ATOMIC_SEQ_CST);
		/* Plain increments of its own word: no other thread writes it */
		__atomic_store_n(own, __atomic_load_n(own, __ATOMIC_RELAXED) + 1,
				 __ATOMIC_RELAXED);
		if (!(i % 64))
			sched_yield();
	}
	return NULL;
}

/*
 * CPU threads atomically increment a shared word and plainly their own
 * words while every engine's job atomically increments the shared word
 * and a word of its own, all in one page: every count is exact.
 */
TEST_F(race, cpu_threads_and_gpu_atomics)
{
	struct counter_thread th[CPU_THREADS];
	uint32_t *words = map_aligned(SZ_2M), *batch[2], *b;
	int i, qi;

	ASSERT_NE(NULL, words);
	memset(words, 0, 4096);
	ASSERT_EQ(0, place(&self->g, words, SZ_2M));
	/* Queue qi's batch: the shared word, and word 1 + qi */
	for (qi = 0; qi < self->g.nq; qi++) {
		batch[qi] = batch_alloc(2 * GPU_ITERS);
		ASSERT_NE(NULL, batch[qi]);
		b = batch[qi];
		for (i = 0; i < GPU_ITERS; i++) {
			b = xe_emit_atomic_inc(b, (uintptr_t)&words[0]);
			b = xe_emit_atomic_inc(b, (uintptr_t)&words[1 + qi]);
		}
		xe_emit_end(b);
	}
	for (qi = 0; qi < self->g.nq; qi++) {
		*ufence_of(&self->g, qi) = 0;
		ASSERT_EQ(0, xe_exec(self->g.fd, self->g.q[qi], batch[qi],
				     ufence_of(&self->g, qi)));
	}
	for (i = 0; i < CPU_THREADS; i++) {
		th[i].words = words;
		th[i].t = i;
		ASSERT_EQ(0, pthread_create(&th[i].thread, NULL, count_on_cpu,
					    &th[i]));
	}
	for (i = 0; i < CPU_THREADS; i++)
		ASSERT_EQ(0, pthread_join(th[i].thread, NULL));
	for (qi = 0; qi < self->g.nq; qi++)
		ASSERT_EQ(0, xe_wait_ufence(self->g.fd, self->g.q[qi],
					    ufence_of(&self->g, qi), RACE_WAIT_NS));

	EXPECT_EQ(CPU_THREADS * CPU_ITERS + self->g.nq * GPU_ITERS, words[0]);
	for (qi = 0; qi < self->g.nq; qi++)
		EXPECT_EQ(GPU_ITERS, words[1 + qi]);
	for (i = 0; i < CPU_THREADS; i++) {
		EXPECT_EQ(CPU_ITERS, words[32 + i])
			TH_LOG("thread %d", i);
	}
	for (qi = 0; qi < self->g.nq; qi++)
		free(batch[qi]);
	munmap(words, SZ_2M);
}

#define READERS		16

struct reader {
	pthread_t thread;
	pthread_barrier_t *start;
	const uint32_t *data;
	unsigned int pages;
	unsigned long bad;
};

static void *read_all(void *arg)
{
	struct reader *r = arg;

	pthread_barrier_wait(r->start);
	r->bad = bad_dwords(r->data, 0, r->pages, SEED, MARK_A, NO_MARK);
	return NULL;
}

/*
 * Sixteen CPU threads read GPU-written data at once: with the data in
 * VRAM, they all fault on the same device-private pages (the loser of
 * do_swap_page()'s page trylock retries), and all read every dword right.
 */
TEST_F(race, cpu_fault_threads_read_gpu_data)
{
	const unsigned int pages = 4 * SZ_2M / 4096;
	uint32_t *data = map_aligned(4 * SZ_2M), *batch = batch_alloc(pages);
	struct reader r[READERS];
	pthread_barrier_t start;
	int i;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, 4 * SZ_2M));
	xe_emit_end(emit_marks(batch, data, 0, pages, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, READERS));
	for (i = 0; i < READERS; i++) {
		r[i] = (struct reader){ .start = &start, .data = data,
					.pages = pages };
		ASSERT_EQ(0, pthread_create(&r[i].thread, NULL, read_all, &r[i]));
	}
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(0, pthread_join(r[i].thread, NULL));
		EXPECT_EQ(0, r[i].bad) TH_LOG("reader %d", i);
	}
	pthread_barrier_destroy(&start);
	munmap(data, 4 * SZ_2M);
	free(batch);
}

/*
 * Migration ping-pong: each round places the data (prefetch), the GPU
 * marks every page, the CPU checks every dword (taking the pages back)
 * and writes a new pattern for the next round.
 */
TEST_F(race, migration_ping_pong)
{
	const unsigned int pages = SZ_2M / 4096, rounds = 6;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(pages);
	unsigned int r;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	for (r = 0; r < rounds; r++) {
		uint32_t mark = MARK_A + (r << 16);

		ASSERT_EQ(0, place(&self->g, data, SZ_2M));
		xe_emit_end(emit_marks(batch, data, 0, pages, 0, mark));
		ASSERT_EQ(0, gpu_start(&self->g, r % self->g.nq, batch));
		ASSERT_EQ(0, gpu_finish(&self->g, r % self->g.nq));
		ASSERT_EQ(0, bad_dwords(data, 0, pages, SEED + r, mark, NO_MARK))
			TH_LOG("round %u", r);
		fill(data, 0, pages, SEED + r + 1);
	}
	munmap(data, SZ_2M);
	free(batch);
}

#define STORM_ROUNDS	8

struct storm {
	pthread_t thread;
	uint32_t *ufence_lo;	/* the job's user fence: stop when written */
	char *area;		/* what the storm churns */
	size_t size;
	int fork;		/* fork() storm, not munmap/madvise/mprotect */
	unsigned int iters;
	int err;
};

static int job_done(const struct storm *s)
{
	return __atomic_load_n(s->ufence_lo, __ATOMIC_ACQUIRE) != 0;
}

static void *churn(void *arg)
{
	struct storm *s = arg;

	while (!job_done(s)) {
		if (s->fork) {
			pid_t pid = fork();
			int status;

			if (!pid)
				_exit(0);
			if (pid < 0 || waitpid(pid, &status, 0) != pid)
				s->err = errno ? errno : EIO;
		} else {
			switch (s->iters % 4) {
			case 0:
				if (munmap(s->area, s->size) ||
				    map_fixed(s->area, s->size) != (void *)s->area)
					s->err = errno;
				break;
			case 1:
				if (madvise(s->area, s->size, MADV_DONTNEED))
					s->err = errno;
				break;
			case 2:
				if (mprotect(s->area, s->size, PROT_READ))
					s->err = errno;
				break;
			default:
				if (mprotect(s->area, s->size, PROT_READ | PROT_WRITE))
					s->err = errno;
				memset(s->area, 0x5a, s->size);
				break;
			}
		}
		s->iters++;
	}
	return NULL;
}

/*
 * The job writes the first half of a 2M range, STORM_ROUNDS times over,
 * while a CPU thread churns the same range: @fork 0 munmaps, remaps,
 * MADV_DONTNEEDs and mprotects the second half (each an invalidation of
 * the range the GPU is writing, a partial unmap splits it); @fork 1
 * forks again and again (each fork write-protects the whole range, and
 * the GPU's next write breaks copy-on-write).  The GPU's last round is
 * in every page of the first half, and the data around it is intact.
 */
static void storm_during_job(struct __test_metadata *_metadata,
			     struct gpu *g, int fork)
{
	const unsigned int pages = SZ_2M / 4096, half = pages / 2;
	uint32_t *data = map_aligned(SZ_2M);
	uint32_t *batch = batch_alloc(STORM_ROUNDS * half), *b;
	struct storm s = { .fork = fork };
	unsigned int r;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(g, data, SZ_2M));
	b = batch;
	for (r = 0; r < STORM_ROUNDS; r++)
		b = emit_marks(b, data, 0, half, 0, MARK_A + (r << 16));
	xe_emit_end(b);

	s.ufence_lo = (uint32_t *)ufence_of(g, 0);
	s.area = (char *)&data[half * 1024];
	s.size = (size_t)half * 4096;
	*ufence_of(g, 0) = 0;
	ASSERT_EQ(0, pthread_create(&s.thread, NULL, churn, &s));
	ASSERT_EQ(0, gpu_start(g, 0, batch));
	ASSERT_EQ(0, gpu_finish(g, 0));
	ASSERT_EQ(0, pthread_join(s.thread, NULL));
	TH_LOG("%u %s during the job", s.iters, fork ? "forks" : "changes");
	EXPECT_EQ(0, s.err) TH_LOG("%s", strerror(s.err));
	EXPECT_EQ(0, bad_dwords(data, 0, half, SEED,
				MARK_A + ((STORM_ROUNDS - 1) << 16), NO_MARK));
	munmap(data, SZ_2M);
	free(batch);
}

/* munmap/mmap/madvise/mprotect of half a range the GPU writes the other half of */
TEST_F(race, invalidation_storm_same_range)
{
	storm_during_job(_metadata, &self->g, 0);
}

/* fork() after fork() while the GPU writes */
TEST_F(race, fork_storm_during_job)
{
	storm_during_job(_metadata, &self->g, 1);
}

/*
 * Reads of the GPU's data by the kernel on behalf of another process
 * (process_vm_readv() from a child) and through /proc/self/mem: each a
 * get_user_pages() of the pages, which faults device pages back to
 * system memory from another context than the owner's CPU fault.
 */
TEST_F(race, remote_reads_of_gpu_data)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(2 * SZ_2M), *batch = batch_alloc(2 * pages);
	uint32_t *copy = malloc(SZ_2M);
	int status, memfd;
	unsigned long bad = 0;
	size_t i;
	pid_t pid;

	ASSERT_TRUE(data && batch && copy);
	fill(data, 0, 2 * pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, 2 * SZ_2M));
	xe_emit_end(emit_marks(batch, data, 0, 2 * pages, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	/* The first 2M: a child reads it out of this process */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct iovec local = { .iov_base = copy, .iov_len = SZ_2M };
		struct iovec remote = { .iov_base = data, .iov_len = SZ_2M };

		if (process_vm_readv(getppid(), &local, 1, &remote, 1, 0) != (ssize_t)SZ_2M)
			_exit(2);
		_exit(bad_dwords(copy, 0, pages, SEED, MARK_A, NO_MARK) ? 1 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("child: 1 = wrong data, 2 = process_vm_readv failed");

	/* The second 2M: through /proc/self/mem */
	memfd = open("/proc/self/mem", O_RDONLY);
	ASSERT_LE(0, memfd);
	ASSERT_EQ((ssize_t)SZ_2M, pread(memfd, copy, SZ_2M,
					(uintptr_t)&data[pages * 1024]));
	close(memfd);
	for (i = 0; i < pages * 1024; i++) {
		size_t at = pages * 1024 + i;

		bad += copy[i] != (i % 1024 ? pattern(SEED, at) : MARK_A + at / 1024);
	}
	EXPECT_EQ(0, bad);
	EXPECT_EQ(0, bad_dwords(data, 0, 2 * pages, SEED, MARK_A, NO_MARK));
	munmap(data, 2 * SZ_2M);
	free(copy);
	free(batch);
}

#define MIGRATE_ROUNDS	4
#define CPU_ROUNDS	16

struct migrator {
	pthread_t thread;
	struct gpu *g;
	uint32_t *data;
	size_t size;
	int stop;
	unsigned int prefetches;
	int err;
};

/* Prefetch the data to the variant's region and back until told to stop */
static void *migrate_back_and_forth(void *arg)
{
	struct migrator *m = arg;

	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		int err = place(m->g, m->data, m->size);

		if (!err)
			err = xe_bind(m->g->fd, m->g->vm, DRM_XE_VM_BIND_OP_PREFETCH,
				      0, (uintptr_t)m->data, m->size, 0);
		if (err)
			m->err = err;
		m->prefetches += 2;
	}
	return NULL;
}

/*
 * Three writers of one buffer at once, none waiting for another: the
 * GPU marks dword 0 of every page, round after round; a CPU thread
 * writes dword 1 of every page, round after round; a second thread
 * prefetches the buffer to the variant's region and back to system
 * memory without pause (with VRAM: migrations both ways, under both
 * writers).  No write is lost: dword 0 holds the GPU's last round,
 * dword 1 the CPU's, and the rest the data it started with.
 */
TEST_F(race, migration_storm_under_writers)
{
	const unsigned int pages = 2 * SZ_2M / 4096;
	uint32_t *data = map_aligned(2 * SZ_2M);
	uint32_t *batch = batch_alloc(MIGRATE_ROUNDS * pages), *b;
	struct migrator m = { .g = &self->g, .data = data, .size = 2 * SZ_2M };
	unsigned int r, p, run, cpu_r = 0;

	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	b = batch;
	for (r = 0; r < MIGRATE_ROUNDS; r++)
		b = emit_marks(b, data, 0, pages, 0, MARK_A + (r << 16));
	xe_emit_end(b);

	ASSERT_EQ(0, pthread_create(&m.thread, NULL, migrate_back_and_forth, &m));
	/* Jobs and CPU rounds until at least 16 prefetches ran under them */
	for (run = 0; run < 2 || (run < 64 && m.prefetches < 16); run++) {
		ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
		for (r = 0; r < CPU_ROUNDS; r++, cpu_r++)
			for (p = 0; p < pages; p++)
				data[p * 1024 + 1] = MARK_B + (cpu_r << 16) + p;
		ASSERT_EQ(0, gpu_finish(&self->g, 0));
	}
	__atomic_store_n(&m.stop, 1, __ATOMIC_RELEASE);
	ASSERT_EQ(0, pthread_join(m.thread, NULL));
	TH_LOG("%u prefetches during %u jobs", m.prefetches, run);
	EXPECT_EQ(0, m.err);
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED,
				MARK_A + ((MIGRATE_ROUNDS - 1) << 16),
				MARK_B + ((cpu_r - 1) << 16)));
	munmap(data, 2 * SZ_2M);
	free(batch);
}

/* The size of the first VRAM region, or 0 */
static uint64_t vram_size(int fd)
{
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_MEM_REGIONS };
	struct drm_xe_query_mem_regions *m;
	uint64_t size = 0;
	unsigned int i;

	if (xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq))
		return 0;
	m = calloc(1, dq.size);
	if (!m)
		return 0;
	dq.data = (uintptr_t)m;
	if (!xe_ioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq))
		for (i = 0; i < m->num_mem_regions; i++)
			if (m->mem_regions[i].mem_class == DRM_XE_MEM_REGION_CLASS_VRAM) {
				size = m->mem_regions[i].total_size;
				break;
			}
	free(m);
	return size;
}

#define PRESSURE_BO	(32ull << 20)

/*
 * Eviction under VRAM pressure while the GPU and the CPU use the data:
 * the job marks the data and waits; BOs as big as VRAM take it (TTM
 * evicts what the mirror migrated there) while a CPU thread reads the
 * data; the job then writes it again, and every dword is right, before
 * and after the BOs go.
 */
TEST_F(race, eviction_under_bo_pressure)
{
	const unsigned int pages = 8 * SZ_2M / 4096;
	uint32_t *data = map_aligned(8 * SZ_2M), *batch = batch_alloc(2 * pages);
	uint64_t vram = vram_size(self->g.fd), made = 0;
	uint32_t handles[64], n = 0, *b;
	struct reader r = { .data = data, .pages = pages };
	pthread_barrier_t start;

	if (!vram)
		SKIP(return, "no VRAM region");
	ASSERT_TRUE(data && batch);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, 8 * SZ_2M));
	b = emit_marks(batch, data, 0, pages, 0, MARK_A);
	b = emit_gate(b, self->g.ctl);
	b = emit_marks(b, data, 0, pages, 1, MARK_B);
	xe_emit_end(b);
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_at_gate(&self->g, 0));

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, 2));
	r.start = &start;
	ASSERT_EQ(0, pthread_create(&r.thread, NULL, read_all, &r));
	pthread_barrier_wait(&start);
	while (made < vram && n < 64) {
		struct drm_xe_gem_create c = {
			.size = PRESSURE_BO,
			.placement = 1u << 1,	/* VRAM (region instance 1) */
			.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC,
		};

		ASSERT_EQ(0, xe_ioctl(self->g.fd, DRM_IOCTL_XE_GEM_CREATE, &c));
		handles[n++] = c.handle;
		made += PRESSURE_BO;
	}
	ASSERT_EQ(0, pthread_join(r.thread, NULL));
	EXPECT_EQ(0, r.bad);
	TH_LOG("%u BOs of %llu MiB in %llu MiB of VRAM", n,
	       PRESSURE_BO >> 20, (unsigned long long)vram >> 20);

	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, MARK_B));
	while (n) {
		struct drm_gem_close c = { .handle = handles[--n] };

		ASSERT_EQ(0, xe_ioctl(self->g.fd, DRM_IOCTL_GEM_CLOSE, &c));
	}
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, MARK_B));
	pthread_barrier_destroy(&start);
	munmap(data, 8 * SZ_2M);
	free(batch);
}

/* A memfd of @size bytes holding pattern(@seed), or -1 */
static int pattern_memfd(size_t size, uint32_t seed)
{
	int fd = memfd_create("gpusvm", MFD_CLOEXEC);
	uint32_t *p;

	if (fd < 0)
		return -1;
	if (ftruncate(fd, size)) {
		close(fd);
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		close(fd);
		return -1;
	}
	fill(p, 0, size / 4096, seed);
	munmap(p, size);
	return fd;
}

struct kernel_writer {
	pthread_t thread;
	pthread_barrier_t *start;
	int mfd;
	uint32_t *data;
	ssize_t got;
};

static void *pread_into(void *arg)
{
	struct kernel_writer *w = arg;

	pthread_barrier_wait(w->start);
	w->got = pread(w->mfd, w->data, SZ_2M, 0);
	return NULL;
}

/*
 * Sixteen threads pread() the same file into the same 2M of GPU-written
 * data at once: the kernel's copy_to_user() faults on the pages (device
 * pages with VRAM, the fault retried in the kernel, not in user space)
 * from every thread together; every thread's read completes and the data
 * is the file's.
 */
TEST_F(race, kernel_writes_into_gpu_data_from_threads)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data = map_aligned(SZ_2M), *batch = batch_alloc(pages);
	int mfd = pattern_memfd(SZ_2M, SEED + 7), i;
	struct kernel_writer w[READERS];
	pthread_barrier_t start;

	ASSERT_TRUE(data && batch);
	ASSERT_LE(0, mfd);
	fill(data, 0, pages, SEED);
	ASSERT_EQ(0, place(&self->g, data, SZ_2M));
	xe_emit_end(emit_marks(batch, data, 0, pages, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));

	ASSERT_EQ(0, pthread_barrier_init(&start, NULL, READERS));
	for (i = 0; i < READERS; i++) {
		w[i] = (struct kernel_writer){ .start = &start, .mfd = mfd,
					       .data = data };
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, pread_into, &w[i]));
	}
	for (i = 0; i < READERS; i++) {
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));
		EXPECT_EQ((ssize_t)SZ_2M, w[i].got) TH_LOG("thread %d", i);
	}
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED + 7, NO_MARK, NO_MARK));
	pthread_barrier_destroy(&start);
	close(mfd);
	munmap(data, SZ_2M);
	free(batch);
}

/*
 * File pages (a memfd): the GPU marks every page of a mapping of it, and
 * the CPU checks the mapping and the file (pread()).  MAP_SHARED: the
 * GPU's writes are the file's.  MAP_PRIVATE: they go to private copies,
 * the mapping has them (and the file's data around them), the file not.
 * File pages never migrate, whatever the preferred location.
 */
static void file_pages(struct __test_metadata *_metadata, struct gpu *g,
		       int shared)
{
	const unsigned int pages = SZ_2M / 4096;
	uint32_t *data, *batch = batch_alloc(pages), *back = malloc(SZ_2M);
	int mfd = pattern_memfd(SZ_2M, SEED);

	ASSERT_TRUE(batch && back);
	ASSERT_LE(0, mfd);
	data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    shared ? MAP_SHARED : MAP_PRIVATE, mfd, 0);
	ASSERT_NE(MAP_FAILED, data);
	ASSERT_EQ(0, place(g, data, SZ_2M));
	xe_emit_end(emit_marks(batch, data, 0, pages, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(g, 0, batch));
	ASSERT_EQ(0, gpu_finish(g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, NO_MARK));
	ASSERT_EQ((ssize_t)SZ_2M, pread(mfd, back, SZ_2M, 0));
	EXPECT_EQ(0, bad_dwords(back, 0, pages, SEED,
				shared ? MARK_A : NO_MARK, NO_MARK));
	munmap(data, SZ_2M);
	close(mfd);
	free(back);
	free(batch);
}

TEST_F(race, shared_file_pages)
{
	file_pages(_metadata, &self->g, 1);
}

TEST_F(race, private_file_pages)
{
	file_pages(_metadata, &self->g, 0);
}

/* The stack: the GPU writes a local array of this function's frame. */
TEST_F(race, stack_memory)
{
	const unsigned int pages = 16;
	uint32_t stack[16 * 1024], *batch = batch_alloc(pages);
	uint32_t *data;

	ASSERT_NE(NULL, batch);
	/* Page-aligned inside the array: the last page is a partial one */
	data = (uint32_t *)(((uintptr_t)stack + 4095) & ~4095ul);
	fill(data, 0, pages - 1, SEED);
	xe_emit_end(emit_marks(batch, data, 0, pages - 1, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages - 1, SEED, MARK_A, NO_MARK));
	free(batch);
}

/* Is @addr in a transparent huge page (/proc/g/smaps AnonHugePages)? */
static long anon_huge_kb(void *addr)
{
	FILE *f = fopen("/proc/g/smaps", "r");
	unsigned long start, end;
	char line[256];
	long kb = -1;
	int in = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			in = start <= (uintptr_t)addr && (uintptr_t)addr < end;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/*
 * Transparent huge pages: 4M of 2M-aligned MADV_HUGEPAGE memory, touched
 * by the CPU first (THPs when the kernel has them), written by the GPU in
 * every page; the CPU checks every dword.
 */
TEST_F(race, thp_memory)
{
	const unsigned int pages = 2 * SZ_2M / 4096;
	uint32_t *data = map_aligned(2 * SZ_2M), *batch = batch_alloc(pages);

	ASSERT_TRUE(data && batch);
	if (madvise(data, 2 * SZ_2M, MADV_HUGEPAGE))
		TH_LOG("MADV_HUGEPAGE: %s", strerror(errno));
	fill(data, 0, pages, SEED);
	TH_LOG("AnonHugePages: %ld kB", anon_huge_kb(data));
	ASSERT_EQ(0, place(&self->g, data, 2 * SZ_2M));
	xe_emit_end(emit_marks(batch, data, 0, pages, 0, MARK_A));
	ASSERT_EQ(0, gpu_start(&self->g, 0, batch));
	ASSERT_EQ(0, gpu_finish(&self->g, 0));
	EXPECT_EQ(0, bad_dwords(data, 0, pages, SEED, MARK_A, NO_MARK));
	munmap(data, 2 * SZ_2M);
	free(batch);
}

TEST_HARNESS_MAIN
