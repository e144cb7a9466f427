// SPDX-License-Identifier: MIT
/*
 * Copyright © 2026 The gpusvm authors
 */

/**
 * TEST: gpusvm svm
 * Category: Core
 * Mega feature: USM
 * Sub-category: System allocator
 * Functionality: shared virtual memory through CPU-address mirrors
 * Description: What xe_exec_system_allocator does not cover: GPU writes
 *	into every kind of process memory, munmap/mremap/fork seen by the
 *	GPU, the unbind-while-bound rule, the chunk sizes a mirror range
 *	gets, vxe's notifier-size parameter, several devices sharing one
 *	process's memory, VRAM placement and eviction (where a device has
 *	VRAM), and every error path userspace can reach, with upstream Xe's
 *	errno.  Subtests that need vxe's debugfs or module parameters skip
 *	on hardware, with the reason.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "igt.h"
#include "igt_debugfs.h"
#include "igt_sizes.h"
#include "intel_pat.h"
#include "xe/xe_ioctl.h"
#include "xe/xe_query.h"
#include "xe_drm.h"

/*
 * IGT of 2026 made igt_main and igt_fixture function-like macros
 * (GPUSVM_IGT_FN_MACROS, from meson.build); the 2025 snapshot has them
 * object-like.  One spelling for both.
 */
#ifdef GPUSVM_IGT_FN_MACROS
#define gpusvm_igt_main		int igt_main()
#define gpusvm_igt_fixture	igt_fixture()
#else
#define gpusvm_igt_main		igt_main
#define gpusvm_igt_fixture	igt_fixture
#endif

#define UFENCE_VALUE	0xdeadbeefdeadbeefull
#define WAIT_NS		(5ll * NSEC_PER_SEC)
#define ATOMIC_INC	(MI_ATOMIC | (5 << 8))	/* MI_ATOMIC_INC, 32 bit */
#define SEED		0x5eed1234u

#define LR_FAULT	(DRM_XE_VM_CREATE_FLAG_LR_MODE | DRM_XE_VM_CREATE_FLAG_FAULT_MODE)

#define VXE_PARAMS	"/sys/module/vxe/parameters/"

/* One fault-mode VM mirroring the whole process, and a queue per engine. */
struct svm {
	int fd;
	uint32_t vm;
	int nq;
	uint32_t q[16];
	struct drm_xe_engine_class_instance eci[16];
	uint64_t *ufence;	/* shared anonymous page, as IGT puts them */
	uint32_t *batch;	/* a malloc'd page for batches */
};

static uint32_t pattern(uint32_t seed, unsigned int i)
{
	uint32_t x = seed ^ (i * 0x9e3779b9u);

	x ^= x >> 16;
	x *= 0x7feb352du;
	return x ^ (x >> 15);
}

static int xioctl(int fd, unsigned long req, void *arg)
{
	return igt_ioctl(fd, req, arg) ? -errno : 0;
}

static uint32_t *emit_store(uint32_t *b, uint64_t addr, uint32_t v)
{
	*b++ = MI_STORE_DWORD_IMM_GEN4;
	*b++ = lower_32_bits(addr);
	*b++ = upper_32_bits(addr);
	*b++ = v;
	return b;
}

static uint32_t *emit_inc(uint32_t *b, uint64_t addr)
{
	*b++ = ATOMIC_INC;
	*b++ = lower_32_bits(addr);
	*b++ = upper_32_bits(addr);
	return b;
}

static void emit_end(uint32_t *b)
{
	*b = MI_BATCH_BUFFER_END;
}

static int mirror(int fd, uint32_t vm, uint64_t addr, uint64_t range)
{
	return __xe_vm_bind(fd, vm, 0, 0, 0, addr, range,
			    DRM_XE_VM_BIND_OP_MAP,
			    DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR, NULL, 0, 0,
			    DEFAULT_PAT_INDEX, 0);
}

static int unbind(int fd, uint32_t vm, uint64_t addr, uint64_t range)
{
	return __xe_vm_bind(fd, vm, 0, 0, 0, addr, range,
			    DRM_XE_VM_BIND_OP_UNMAP, 0, NULL, 0, 0,
			    DEFAULT_PAT_INDEX, 0);
}

static uint64_t va_range(int fd)
{
	return 1ull << xe_va_bits(fd);
}

static void svm_open_vm(struct svm *s, int fd)
{
	struct drm_xe_engine_class_instance *hwe;

	memset(s, 0, sizeof(*s));
	s->fd = fd;
	s->vm = xe_vm_create(fd, LR_FAULT, 0);
	igt_assert_eq(mirror(fd, s->vm, 0, va_range(fd)), 0);
	xe_for_each_engine(fd, hwe) {
		if (s->nq == ARRAY_SIZE(s->q))
			break;
		s->eci[s->nq] = *hwe;
		s->q[s->nq++] = xe_exec_queue_create(fd, s->vm, hwe, 0);
	}
	igt_assert(s->nq > 0);
	s->ufence = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	igt_assert(s->ufence != MAP_FAILED);
	s->batch = aligned_alloc(SZ_4K, 64 * SZ_4K);
	igt_assert(s->batch);
}

static void svm_close_vm(struct svm *s)
{
	int i;

	for (i = 0; i < s->nq; i++)
		xe_exec_queue_destroy(s->fd, s->q[i]);
	xe_vm_destroy(s->fd, s->vm);
	munmap(s->ufence, SZ_4K);
	free(s->batch);
}

/* A fault bans a queue: a new one on the same engine. */
static void renew_queue(struct svm *s, int qi)
{
	xe_exec_queue_destroy(s->fd, s->q[qi]);
	s->q[qi] = xe_exec_queue_create(s->fd, s->vm, &s->eci[qi], 0);
}

/* Run @batch on queue @qi; 0, or the wait's -errno. */
static int __run(struct svm *s, int qi, const uint32_t *batch)
{
	struct drm_xe_sync sync = {
		.type = DRM_XE_SYNC_TYPE_USER_FENCE,
		.flags = DRM_XE_SYNC_FLAG_SIGNAL,
		.addr = to_user_pointer(s->ufence),
		.timeline_value = UFENCE_VALUE,
	};
	struct drm_xe_exec exec = {
		.exec_queue_id = s->q[qi],
		.num_batch_buffer = 1,
		.address = to_user_pointer(batch),
		.num_syncs = 1,
		.syncs = to_user_pointer(&sync),
	};
	int64_t timeout = WAIT_NS;

	*s->ufence = 0;
	xe_exec(s->fd, &exec);
	return __xe_wait_ufence(s->fd, s->ufence, UFENCE_VALUE, s->q[qi],
				&timeout);
}

static void run(struct svm *s, int qi, const uint32_t *batch)
{
	igt_assert_eq(__run(s, qi, batch), 0);
}

/* The GPU (queue @qi) writes pattern(@seed, i) into dword 0 of each page. */
/* The pages gpu_fill_pages() writes: every one, or 60 spread out. */
static unsigned int fill_step(size_t size)
{
	unsigned int pages = size / SZ_4K;

	return pages > 60 ? pages / 60 : 1;
}

/* The GPU writes pattern(@seed, N) into page N, for the fill_step() pages. */
static void gpu_write_pages(struct svm *s, int qi, void *buf, size_t size,
			    uint32_t seed)
{
	unsigned int pages = size / SZ_4K, i, step = fill_step(size);
	uint32_t *b = s->batch;

	for (i = 0; i < pages; i += step)
		b = emit_store(b, to_user_pointer(buf) + i * SZ_4K,
			       pattern(seed, i));
	emit_end(b);
	run(s, qi, s->batch);
}

/* The CPU finds what gpu_write_pages() wrote. */
static void cpu_check_pages(void *buf, size_t size, uint32_t seed)
{
	unsigned int pages = size / SZ_4K, i, step = fill_step(size);

	for (i = 0; i < pages; i += step)
		igt_assert_f(((uint32_t *)buf)[i * 1024] == pattern(seed, i),
			     "page %u of %p: %#x, want %#x\n", i, buf,
			     ((uint32_t *)buf)[i * 1024], pattern(seed, i));
}

static void gpu_fill_pages(struct svm *s, int qi, void *buf, size_t size,
			   uint32_t seed)
{
	gpu_write_pages(s, qi, buf, size, seed);
	cpu_check_pages(buf, size, seed);
}

/* ------------------------------------------------------------ debugfs */

static FILE *debugfs_file(int fd, const char *name)
{
	int dir = igt_debugfs_dir(fd), f;

	if (dir < 0)
		return NULL;
	f = openat(dir, name, O_RDONLY);
	close(dir);
	return f < 0 ? NULL : fdopen(f, "r");
}

static void require_svm_debugfs(int fd)
{
	FILE *f = debugfs_file(fd, "svm");

	igt_require_f(f, "no debugfs svm file: not vxe (or debugfs not mounted)\n");
	fclose(f);
}

/* The SVM range vxe's debugfs lists around @addr: its size, 0 if none. */
static uint64_t range_size_at(int fd, uint64_t addr, char *state, size_t n)
{
	FILE *f = debugfs_file(fd, "svm");
	unsigned long start, end;
	uint64_t size = 0;
	char line[256];

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " range [%lx, %lx)", &start, &end) == 2 &&
		    start <= addr && addr < end) {
			size = end - start;
			if (state)
				snprintf(state, n, "%s", line);
		}
	fclose(f);
	return size;
}

/* The most notifiers of @mib MiB any VM has, per debugfs; -1 if none. */
static int notifiers_of(int fd, unsigned int mib)
{
	FILE *f = debugfs_file(fd, "svm");
	unsigned int n, size;
	char line[256];
	int most = -1;

	igt_assert(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " notifiers %u of %u MiB", &n, &size) == 2 &&
		    size == mib && (int)n > most)
			most = n;
	fclose(f);
	return most;
}

static bool read_param(const char *name, char *buf, size_t n)
{
	char path[128];
	int f, len;

	snprintf(path, sizeof(path), VXE_PARAMS "%s", name);
	f = open(path, O_RDONLY);
	if (f < 0)
		return false;
	len = read(f, buf, n - 1);
	close(f);
	if (len < 0)
		return false;
	buf[len] = 0;
	return true;
}

static void write_param(const char *name, const char *val)
{
	char path[128];
	int f;

	snprintf(path, sizeof(path), VXE_PARAMS "%s", name);
	f = open(path, O_WRONLY);
	igt_assert_f(f >= 0, "cannot open %s: %m\n", path);
	igt_assert_eq(write(f, val, strlen(val)), (int)strlen(val));
	close(f);
}

/* An anonymous mapping of @size at an address aligned to @align. */
static void *map_aligned(size_t size, size_t align, void **base, size_t *len)
{
	char *p;

	*len = size + align;
	*base = mmap(NULL, *len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(*base != MAP_FAILED);
	p = (char *)ALIGN((uintptr_t)*base, align);
	igt_assert(mmap(p, size, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == p);
	return p;
}

static bool hugepage_maps(void)
{
	void *p = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);

	if (p == MAP_FAILED)
		return false;
	munmap(p, SZ_2M);
	return true;
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

static long nr_hugepages_saved = -1;

static long nr_hugepages(void)
{
	FILE *f = fopen(NR_HUGEPAGES, "r");
	long n = -1;

	if (f) {
		if (fscanf(f, "%ld", &n) != 1)
			n = -1;
		fclose(f);
	}
	return n;
}

static void set_nr_hugepages(long n)
{
	FILE *f = fopen(NR_HUGEPAGES, "w");

	if (f) {
		fprintf(f, "%ld\n", n);
		fclose(f);
	}
}

static void restore_nr_hugepages(int sig)
{
	if (nr_hugepages_saved >= 0)
		set_nr_hugepages(nr_hugepages_saved);
}

/*
 * A 2M huge page to map, reserving two more (as root) when the pool is
 * empty: IGT's xe_exec_system_allocator of 2026 sets nr_hugepages for its
 * hugetlb subtests and resets it to 0 after them.  The old count comes
 * back at exit.
 */
static bool have_hugepages(void)
{
	long n;

	if (hugepage_maps())
		return true;
	n = nr_hugepages();
	if (n < 0)
		return false;
	if (nr_hugepages_saved < 0) {
		nr_hugepages_saved = n;
		igt_install_exit_handler(restore_nr_hugepages);
	}
	set_nr_hugepages(n + 2);
	return hugepage_maps();
}

/* ----------------------------------------------------------- memories */

enum memory { MALLOC, MMAP_ANON, MMAP_SHARED, MMAP_FILE, STACK, HUGETLB };

static void gpu_writes(struct svm *s, int qi, enum memory kind)
{
	const size_t size = SZ_2M;
	uint32_t stack_buf[4 * 1024] __attribute__((aligned(4096)));
	const char *tmp = getenv("TMPDIR") ?: "/tmp";
	char path[PATH_MAX];
	void *buf = NULL;
	int f = -1;

	switch (kind) {
	case MALLOC:
		buf = malloc(size);
		igt_assert(buf);
		memset(buf, 0, size);
		break;
	case MMAP_ANON:
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case MMAP_SHARED:
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		break;
	case MMAP_FILE:
		snprintf(path, sizeof(path), "%s/gpusvm-XXXXXX", tmp);
		f = mkstemp(path);
		igt_assert_f(f >= 0, "mkstemp(%s): %m\n", path);
		unlink(path);
		igt_assert_eq(ftruncate(f, size), 0);
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, f, 0);
		break;
	case STACK:
		memset(stack_buf, 0, sizeof(stack_buf));
		gpu_fill_pages(s, qi, stack_buf, sizeof(stack_buf), SEED + qi);
		return;
	case HUGETLB:
		igt_require_f(have_hugepages(),
			      "no free 2M huge page (echo N > /proc/sys/vm/nr_hugepages)\n");
		buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		break;
	}
	igt_assert(buf != MAP_FAILED);
	gpu_fill_pages(s, qi, buf, size, SEED + kind * 16 + qi);
	if (kind == MALLOC)
		free(buf);
	else
		munmap(buf, size);
	if (f >= 0)
		close(f);
}

/* --------------------------------------------------------- SVM rules */

/* munmap, then new memory at the same address: the GPU writes the new pages. */
static void munmap_remap(struct svm *s)
{
	uint32_t *data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(data != MAP_FAILED);
	emit_end(emit_store(s->batch, to_user_pointer(&data[100]), 0x1111));
	run(s, 0, s->batch);
	igt_assert_eq_u32(data[100], 0x1111);

	igt_assert_eq(munmap(data, SZ_2M), 0);
	igt_assert(mmap(data, SZ_2M, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == data);
	igt_assert_eq_u32(data[100], 0);
	emit_end(emit_store(s->batch, to_user_pointer(&data[100]), 0x2222));
	run(s, 0, s->batch);
	igt_assert_eq_u32(data[100], 0x2222);
	munmap(data, SZ_2M);
}

/* mremap moves written pages: the GPU writes at the new address, sees them. */
static void mremap_move(struct svm *s)
{
	uint32_t *data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *moved;
	void *target = mmap(NULL, SZ_2M, PROT_NONE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(data != MAP_FAILED && target != MAP_FAILED);
	emit_end(emit_store(s->batch, to_user_pointer(&data[7]), 0x7777));
	run(s, 0, s->batch);
	moved = mremap(data, SZ_2M, SZ_2M, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	igt_assert(moved == target);
	igt_assert_eq_u32(moved[7], 0x7777);
	emit_end(emit_store(s->batch, to_user_pointer(&moved[8]), 0x8888));
	run(s, 0, s->batch);
	igt_assert_eq_u32(moved[7], 0x7777);
	igt_assert_eq_u32(moved[8], 0x8888);
	munmap(moved, SZ_2M);
}

/*
 * Unbinding a mirror piece the GPU still maps is -EBUSY; once the process
 * unmapped that memory it succeeds, and a batch in the hole then faults.
 */
static void unbind_busy(struct svm *s)
{
	void *addr = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = addr, *data = addr + SZ_2M;
	int err;

	igt_assert(addr != MAP_FAILED);
	emit_end(emit_store(batch, to_user_pointer(data), 0xb05e));
	run(s, 0, batch);
	igt_assert_eq_u32(data[0], 0xb05e);

	igt_assert_eq(unbind(s->fd, s->vm, to_user_pointer(addr), 2 * SZ_2M),
		      -EBUSY);
	igt_assert_eq(munmap(addr, 2 * SZ_2M), 0);
	igt_assert_eq(unbind(s->fd, s->vm, to_user_pointer(addr), 2 * SZ_2M), 0);
	err = __run(s, 0, batch);
	igt_assert_f(err == -EIO || err == -ETIME,
		     "a batch in an unbound hole: wait gave %d\n", err);
	renew_queue(s, 0);
	/* the hole mirrored again, for what later subtests map there */
	igt_assert_eq(mirror(s->fd, s->vm, to_user_pointer(addr), 2 * SZ_2M), 0);
}

/* An untouched piece of the mirror unbinds at once; binding it again works. */
static void unbind_idle(struct svm *s)
{
	uint32_t *data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	igt_assert(data != MAP_FAILED);
	igt_assert_eq(unbind(s->fd, s->vm, to_user_pointer(data), SZ_2M), 0);
	igt_assert_eq(mirror(s->fd, s->vm, to_user_pointer(data), SZ_2M), 0);
	gpu_fill_pages(s, 0, data, SZ_2M, SEED);
	munmap(data, SZ_2M);
}

/* A batch at an address no VMA covers: the fence is never written. */
static void fault_unmapped(struct svm *s)
{
	uint32_t *batch = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	igt_assert(batch != MAP_FAILED);
	emit_end(emit_store(batch, 0x10, 1));	/* the NULL page */
	err = __run(s, 0, batch);
	igt_assert_f(err == -EIO || err == -ETIME, "wait gave %d\n", err);
	igt_assert_eq_u64(*s->ufence, 0);
	renew_queue(s, 0);
	munmap(batch, SZ_4K);
}

/* MI_ATOMIC increments from every engine add up, in order. */
static void atomics(struct svm *s)
{
	uint32_t *counter = malloc(SZ_4K), *b = s->batch;
	const unsigned int n = 64;
	unsigned int i;
	int qi;

	igt_assert(counter);
	*counter = 0;
	for (i = 0; i < n; i++)
		b = emit_inc(b, to_user_pointer(counter));
	emit_end(b);
	for (qi = 0; qi < s->nq; qi++)
		run(s, qi, s->batch);
	igt_assert_eq_u32(*counter, n * s->nq);
	free(counter);
}

/* fork: the child sees what the GPU wrote before (COW) and drives its own VM. */
static void fork_child(struct svm *s)
{
	uint32_t *data = malloc(SZ_2M);

	igt_assert(data);
	memset(data, 0, SZ_2M);
	gpu_fill_pages(s, 0, data, SZ_2M, SEED);

	igt_fork(child, 1) {
		struct svm c;
		int fd = drm_open_driver(DRIVER_XE);

		igt_assert_eq_u32(data[0], pattern(SEED, 0));
		svm_open_vm(&c, fd);
		gpu_fill_pages(&c, 0, data, SZ_2M, SEED + 1);
		svm_close_vm(&c);
		drm_close_driver(fd);
	}
	igt_waitchildren();
	/* the child wrote its copy, not ours; the GPU still writes ours */
	igt_assert_eq_u32(data[0], pattern(SEED, 0));
	gpu_fill_pages(s, 0, data, SZ_2M, SEED + 2);
	free(data);
}

/* The GPU writes the parent after fork(): the child's copy keeps the old data. */
static void fork_cow_parent(struct svm *s)
{
	uint32_t *data = malloc(SZ_2M);
	int done[2];
	char c;

	igt_assert(data);
	igt_assert_eq(pipe(done), 0);
	memset(data, 0, SZ_2M);
	gpu_fill_pages(s, 0, data, SZ_2M, SEED);
	igt_fork(child, 1) {
		igt_assert_eq(read(done[0], &c, 1), 1);
		igt_assert_eq_u32(data[0], pattern(SEED, 0));
	}
	gpu_fill_pages(s, 0, data, SZ_2M, SEED + 3);
	igt_assert_eq(write(done[1], "x", 1), 1);
	igt_waitchildren();
	close(done[0]);
	close(done[1]);
	free(data);
}

/* -------------------------------------------------- chunks, notifiers */

/* The GPU writes one dword at @p: vxe's debugfs shows a @want-byte range there. */
static void chunk_at(struct svm *s, void *p, size_t want, const char *what)
{
	char state[256] = "";
	uint64_t got;

	emit_end(emit_store(s->batch, to_user_pointer(p) + 64, 0xc0ffee));
	run(s, 0, s->batch);
	igt_assert_eq_u32(((uint32_t *)p)[16], 0xc0ffee);
	got = range_size_at(s->fd, to_user_pointer(p), state, sizeof(state));
	igt_info("%s: %s", what, state);
	igt_assert_f(got == want, "%s: a range of %#" PRIx64 " bytes, want %#zx\n",
		     what, got, want);
}

/* A 2M-aligned malloc of 2M: one 2M range. */
static void chunk_malloc_2m(struct svm *s)
{
	void *p;

	require_svm_debugfs(s->fd);
	p = aligned_alloc(SZ_2M, SZ_2M);
	igt_assert(p);
	chunk_at(s, p, SZ_2M, "2M-aligned malloc");
	free(p);
}

/*
 * A VMA of @vma_size (2M-aligned, PROT_NONE around it) whose pages the CPU
 * has touched: a range its size.  (Untouched, chunks up to the 64K
 * check_pages_threshold fall back to 4K: their CPU pages must be present.)
 */
static void chunk_vma(struct svm *s, size_t vma_size)
{
	void *base, *p;
	size_t len;

	require_svm_debugfs(s->fd);
	p = map_aligned(vma_size, SZ_2M, &base, &len);
	memset(p, 1, vma_size);
	chunk_at(s, p, vma_size, "small VMA");
	munmap(base, len);
}

/* svm_notifier_size=2: two GPU accesses 2M apart make two 2 MiB notifiers. */
static void notifier_size(int fd)
{
	char old[32];
	struct svm s;
	void *base;
	char *buf;
	size_t len;
	uint32_t *b;

	igt_require_f(read_param("svm_notifier_size", old, sizeof(old)),
		      "no " VXE_PARAMS "svm_notifier_size: not vxe\n");
	require_svm_debugfs(fd);
	write_param("svm_notifier_size", "2");
	svm_open_vm(&s, fd);
	write_param("svm_notifier_size", old);

	buf = map_aligned(2 * SZ_2M, SZ_2M, &base, &len);
	b = emit_store(s.batch, to_user_pointer(buf), 1);
	b = emit_store(b, to_user_pointer(buf) + SZ_2M, 2);
	emit_end(b);
	run(&s, 0, s.batch);
	igt_assert_eq_u32(*(uint32_t *)buf, 1);
	igt_assert_eq_u32(*(uint32_t *)(buf + SZ_2M), 2);
	igt_assert_lte(2, notifiers_of(fd, 2));
	munmap(base, len);
	svm_close_vm(&s);
}

/* Two devices mirror one process: each GPU writes its half of one buffer. */
static void multi_device(int fd)
{
	const size_t size = SZ_2M;
	uint32_t *data = malloc(size);
	struct svm a, b;
	int fd2;

	igt_assert(data);
	fd2 = __drm_open_driver_another(1, DRIVER_XE);
	igt_require_f(fd2 >= 0,
		      "one Xe device only (vxe: boot with vxe.num_devices=2)\n");
	memset(data, 0, size);
	svm_open_vm(&a, fd);
	svm_open_vm(&b, fd2);
	gpu_fill_pages(&a, 0, data, size / 2, SEED);
	gpu_fill_pages(&b, 0, (char *)data + size / 2, size / 2, SEED + 1);
	/* both still see what the other wrote, and write over it */
	gpu_fill_pages(&b, 0, data, size, SEED + 2);
	gpu_fill_pages(&a, 0, data, size, SEED + 3);
	svm_close_vm(&b);
	svm_close_vm(&a);
	drm_close_driver(fd2);
	free(data);
}

/* --------------------------------------------------------------- VRAM */

static void require_vram(int fd)
{
	igt_require_f(xe_has_vram(fd),
		      "the device reports no VRAM region (vxe without VRAM)\n");
}

/* PREFETCH to VRAM: vxe's debugfs shows the range in vram. */
static void vram_prefetch(struct svm *s)
{
	uint32_t *data;
	char state[256] = "";
	int region;

	require_vram(s->fd);
	require_svm_debugfs(s->fd);
	region = ffs(vram_memory(s->fd, 0)) - 1;
	data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(data != MAP_FAILED);
	data[0] = 1;
	igt_assert_eq(__xe_vm_bind(s->fd, s->vm, 0, 0, 0, to_user_pointer(data),
				   SZ_2M, DRM_XE_VM_BIND_OP_PREFETCH, 0, NULL, 0,
				   region, DEFAULT_PAT_INDEX, 0), 0);
	igt_assert(range_size_at(s->fd, to_user_pointer(data), state,
				 sizeof(state)));
	igt_assert_f(strstr(state, " vram"), "after PREFETCH: %s", state);
	gpu_fill_pages(s, 0, data, SZ_2M, SEED);
	munmap(data, SZ_2M);
}

/* always_migrate_to_vram=1: a GPU fault puts the range in VRAM. */
static void always_migrate(int fd)
{
	char old[32], state[256] = "";
	uint32_t *data;
	struct svm s;

	require_vram(fd);
	require_svm_debugfs(fd);
	igt_require_f(read_param("always_migrate_to_vram", old, sizeof(old)),
		      "no " VXE_PARAMS "always_migrate_to_vram\n");
	write_param("always_migrate_to_vram", "1");
	svm_open_vm(&s, fd);
	data = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(data != MAP_FAILED);
	/* Read the placement before the CPU touches the data (and takes it back). */
	gpu_write_pages(&s, 0, data, SZ_2M, SEED);
	range_size_at(fd, to_user_pointer(data), state, sizeof(state));
	write_param("always_migrate_to_vram", old);
	igt_assert_f(strstr(state, " vram"), "after a GPU fault: %s", state);
	cpu_check_pages(data, SZ_2M, SEED);
	munmap(data, SZ_2M);
	svm_close_vm(&s);
}

/*
 * BOs filling VRAM push SVM ranges back to system memory; the data
 * survives and the GPU still writes it.
 */
static void vram_evict(struct svm *s)
{
	uint64_t vram = xe_visible_vram_size(s->fd, 0), done = 0;
	const size_t size = SZ_2M;
	uint32_t bos[512], nbo = 0, i;
	uint32_t *data;

	require_vram(s->fd);
	data = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	igt_assert(data != MAP_FAILED);
	gpu_fill_pages(s, 0, data, size, SEED);
	igt_assert_eq(__xe_vm_bind(s->fd, s->vm, 0, 0, 0, to_user_pointer(data),
				   size, DRM_XE_VM_BIND_OP_PREFETCH, 0, NULL, 0,
				   ffs(vram_memory(s->fd, 0)) - 1,
				   DEFAULT_PAT_INDEX, 0), 0);
	while (done < vram + vram / 8 && nbo < ARRAY_SIZE(bos)) {
		uint64_t bo_size = ALIGN(vram / 64, SZ_2M);
		uint32_t *map;

		bos[nbo] = xe_bo_create(s->fd, 0, bo_size, vram_memory(s->fd, 0),
					DRM_XE_GEM_CREATE_FLAG_NEEDS_VISIBLE_VRAM);
		map = xe_bo_map(s->fd, bos[nbo], bo_size);
		memset(map, 0x5a, bo_size);	/* populate it in VRAM */
		munmap(map, bo_size);
		done += bo_size;
		nbo++;
	}
	cpu_check_pages(data, size, SEED);
	gpu_fill_pages(s, 0, data, size, SEED + 1);
	for (i = 0; i < nbo; i++)
		gem_close(s->fd, bos[i]);
	munmap(data, size);
}

/* ------------------------------------------------------- error paths */

/*
 * @arg = @init, then @stmt changes one thing: the ioctl @req on @arg gives
 * @err (a -errno; 0 when it succeeds).
 */
#define EXPECT_IOCTL(fd, req, arg, init, err, stmt) do {		\
		(arg) = (init);					\
		stmt;						\
		igt_assert_eq(xioctl(fd, req, &(arg)), err);	\
	} while (0)

static void vm_create_errors(int fd)
{
	struct drm_xe_vm_create c;

#define VM_CREATE(err, ...) \
	EXPECT_IOCTL(fd, DRM_IOCTL_XE_VM_CREATE, c, ((struct drm_xe_vm_create){ __VA_ARGS__ }), err, (void)0)
	VM_CREATE(-EINVAL, .flags = DRM_XE_VM_CREATE_FLAG_LR_MODE, .extensions = 1);
	VM_CREATE(-EINVAL, .flags = DRM_XE_VM_CREATE_FLAG_LR_MODE, .reserved = { 1, 0 });
	VM_CREATE(-EINVAL, .flags = DRM_XE_VM_CREATE_FLAG_LR_MODE, .reserved = { 0, 1 });
	VM_CREATE(-EINVAL, .flags = 1u << 3);
	/* fault mode needs LR mode, and excludes the scratch page */
	VM_CREATE(-EINVAL, .flags = DRM_XE_VM_CREATE_FLAG_FAULT_MODE);
	VM_CREATE(-EINVAL, .flags = LR_FAULT | DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE);
#undef VM_CREATE
}

static void vm_destroy_errors(int fd)
{
	uint32_t vm = xe_vm_create(fd, LR_FAULT, 0);
	struct drm_xe_vm_destroy d;

	d = (struct drm_xe_vm_destroy){ .vm_id = vm, .pad = 1 };
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d), -EINVAL);
	d = (struct drm_xe_vm_destroy){ .vm_id = vm, .reserved = { 0, 1 } };
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d), -EINVAL);
	d = (struct drm_xe_vm_destroy){ .vm_id = vm + 1000 };
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d), -ENOENT);
	d = (struct drm_xe_vm_destroy){ .vm_id = vm };
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d), 0);
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d), -ENOENT);
}

/* VM_BIND's checks, Xe's errno for each, on a fault-mode VM and a plain one. */
static void vm_bind_errors(struct svm *s)
{
	struct drm_xe_vm_bind b, good = {
		.vm_id = s->vm, .num_binds = 1,
		.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = 0x100000,
			  .range = 0x1000, .pat_index = intel_get_pat_idx_wb(s->fd) },
	};
	uint32_t plain = xe_vm_create(s->fd, 0, 0);
	uint32_t h = xe_bo_create(s->fd, 0, SZ_4K, system_memory(s->fd), 0);

#define BIND(err, stmt) EXPECT_IOCTL(s->fd, DRM_IOCTL_XE_VM_BIND, b, good, err, stmt)
	BIND(-EINVAL, b.vm_id = 0xdead);
	BIND(-EINVAL, b.pad = 1);
	BIND(-EINVAL, b.reserved[1] = 1);
	BIND(-EINVAL, b.extensions = 1);
	BIND(-EINVAL, b.num_syncs = 1025);
	BIND(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_PREFETCH + 1);
	BIND(-EINVAL, b.bind.flags = 1u << 30);
	BIND(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP);	/* no BO */
	BIND(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
	     b.bind.flags = DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR);
	BIND(-EINVAL, b.bind.obj = h);		/* UNMAP names no BO */
	BIND(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_UNMAP_ALL);
	BIND(-EINVAL, b.bind.prefetch_mem_region_instance = 1);
	BIND(-EINVAL, b.bind.addr = 0x100010);	/* misaligned */
	BIND(-EINVAL, b.bind.range = 0x10);
	BIND(-EINVAL, b.bind.range = 0);
	BIND(-EINVAL, b.bind.addr = ~0xfffull);	/* wraps around */
	BIND(-EINVAL, b.bind.range = 1ull << 60);	/* larger than the VM */
	BIND(-ENOENT, b.exec_queue_id = 0xdead);
	BIND(-EINVAL, b.exec_queue_id = s->q[0]);	/* not a VM_BIND queue */
	BIND(-ENOENT, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h + 99);
	BIND(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
	     b.bind.range = 0x2000);		/* larger than the BO */
	BIND(-EFAULT, b.num_binds = 2; b.vector_of_binds = 8);
	/* a mirror needs a fault-mode VM */
	BIND(-EINVAL, b.vm_id = plain; b.bind.op = DRM_XE_VM_BIND_OP_MAP;
	     b.bind.flags = DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR);
	/* nothing bound there: UNMAP is a no-op */
	BIND(0, (void)0);
#undef BIND
	gem_close(s->fd, h);
	xe_vm_destroy(s->fd, plain);
}

static void vm_bind_sync_errors(struct svm *s)
{
	struct drm_xe_sync sync = { .type = DRM_XE_SYNC_TYPE_USER_FENCE,
				    .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_vm_bind b, good = {
		.vm_id = s->vm, .num_binds = 1, .num_syncs = 1,
		.syncs = to_user_pointer(&sync),
		.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = 0x100000,
			  .range = 0x1000, .pat_index = intel_get_pat_idx_wb(s->fd) },
	};

#define BIND(err, stmt) EXPECT_IOCTL(s->fd, DRM_IOCTL_XE_VM_BIND, b, good, err, stmt)
	sync.addr = 0x1004;			/* a misaligned user fence */
	BIND(-EINVAL, (void)0);
	sync.addr = 0;
	sync.flags = 1u << 5;			/* unknown sync flag */
	BIND(-EINVAL, (void)0);
	sync.flags = DRM_XE_SYNC_FLAG_SIGNAL;
	sync.type = 7;				/* unknown sync type */
	BIND(-EINVAL, (void)0);
	sync.type = DRM_XE_SYNC_TYPE_SYNCOBJ;	/* an LR VM signals no syncobj */
	BIND(-EOPNOTSUPP, (void)0);
	BIND(-EFAULT, b.syncs = 8);		/* unreadable syncs */
#undef BIND
}

static void exec_queue_errors(struct svm *s)
{
	struct drm_xe_engine_class_instance eci = s->eci[0];
	struct drm_xe_exec_queue_create c, good = {
		.width = 1, .num_placements = 1, .vm_id = s->vm,
		.instances = to_user_pointer(&eci),
	};
	struct drm_xe_exec_queue_destroy d = { .exec_queue_id = 0xdead };

#define QC(err, stmt) EXPECT_IOCTL(s->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, c, good, err, stmt)
	QC(-EINVAL, c.flags = 2);	/* bit 0 is the low-latency hint, allowed */
	QC(-EINVAL, c.reserved[0] = 1);
	QC(-EINVAL, c.width = 0);
	QC(-EFAULT, c.instances = 8);
	QC(-ENOENT, c.vm_id = 0xdead);
	QC(-EFAULT, c.extensions = 8);
	eci.gt_id = 7;
	QC(-EINVAL, (void)0);
	eci.gt_id = s->eci[0].gt_id;
	eci.engine_instance = 63;
	QC(-EINVAL, (void)0);
	eci.engine_instance = s->eci[0].engine_instance;
	QC(0, (void)0);
	xe_exec_queue_destroy(s->fd, c.exec_queue_id);
#undef QC
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d), -ENOENT);
	d.exec_queue_id = s->q[0];
	d.pad = 1;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d), -EINVAL);
}

static void exec_errors(struct svm *s)
{
	struct drm_xe_exec e, good = {
		.exec_queue_id = s->q[0], .num_batch_buffer = 1,
		.address = to_user_pointer(s->batch),
	};

#define EXEC(err, stmt) EXPECT_IOCTL(s->fd, DRM_IOCTL_XE_EXEC, e, good, err, stmt)
	EXEC(-EINVAL, e.extensions = 1);
	EXEC(-EINVAL, e.pad[2] = 1);
	EXEC(-EINVAL, e.reserved[0] = 1);
	EXEC(-EINVAL, e.num_syncs = 1025);
	EXEC(-EINVAL, e.num_batch_buffer = 2);	/* width 1 */
	EXEC(-ENOENT, e.exec_queue_id = 0xdead);
	EXEC(-EFAULT, e.num_syncs = 1; e.syncs = 8);
#undef EXEC
}

static void wait_ufence_errors(int fd)
{
	uint64_t value = 10;
	struct drm_xe_wait_user_fence w, good = {
		.addr = to_user_pointer(&value), .op = DRM_XE_UFENCE_WAIT_OP_EQ,
		.value = 10, .mask = ~0ull, .timeout = 1000000,
	};

#define WAIT(err, stmt) EXPECT_IOCTL(fd, DRM_IOCTL_XE_WAIT_USER_FENCE, w, good, err, stmt)
	WAIT(-EINVAL, w.extensions = 1);
	WAIT(-EINVAL, w.pad = 1);
	WAIT(-EINVAL, w.reserved[1] = 1);
	WAIT(-EINVAL, w.flags = 2);
	WAIT(-EINVAL, w.op = DRM_XE_UFENCE_WAIT_OP_LTE + 1);
	WAIT(-EINVAL, w.addr += 4);		/* misaligned */
	WAIT(-ENOENT, w.exec_queue_id = 0xdead);
	WAIT(-EFAULT, w.addr = 8);
	WAIT(-ETIME, w.value = 11);
	WAIT(-ETIME, w.value = 11; w.timeout = 0);
	WAIT(0, (void)0);
	WAIT(0, w.mask = 0xff; w.value = 0x330a);	/* masked: 0x0a */
#undef WAIT
}

static void gem_errors(int fd)
{
	struct drm_xe_gem_create c, good = {
		.size = SZ_4K, .placement = system_memory(fd),
		.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB,
	};
	struct drm_xe_gem_mmap_offset o = { 0 };

#define GEM(err, stmt) EXPECT_IOCTL(fd, DRM_IOCTL_XE_GEM_CREATE, c, good, err, stmt)
	GEM(-EINVAL, c.extensions = 1);
	GEM(-EINVAL, c.pad[1] = 1);
	GEM(-EINVAL, c.reserved[0] = 1);
	GEM(-EINVAL, c.placement = 0);
	GEM(-EINVAL, c.placement = 1u << 31);
	GEM(-EINVAL, c.flags = 1u << 31);
	GEM(-EINVAL, c.handle = 1);
	GEM(-EINVAL, c.size = 0);
	GEM(-EINVAL, c.size = SZ_4K + 12);
	GEM(-EINVAL, c.cpu_caching = 0);
	GEM(-EINVAL, c.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC + 1);
	GEM(-ENOENT, c.vm_id = 0xdead);
	GEM(0, (void)0);
#undef GEM
	o.handle = c.handle + 100;
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o), -ENOENT);
	o.handle = c.handle;
	o.extensions = 1;
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o), -EINVAL);
	o.extensions = 0;
	o.reserved[1] = 1;
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o), -EINVAL);
	o.reserved[1] = 0;
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o), 0);
	gem_close(fd, c.handle);
}

static void madvise_errors(struct svm *s)
{
	struct drm_xe_madvise m, good = {
		.vm_id = s->vm, .start = 0x100000, .range = SZ_2M,
		.type = DRM_XE_MEM_RANGE_ATTR_ATOMIC,
		.atomic.val = DRM_XE_ATOMIC_DEVICE,
	};
	struct drm_xe_vm_query_mem_range_attr q = {
		.vm_id = s->vm, .start = 0x100000, .range = SZ_2M,
	};

#define MADV(err, stmt) EXPECT_IOCTL(s->fd, DRM_IOCTL_XE_MADVISE, m, good, err, stmt)
	MADV(-EINVAL, m.extensions = 1);
	MADV(-EINVAL, m.reserved[0] = 1);
	MADV(-EINVAL, m.atomic.pad = 1);
	MADV(-EINVAL, m.atomic.reserved = 1);
	MADV(-EINVAL, m.range = ~0xfffull);
	MADV(-EINVAL, m.type = DRM_XE_MEM_RANGE_ATTR_PAT; m.pat_index.val = 28);
	MADV(-EINVAL, m.type = DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC;
	     m.preferred_mem_loc.devmem_fd = 0;
	     m.preferred_mem_loc.migration_policy = 2);
	MADV(0, (void)0);
#undef MADV
	q.extensions = 1;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q), -EINVAL);
	q.extensions = 0;
	q.reserved[1] = 1;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q), -EINVAL);
	q.reserved[1] = 0;
	q.vm_id = 0xdead;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q), -EINVAL);
	q.vm_id = s->vm;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q), 0);
	igt_assert_lte(1, q.num_mem_ranges);
	q.vector_of_mem_attr = 8;
	igt_assert_eq(xioctl(s->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q), -EFAULT);
}

static void device_query_errors(int fd)
{
	struct drm_xe_device_query q;
	uint64_t data[16];

#define QUERY(err, ...) \
	EXPECT_IOCTL(fd, DRM_IOCTL_XE_DEVICE_QUERY, q, ((struct drm_xe_device_query){ __VA_ARGS__ }), err, (void)0)
	QUERY(-EINVAL, .query = DRM_XE_DEVICE_QUERY_CONFIG, .extensions = 1);
	QUERY(-EINVAL, .query = DRM_XE_DEVICE_QUERY_CONFIG, .reserved = { 1, 0 });
	QUERY(-EINVAL, .query = DRM_XE_DEVICE_QUERY_CONFIG, .reserved = { 0, 1 });
	QUERY(-EINVAL, .query = ~0u);
	QUERY(-EINVAL, .query = DRM_XE_DEVICE_QUERY_CONFIG, .size = 8,
	      .data = to_user_pointer(data));
	QUERY(0, .query = DRM_XE_DEVICE_QUERY_CONFIG);
	q.data = 16;
	igt_assert_eq(xioctl(fd, DRM_IOCTL_XE_DEVICE_QUERY, &q), -EFAULT);
#undef QUERY
}

static const struct {
	const char *name;
	enum memory kind;
} memories[] = {
	{ "malloc", MALLOC },
	{ "mmap-anon", MMAP_ANON },
	{ "mmap-shared", MMAP_SHARED },
	{ "mmap-file", MMAP_FILE },
	{ "stack", STACK },
	{ "hugetlb", HUGETLB },
};

gpusvm_igt_main
{
	struct svm s;
	int fd = -1;
	int i;

	gpusvm_igt_fixture {
		fd = drm_open_driver(DRIVER_XE);
		igt_require_f(!xe_supports_faults(fd),
			      "no fault-mode VMs: the device has no GPU page faults\n");
		svm_open_vm(&s, fd);
	}

	for (i = 0; i < ARRAY_SIZE(memories); i++) {
		igt_describe_f("The GPU writes %s memory, checked by the CPU, on every engine.",
			       memories[i].name);
		igt_subtest_with_dynamic_f("gpu-writes-%s", memories[i].name) {
			int qi;

			for (qi = 0; qi < s.nq; qi++)
				igt_dynamic_f("%s%d",
					      xe_engine_class_short_string(s.eci[qi].engine_class),
					      s.eci[qi].engine_instance)
					gpu_writes(&s, qi, memories[i].kind);
		}
	}

	igt_describe("munmap and new memory at the same address: the GPU sees the new pages.");
	igt_subtest("munmap-remap")
		munmap_remap(&s);

	igt_describe("mremap moves GPU-written pages; the GPU writes at the new address.");
	igt_subtest("mremap-move")
		mremap_move(&s);

	igt_describe("Unbinding a mirror piece the GPU maps is -EBUSY; after munmap it is 0.");
	igt_subtest("unbind-while-bound-busy")
		unbind_busy(&s);

	igt_describe("An untouched mirror piece unbinds and binds again.");
	igt_subtest("unbind-idle-rebind")
		unbind_idle(&s);

	igt_describe("A batch at an unmapped address faults: its fence is never written.");
	igt_subtest("fault-unmapped-address")
		fault_unmapped(&s);

	igt_describe("MI_ATOMIC increments from every engine add up.");
	igt_subtest("atomic-increments")
		atomics(&s);

	igt_describe("A forked child sees the GPU's writes and drives its own VM.");
	igt_subtest("fork-child-own-vm")
		fork_child(&s);

	igt_describe("GPU writes after fork() go to the parent's copy only.");
	igt_subtest("fork-cow-parent-writes")
		fork_cow_parent(&s);

	igt_describe("A 2M-aligned 2M malloc gets one 2M range (vxe debugfs).");
	igt_subtest("chunk-2m")
		chunk_malloc_2m(&s);

	igt_describe("A 64K VMA gets a 64K range (vxe debugfs).");
	igt_subtest("chunk-64k")
		chunk_vma(&s, SZ_64K);

	igt_describe("A 4K VMA gets a 4K range (vxe debugfs).");
	igt_subtest("chunk-4k")
		chunk_vma(&s, SZ_4K);

	igt_describe("vxe's svm_notifier_size module parameter sets the notifier size.");
	igt_subtest("notifier-size-param")
		notifier_size(fd);

	igt_describe("Two devices mirror one process and write the same buffer.");
	igt_subtest("multi-device")
		multi_device(fd);

	igt_describe("PREFETCH to VRAM places the range in VRAM (vxe debugfs).");
	igt_subtest("vram-prefetch-placement")
		vram_prefetch(&s);

	igt_describe("always_migrate_to_vram: a GPU fault migrates the range to VRAM.");
	igt_subtest("always-migrate-to-vram")
		always_migrate(fd);

	igt_describe("VRAM BOs beyond VRAM's size evict SVM ranges; the data survives.");
	igt_subtest("vram-eviction-by-bo-pressure")
		vram_evict(&s);

	igt_describe("VM_CREATE's argument checks, with Xe's errno.");
	igt_subtest("vm-create-errors")
		vm_create_errors(fd);

	igt_describe("VM_DESTROY's argument checks, with Xe's errno.");
	igt_subtest("vm-destroy-errors")
		vm_destroy_errors(fd);

	igt_describe("VM_BIND's argument checks, mirror on a non-fault VM, with Xe's errno.");
	igt_subtest("vm-bind-errors")
		vm_bind_errors(&s);

	igt_describe("VM_BIND's sync checks, with Xe's errno.");
	igt_subtest("vm-bind-sync-errors")
		vm_bind_sync_errors(&s);

	igt_describe("EXEC_QUEUE_CREATE/DESTROY argument checks, with Xe's errno.");
	igt_subtest("exec-queue-errors")
		exec_queue_errors(&s);

	igt_describe("EXEC's argument checks, with Xe's errno.");
	igt_subtest("exec-errors")
		exec_errors(&s);

	igt_describe("WAIT_USER_FENCE's argument checks and time-outs, with Xe's errno.");
	igt_subtest("wait-ufence-errors")
		wait_ufence_errors(fd);

	igt_describe("GEM_CREATE and GEM_MMAP_OFFSET argument checks, with Xe's errno.");
	igt_subtest("gem-errors")
		gem_errors(fd);

	igt_describe("MADVISE and VM_QUERY_MEM_RANGE_ATTRS argument checks, with Xe's errno.");
	igt_subtest("madvise-query-errors")
		madvise_errors(&s);

	igt_describe("DEVICE_QUERY's argument checks, with Xe's errno.");
	igt_subtest("device-query-errors")
		device_query_errors(fd);

	gpusvm_igt_fixture {
		svm_close_vm(&s);
		drm_close_driver(fd);
	}
}
