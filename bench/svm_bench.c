// SPDX-License-Identifier: GPL-2.0
/*
 * svm_bench - how fast GPU SVM is on vxe, against lib/test_hmm's dmirror
 * device and memcpy, in one guest ("make bench" runs it in the benchmark
 * kernel; see ci/bench.sh).
 *
 * Sections (one KTAP result each; a section that cannot run is skipped):
 *
 *   fault       GPU fault service rate: a fault-mode VM mirroring the
 *               process, one MI_STORE_DWORD per 4K page of fresh anonymous
 *               memory (first touch), in page order or shuffled, per
 *               largest chunk (vxe.svm_max_chunk_size: 4K, 64K, 2M) and
 *               size; the memory's preferred location is system memory
 *               (the mirroring path alone), and at one size also the
 *               default (VRAM: the first fault migrates)
 *   dmirror     HMM_DMIRROR_READ and _WRITE of the same kind of memory:
 *               hmm_range_fault() without a GPU
 *   migrate     system memory to VRAM (PREFETCH) and back (CPU faults,
 *               PREFETCH to system memory) per range size, with dmirror's
 *               MIGRATE_TO_DEV / MIGRATE_TO_SYS / CPU faults beside it
 *   memcpy      memcpy of the same sizes: the limit of a migration, as
 *               vxe's VRAM is kernel memory
 *   invalidate  munmap() of a GPU-mapped range (the notifier zaps the PTEs
 *               and invalidates the TLB before munmap returns), against
 *               munmap() of memory the GPU never mapped, and the garbage
 *               collector that removes the range afterwards
 *   ratio       the ratios of the above, from this run's figures
 *
 * Every figure is printed as a KTAP diagnostic line
 *
 *   # BENCH name=<figure> unit=<unit> median=<v> min=<v> max=<v> reps=<n>
 *
 * which bench/report.c turns into results.json, the summary and the plot.
 * Times come from the kernel where it keeps them (Xe's GT statistics in
 * debugfs gt0/stats, with Xe's names), from CLOCK_MONOTONIC around system
 * calls otherwise.  Nothing here fails on a timing: a section fails only
 * when an ioctl fails or the GPU wrote wrong data.
 *
 *   svm_bench [-q] [-s SECTION[,SECTION...]] [-c CHUNK[,CHUNK]] [-w WHERE[,WHERE]]
 *             [-r REPS]
 *     -q   quick: sizes up to 64 MiB, 3 repetitions
 *     -s   only these sections (fault, dmirror, migrate, memcpy, invalidate,
 *          ratio)
 *     -c   the fault section for these chunk sizes only (4K, 64K, 2M)
 *     -w   the fault section for these placements only (sysmem, vram): with
 *          -c, one path alone, to profile it (perf record -a)
 *     -r   repetitions of every measurement (1 to 15)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <lib/test_hmm_uapi.h>

#include "xe_open.h"
#include "xe_svm.h"

#define KIB		1024ul
#define MIB		(1024ul * 1024)
#define GIB		(1024.0 * 1024 * 1024)
#define PAGE		4096ul
#define SEED		0x5eed2026u
#define MAX_FIGS	512
#define WAIT_NS		(600ll * 1000 * 1000 * 1000)
#define VRAM_REGION	1	/* the instance of VRAM in Xe's memory regions */
#define SYSMEM_REGION	0

struct fig {
	char name[96];
	char unit[16];
	double median, min, max;
	int reps;
};

static struct fig figs[MAX_FIGS];
static int nfigs;
static bool quick;
static const char *chunks_only;
static const char *where_only;
static int reps_override;
static char section_error[256];
/* The section needs a device this machine does not have: a skip */
static bool section_skip;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Record and print a figure: the median, minimum and maximum of @v[@n] */
static void figure(const char *unit, double *v, int n, const char *fmt, ...)
{
	struct fig *f;
	va_list ap;

	if (n <= 0 || nfigs == MAX_FIGS)
		return;
	f = &figs[nfigs++];
	va_start(ap, fmt);
	vsnprintf(f->name, sizeof(f->name), fmt, ap);
	va_end(ap);
	snprintf(f->unit, sizeof(f->unit), "%s", unit);
	qsort(v, n, sizeof(*v), cmp_double);
	f->median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	f->min = v[0];
	f->max = v[n - 1];
	f->reps = n;
	printf("# BENCH name=%s unit=%s median=%.6g min=%.6g max=%.6g reps=%d\n",
	       f->name, f->unit, f->median, f->min, f->max, f->reps);
	fflush(stdout);
}

static const struct fig *fig_find(const char *fmt, ...)
{
	char name[96];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(name, sizeof(name), fmt, ap);
	va_end(ap);
	for (i = 0; i < nfigs; i++)
		if (!strcmp(figs[i].name, name))
			return &figs[i];
	return NULL;
}

/* A section's failure: the first message counts */
static int fail(const char *fmt, ...)
{
	va_list ap;

	if (!section_error[0]) {
		va_start(ap, fmt);
		vsnprintf(section_error, sizeof(section_error), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int reps_for(unsigned long size)
{
	if (reps_override)
		return reps_override;
	if (quick)
		return 3;
	return size >= 256 * MIB ? 3 : 5;
}

/* @len bytes of fresh anonymous memory, 2M aligned (THPs where enabled) */
static void *map_aligned(size_t len)
{
	size_t span = len + 2 * MIB;
	char *p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t a;

	if (p == MAP_FAILED)
		return NULL;
	a = ((uintptr_t)p + 2 * MIB - 1) & ~(2 * MIB - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((char *)a + len < p + span)
		munmap((char *)a + len, p + span - ((char *)a + len));
	return (void *)a;
}

/* --- vxe: its parameters, statistics and a GPU context -------------------- */

static int set_max_chunk(unsigned long chunk)
{
	char v[24];

	snprintf(v, sizeof(v), "%lu", chunk / KIB);
	return sysfs_write("/sys/module/vxe/parameters/svm_max_chunk_size", v);
}

static const char *chunk_name(unsigned long chunk)
{
	return chunk == 4 * KIB ? "4K" : chunk == 64 * KIB ? "64K" : "2M";
}

/* Is @name in the comma-separated @list (all are when there is no list)? */
static bool wanted(const char *list, const char *name)
{
	size_t len = strlen(name);
	const char *p = list;

	if (!list)
		return true;
	while ((p = strstr(p, name))) {
		if ((p == list || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

/* A snapshot of debugfs gt0/stats ("name: value" lines) */
struct stats {
	char text[8192];
};

static int stats_read(int fd, struct stats *s)
{
	FILE *f = debugfs_open(fd, "gt0/stats");
	size_t n;

	if (!f)
		return fail("cannot open debugfs gt0/stats: %s", strerror(errno));
	n = fread(s->text, 1, sizeof(s->text) - 1, f);
	s->text[n] = '\0';
	fclose(f);
	return 0;
}

static long long stats_get(const struct stats *s, const char *name)
{
	size_t len = strlen(name);
	const char *p = s->text;

	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ':')
			return strtoll(p + len + 1, NULL, 10);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -1;
}

static long long stats_delta(const struct stats *a, const struct stats *b,
			     const char *name)
{
	return stats_get(b, name) - stats_get(a, name);
}

struct gpu {
	int fd;
	int vm;
	int q;
	uint64_t *ufence;
};

static void gpu_close(struct gpu *g)
{
	if (g->q > 0)
		xe_queue_destroy(g->fd, g->q);
	if (g->vm > 0)
		xe_vm_destroy(g->fd, g->vm);
	if (g->fd >= 0)
		close(g->fd);
	if (g->ufence)
		munmap(g->ufence, PAGE);
	memset(g, 0, sizeof(*g));
	g->fd = -1;
}

/*
 * A fault-mode VM mirroring the whole process, with the largest chunk
 * @chunk, an exec queue on the first engine, and a user fence page the
 * GPU maps already.  @sysmem: the mirror's preferred location is system
 * memory (else the device's default, VRAM).
 */
static int gpu_open(struct gpu *g, unsigned long chunk, bool sysmem)
{
	struct drm_xe_engine_class_instance eng;
	int err;

	memset(g, 0, sizeof(*g));
	g->fd = -1;
	if (set_max_chunk(chunk))
		return fail("cannot set vxe.svm_max_chunk_size (not vxe, or no such parameter)");
	g->fd = xe_open_card();
	if (g->fd < 0) {
		section_skip = true;
		return fail("no Xe device");
	}
	g->vm = xe_vm_create_fault(g->fd);
	if (g->vm < 0)
		return fail("VM_CREATE (fault mode): %s", strerror(-g->vm));
	err = xe_mirror(g->fd, g->vm, 0, 1ull << 47);
	if (err)
		return fail("VM_BIND CPU_ADDR_MIRROR: %s", strerror(-err));
	if (sysmem) {
		err = xe_madvise(g->fd, g->vm, 0, 1ull << 47,
				 DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC,
				 (uint32_t)DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM);
		if (err)
			return fail("MADVISE preferred location: %s", strerror(-err));
	}
	if (query_engines(g->fd, &eng, 1) != 1)
		return fail("no engine");
	g->q = xe_queue_create(g->fd, g->vm, eng.engine_class,
			       eng.engine_instance);
	if (g->q < 0)
		return fail("EXEC_QUEUE_CREATE: %s", strerror(-g->q));
	g->ufence = map_aligned(PAGE);
	if (!g->ufence)
		return fail("mmap: %s", strerror(errno));
	g->ufence[0] = 0;
	err = xe_bind(g->fd, g->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
		      (uintptr_t)g->ufence, PAGE, SYSMEM_REGION);
	if (err)
		return fail("PREFETCH of the user fence: %s", strerror(-err));
	return 0;
}

/* Run @batch (bound already) and wait for it */
static int gpu_run(struct gpu *g, const uint32_t *batch)
{
	int err;

	*g->ufence = 0;
	err = xe_exec(g->fd, g->q, batch, g->ufence);
	if (err)
		return fail("EXEC: %s", strerror(-err));
	err = xe_wait_ufence(g->fd, g->q, g->ufence, WAIT_NS);
	if (err)
		return fail("WAIT_USER_FENCE: %s", strerror(-err));
	return 0;
}

/*
 * A batch buffer for up to @max_stores stores, bound in system memory
 * (PREFETCH), so that running it takes no GPU fault of its own; the CPU
 * rewrites it between runs (the GPU reads the same pages).
 */
static uint32_t *batch_map(struct gpu *g, unsigned long max_stores,
			   size_t *len)
{
	uint32_t *batch;
	int err;

	*len = (max_stores * 16 + 4 + PAGE - 1) & ~(PAGE - 1);
	batch = map_aligned(*len);
	if (!batch) {
		fail("mmap: %s", strerror(errno));
		return NULL;
	}
	memset(batch, 0, *len);
	err = xe_bind(g->fd, g->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
		      (uintptr_t)batch, *len, SYSMEM_REGION);
	if (err) {
		fail("PREFETCH of the batch: %s", strerror(-err));
		munmap(batch, *len);
		return NULL;
	}
	return batch;
}

/*
 * Fill @batch with one store per page of @data (@npages) in @order (NULL:
 * page order), the value being the page's index.
 */
static void batch_stores(uint32_t *batch, uint32_t *data, unsigned long npages,
			 const unsigned long *order)
{
	uint32_t *b = batch;
	unsigned long i;

	for (i = 0; i < npages; i++) {
		unsigned long p = order ? order[i] : i;

		b = xe_emit_store(b, (uintptr_t)(data + p * (PAGE / 4)), p);
	}
	xe_emit_end(b);
}

/* A permutation of 0..n-1 from a fixed seed (xorshift, Fisher-Yates) */
static unsigned long *shuffled(unsigned long n, uint32_t seed)
{
	unsigned long *o = malloc(n * sizeof(*o)), i;
	uint64_t x = seed | 1ull << 32;

	if (!o)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = i;
	for (i = n - 1; i > 0; i--) {
		unsigned long j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = o[i];
		o[i] = o[j];
		o[j] = t;
	}
	return o;
}

/* --- fault: the GPU fault service rate --------------------------------- */

static const unsigned long fault_sizes[] = {
	4 * MIB, 16 * MIB, 64 * MIB, 256 * MIB, 1024 * MIB,
};

/*
 * One measurement of a fault series: the pages per second by the kernel's
 * fault time (svm_{4K,64K,2M}_pagefault_us) and by the wall time from EXEC
 * to the user fence; the faults; and where the fault time went, in µs per
 * fault: collecting the pages (svm_*_get_pages_us), binding them
 * (svm_*_bind_us), migrating (svm_*_migrate_us) and the rest (the range
 * lookup and insertion, the garbage collector, the checks).
 */
struct fault_sample {
	double kernel, wall, faults;
	double get_pages, bind, migrate, other;
};

/* The sum of an svm_{4K,64K,2M}_<what> statistic between two snapshots */
static long long stats_sized(const struct stats *a, const struct stats *b,
			     const char *what)
{
	static const char *const sz[] = { "4K", "64K", "2M" };
	long long sum = 0;
	char name[64];
	unsigned int i;

	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "svm_%s_%s", sz[i], what);
		sum += stats_delta(a, b, name);
	}
	return sum;
}

/* Fresh memory (or memory the CPU wrote first), one GPU store per page */
static int fault_once(struct gpu *g, unsigned long size,
		      const unsigned long *order, bool populate,
		      struct fault_sample *out)
{
	unsigned long npages = size / PAGE, i, bad = 0;
	long long us, gp, bind, mig;
	struct stats s0, s1;
	uint32_t *data, *batch;
	size_t blen;
	double t0, t1, n;
	int ret = -1;

	data = map_aligned(size);
	if (!data)
		return fail("mmap of %lu MiB: %s", size / MIB, strerror(errno));
	if (populate)
		memset(data, 0xff, size);
	batch = batch_map(g, npages, &blen);
	if (!batch)
		goto out;
	batch_stores(batch, data, npages, order);
	if (stats_read(g->fd, &s0))
		goto out_batch;
	t0 = now_s();
	if (gpu_run(g, batch))
		goto out_batch;
	t1 = now_s();
	if (stats_read(g->fd, &s1))
		goto out_batch;
	/*
	 * All faults count: with 64K chunks, a chunk of at most
	 * check_pages_threshold (64K) is made only over pages the CPU has;
	 * elsewhere the range is 4K (as Xe's), so the first fault of each 2M
	 * of fresh memory makes 4K ranges (and faults in a THP).
	 */
	us = stats_sized(&s0, &s1, "pagefault_us");
	gp = stats_sized(&s0, &s1, "get_pages_us");
	bind = stats_sized(&s0, &s1, "bind_us");
	mig = stats_sized(&s0, &s1, "migrate_us");
	out->faults = stats_delta(&s0, &s1, "svm_pagefault_count");
	if (out->faults < 1) {
		fail("no GPU fault counted for %lu MiB of fresh memory", size / MIB);
		goto out_batch;
	}
	n = out->faults;
	out->kernel = npages / (us > 0 ? us * 1e-6 : 1e-6);
	out->wall = npages / (t1 - t0);
	out->get_pages = gp / n;
	out->bind = bind / n;
	out->migrate = mig / n;
	out->other = (us - gp - bind - mig) / n;
	for (i = 0; i < npages; i++)
		bad += data[i * (PAGE / 4)] != i;
	if (bad) {
		fail("%lu of %lu pages without the GPU's store", bad, npages);
		goto out_batch;
	}
	ret = 0;
out_batch:
	munmap(batch, blen);
out:
	munmap(data, size);
	return ret;
}

/* The size whose fault time is broken down (in the quick run too) */
#define FAULT_BREAKDOWN_SIZE	(64 * MIB)

static int fault_series(unsigned long chunk, unsigned long size, bool rand,
			bool populate, bool sysmem)
{
	static const char *const part[] = {
		"get_pages", "bind", "migrate", "other",
	};
	int reps = reps_for(size), i, p, ret = 0;
	unsigned long *order = NULL;
	struct fault_sample smp[16];
	double kern[16], wall[16], nfaults[16], parts[4][16];
	const char *where = sysmem ? "sysmem" : "vram";
	const char *how = populate ? "populated" : rand ? "rand" : "seq";
	struct gpu g;

	if (gpu_open(&g, chunk, sysmem))
		goto out;
	if (rand) {
		order = shuffled(size / PAGE, SEED);
		if (!order) {
			ret = fail("out of memory");
			goto out;
		}
	}
	for (i = 0; i < reps && !ret; i++) {
		ret = fault_once(&g, size, order, populate, &smp[i]);
		if (ret)
			break;
		kern[i] = smp[i].kernel;
		wall[i] = smp[i].wall;
		nfaults[i] = smp[i].faults;
		parts[0][i] = smp[i].get_pages;
		parts[1][i] = smp[i].bind;
		parts[2][i] = smp[i].migrate;
		parts[3][i] = smp[i].other;
	}
	if (!ret) {
		figure("pages/s", kern, reps, "fault.%s.%s.%luM.%s.kernel",
		       chunk_name(chunk), how, size / MIB, where);
		figure("pages/s", wall, reps, "fault.%s.%s.%luM.%s.wall",
		       chunk_name(chunk), how, size / MIB, where);
		figure("faults", nfaults, reps, "fault.%s.%s.%luM.%s.faults",
		       chunk_name(chunk), how, size / MIB, where);
		for (p = 0; size == FAULT_BREAKDOWN_SIZE && p < 4; p++)
			if (!sysmem || p != 2)	/* no migration to sysmem */
				figure("us/fault", parts[p], reps,
				       "fault.%s.%s.%luM.%s.%s",
				       chunk_name(chunk), how, size / MIB,
				       where, part[p]);
	}
out:
	free(order);
	gpu_close(&g);
	return section_error[0] ? -1 : ret;
}

static unsigned long max_size(void)
{
	return quick ? 64 * MIB : 1024 * MIB;
}

static int section_fault(void)
{
	static const unsigned long chunks[] = { 4 * KIB, 64 * KIB, 2 * MIB };
	unsigned int c, s, mode;

	printf("# fault: seed %#x for the shuffled order\n", SEED);
	/* First touch in page order, shuffled; then pages the CPU populated */
	for (c = 0; c < 3; c++)
		for (mode = 0; mode < 3; mode++)
			for (s = 0; s < sizeof(fault_sizes) / sizeof(*fault_sizes); s++) {
				if (fault_sizes[s] > max_size() ||
				    !wanted(chunks_only, chunk_name(chunks[c])) ||
				    !wanted(where_only, "sysmem"))
					break;
				if (fault_series(chunks[c], fault_sizes[s], mode == 1,
						 mode == 2, true))
					return -1;
			}
	/* The default placement: the first GPU fault migrates to VRAM */
	for (c = 0; c < 3; c++)
		if (wanted(chunks_only, chunk_name(chunks[c])) &&
		    wanted(where_only, "vram") &&
		    fault_series(chunks[c], 64 * MIB, false, false, false))
			return -1;
	return set_max_chunk(2 * MIB);
}

/* --- dmirror: the same through lib/test_hmm ---------------------------- */

#define DMIRROR_BATCH	(64 * MIB)

static int dmirror_open(void)
{
	int fd = open("/dev/hmm_dmirror0", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		section_skip = errno == ENOENT;
		fail("cannot open /dev/hmm_dmirror0 (CONFIG_TEST_HMM): %s",
		     strerror(errno));
	}
	return fd;
}

/* HMM_DMIRROR_@req over [@addr, @addr + @size), DMIRROR_BATCH at a time */
static int dmirror_cmd(int fd, unsigned long req, void *addr, size_t size,
		       void *bounce, unsigned long *cpages)
{
	size_t off;

	*cpages = 0;
	for (off = 0; off < size; off += DMIRROR_BATCH) {
		size_t n = size - off < DMIRROR_BATCH ? size - off : DMIRROR_BATCH;
		struct hmm_dmirror_cmd cmd = {
			.addr = (uintptr_t)addr + off,
			.ptr = (uintptr_t)bounce,
			.npages = n / PAGE,
		};

		if (ioctl(fd, req, &cmd))
			return -errno;
		*cpages += cmd.cpages;
	}
	return 0;
}

static int section_dmirror(void)
{
	void *bounce = map_aligned(DMIRROR_BATCH);
	int fd = dmirror_open(), ret = -1;
	unsigned int s, w;

	if (fd < 0 || !bounce)
		goto out;
	memset(bounce, 0x5a, DMIRROR_BATCH);
	for (s = 0; s < sizeof(fault_sizes) / sizeof(*fault_sizes); s++) {
		unsigned long size = fault_sizes[s];
		int reps = reps_for(size), i;

		if (size > max_size())
			break;
		/* read, write: fresh memory; read_populated: the CPU wrote it */
		for (w = 0; w < 3; w++) {
			unsigned long req = w == 1 ? HMM_DMIRROR_WRITE : HMM_DMIRROR_READ;
			static const char *const wn[] = { "read", "write", "read_populated" };
			double rate[16];

			for (i = 0; i < reps; i++) {
				unsigned long cpages;
				void *mem = map_aligned(size);
				double t0, t1;
				int err;

				if (!mem) {
					fail("mmap: %s", strerror(errno));
					goto out;
				}
				if (w == 2)
					memset(mem, 0xff, size);
				t0 = now_s();
				err = dmirror_cmd(fd, req, mem, size, bounce, &cpages);
				t1 = now_s();
				munmap(mem, size);
				if (err || cpages != size / PAGE) {
					fail("HMM_DMIRROR_%s: %s, %lu of %lu pages",
					     w == 1 ? "WRITE" : "READ", strerror(-err),
					     cpages, size / PAGE);
					goto out;
				}
				rate[i] = size / PAGE / (t1 - t0);
			}
			figure("pages/s", rate, reps, "dmirror.%s.%luM", wn[w],
			       size / MIB);
		}
	}
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (bounce)
		munmap(bounce, DMIRROR_BATCH);
	return ret;
}

/* --- migrate and memcpy ------------------------------------------------ */

#define MIGRATE_SIZE	(64 * MIB)

static double gibps(size_t bytes, double s)
{
	return bytes / GIB / s;
}

/* Touch one byte of each page for reading: CPU faults bring VRAM back */
static unsigned long touch_pages(const volatile uint8_t *p, size_t size)
{
	unsigned long sum = 0;
	size_t off;

	for (off = 0; off < size; off += PAGE)
		sum += p[off];
	return sum;
}

static int migrate_series(unsigned long chunk)
{
	double to_vram[16], copy_in[16], to_ram_fault[16], to_ram_prefetch[16];
	const char *cn = chunk_name(chunk);
	int reps = reps_for(MIGRATE_SIZE), i, err;
	struct stats s0, s1;
	struct gpu g;

	if (gpu_open(&g, chunk, true))
		goto out;
	for (i = 0; i < reps; i++) {
		uint8_t *data = map_aligned(MIGRATE_SIZE);
		long long us, kb;
		double t0, t1;

		if (!data) {
			fail("mmap: %s", strerror(errno));
			goto out;
		}
		memset(data, i + 1, MIGRATE_SIZE);
		if (stats_read(g.fd, &s0))
			goto out_data;
		t0 = now_s();
		err = xe_bind(g.fd, g.vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			      (uintptr_t)data, MIGRATE_SIZE, VRAM_REGION);
		t1 = now_s();
		if (err) {
			fail("PREFETCH to VRAM: %s", strerror(-err));
			goto out_data;
		}
		if (stats_read(g.fd, &s1))
			goto out_data;
		kb = stats_delta(&s0, &s1, "svm_device_copy_kb");
		us = stats_delta(&s0, &s1, "svm_device_copy_us");
		if (kb * KIB != MIGRATE_SIZE) {
			fail("PREFETCH to VRAM copied %lld KiB of %lu", kb,
			     MIGRATE_SIZE / KIB);
			goto out_data;
		}
		to_vram[i] = gibps(MIGRATE_SIZE, t1 - t0);
		copy_in[i] = gibps(MIGRATE_SIZE, (us > 0 ? us : 1) * 1e-6);

		/* Back by CPU faults; the data must be what the CPU wrote */
		t0 = now_s();
		err = touch_pages(data, MIGRATE_SIZE) !=
		      (MIGRATE_SIZE / PAGE) * (uint8_t)(i + 1);
		t1 = now_s();
		if (err) {
			fail("the data came back from VRAM changed");
			goto out_data;
		}
		to_ram_fault[i] = gibps(MIGRATE_SIZE, t1 - t0);

		/* To VRAM again, and back by PREFETCH to system memory */
		err = xe_bind(g.fd, g.vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			      (uintptr_t)data, MIGRATE_SIZE, VRAM_REGION);
		if (stats_read(g.fd, &s0))
			goto out_data;
		t0 = now_s();
		err = err ?: xe_bind(g.fd, g.vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
				     (uintptr_t)data, MIGRATE_SIZE, SYSMEM_REGION);
		t1 = now_s();
		if (err) {
			fail("PREFETCH there and back: %s", strerror(-err));
			goto out_data;
		}
		if (stats_read(g.fd, &s1))
			goto out_data;
		kb = stats_delta(&s0, &s1, "svm_cpu_copy_kb");
		if (kb * KIB != MIGRATE_SIZE) {
			fail("PREFETCH to system memory copied %lld KiB of %lu",
			     kb, MIGRATE_SIZE / KIB);
			goto out_data;
		}
		to_ram_prefetch[i] = gibps(MIGRATE_SIZE, t1 - t0);
		munmap(data, MIGRATE_SIZE);
		continue;
out_data:
		munmap(data, MIGRATE_SIZE);
		goto out;
	}
	figure("GiB/s", to_vram, reps, "migrate.to_vram.prefetch.%s", cn);
	figure("GiB/s", copy_in, reps, "migrate.to_vram.copy.%s", cn);
	figure("GiB/s", to_ram_fault, reps, "migrate.to_ram.cpu_fault.%s", cn);
	figure("GiB/s", to_ram_prefetch, reps, "migrate.to_ram.prefetch.%s", cn);
out:
	gpu_close(&g);
	return section_error[0] ? -1 : 0;
}

static int dmirror_migrate(void)
{
	double to_dev[16], to_sys[16], fault[16];
	int reps = reps_for(MIGRATE_SIZE), i, fd = dmirror_open(), ret = -1;
	void *bounce = map_aligned(MIGRATE_SIZE);

	if (fd < 0 || !bounce)
		goto out;
	memset(bounce, 0, MIGRATE_SIZE);
	for (i = 0; i < reps; i++) {
		uint8_t *data = map_aligned(MIGRATE_SIZE);
		unsigned long cpages;
		double t0, t1;
		int err, k;

		if (!data) {
			fail("mmap: %s", strerror(errno));
			goto out;
		}
		memset(data, i + 1, MIGRATE_SIZE);
		for (k = 0; k < 2; k++) {
			t0 = now_s();
			err = dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_DEV, data,
					  MIGRATE_SIZE, bounce, &cpages);
			t1 = now_s();
			if (err || cpages != MIGRATE_SIZE / PAGE) {
				munmap(data, MIGRATE_SIZE);
				fail("HMM_DMIRROR_MIGRATE_TO_DEV: %s, %lu pages",
				     strerror(-err), cpages);
				goto out;
			}
			if (!k) {
				to_dev[i] = gibps(MIGRATE_SIZE, t1 - t0);
				t0 = now_s();
				err = dmirror_cmd(fd, HMM_DMIRROR_MIGRATE_TO_SYS,
						  data, MIGRATE_SIZE, bounce,
						  &cpages);
				t1 = now_s();
				if (err) {
					munmap(data, MIGRATE_SIZE);
					fail("HMM_DMIRROR_MIGRATE_TO_SYS: %s",
					     strerror(-err));
					goto out;
				}
				to_sys[i] = gibps(MIGRATE_SIZE, t1 - t0);
			}
		}
		t0 = now_s();
		err = touch_pages(data, MIGRATE_SIZE) !=
		      (MIGRATE_SIZE / PAGE) * (uint8_t)(i + 1);
		t1 = now_s();
		munmap(data, MIGRATE_SIZE);
		if (err) {
			fail("the data came back from dmirror changed");
			goto out;
		}
		fault[i] = gibps(MIGRATE_SIZE, t1 - t0);
	}
	figure("GiB/s", to_dev, reps, "dmirror.migrate_to_dev");
	figure("GiB/s", to_sys, reps, "dmirror.migrate_to_sys");
	figure("GiB/s", fault, reps, "dmirror.to_sys.cpu_fault");
	ret = 0;
out:
	if (fd >= 0)
		close(fd);
	if (bounce)
		munmap(bounce, MIGRATE_SIZE);
	return ret;
}

static int section_migrate(void)
{
	int ret = migrate_series(64 * KIB) ?: migrate_series(2 * MIB);

	return ret ?: set_max_chunk(2 * MIB) ?: dmirror_migrate();
}

static int section_memcpy(void)
{
	static const unsigned long chunks[] = { 4 * KIB, 64 * KIB, 2 * MIB };
	uint8_t *src = map_aligned(MIGRATE_SIZE), *dst = map_aligned(MIGRATE_SIZE);
	int reps = reps_for(MIGRATE_SIZE), ret = -1, i;
	unsigned int c;

	if (!src || !dst) {
		fail("mmap: %s", strerror(errno));
		goto out;
	}
	memset(src, 0x3c, MIGRATE_SIZE);
	memset(dst, 0, MIGRATE_SIZE);
	for (c = 0; c < 3; c++) {
		double v[16];

		for (i = 0; i < reps; i++) {
			double t0 = now_s(), t1;
			size_t off;

			for (off = 0; off < MIGRATE_SIZE; off += chunks[c])
				memcpy(dst + off, src + off, chunks[c]);
			t1 = now_s();
			v[i] = gibps(MIGRATE_SIZE, t1 - t0);
		}
		if (memcmp(src, dst, MIGRATE_SIZE)) {
			fail("memcpy copied wrong data");
			goto out;
		}
		figure("GiB/s", v, reps, "memcpy.%s", chunk_name(chunks[c]));
	}
	ret = 0;
out:
	if (src)
		munmap(src, MIGRATE_SIZE);
	if (dst)
		munmap(dst, MIGRATE_SIZE);
	return ret;
}

/* --- invalidate -------------------------------------------------------- */

#define INVAL_REPS	21
#define INVAL_MANY	(64 * MIB)

/* vxe's count of SVM ranges (debugfs objects), after waiting for @want */
static long wait_ranges(int fd, long want, double *when)
{
	double deadline = now_s() + 10;
	long n;

	do {
		n = vxe_objects(fd, "svm_ranges");
		*when = now_s();
	} while (n != want && n >= 0 && *when < deadline);
	return n;
}

/*
 * munmap() of @size of memory the GPU maps (@batch: bound, rewritten here)
 * in ranges of @chunk, or of memory it never mapped (@batch NULL): the
 * microseconds munmap() took (per range), the kernel's TLB invalidation
 * time, and the garbage collector's time per range (kernel) and latency
 * (from munmap() to the last range gone, polled in debugfs objects).
 */
static int inval_once(struct gpu *g, unsigned long chunk, size_t size,
		      uint32_t *batch, double *unmap_us, double *tlb_us,
		      double *gc_us, double *gc_latency_us)
{
	unsigned long nranges = size / chunk;
	struct stats s0, s1;
	double t0, t1, t2;
	uint32_t *data;
	long before;

	data = map_aligned(size);
	if (!data)
		return fail("mmap: %s", strerror(errno));
	memset(data, 0x11, size);
	if (batch) {
		batch_stores(batch, data, size / PAGE, NULL);
		if (gpu_run(g, batch)) {
			munmap(data, size);
			return -1;
		}
	}
	before = vxe_objects(g->fd, "svm_ranges");
	if (stats_read(g->fd, &s0)) {
		munmap(data, size);
		return -1;
	}
	t0 = now_s();
	munmap(data, size);
	t1 = now_s();
	*unmap_us = (t1 - t0) * 1e6 / (batch ? nranges : 1);
	if (!batch)
		return 0;
	if (wait_ranges(g->fd, before - nranges, &t2) != (long)(before - nranges))
		return fail("%ld SVM ranges 10 s after munmap(), not %ld",
			    vxe_objects(g->fd, "svm_ranges"), before - (long)nranges);
	if (stats_read(g->fd, &s1))
		return -1;
	*tlb_us = stats_delta(&s0, &s1, "svm_tlb_inval_us");
	*gc_us = (double)stats_delta(&s0, &s1, "svm_garbage_collector_us") /
		 nranges;
	*gc_latency_us = (t2 - t1) * 1e6;
	return 0;
}

static int inval_series(unsigned long chunk)
{
	double unmap[INVAL_REPS], tlb[INVAL_REPS], gc[INVAL_REPS],
	       lat[INVAL_REPS], plain[INVAL_REPS], d;
	const char *cn = chunk_name(chunk);
	int i, reps = reps_override ?: INVAL_REPS;
	uint32_t *batch = NULL;
	size_t blen = 0;
	struct gpu g;

	if (reps > INVAL_REPS)
		reps = INVAL_REPS;
	if (gpu_open(&g, chunk, true))
		goto out;
	batch = batch_map(&g, INVAL_MANY / PAGE, &blen);
	if (!batch)
		goto out;
	for (i = 0; i < reps; i++)
		if (inval_once(&g, chunk, chunk, batch, &unmap[i], &tlb[i],
			       &gc[i], &lat[i]) ||
		    inval_once(&g, chunk, chunk, NULL, &plain[i], &d, &d, &d))
			goto out;
	figure("us", unmap, reps, "invalidate.munmap.%s", cn);
	figure("us", plain, reps, "invalidate.munmap_not_gpu_mapped.%s", cn);
	figure("us", tlb, reps, "invalidate.tlb_inval.%s", cn);
	figure("us", gc, reps, "invalidate.gc.%s", cn);
	figure("us", lat, reps, "invalidate.gc_latency.%s", cn);

	/* 64 MiB of ranges at once: per range */
	reps = reps_for(INVAL_MANY);
	for (i = 0; i < reps; i++)
		if (inval_once(&g, chunk, INVAL_MANY, batch, &unmap[i], &tlb[i],
			       &gc[i], &lat[i]))
			goto out;
	figure("us/range", unmap, reps, "invalidate.munmap_64M.%s", cn);
	figure("us/range", gc, reps, "invalidate.gc_64M.%s", cn);
	figure("us", lat, reps, "invalidate.gc_latency_64M.%s", cn);
out:
	if (batch)
		munmap(batch, blen);
	gpu_close(&g);
	return section_error[0] ? -1 : 0;
}

static int section_invalidate(void)
{
	return inval_series(4 * KIB) ?: inval_series(64 * KIB) ?:
	       inval_series(2 * MIB) ?: set_max_chunk(2 * MIB);
}

/* --- ratios ------------------------------------------------------------ */

/* Figure @a / figure @b as a figure of its own (the medians; the spread
 * from the extremes) */
static void ratio(const char *name, const struct fig *a, const struct fig *b)
{
	double v[3];

	if (!a || !b || b->median <= 0 || b->min <= 0 || b->max <= 0)
		return;
	v[0] = a->median / b->median;
	v[1] = a->min / b->max;
	v[2] = a->max / b->min;
	/* figure() sorts and takes the middle one: the ratio of medians */
	figure("ratio", v, 3, "%s", name);
}

static int section_ratio(void)
{
	unsigned int s;
	int i;

	for (s = 0; s < sizeof(fault_sizes) / sizeof(*fault_sizes); s++) {
		unsigned long m = fault_sizes[s] / MIB;
		const struct fig *dm = fig_find("dmirror.read.%luM", m);
		static const char *const cn[] = { "4K", "64K", "2M" };

		for (i = 0; i < 3; i++) {
			char name[96];

			snprintf(name, sizeof(name),
				 "ratio.fault_vs_dmirror_read.%s.%luM", cn[i], m);
			ratio(name, fig_find("fault.%s.seq.%luM.sysmem.kernel",
					     cn[i], m), dm);
			snprintf(name, sizeof(name),
				 "ratio.fault_wall_vs_dmirror_read.%s.%luM",
				 cn[i], m);
			ratio(name, fig_find("fault.%s.seq.%luM.sysmem.wall",
					     cn[i], m), dm);
			snprintf(name, sizeof(name),
				 "ratio.fault_vs_dmirror_read.populated.%s.%luM",
				 cn[i], m);
			ratio(name, fig_find("fault.%s.populated.%luM.sysmem.kernel",
					     cn[i], m),
			      fig_find("dmirror.read_populated.%luM", m));
		}
	}
	for (i = 0; i < 2; i++) {
		const char *cn = i ? "2M" : "64K";
		char name[96];

		snprintf(name, sizeof(name), "ratio.migrate_vs_memcpy.to_vram.%s", cn);
		ratio(name, fig_find("migrate.to_vram.prefetch.%s", cn),
		      fig_find("memcpy.%s", cn));
		snprintf(name, sizeof(name), "ratio.migrate_vs_memcpy.to_ram.%s", cn);
		ratio(name, fig_find("migrate.to_ram.cpu_fault.%s", cn),
		      fig_find("memcpy.%s", cn));
		snprintf(name, sizeof(name), "ratio.migrate_vs_dmirror.to_vram.%s", cn);
		ratio(name, fig_find("migrate.to_vram.prefetch.%s", cn),
		      fig_find("dmirror.migrate_to_dev"));
		snprintf(name, sizeof(name), "ratio.migrate_vs_dmirror.to_ram.%s", cn);
		ratio(name, fig_find("migrate.to_ram.cpu_fault.%s", cn),
		      fig_find("dmirror.to_sys.cpu_fault"));
	}
	return 0;
}

/* --- main -------------------------------------------------------------- */

static const struct {
	const char *name;
	int (*run)(void);
} sections[] = {
	{ "fault", section_fault },
	{ "dmirror", section_dmirror },
	{ "migrate", section_migrate },
	{ "memcpy", section_memcpy },
	{ "invalidate", section_invalidate },
	{ "ratio", section_ratio },
};

#define NSECTIONS (sizeof(sections) / sizeof(*sections))

int main(int argc, char **argv)
{
	const char *only = NULL;
	unsigned int i, n = 0;
	int opt, failed = 0;

	while ((opt = getopt(argc, argv, "qs:c:w:r:h")) != -1) {
		switch (opt) {
		case 'q':
			quick = true;
			break;
		case 's':
			only = optarg;
			break;
		case 'c':
			chunks_only = optarg;
			break;
		case 'w':
			where_only = optarg;
			break;
		case 'r':
			reps_override = atoi(optarg);
			if (reps_override < 1 || reps_override > 15) {
				fprintf(stderr, "svm_bench: -r wants 1 to 15\n");
				return 2;
			}
			break;
		default:
			fprintf(stderr,
				"usage: svm_bench [-q] [-s fault,dmirror,migrate,memcpy,invalidate,ratio]\n\t\t [-c 4K,64K,2M] [-w sysmem,vram] [-r REPS]\n");
			return opt == 'h' ? 0 : 2;
		}
	}
	for (i = 0; i < NSECTIONS; i++)
		n += wanted(only, sections[i].name);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("KTAP version 1\n1..%u\n", n);
	n = 0;
	for (i = 0; i < NSECTIONS; i++) {
		double t0;

		if (!wanted(only, sections[i].name))
			continue;
		section_error[0] = '\0';
		section_skip = false;
		t0 = now_s();
		if (sections[i].run() || section_error[0]) {
			if (section_skip) {
				printf("ok %u %s # SKIP %s\n", ++n, sections[i].name,
				       section_error);
				continue;
			}
			printf("# %s: %s\n", sections[i].name, section_error);
			printf("not ok %u %s\n", ++n, sections[i].name);
			failed = 1;
			continue;
		}
		printf("# %s: %.1f s\n", sections[i].name, now_s() - t0);
		printf("ok %u %s\n", ++n, sections[i].name);
	}
	return failed;
}
