// SPDX-License-Identifier: GPL-2.0
/*
 * One process, two GPUs: the CPU and both vxe devices (vxe.num_devices=2,
 * joined by the fast interconnect, vxe.fast_interconnect) read and write the
 * same pages while they move between system memory and both VRAMs, every
 * dword checked; a GPU maps its peer's VRAM where it is; MADVISE names the
 * peer's VRAM as preferred location.  The data pattern's seed is fixed and
 * printed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "xe_open.h"
#include "xe_svm.h"

#define MIRROR_RANGE	0x800000000000ull
#define SEED		0x6d677075u	/* "mgpu" */
#define PAGES		16
#define SIZE		(PAGES * 4096)
#define DWORDS		(SIZE / 4)
/* A batch: a command of at most 5 dwords per data dword, and the end */
#define BATCH_SIZE	(DWORDS * 5 * 4 + 4096)
/* The VRAM region instance of a vxe device (and of Xe's tile 0) */
#define VRAM_REGION	1

enum where { SYS, VRAM0, VRAM1 };

/* MADVISE a preferred location on [@addr, @addr + @size) */
static int madvise_loc(int fd, uint32_t vm, void *addr, uint64_t size,
		       int devmem_fd, uint32_t region)
{
	return xe_madvise_loc(fd, vm, (uintptr_t)addr, size, devmem_fd, region);
}

/* Both devices: their files, VMs and queues, and the buffers of a test */
struct gpus {
	int fd[2];
	int vm[2];
	int q[2];
	uint32_t *batch;
	uint64_t *ufence;
	uint32_t *data;
	uint32_t *copy;
};

FIXTURE(mgpu)
{
	struct gpus g;
};

FIXTURE_SETUP(mgpu)
{
	struct gpus *s = &self->g;
	struct drm_xe_engine_class_instance eng;
	int i, fds[2];

	s->fd[0] = -1;
	s->fd[1] = -1;
	if (open_xe_cards(fds, 2) < 2)
		SKIP(return, "needs two xe devices (vxe.num_devices=2)");
	for (i = 0; i < 2; i++) {
		s->fd[i] = fds[i];
		if (!has_vram(fds[i]))
			SKIP(return, "device %d has no VRAM", i);
		s->vm[i] = xe_vm_create_fault(fds[i]);
		ASSERT_LT(0, s->vm[i]);
		ASSERT_EQ(0, xe_mirror(fds[i], s->vm[i], 0, MIRROR_RANGE));
		ASSERT_EQ(1, query_engines(fds[i], &eng, 1));
		s->q[i] = xe_queue_create(fds[i], s->vm[i], eng.engine_class,
					  eng.engine_instance);
		ASSERT_LT(0, s->q[i]);
	}
	s->batch = mmap(NULL, BATCH_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	s->ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	s->data = aligned_alloc(SIZE, SIZE);
	s->copy = aligned_alloc(SIZE, SIZE);
	ASSERT_NE(MAP_FAILED, s->batch);
	ASSERT_NE(MAP_FAILED, s->ufence);
	ASSERT_NE(NULL, s->data);
	ASSERT_NE(NULL, s->copy);
	memset(s->data, 0, SIZE);
	memset(s->copy, 0, SIZE);
	TH_LOG("data pattern seed %#x", SEED);
}

FIXTURE_TEARDOWN(mgpu)
{
	struct gpus *s = &self->g;
	int i;

	for (i = 0; i < 2; i++)
		if (s->fd[i] >= 0)
			close(s->fd[i]);
}

/* Run the batch on GPU @g and wait for it: 0 or -errno */
static int run(struct gpus *s, int g)
{
	int err;

	*s->ufence = 0;
	err = xe_exec(s->fd[g], s->q[g], s->batch, s->ufence);
	return err ? err : xe_wait_ufence(s->fd[g], s->q[g], s->ufence,
					  XE_WAIT_NS);
}

/* GPU @g writes dword i of the data as pattern(@seed, i) */
static int gpu_write(struct gpus *s, int g, uint32_t seed)
{
	uint32_t *b = s->batch;
	int i;

	for (i = 0; i < DWORDS; i++)
		b = xe_emit_store(b, (uintptr_t)&s->data[i], pattern(seed, i));
	xe_emit_end(b);
	return run(s, g);
}

/* GPU @g copies the data, dword by dword, into the copy buffer */
static int gpu_copy(struct gpus *s, int g)
{
	uint32_t *b = s->batch;
	int i;

	for (i = 0; i < DWORDS; i++)
		b = xe_emit_copy(b, (uintptr_t)&s->copy[i],
				 (uintptr_t)&s->data[i]);
	xe_emit_end(b);
	return run(s, g);
}

/* The first dword of @buf that is not pattern(@seed, i), or -1 */
static int first_bad(const uint32_t *buf, uint32_t seed)
{
	int i;

	for (i = 0; i < DWORDS; i++)
		if (buf[i] != pattern(seed, i))
			return i;
	return -1;
}

/*
 * Put the data where @w says, through GPU 0's VM: prefetch to system
 * memory, or a preferred location on either device's VRAM (its own, or its
 * peer's, named by the peer's fd) and a prefetch that consults it.
 */
static int place(struct gpus *s, enum where w)
{
	int err;

	if (w == SYS)
		return xe_bind(s->fd[0], s->vm[0], DRM_XE_VM_BIND_OP_PREFETCH,
			       0, (uintptr_t)s->data, SIZE, 0);
	err = madvise_loc(s->fd[0], s->vm[0], s->data, SIZE,
			  s->fd[w == VRAM0 ? 0 : 1], VRAM_REGION);
	if (err)
		return err;
	return xe_bind(s->fd[0], s->vm[0], DRM_XE_VM_BIND_OP_PREFETCH, 0,
		       (uintptr_t)s->data, SIZE,
		       DRM_XE_CONSULT_MEM_ADVISE_PREF_LOC);
}

/*
 * Nine rounds: the data placed in system memory, GPU 0's VRAM or GPU 1's
 * VRAM (by GPU 0), then written by the CPU, GPU 0 or GPU 1 (every
 * combination once), copied by one GPU into a second buffer, and both
 * buffers checked dword by dword by the CPU.  A GPU that finds the data in
 * its peer's VRAM maps it there or pulls it into its own VRAM (a peer to
 * peer migration); the CPU's access brings it back to system memory.
 */
TEST_F(mgpu, cpu_and_two_gpus_share_pages)
{
	struct gpus *s = &self->g;
	static const char *const names[] = { "system memory", "VRAM 0", "VRAM 1" };
	static const char *const writers[] = { "CPU", "GPU 0", "GPU 1" };
	int r, i, bad;

	for (r = 0; r < 9; r++) {
		uint32_t seed = SEED + r;
		int writer = r / 3, reader = r % 2;

		ASSERT_EQ(0, place(s, r % 3))
			TH_LOG("round %d: placing in %s", r, names[r % 3]);
		if (r % 3 == VRAM1) {
			/* GPU 0 maps the data where it is, in its peer */
			EXPECT_EQ(1, svm_range_state(s->fd[0],
						     (uintptr_t)s->data,
						     "peer vram"));
		}
		if (writer == 0) {
			for (i = 0; i < DWORDS; i++)
				s->data[i] = pattern(seed, i);
		} else {
			ASSERT_EQ(0, gpu_write(s, writer - 1, seed))
				TH_LOG("round %d: %s writing", r, writers[writer]);
		}
		ASSERT_EQ(0, gpu_copy(s, reader))
			TH_LOG("round %d: GPU %d copying", r, reader);
		bad = first_bad(s->copy, seed);
		EXPECT_EQ(-1, bad)
			TH_LOG("round %d (%s, by %s, copied by GPU %d): copy dword %d is %#x",
			       r, names[r % 3], writers[writer], reader, bad,
			       s->copy[bad]);
		bad = first_bad(s->data, seed);
		EXPECT_EQ(-1, bad)
			TH_LOG("round %d (%s, written by %s): dword %d is %#x",
			       r, names[r % 3], writers[writer], bad,
			       s->data[bad]);
	}
}

/*
 * GPU 0 prefers GPU 1's VRAM: its faults put the data there (a new SVM
 * allocation of GPU 1) and map it in place; GPU 1 then finds its own pages.
 */
TEST_F(mgpu, preferred_location_on_the_peer)
{
	struct gpus *s = &self->g;
	long bos1 = vxe_objects(s->fd[1], "svm_bos");
	int bad;

	ASSERT_EQ(0, madvise_loc(s->fd[0], s->vm[0], s->data, SIZE,
				 s->fd[1], VRAM_REGION));
	ASSERT_EQ(0, gpu_write(s, 0, SEED));
	EXPECT_EQ(1, svm_range_state(s->fd[0], (uintptr_t)s->data,
				     "peer vram"));
	EXPECT_LT(bos1, vxe_objects(s->fd[1], "svm_bos"));
	ASSERT_EQ(0, gpu_copy(s, 1));
	EXPECT_EQ(1, svm_range_state(s->fd[1], (uintptr_t)s->data,
				     " vram"));
	bad = first_bad(s->copy, SEED);
	EXPECT_EQ(-1, bad) TH_LOG("copy dword %d is %#x", bad, s->copy[bad]);
	bad = first_bad(s->data, SEED);
	EXPECT_EQ(-1, bad) TH_LOG("dword %d is %#x", bad, s->data[bad]);
}

/* vxe.fast_interconnect: 1 (Y), 0 (N), or -1 (not vxe) */
static int interconnect_on(void)
{
	FILE *f = fopen("/sys/module/vxe/parameters/fast_interconnect", "r");
	int c;

	if (!f)
		return -1;
	c = fgetc(f);
	fclose(f);
	return c == 'Y';
}

/*
 * MADVISE's errors for a preferred location on a device, as Xe's: a
 * region that is not the device's VRAM and a file that is not an Xe
 * device's are -ENOENT, a closed fd too; with the interconnect off, the
 * peer's VRAM is out of reach: -ENOLINK (its own VRAM is fine).
 */
TEST_F(mgpu, preferred_location_errors)
{
	struct gpus *s = &self->g;
	int null_fd = open("/dev/null", O_RDWR);
	int ic = interconnect_on();

	ASSERT_LE(0, null_fd);
	EXPECT_EQ(-ENOENT, madvise_loc(s->fd[0], s->vm[0], s->data,
				       SIZE, s->fd[1], 2));
	EXPECT_EQ(-ENOENT, madvise_loc(s->fd[0], s->vm[0], s->data,
				       SIZE, s->fd[1], 0));
	EXPECT_EQ(-ENOENT, madvise_loc(s->fd[0], s->vm[0], s->data,
				       SIZE, null_fd, VRAM_REGION));
	close(null_fd);
	EXPECT_EQ(-ENOENT, madvise_loc(s->fd[0], s->vm[0], s->data,
				       SIZE, null_fd, VRAM_REGION));
	EXPECT_EQ(0, madvise_loc(s->fd[0], s->vm[0], s->data, SIZE,
				 s->fd[0], VRAM_REGION));
	EXPECT_EQ(ic ? 0 : -ENOLINK,
		  madvise_loc(s->fd[0], s->vm[0], s->data, SIZE,
			      s->fd[1], VRAM_REGION));
}

/* The platform device (vxe.N) of the DRM node  into : 0 or -errno */
static int platform_name(int fd, char *name, size_t size)
{
	char path[64], link[256], *base;
	int len;
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st))
		return -errno;
	snprintf(path, sizeof(path), "/sys/dev/char/%u:%u/device",
		 major(st.st_rdev), minor(st.st_rdev));
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -errno;
	link[n] = 0;
	base = strrchr(link, '/');
	base = base ? base + 1 : link;
	len = strlen(base);
	if ((size_t)len >= size)
		return -ENAMETOOLONG;
	memcpy(name, base, len + 1);
	return 0;
}

#define VXE_DRIVER	"/sys/bus/platform/drivers/vxe"

/*
 * GPU 1 goes (unbound) while GPU 0 maps the data in its VRAM: the unbind
 * migrates the data back to system memory, GPU 0's mappings of it are
 * invalidated, and the process keeps every dword; GPU 0 writes it again;
 * a preferred location on the gone device is -ENODEV.  Then GPU 1 comes
 * back.
 */
TEST_F(mgpu, peer_unbound_while_mapped)
{
	struct gpus *s = &self->g;
	char name[64];
	int bad;

	ASSERT_EQ(0, platform_name(s->fd[1], name, sizeof(name)));
	if (vxe_param("num_devices") < 0 || access(VXE_DRIVER "/unbind", W_OK))
		SKIP(return, "vxe is not bound through %s", VXE_DRIVER);
	ASSERT_EQ(0, madvise_loc(s->fd[0], s->vm[0], s->data, SIZE,
				 s->fd[1], VRAM_REGION));
	ASSERT_EQ(0, gpu_write(s, 0, SEED));
	ASSERT_EQ(1, svm_range_state(s->fd[0], (uintptr_t)s->data,
				     "peer vram"));

	ASSERT_EQ(0, sysfs_write(VXE_DRIVER "/unbind", name)) TH_LOG("unbind %s", name);
	EXPECT_EQ(0, svm_range_state(s->fd[0], (uintptr_t)s->data,
				     "peer vram"));
	bad = first_bad(s->data, SEED);
	EXPECT_EQ(-1, bad) TH_LOG("after the unbind, dword %d is %#x", bad,
				  s->data[bad]);
	EXPECT_EQ(-ENODEV, madvise_loc(s->fd[0], s->vm[0], s->data,
				       SIZE, s->fd[1], VRAM_REGION));
	/* GPU 0 still prefers the gone device: its data stays in system memory */
	EXPECT_EQ(0, gpu_write(s, 0, SEED + 1));
	bad = first_bad(s->data, SEED + 1);
	EXPECT_EQ(-1, bad) TH_LOG("dword %d is %#x", bad, s->data[bad]);

	close(s->fd[1]);
	s->fd[1] = -1;
	ASSERT_EQ(0, sysfs_write(VXE_DRIVER "/bind", name)) TH_LOG("bind %s", name);
}

TEST_HARNESS_MAIN
