// SPDX-License-Identifier: GPL-2.0
/*
 * The whole SVM flow through the upstream Xe uAPI, as a client written
 * against <drm/xe_drm.h> alone does it: query the device, create a
 * long-running fault-mode VM, mirror the CPU address space, create an
 * exec queue per engine, run batches that live in malloc'd memory and
 * write into malloc'd memory, wait for the user fence, check every byte
 * on the CPU; then munmap and map again (the GPU sees the new pages),
 * unbind while the GPU still maps memory (-EBUSY) and after the process
 * unmapped it (0), and a batch at an unmapped address (the queue is
 * banned, the fence is never written).  Runs on vxe and on Xe hardware.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xe_open.h"
#include "xe_svm.h"

/* The seed of the data patterns, printed by every test that uses it */
#define SEED	0x5eed1234u

#define MIRROR_START	0ull
#define MIRROR_RANGE	0x800000000000ull	/* 128 TiB: the user address space */

FIXTURE(svm) {
	int fd;
	int vm;
	int nq;
	int q[8];
	struct drm_xe_engine_class_instance eng[8];
	uint64_t *ufence;
};

FIXTURE_SETUP(svm)
{
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_CONFIG };
	int i;

	self->vm = -1;
	self->nq = 0;
	self->fd = xe_open_card();
	if (self->fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq));
	self->vm = xe_vm_create_fault(self->fd);
	if (self->vm < 0)
		SKIP(return, "no fault-mode VM (%d): no GPU page faults", self->vm);
	ASSERT_EQ(0, xe_mirror(self->fd, self->vm, MIRROR_START, MIRROR_RANGE));

	self->nq = query_engines(self->fd, self->eng, 8);
	ASSERT_LT(0, self->nq);
	for (i = 0; i < self->nq; i++) {
		self->q[i] = xe_queue_create(self->fd, self->vm,
					     self->eng[i].engine_class,
					     self->eng[i].engine_instance);
		ASSERT_LT(0, self->q[i]);
	}
	/* User fences in shared anonymous memory, as IGT puts them */
	self->ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, (void *)self->ufence);
}

FIXTURE_TEARDOWN(svm)
{
	int i;

	for (i = 0; i < self->nq; i++)
		if (self->q[i] > 0)
			xe_queue_destroy(self->fd, self->q[i]);
	if (self->vm > 0)
		xe_vm_destroy(self->fd, self->vm);
	if (self->ufence && self->ufence != MAP_FAILED)
		munmap((void *)self->ufence, 4096);
	if (self->fd >= 0)
		close(self->fd);
}

/* Run one batch on queue @q and wait for its fence at @ufence. */
static int run_batch(int fd, int q, uint64_t *ufence, const uint32_t *batch)
{
	int err;

	*ufence = 0;
	err = xe_exec(fd, q, batch, ufence);
	if (err)
		return err;
	return xe_wait_ufence(fd, q, ufence, XE_WAIT_NS);
}

#define run(qi, batch) run_batch(self->fd, self->q[qi], self->ufence, batch)

/*
 * On every engine: a batch in malloc'd memory stores a pattern into
 * another malloc'd buffer, one dword per 4K page, and the CPU checks
 * every dword.
 */
TEST_F(svm, malloc_batch_writes_malloc)
{
	const unsigned int pages = 64;
	uint32_t *data, *batch, *b;
	unsigned int i, qi;

	TH_LOG("seed %#x", SEED);
	for (qi = 0; qi < (unsigned int)self->nq; qi++) {
		data = malloc(pages * 4096);
		batch = malloc((pages * 4 + 1) * 4);
		ASSERT_TRUE(data && batch);
		memset(data, 0, pages * 4096);
		b = batch;
		for (i = 0; i < pages; i++)
			b = xe_emit_store(b, (uintptr_t)&data[i * 1024],
					  pattern(SEED + qi, i));
		xe_emit_end(b);

		ASSERT_EQ(0, run(qi, batch));
		for (i = 0; i < pages * 1024; i++) {
			uint32_t want = i % 1024 ? 0 : pattern(SEED + qi, i / 1024);

			ASSERT_EQ(want, data[i]) TH_LOG("engine %u dword %u", qi, i);
		}
		free(batch);
		free(data);
	}
}

/* Atomic increments from every engine add up, in order, exactly. */
TEST_F(svm, atomics_add_up)
{
	uint32_t *counter = malloc(4096), *batch = malloc(4096), *b = batch;
	const unsigned int n = 100;
	unsigned int i, qi;

	ASSERT_TRUE(counter && batch);
	*counter = 0;
	for (i = 0; i < n; i++)
		b = xe_emit_atomic_inc(b, (uintptr_t)counter);
	xe_emit_end(b);
	for (qi = 0; qi < (unsigned int)self->nq; qi++)
		ASSERT_EQ(0, run(qi, batch));
	ASSERT_EQ(n * self->nq, *counter);
	free(batch);
	free(counter);
}

/*
 * The process unmaps a buffer the GPU wrote and maps new memory at the
 * same address: the GPU writes the new pages, not the old ones.
 */
TEST_F(svm, munmap_remap_seen_by_gpu)
{
	const size_t size = 2 << 20;
	uint32_t *batch = malloc(4096), *data;
	void *addr;

	ASSERT_NE(NULL, batch);
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, addr);
	data = addr;
	xe_emit_end(xe_emit_store(batch, (uintptr_t)&data[100], 0x1111));
	ASSERT_EQ(0, run(0, batch));
	ASSERT_EQ(0x1111, data[100]);

	ASSERT_EQ(0, munmap(addr, size));
	ASSERT_EQ(addr, mmap(addr, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	ASSERT_EQ(0, data[100]);	/* fresh zero page */
	xe_emit_end(xe_emit_store(batch, (uintptr_t)&data[100], 0x2222));
	ASSERT_EQ(0, run(0, batch));
	ASSERT_EQ(0x2222, data[100]);
	munmap(addr, size);
	free(batch);
}

/*
 * Unbinding a mirror in which the GPU still maps process memory is
 * refused with -EBUSY; once the process unmapped that memory, the unbind
 * succeeds at once.
 */
TEST_F(svm, unbind_while_bound_is_busy)
{
	const size_t size = 2 << 20;
	uint32_t *batch, *data;
	void *addr;

	addr = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, addr);
	batch = addr;
	data = (uint32_t *)((char *)addr + size);
	xe_emit_end(xe_emit_store(batch, (uintptr_t)data, 0xb05e));
	ASSERT_EQ(0, run(0, batch));
	ASSERT_EQ(0xb05e, data[0]);

	ASSERT_EQ(-EBUSY, xe_unbind(self->fd, self->vm, (uintptr_t)addr,
				    2 * size));
	ASSERT_EQ(0, munmap(addr, 2 * size));
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, (uintptr_t)addr, 2 * size));

	/* The hole is not mirrored any more: a batch there faults. */
	*self->ufence = 0;
	ASSERT_EQ(0, xe_exec(self->fd, self->q[0], batch, self->ufence));
	ASSERT_EQ(-EIO, xe_wait_ufence(self->fd, self->q[0], self->ufence,
				       XE_WAIT_NS));
}

/*
 * A batch at an address no VMA covers faults: the queue is banned, the
 * user fence is never written, the wait fails with -EIO (or times out),
 * and EXEC on the banned queue is refused with -ECANCELED.
 */
TEST_F(svm, fault_bans_queue)
{
	struct drm_xe_exec_queue_get_property p = {
		.exec_queue_id = self->q[0],
		.property = DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN,
	};
	const void *bad = (const void *)(MIRROR_RANGE + 0x10000);
	int err;

	*self->ufence = 0;
	ASSERT_EQ(0, xe_exec(self->fd, self->q[0], bad, self->ufence));
	err = xe_wait_ufence(self->fd, self->q[0], self->ufence, XE_WAIT_NS);
	ASSERT_TRUE(err == -EIO || err == -ETIME) TH_LOG("wait: %d", err);
	ASSERT_EQ(0, *self->ufence);
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &p));
	ASSERT_EQ(1, p.value);
	ASSERT_EQ(-ECANCELED, xe_exec(self->fd, self->q[0], bad, self->ufence));
}

/* A counter of /sys/kernel/debug/dri/<minor>/gt0/stats, or -1 */
static long gt_stat(int fd, const char *name)
{
	FILE *f = debugfs_open(fd, "gt0/stats");
	char line[128];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, strlen(name)) && line[strlen(name)] == ':')
			v = strtol(line + strlen(name) + 1, NULL, 10);
	fclose(f);
	return v;
}

/*
 * PREFETCH to system memory maps the interval before the GPU touches it:
 * a batch that lives there and writes there (and its user fence) takes no
 * GPU page fault, and vxe's debugfs shows the range bound in system
 * memory.
 */
TEST_F(svm, prefetch_sysmem_no_faults)
{
	const size_t size = 2 << 20;
	uint32_t *buf, *data;
	long before, after;
	void *addr;

	before = gt_stat(self->fd, "svm_pagefault_count");
	if (before < 0)
		SKIP(return, "no gt0/stats in debugfs");
	addr = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	ASSERT_NE(MAP_FAILED, addr);
	buf = addr;
	data = buf + 1024;
	xe_emit_end(xe_emit_store(buf, (uintptr_t)data, 0xfe7c4));

	ASSERT_EQ(0, xe_bind(self->fd, self->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			     (uintptr_t)addr, size, 0));
	ASSERT_EQ(0, xe_bind(self->fd, self->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			     (uintptr_t)self->ufence, 4096, 0));
	before = gt_stat(self->fd, "svm_pagefault_count");
	ASSERT_EQ(0, run(0, buf));
	after = gt_stat(self->fd, "svm_pagefault_count");
	ASSERT_EQ(0xfe7c4, data[0]);
	ASSERT_EQ(before, after);

	if (svm_range_state(self->fd, (uintptr_t)addr, "sysmem bound") < 0)
		SKIP(goto out, "no vxe svm file in debugfs (not vxe)");
	ASSERT_EQ(1, svm_range_state(self->fd, (uintptr_t)addr, "sysmem bound"));
out:
	munmap(addr, size);
}

/* Count the dwords of @data (@n) that differ from pattern(@seed), or @mark on page starts. */
static unsigned long count_bad(const uint32_t *data, size_t n, uint32_t seed,
			       uint32_t mark)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < n; i++)
		bad += data[i] != (i % 1024 ? pattern(seed, i) : mark + i / 1024);
	return bad;
}

/* @size bytes of private anonymous memory holding pattern(@seed), or NULL. */
static uint32_t *pattern_map(size_t size, uint32_t seed)
{
	uint32_t *data = mmap(NULL, size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (data == MAP_FAILED)
		return NULL;
	for (i = 0; i < size / 4; i++)
		data[i] = pattern(seed, i);
	return data;
}

/* A batch storing @mark + N into the first dword of page N of @data. */
static uint32_t *page_marks_batch(uint32_t *data, unsigned int pages,
				  uint32_t mark)
{
	uint32_t *batch = malloc((pages * 4 + 1) * 4), *b = batch;
	unsigned int i;

	if (!batch)
		return NULL;
	for (i = 0; i < pages; i++)
		b = xe_emit_store(b, (uintptr_t)&data[i * 1024], mark + i);
	xe_emit_end(b);
	return batch;
}

/*
 * PREFETCH to VRAM (region 1) migrates the interval: vxe's debugfs shows
 * it bound in VRAM, a batch writes into it there, and the CPU reads every
 * byte back (the pages come back to system memory on the way).
 */
TEST_F(svm, prefetch_vram_placement)
{
	const size_t size = 2 << 20, n = size / 4;
	uint32_t *data, *batch;

	if (!has_vram(self->fd))
		SKIP(return, "no VRAM region");
	TH_LOG("seed %#x", SEED);
	data = pattern_map(size, SEED);
	ASSERT_NE(NULL, data);
	batch = page_marks_batch(data, size / 4096, 0x7e000000);
	ASSERT_NE(NULL, batch);

	ASSERT_EQ(0, xe_bind(self->fd, self->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			     (uintptr_t)data, size, 1));
	if (svm_range_state(self->fd, (uintptr_t)data, "vram bound") < 0)
		SKIP(goto out, "no vxe svm file in debugfs (not vxe)");
	ASSERT_EQ(1, svm_range_state(self->fd, (uintptr_t)data, "vram bound"));
	ASSERT_EQ(0, run(0, batch));
	ASSERT_EQ(0, count_bad(data, n, SEED, 0x7e000000));
	ASSERT_EQ(0, svm_range_state(self->fd, (uintptr_t)data, "vram bound"));
out:
	free(batch);
	munmap(data, size);
}

/*
 * fork() of a process whose memory the GPU moved to VRAM: the child reads
 * the data (its CPU faults bring the shared pages back), and so does the
 * parent, byte for byte; the GPU then writes the parent's copy only.
 */
TEST_F(svm, fork_with_vram_pages)
{
	const size_t size = 2 << 20, n = size / 4;
	uint32_t *data, *batch, *batch2;
	int status;
	pid_t pid;

	if (!has_vram(self->fd))
		SKIP(return, "no VRAM region");
	TH_LOG("seed %#x", SEED);
	data = pattern_map(size, SEED);
	ASSERT_NE(NULL, data);
	batch = page_marks_batch(data, size / 4096, 0x5a000000);
	batch2 = page_marks_batch(data, size / 4096, 0x3c000000);
	ASSERT_TRUE(batch && batch2);
	/* The GPU's first fault on the data migrates it to VRAM. */
	ASSERT_EQ(0, run(0, batch));
	if (svm_range_state(self->fd, (uintptr_t)data, "vram bound") == 0)
		TH_LOG("the data is not in VRAM: the fork sees system memory");

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(count_bad(data, n, SEED, 0x5a000000) ? 1 : 0);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) TH_LOG("the child read wrong data");
	ASSERT_EQ(0, count_bad(data, n, SEED, 0x5a000000));

	ASSERT_EQ(0, run(0, batch2));
	ASSERT_EQ(0, count_bad(data, n, SEED, 0x3c000000));
	free(batch2);
	free(batch);
	munmap(data, size);
}

/* The attributes of the VMAs of [start, start + range), as Xe reports them */
static int query_attrs(int fd, uint32_t vm, uint64_t start, uint64_t range,
		       struct drm_xe_mem_range_attr *attrs, uint32_t max)
{
	struct drm_xe_vm_query_mem_range_attr q = {
		.vm_id = vm, .start = start, .range = range,
	};
	int err = xe_ioctl(fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q);

	if (err)
		return err;
	if (q.num_mem_ranges > max || q.sizeof_mem_range_attr != sizeof(*attrs))
		return -E2BIG;
	q.vector_of_mem_attr = (uintptr_t)attrs;
	err = xe_ioctl(fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q);
	return err ? err : (int)q.num_mem_ranges;
}

/*
 * MADVISE on a piece of the mirror splits it: the query reports three
 * VMAs, the middle one with the new PAT index, atomic policy and
 * preferred location; the GPU still writes there (its ranges are made
 * again), and the CPU sees it.
 */
TEST_F(svm, madvise_splits_and_query_reports)
{
	const size_t size = 4 << 20;
	struct drm_xe_mem_range_attr a[4];
	uint32_t *buf, *batch = malloc(4096);
	uint64_t mid;

	ASSERT_NE(NULL, batch);
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	mid = (uintptr_t)buf + (1 << 20);

	/* The GPU maps the buffer first: MADVISE must drop those ranges. */
	xe_emit_end(xe_emit_store(batch, mid + 64, 1));
	ASSERT_EQ(0, run(0, batch));

	ASSERT_EQ(0, xe_madvise(self->fd, self->vm, mid, 1 << 20,
				DRM_XE_MEM_RANGE_ATTR_PAT, 3));
	ASSERT_EQ(0, xe_madvise(self->fd, self->vm, mid, 1 << 20,
				DRM_XE_MEM_RANGE_ATTR_ATOMIC, DRM_XE_ATOMIC_GLOBAL));
	ASSERT_EQ(0, xe_madvise(self->fd, self->vm, mid, 1 << 20,
				DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC,
				(uint32_t)DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM));
	ASSERT_EQ(3, query_attrs(self->fd, self->vm, mid - 4096, (1 << 20) + 8192,
				 a, 4));
	EXPECT_EQ(mid, a[1].start);
	EXPECT_EQ(mid + (1 << 20), a[1].end);
	EXPECT_EQ(3, a[1].pat_index.val);
	EXPECT_EQ(2, a[0].pat_index.val);
	EXPECT_EQ(2, a[2].pat_index.val);
	EXPECT_EQ(DRM_XE_ATOMIC_GLOBAL, a[1].atomic.val);
	EXPECT_EQ(DRM_XE_ATOMIC_UNDEFINED, a[0].atomic.val);
	EXPECT_EQ((uint32_t)DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM,
		  a[1].preferred_mem_loc.devmem_fd);
	EXPECT_EQ(DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE,
		  a[2].preferred_mem_loc.devmem_fd);

	xe_emit_end(xe_emit_store(batch, mid + 128, 0x3ad));
	ASSERT_EQ(0, run(0, batch));
	EXPECT_EQ(1, buf[(1 << 20) / 4 + 16]);
	EXPECT_EQ(0x3ad, buf[(1 << 20) / 4 + 32]);

	/* Argument checks, with Xe's errno */
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid + 1, 4096,
				      DRM_XE_MEM_RANGE_ATTR_PAT, 3));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid, 0,
				      DRM_XE_MEM_RANGE_ATTR_PAT, 3));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid, 4096, 3, 0));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid, 4096,
				      DRM_XE_MEM_RANGE_ATTR_PAT, 17));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid, 4096,
				      DRM_XE_MEM_RANGE_ATTR_ATOMIC, 4));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, self->vm, mid, 4096,
				      DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC, -2));
	EXPECT_EQ(-EINVAL, xe_madvise(self->fd, 0xdead, mid, 4096,
				      DRM_XE_MEM_RANGE_ATTR_PAT, 3));
	{
		struct drm_xe_vm_query_mem_range_attr q = {
			.vm_id = self->vm, .start = mid - 4096,
			.range = (1 << 20) + 8192, .num_mem_ranges = 2,
			.sizeof_mem_range_attr = sizeof(a[0]),
			.vector_of_mem_attr = (uintptr_t)a,
		};

		EXPECT_EQ(-ENOSPC, xe_ioctl(self->fd,
					    DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
		q.sizeof_mem_range_attr = 8;
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd,
					    DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
		q.num_mem_ranges = 0;
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd,
					    DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	}
	munmap(buf, size);
	free(batch);
}

/* Does vxe's debugfs svm file have a line containing @text? */
static int svm_debugfs_has(int fd, const char *text)
{
	FILE *f = debugfs_open(fd, "svm");
	char line[160];
	int found = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, text))
			found = 1;
	fclose(f);
	return found;
}

/* The most notifiers a VM with @mib MiB notifiers has, per debugfs, or -1 */
static int svm_notifiers(int fd, unsigned int mib)
{
	FILE *f = debugfs_open(fd, "svm");
	unsigned int n, size;
	char line[160];
	int most = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " notifiers %u of %u MiB", &n, &size) == 2 &&
		    size == mib && (int)n > most)
			most = n;
	fclose(f);
	return most;
}

#define NOTIFIER_PARAM	"/sys/module/vxe/parameters/svm_notifier_size"

/*
 * vxe's svm_notifier_size module parameter (as Xe's, in MiB) applies to
 * VMs created after it is set: with 2 MiB notifiers, two GPU accesses 2M
 * apart make two notifiers.
 */
TEST_F(svm, notifier_size_param)
{
	const size_t size = 8 << 20;
	uint32_t *batch = malloc(4096), *b;
	char old[16] = "";
	FILE *f = fopen(NOTIFIER_PARAM, "r+");
	int vm, q;
	char *buf;

	if (!f)
		SKIP(return, "no " NOTIFIER_PARAM " (not vxe)");
	ASSERT_NE(NULL, fgets(old, sizeof(old), f));
	fclose(f);
	ASSERT_NE(NULL, batch);

	f = fopen(NOTIFIER_PARAM, "w");
	ASSERT_NE(NULL, f);
	fputs("2", f);
	fclose(f);
	vm = xe_vm_create_fault(self->fd);
	f = fopen(NOTIFIER_PARAM, "w");
	ASSERT_NE(NULL, f);
	fputs(old, f);
	fclose(f);
	ASSERT_LT(0, vm);
	ASSERT_EQ(0, xe_mirror(self->fd, vm, 0, MIRROR_RANGE));
	q = xe_queue_create(self->fd, vm, self->eng[0].engine_class,
			    self->eng[0].engine_instance);
	ASSERT_LT(0, q);

	buf = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	/* 2M-aligned inside the mapping, then 2M further */
	buf = (char *)(((uintptr_t)buf + (2 << 20) - 1) & ~((2ul << 20) - 1));
	b = xe_emit_store(batch, (uintptr_t)buf, 1);
	b = xe_emit_store(b, (uintptr_t)buf + (2 << 20), 2);
	xe_emit_end(b);
	ASSERT_EQ(0, run_batch(self->fd, q, self->ufence, batch));
	EXPECT_EQ(1, *(uint32_t *)buf);
	EXPECT_EQ(2, *(uint32_t *)(buf + (2 << 20)));
	/* the two buffers are in two 2M windows (batch and fence maybe more) */
	EXPECT_LE(2, svm_notifiers(self->fd, 2));
	EXPECT_EQ(1, svm_debugfs_has(self->fd, "of 512 MiB"));

	xe_queue_destroy(self->fd, q);
	xe_vm_destroy(self->fd, vm);
	free(batch);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fprintf(f, "%ld\n", v);
		fclose(f);
	}
}

#define NR_HUGEPAGES	"/proc/sys/vm/nr_hugepages"

/*
 * hugetlb memory (MAP_HUGETLB, 2M pages) is mirrored like any other: the
 * GPU writes a pattern on every 4K page, the CPU checks it.  Reserves two
 * huge pages when it may (root), and gives them back.
 */
TEST_F(svm, hugetlb_memory)
{
	const size_t size = 2 << 20;
	uint32_t *data, *batch = malloc(4 * 512 * 4 + 4), *b;
	long old = read_long(NR_HUGEPAGES);
	unsigned int i;

	ASSERT_NE(NULL, batch);
	data = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (data == MAP_FAILED && old >= 0) {
		write_long(NR_HUGEPAGES, old + 2);
		data = mmap(NULL, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	}
	if (data == MAP_FAILED) {
		if (old >= 0)
			write_long(NR_HUGEPAGES, old);
		SKIP(return, "no 2M huge page (hugetlbfs, nr_hugepages)");
	}

	TH_LOG("seed %#x", SEED);
	b = batch;
	for (i = 0; i < 512; i++)
		b = xe_emit_store(b, (uintptr_t)&data[i * 1024], pattern(SEED, i));
	xe_emit_end(b);
	ASSERT_EQ(0, run(0, batch));
	for (i = 0; i < 512; i++) {
		ASSERT_EQ(pattern(SEED, i), data[i * 1024])
			TH_LOG("page %u", i);
	}
	munmap(data, size);
	if (old >= 0)
		write_long(NR_HUGEPAGES, old);
	free(batch);
}

/* Map a new GEM BO of @size (system memory) for the CPU: its address or NULL */
static void *map_bo(int fd, uint64_t size, uint32_t *handle)
{
	struct drm_xe_gem_create c = {
		.size = size, .placement = 1,
		.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB,
	};
	struct drm_xe_gem_mmap_offset o = { 0 };
	void *p;

	if (xe_ioctl(fd, DRM_IOCTL_XE_GEM_CREATE, &c))
		return NULL;
	*handle = c.handle;
	o.handle = c.handle;
	if (xe_ioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o))
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, o.offset);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * The GPU writes where the process cannot give it writable pages: a
 * read-only mapping, a PROT_NONE one, the vDSO, and the CPU mapping of a
 * GEM BO (VM_IO | VM_PFNMAP: no struct pages for HMM).  Each fault is
 * refused (the queue banned, its fence never written, nothing changed,
 * no kernel warning), and a new queue works afterwards.
 */
TEST_F(svm, gpu_writes_where_it_may_not)
{
	uint32_t *ro, *none, *bo, *batch = malloc(4096), handle = 0;
	const void *vdso = (const void *)getauxval(AT_SYSINFO_EHDR);
	struct {
		const char *what;
		uint64_t addr;
	} bad[4];
	int i, err, q;

	ASSERT_NE(NULL, batch);
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_NE(MAP_FAILED, none);
	bo = map_bo(self->fd, 4096, &handle);
	ASSERT_NE(NULL, bo);
	bo[16] = 0x1234;
	bad[0].what = "a read-only mapping";
	bad[0].addr = (uintptr_t)ro;
	bad[1].what = "a PROT_NONE mapping";
	bad[1].addr = (uintptr_t)none;
	bad[2].what = "the CPU mapping of a GEM BO";
	bad[2].addr = (uintptr_t)&bo[16];
	bad[3].what = "the vDSO";
	bad[3].addr = (uintptr_t)vdso;

	for (i = 0; i < 4; i++) {
		if (!bad[i].addr)
			continue;
		q = xe_queue_create(self->fd, self->vm, self->eng[0].engine_class,
				    self->eng[0].engine_instance);
		ASSERT_LT(0, q);
		xe_emit_end(xe_emit_store(batch, bad[i].addr, 0xbad));
		err = run_batch(self->fd, q, self->ufence, batch);
		EXPECT_TRUE(err == -EIO || err == -ETIME)
			TH_LOG("%s: wait %d", bad[i].what, err);
		EXPECT_EQ(0, *self->ufence) TH_LOG("%s", bad[i].what);
		xe_queue_destroy(self->fd, q);
	}
	EXPECT_EQ(0, ro[0]);
	EXPECT_EQ(0x1234, bo[16]);

	/* A good batch on a new queue still runs */
	q = xe_queue_create(self->fd, self->vm, self->eng[0].engine_class,
			    self->eng[0].engine_instance);
	ASSERT_LT(0, q);
	xe_emit_end(xe_emit_store(batch, (uintptr_t)&batch[512], 0x600d));
	EXPECT_EQ(0, run_batch(self->fd, q, self->ufence, batch));
	EXPECT_EQ(0x600d, batch[512]);
	xe_queue_destroy(self->fd, q);
	munmap(bo, 4096);
	{
		struct drm_gem_close c = { .handle = handle };

		ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &c);
	}
	munmap(ro, 4096);
	munmap(none, 4096);
	free(batch);
}

TEST_HARNESS_MAIN
