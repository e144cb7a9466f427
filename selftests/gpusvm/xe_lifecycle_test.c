// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes: a process that exits, or closes its file, with live mirror
 * bindings, data in VRAM and a job still running; then vxe's debugfs
 * counters (file objects) must come back to zero: no VM, exec queue,
 * job, BO, SVM range or notifier left, no VRAM in use.  Last, the device
 * goes away (its platform devices unbound) under a process whose memory is
 * in its VRAM, with a job in flight: the data comes back to system memory
 * intact, vxe as a module unloads once the last reference is gone (not
 * before: the memory holds it), and the device comes back.  The cases that
 * need vxe's debugfs skip on other Xe devices.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "xe_open.h"
#include "xe_svm.h"

#define SEED		0x11fe5eedu
#define MIRROR_RANGE	0x800000000000ull
#define DATA_SIZE	(4ul << 20)
#define MARK		0x5a000000u
/* A store per page of the data, and the end */
#define BATCH_SIZE	((DATA_SIZE / 4096 * 4 + 4096) * 4)

static const char *const counters[] = {
	"vms", "exec_queues", "jobs", "bos", "svm_bos", "svm_ranges",
	"vram_used", "svm_notifiers", "userptrs",
};

/*
 * Wait (20 s at most) until every counter of vxe's objects file is zero:
 * NULL, or the name of one that is not (its value in *@left).
 */
static const char *wait_objects_gone(int fd, long *left)
{
	unsigned int i, tries;

	for (tries = 0; tries < 200; tries++) {
		for (i = 0; i < ARRAY_SIZE(counters); i++) {
			*left = vxe_objects(fd, counters[i]);
			if (*left)
				break;
		}
		if (i == ARRAY_SIZE(counters))
			return NULL;
		usleep(100 * 1000);
	}
	return counters[i];
}

/* What one process sets up: a mirror, data the GPU wrote, a job waiting */
struct client {
	int fd;
	int vm;
	int q;
	uint32_t *data;
	uint32_t *batch;
	uint32_t *gate;		/* private: nobody opens it */
	uint64_t *ufence;
};

/*
 * Open the device, mirror the process, write DATA_SIZE of pattern, let
 * the GPU mark every page (the data goes to VRAM when there is some:
 * prefetch), and leave a job waiting on a gate that stays shut.
 */
static int client_start(struct client *c)
{
	const unsigned int pages = DATA_SIZE / 4096;
	struct drm_xe_engine_class_instance eng;
	uint32_t *b;
	unsigned int i;
	int err;

	c->fd = xe_open_card();
	if (c->fd < 0)
		return -ENODEV;
	c->vm = xe_vm_create_fault(c->fd);
	if (c->vm < 0)
		return c->vm;
	err = xe_mirror(c->fd, c->vm, 0, MIRROR_RANGE);
	if (err)
		return err;
	if (query_engines(c->fd, &eng, 1) != 1)
		return -EIO;
	c->q = xe_queue_create(c->fd, c->vm, eng.engine_class,
			       eng.engine_instance);
	if (c->q < 0)
		return c->q;

	c->data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->batch = mmap(NULL, BATCH_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->gate = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	c->ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (c->data == MAP_FAILED || c->batch == MAP_FAILED ||
	    c->gate == MAP_FAILED || c->ufence == MAP_FAILED)
		return -ENOMEM;
	for (i = 0; i < DATA_SIZE / 4; i++)
		c->data[i] = pattern(SEED, i);
	*c->gate = 0;
	if (has_vram(c->fd)) {
		err = xe_bind(c->fd, c->vm, DRM_XE_VM_BIND_OP_PREFETCH, 0,
			      (uintptr_t)c->data, DATA_SIZE, 1);
		if (err)
			return err;
	}
	b = c->batch;
	for (i = 0; i < pages; i++)
		b = xe_emit_store(b, (uintptr_t)&c->data[i * 1024], MARK + i);
	xe_emit_end(b);
	*c->ufence = 0;
	err = xe_exec(c->fd, c->q, c->batch, c->ufence);
	if (!err)
		err = xe_wait_ufence(c->fd, c->q, c->ufence, XE_WAIT_NS);
	if (err)
		return err;

	/* The job that never ends: it waits for *gate == 1 */
	xe_emit_end(xe_emit_wait_eq(c->batch, (uintptr_t)c->gate, 1));
	*c->ufence = 0;
	return xe_exec(c->fd, c->q, c->batch, c->ufence);
}

/*
 * Unmap what the client mapped: memory of the process that went to VRAM
 * (the data, and the batch and gate the GPU read) holds VRAM until then.
 */
static void client_unmap(struct client *c)
{
	munmap(c->data, DATA_SIZE);
	munmap(c->batch, BATCH_SIZE);
	munmap(c->gate, 4096);
	munmap(c->ufence, 4096);
}

/* The dwords of the client's data that are not what the GPU left */
static unsigned long client_bad(const struct client *c)
{
	unsigned long bad = 0;
	size_t i;

	for (i = 0; i < DATA_SIZE / 4; i++)
		bad += c->data[i] != (i % 1024 ? pattern(SEED, i) : MARK + i / 1024);
	return bad;
}

/*
 * The vxe device to watch: an fd of the first "xe" card with vxe's
 * debugfs objects file, or -1 with the reason in *@why
 */
static int open_vxe(const char **why)
{
	int fd = xe_open_card();

	*why = "no DRM device driven by \"xe\"";
	if (fd < 0)
		return -1;
	if (vxe_objects(fd, "vms") < 0) {
		close(fd);
		*why = "no vxe debugfs objects file (not vxe)";
		return -1;
	}
	return fd;
}

/*
 * Run @child in a child process, which exits without cleaning up (the
 * exit unmaps and closes): it must return 0, and the device on @fd must
 * then hold nothing of it.
 */
static void exit_and_check_empty(struct __test_metadata *_metadata, int fd,
				 int (*child)(void))
{
	const char *left;
	int status;
	pid_t pid;
	long n;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(child());
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	left = wait_objects_gone(fd, &n);
	EXPECT_EQ(NULL, left) TH_LOG("%s: %ld left", left, n);
}

/* The child of exit_with_job_in_flight: a client with its job waiting */
static int job_client(void)
{
	struct client c;
	int err = client_start(&c);

	if (err)
		fprintf(stderr, "client: %s\n", strerror(-err));
	return !!err;
}

/*
 * A process exits with its mirror bound, its data in VRAM and a job
 * waiting: its address space goes first (the job's next access fails),
 * then its file; everything it had is freed.
 */
TEST(exit_with_job_in_flight)
{
	const char *why;
	int fd;

	fd = open_vxe(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	TH_LOG("seed %#x", SEED);
	exit_and_check_empty(_metadata, fd, job_client);
	close(fd);
}

#define UP_ADDR		0x1c0000000ull	/* where the userptrs go */

/* A userptr of [cpu, cpu + size) at GPU address UP_ADDR */
static int bind_userptr(int fd, int vm, void *cpu, uint64_t size)
{
	struct drm_xe_vm_bind b = {
		.vm_id = vm, .num_binds = 1,
		.bind = { .op = DRM_XE_VM_BIND_OP_MAP_USERPTR,
			  .obj_offset = (uintptr_t)cpu, .addr = UP_ADDR,
			  .range = size, .pat_index = 2 },
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_VM_BIND, &b);
}

/*
 * The child of exit_with_userptrs_bound: a userptr in a fault-mode VM
 * and one in a VM with dma-fence jobs, a job through each, then a job in
 * each that waits for a gate nobody opens; exits without cleaning up.
 */
static int userptr_client(void)
{
	struct drm_syncobj_create sc = { 0 };
	struct drm_syncobj_wait w = { .count_handles = 1,
				      .timeout_nsec = INT64_MAX };
	struct drm_xe_sync sync = { .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				    .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_exec e = { .num_batch_buffer = 1, .address = UP_ADDR,
				 .num_syncs = 1, .syncs = (uintptr_t)&sync };
	struct drm_xe_vm_create plain = { 0 };
	uint32_t *up, *batch = malloc(4096);
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int fd = xe_open_card(), vm, q, pq;

	up = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || !batch || up == MAP_FAILED || ufence == MAP_FAILED)
		return 1;
	vm = xe_vm_create_fault(fd);
	if (vm < 0 || xe_mirror(fd, vm, 0, MIRROR_RANGE) ||
	    bind_userptr(fd, vm, up, 65536))
		return 2;
	q = xe_queue_create(fd, vm, DRM_XE_ENGINE_CLASS_RENDER, 0);
	if (q < 0)
		return 3;
	xe_emit_end(xe_emit_store(batch, UP_ADDR + 4, MARK));
	*ufence = 0;
	if (xe_exec(fd, q, batch, ufence) ||
	    xe_wait_ufence(fd, q, ufence, XE_WAIT_NS) || up[1] != MARK)
		return 4;

	/* The dma-fence VM: its batch lives in the userptr */
	if (xe_ioctl(fd, DRM_IOCTL_XE_VM_CREATE, &plain) ||
	    bind_userptr(fd, plain.vm_id, up, 65536))
		return 5;
	pq = xe_queue_create(fd, plain.vm_id, DRM_XE_ENGINE_CLASS_COPY, 0);
	if (pq < 0 || xe_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &sc))
		return 6;
	xe_emit_end(xe_emit_store(&up[2048], UP_ADDR + 8, MARK + 1));
	sync.handle = sc.handle;
	e.exec_queue_id = pq;
	e.address = UP_ADDR + 8192;
	w.handles = (uintptr_t)&sc.handle;
	if (xe_ioctl(fd, DRM_IOCTL_XE_EXEC, &e) ||
	    xe_ioctl(fd, DRM_IOCTL_SYNCOBJ_WAIT, &w) || up[2] != MARK + 1)
		return 7;

	/* Jobs that never end: each waits for up[100] == 1 */
	up[100] = 0;
	xe_emit_end(xe_emit_wait_eq(batch, UP_ADDR + 400, 1));
	xe_emit_end(xe_emit_wait_eq(&up[2048], UP_ADDR + 400, 1));
	*ufence = 0;
	if (xe_exec(fd, q, batch, ufence) || xe_ioctl(fd, DRM_IOCTL_XE_EXEC, &e))
		return 8;
	return 0;
}

/*
 * A process exits with userptrs bound and a job waiting in each VM.  The
 * exit's invalidation of the userptr in the dma-fence VM waits for that
 * job (as Xe's does) until its 5 s time-out, then takes the pages, and
 * the job fails on its next access; the file's close releases the rest.
 * Every userptr is freed.
 */
TEST(exit_with_userptrs_bound)
{
	const char *why;
	int fd;

	fd = open_vxe(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	exit_and_check_empty(_metadata, fd, userptr_client);
	close(fd);
}

/*
 * A process closes its file with a job waiting: the job is cancelled,
 * the VM and queue go; the data the GPU left in VRAM stays the
 * process's (read back right, from VRAM of a file now closed), and once
 * it is unmapped nothing of it remains.
 */
TEST(close_with_job_in_flight)
{
	const char *why;
	struct client c;
	const char *left;
	int fd;
	long n;

	fd = open_vxe(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	TH_LOG("seed %#x", SEED);
	ASSERT_EQ(0, client_start(&c));
	TH_LOG("VRAM in use before the close: %ld bytes",
	       vxe_objects(fd, "vram_used"));
	ASSERT_EQ(0, close(c.fd));
	EXPECT_EQ(0, client_bad(&c));
	client_unmap(&c);
	left = wait_objects_gone(fd, &n);
	EXPECT_EQ(NULL, left) TH_LOG("%s: %ld left", left, n);
	close(fd);
}

/*
 * Many short-lived processes, each with a job in flight at its exit,
 * four at a time: nothing accumulates.
 */
TEST(many_exits_with_jobs_in_flight)
{
	const char *why;
	const int procs = 16, batch = 4;
	const char *left;
	int fd, i, j, status;
	long n;

	fd = open_vxe(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	for (i = 0; i < procs; i += batch) {
		pid_t pid[4];

		for (j = 0; j < batch; j++) {
			pid[j] = fork();
			ASSERT_LE(0, pid[j]);
			if (!pid[j]) {
				struct client c;

				_exit(client_start(&c) ? 1 : 0);
			}
		}
		for (j = 0; j < batch; j++) {
			ASSERT_EQ(pid[j], waitpid(pid[j], &status, 0));
			ASSERT_TRUE(WIFEXITED(status));
			EXPECT_EQ(0, WEXITSTATUS(status));
		}
	}
	left = wait_objects_gone(fd, &n);
	EXPECT_EQ(NULL, left) TH_LOG("%s: %ld left", left, n);
	close(fd);
}

#define VXE_DRIVER	"/sys/bus/platform/drivers/vxe"

/*
 * The name of the vxe module: "vxe", or $VXE_MODULE (ci/selftests.sh
 * loads a copy named vxe_ko beside the built-in vxe)
 */
static const char *vxe_module(void)
{
	const char *name = getenv("VXE_MODULE");

	return name ? name : "vxe";
}

/* vxe is a loadable module (not built in): /sys/module/NAME/initstate */
static int vxe_modular(void)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/%s/initstate", vxe_module());
	return !access(path, F_OK);
}

/* Unload vxe without waiting: 0 or -errno (-EWOULDBLOCK while in use) */
static int vxe_unload(void)
{
	return syscall(SYS_delete_module, vxe_module(), O_NONBLOCK) ? -errno : 0;
}

/*
 * Unload vxe once nothing holds it any more: the last reference of a
 * pagemap goes in a worker, shortly after its last page.  0 or -errno.
 */
static int vxe_unload_wait(void)
{
	int err, i;

	for (i = 0; i < 100; i++) {
		err = vxe_unload();
		if (err != -EWOULDBLOCK)
			break;
		usleep(100 * 1000);
	}
	return err;
}

/*
 * Load vxe again, with module parameters @params ("" for the defaults):
 * from the file $VXE_KO names (a guest without the module installed, as
 * ci/selftests.sh runs it), else with modprobe.
 */
static int vxe_load_params(const char *params)
{
	const char *ko = getenv("VXE_KO");
	char cmd[160];
	int fd, ret;

	if (!ko) {
		snprintf(cmd, sizeof(cmd), "modprobe %s %s", vxe_module(), params);
		return system(cmd) ? -EIO : 0;
	}
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
	close(fd);
	return ret;
}

static int vxe_load(void)
{
	return vxe_load_params("");
}

/* Unbind every vxe platform device; their names into @names: how many */
static int unbind_all(char names[][32], int max)
{
	DIR *d = opendir(VXE_DRIVER);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)) && n < max)
		if (!strncmp(e->d_name, "vxe.", 4))
			snprintf(names[n++], 32, "%.31s", e->d_name);
	closedir(d);
	for (int i = 0; i < n; i++) {
		int err = sysfs_write(VXE_DRIVER "/unbind", names[i]);

		if (err)
			return err;
	}
	return n;
}

/* The first "xe" card must come to hold nothing (its objects file) */
static void expect_device_empty(struct __test_metadata *_metadata)
{
	const char *left;
	long left_n;
	int fd = xe_open_card();

	ASSERT_LE(0, fd);
	left = wait_objects_gone(fd, &left_n);
	EXPECT_EQ(NULL, left) TH_LOG("%s: %ld left", left, left_n);
	close(fd);
}

/* Bind the unbound devices again, or load the module again */
static void device_back(struct __test_metadata *_metadata, char names[][32],
			int n)
{
	if (vxe_modular()) {
		ASSERT_EQ(0, vxe_unload_wait());
		ASSERT_EQ(0, vxe_load());
		return;
	}
	for (int i = 0; i < n; i++)
		ASSERT_EQ(0, sysfs_write(VXE_DRIVER "/bind", names[i]));
}

/*
 * The device goes away while a process's data is in its VRAM (the file
 * closed, the memory still mapped).  As upstream's drm_pagemap, the memory
 * holds the DRM device and its driver's module while data is in it: vxe
 * as a module cannot be unloaded yet (EWOULDBLOCK).  Unbinding the device
 * (the same remove path vxe built in takes) migrates the data back to
 * system memory, intact; then the module unloads, the device comes back,
 * runs a job, and is left with nothing once that process is done.
 */
TEST(device_removal_with_data_in_vram)
{
	char names[8][32];
	struct client c;
	int fd, n;

	fd = xe_open_card();
	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	if (vxe_param("vram_size") < 0 || getuid()) {
		close(fd);
		SKIP(return, "not vxe, or not root");
	}
	close(fd);
	TH_LOG("seed %#x; vxe %s", SEED, vxe_modular() ? "module" : "built in");
	ASSERT_EQ(0, client_start(&c));
	ASSERT_EQ(0, close(c.fd));

	if (vxe_modular())
		EXPECT_EQ(-EWOULDBLOCK, vxe_unload());
	n = unbind_all(names, 8);
	ASSERT_LT(0, n) TH_LOG("unbind: %s", strerror(-n));
	EXPECT_EQ(-1, xe_open_card());
	EXPECT_EQ(0, client_bad(&c));
	device_back(_metadata, names, n);

	/* Back: the same flow works on the new device */
	client_unmap(&c);
	ASSERT_EQ(0, client_start(&c));
	*c.gate = 1;
	EXPECT_EQ(0, xe_wait_ufence(c.fd, c.q, c.ufence, XE_WAIT_NS));
	EXPECT_EQ(0, client_bad(&c));
	close(c.fd);
	client_unmap(&c);
	expect_device_empty(_metadata);
}

/*
 * The device goes away while a process still has its file open, a job
 * waiting in the engine and data in VRAM (hot unplug): the file's ioctls
 * fail with -ENODEV, the job still ends when its gate opens (the memory
 * it writes is the process's, back in system memory), the data reads back
 * right, and the last close frees the device: vxe as a module unloads.
 * Bound again (or loaded again), it starts with nothing.
 */
TEST(device_removal_with_file_open)
{
	struct drm_xe_device_query dq = { .query = DRM_XE_DEVICE_QUERY_CONFIG };
	char names[8][32];
	struct client c;
	int fd, n, i;

	fd = xe_open_card();
	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	close(fd);
	if (vxe_param("vram_size") < 0 || getuid())
		SKIP(return, "not vxe, or not root");
	TH_LOG("seed %#x; vxe %s", SEED, vxe_modular() ? "module" : "built in");
	ASSERT_EQ(0, client_start(&c));

	n = unbind_all(names, 8);
	ASSERT_LT(0, n) TH_LOG("unbind: %s", strerror(-n));
	EXPECT_EQ(-ENODEV, xe_ioctl(c.fd, DRM_IOCTL_XE_DEVICE_QUERY, &dq));
	EXPECT_EQ(-ENODEV, xe_exec(c.fd, c.q, c.batch, c.ufence));
	if (vxe_modular())
		EXPECT_EQ(-EWOULDBLOCK, vxe_unload());
	*c.gate = 1;
	for (i = 0; i < 600 &&
	     __atomic_load_n(c.ufence, __ATOMIC_ACQUIRE) != XE_UFENCE_VALUE; i++)
		usleep(100 * 1000);
	EXPECT_EQ(XE_UFENCE_VALUE, *c.ufence);
	EXPECT_EQ(0, client_bad(&c));
	EXPECT_EQ(0, close(c.fd));
	EXPECT_EQ(0, client_bad(&c));
	client_unmap(&c);
	device_back(_metadata, names, n);
	expect_device_empty(_metadata);
}

/*
 * vxe as a module: an open file, with a job waiting in the engine, keeps
 * it loaded (delete_module fails with EWOULDBLOCK, and the file still
 * works); once the process has exited, it unloads, its devices go, and
 * loaded again it starts with nothing.
 */
TEST(module_unload_after_exit)
{
	struct client c;
	pid_t pid;
	int status, fd;

	fd = xe_open_card();
	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	close(fd);
	if (vxe_param("vram_size") < 0 || getuid() || !vxe_modular())
		SKIP(return, "not vxe as a module, or not root");
	TH_LOG("seed %#x", SEED);

	/* A child with everything live waits until the parent has tried. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (client_start(&c))
			_exit(1);
		pause();
		_exit(0);
	}
	/* Its job started: the device holds one (it never ends by itself). */
	fd = xe_open_card();
	ASSERT_LE(0, fd);
	for (int i = 0; i < 600 && vxe_objects(fd, "jobs") < 1; i++)
		usleep(100 * 1000);
	ASSERT_EQ(1, vxe_objects(fd, "jobs"));
	EXPECT_EQ(-EWOULDBLOCK, vxe_unload());
	close(fd);
	EXPECT_EQ(-EWOULDBLOCK, vxe_unload());
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	/* The exit freed what the module's devices held: it unloads. */
	for (int i = 0; i < 200 && vxe_unload() == -EWOULDBLOCK; i++)
		usleep(100 * 1000);
	EXPECT_FALSE(vxe_modular());
	EXPECT_EQ(-1, xe_open_card());
	ASSERT_EQ(0, vxe_load());
	expect_device_empty(_metadata);
}

#define IC_DWORDS	4096
#define IC_SIZE		(IC_DWORDS * 4)
#define IC_BATCH	(IC_DWORDS * 5 * 4 + 4096)

/*
 * Without the fast interconnect (vxe.fast_interconnect=0), two devices: a
 * preferred location on the peer's VRAM is refused (-ENOLINK, as Xe
 * without a fast link), the device's own is not; what GPU 0 wrote into its
 * VRAM reaches GPU 1 through system memory, never mapped in GPU 0's VRAM,
 * every dword intact.  The module is loaded again with its defaults.
 */
TEST(interconnect_off)
{
	/* mmap'd: unmapped at the end, so that no page is left in VRAM */
	uint32_t *data = mmap(NULL, IC_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *copy = mmap(NULL, IC_SIZE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = mmap(NULL, IC_BATCH, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), *b;
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct drm_xe_engine_class_instance eng;
	int fd[2], vm[2], q[2], i, g;

	if (vxe_param("vram_size") < 0 || getuid() || !vxe_modular())
		SKIP(return, "not vxe as a module, or not root");
	ASSERT_NE(MAP_FAILED, data);
	ASSERT_NE(MAP_FAILED, copy);
	ASSERT_NE(MAP_FAILED, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	TH_LOG("seed %#x", SEED);
	ASSERT_EQ(0, vxe_unload_wait());
	ASSERT_EQ(0, vxe_load_params("num_devices=2 fast_interconnect=0"));
	ASSERT_EQ(2, open_xe_cards(fd, 2));
	for (g = 0; g < 2; g++) {
		vm[g] = xe_vm_create_fault(fd[g]);
		ASSERT_LT(0, vm[g]);
		ASSERT_EQ(0, xe_mirror(fd[g], vm[g], 0, MIRROR_RANGE));
		ASSERT_EQ(1, query_engines(fd[g], &eng, 1));
		q[g] = xe_queue_create(fd[g], vm[g], eng.engine_class,
				       eng.engine_instance);
		ASSERT_LT(0, q[g]);
	}

	EXPECT_EQ(-ENOLINK, xe_madvise_loc(fd[0], vm[0], (uintptr_t)data,
					   IC_SIZE, fd[1], 1));
	ASSERT_EQ(0, xe_madvise_loc(fd[0], vm[0], (uintptr_t)data,
				    IC_SIZE, fd[0], 1));
	b = batch;
	for (i = 0; i < IC_DWORDS; i++)
		b = xe_emit_store(b, (uintptr_t)&data[i], pattern(SEED, i));
	xe_emit_end(b);
	*ufence = 0;
	ASSERT_EQ(0, xe_exec(fd[0], q[0], batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(fd[0], q[0], ufence, XE_WAIT_NS));
	EXPECT_EQ(1, svm_range_state(fd[0], (uintptr_t)data, " vram"));

	b = batch;
	for (i = 0; i < IC_DWORDS; i++)
		b = xe_emit_copy(b, (uintptr_t)&copy[i], (uintptr_t)&data[i]);
	xe_emit_end(b);
	*ufence = 0;
	ASSERT_EQ(0, xe_exec(fd[1], q[1], batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(fd[1], q[1], ufence, XE_WAIT_NS));
	EXPECT_EQ(0, svm_range_state(fd[1], (uintptr_t)data, "peer vram"));
	for (i = 0; i < IC_DWORDS; i++)
		if (copy[i] != pattern(SEED, i) || data[i] != pattern(SEED, i))
			break;
	EXPECT_EQ(IC_DWORDS, i) TH_LOG("dword %d: %#x, copied %#x", i,
				       data[i], copy[i]);

	for (g = 0; g < 2; g++)
		close(fd[g]);
	munmap(data, IC_SIZE);
	munmap(copy, IC_SIZE);
	munmap(batch, IC_BATCH);
	munmap(ufence, 4096);
	ASSERT_EQ(0, vxe_unload_wait());
	ASSERT_EQ(0, vxe_load());
}

#define BIG_SIZE	(32ul << 20)

/*
 * Submit a job that writes a mark into every page of BIG_SIZE of fresh
 * memory (every 2M of it a GPU page fault, a migration to VRAM when the
 * device has some) in an LR fault-mode VM of @fd; *@data gets the memory.
 */
static int start_faulting_job(int fd, uint32_t **data, uint64_t **ufence)
{
	const unsigned int pages = BIG_SIZE / 4096;
	struct drm_xe_engine_class_instance eng;
	uint32_t *batch, *b;
	unsigned int i;
	int vm, q;

	vm = xe_vm_create_fault(fd);
	if (vm < 0)
		return vm;
	if (xe_mirror(fd, vm, 0, MIRROR_RANGE) || query_engines(fd, &eng, 1) != 1)
		return -EIO;
	q = xe_queue_create(fd, vm, eng.engine_class, eng.engine_instance);
	if (q < 0)
		return q;
	*data = mmap(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	batch = mmap(NULL, (pages * 4 + 1024) * 4, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	*ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (*data == MAP_FAILED || batch == MAP_FAILED || *ufence == MAP_FAILED)
		return -ENOMEM;
	b = batch;
	for (i = 0; i < pages; i++)
		b = xe_emit_store(b, (uintptr_t)&(*data)[i * 1024], MARK + i);
	xe_emit_end(b);
	**ufence = 0;
	return xe_exec(fd, q, batch, *ufence) ? -EIO : q;
}

/*
 * Processes exit while their job is taking GPU page faults (and
 * migrating), each a little later than the one before: nothing is left.
 */
TEST(exit_during_gpu_faults)
{
	const char *left, *why;
	int fd, i, status;
	long n;

	fd = open_vxe(&why);
	if (fd < 0)
		SKIP(return, "%s", why);
	for (i = 0; i < 8; i++) {
		pid_t pid = fork();

		ASSERT_LE(0, pid);
		if (!pid) {
			uint64_t *ufence;
			uint32_t *data;
			int cfd = xe_open_card();

			if (cfd < 0 || start_faulting_job(cfd, &data, &ufence) < 0)
				_exit(1);
			usleep(i * 20 * 1000);
			_exit(0);
		}
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("process %d", i);
	}
	left = wait_objects_gone(fd, &n);
	EXPECT_EQ(NULL, left) TH_LOG("%s: %ld left", left, n);
	close(fd);
}

/*
 * The device is removed while a job is taking GPU page faults: the job
 * goes on or fails, but every page holds either the CPU's data or the
 * GPU's mark; the last close frees everything, and the device, bound
 * again, starts with nothing.
 */
TEST(device_removal_during_gpu_faults)
{
	const unsigned int pages = BIG_SIZE / 4096;
	unsigned int p, marked = 0, bad = 0;
	char names[8][32];
	uint64_t *ufence;
	uint32_t *data;
	int fd, n, i, q;

	fd = xe_open_card();
	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	if (vxe_param("vram_size") < 0 || getuid() ||
	    !access("/sys/module/vxe/initstate", F_OK)) {
		close(fd);
		SKIP(return, "not vxe built in, or not root");
	}
	q = start_faulting_job(fd, &data, &ufence);
	ASSERT_LT(0, q);
	usleep(50 * 1000);
	n = unbind_all(names, 8);
	ASSERT_LT(0, n) TH_LOG("unbind: %s", strerror(-n));
	for (i = 0; i < 600 && !__atomic_load_n(ufence, __ATOMIC_ACQUIRE); i++)
		usleep(100 * 1000);
	TH_LOG("the job %s", *ufence ? "ended" : "is still running");
	EXPECT_EQ(0, close(fd));
	for (p = 0; p < pages; p++) {
		uint32_t v = data[p * 1024];

		marked += v == MARK + p;
		bad += v && v != MARK + p;
		for (i = 1; i < 1024; i++)
			bad += data[p * 1024 + i] != 0;
	}
	TH_LOG("%u of %u pages written by the GPU", marked, pages);
	EXPECT_EQ(0, bad);
	munmap(data, BIG_SIZE);
	device_back(_metadata, names, n);
	expect_device_empty(_metadata);
}

TEST_HARNESS_MAIN
