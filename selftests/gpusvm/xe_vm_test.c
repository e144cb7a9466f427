// SPDX-License-Identifier: GPL-2.0
/*
 * DRM_IOCTL_XE_VM_CREATE and DRM_IOCTL_XE_VM_DESTROY on an Xe device
 * (vxe, or real Xe hardware with page faults): every mode Xe accepts, every
 * argument check with its errno, ids owned by one open file, and VMs that
 * the file still holds when it is closed.  Only the uAPI header is used.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <drm/drm.h>
#include <drm/xe_drm.h>

#include "kselftest_harness.h"
#include "xe_open.h"

#define LR	DRM_XE_VM_CREATE_FLAG_LR_MODE
#define FAULT	DRM_XE_VM_CREATE_FLAG_FAULT_MODE
#define SCRATCH	DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE

static int vm_create(int fd, struct drm_xe_vm_create *c)
{
	return ioctl(fd, DRM_IOCTL_XE_VM_CREATE, c) ? -errno : 0;
}

static int vm_destroy(int fd, __u32 id)
{
	struct drm_xe_vm_destroy d = { .vm_id = id };

	return ioctl(fd, DRM_IOCTL_XE_VM_DESTROY, &d) ? -errno : 0;
}

FIXTURE(vm) {
	int fd;
};

FIXTURE_SETUP(vm)
{
	self->fd = xe_open_card();
	if (self->fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
}

FIXTURE_TEARDOWN(vm)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Every mode Xe accepts gets its own id (from 1) and can be destroyed once. */
TEST_F(vm, modes)
{
	static const __u32 modes[] = { 0, LR, LR | FAULT, SCRATCH, SCRATCH | LR };
	__u32 ids[5];
	unsigned int i, j;

	for (i = 0; i < 5; i++) {
		struct drm_xe_vm_create c = { .flags = modes[i] };

		ASSERT_EQ(0, vm_create(self->fd, &c)) TH_LOG("flags %#x", modes[i]);
		EXPECT_NE(0, c.vm_id);
		ids[i] = c.vm_id;
		for (j = 0; j < i; j++)
			EXPECT_NE(ids[j], ids[i]);
	}
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(0, vm_destroy(self->fd, ids[i]));
		EXPECT_EQ(-ENOENT, vm_destroy(self->fd, ids[i]));
	}
}

TEST_F(vm, create_checks)
{
	struct drm_xe_vm_create c;

	c = (struct drm_xe_vm_create){ .flags = LR, .extensions = 1 };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
	c = (struct drm_xe_vm_create){ .flags = LR, .reserved = { 1, 0 } };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
	c = (struct drm_xe_vm_create){ .flags = LR, .reserved = { 0, 1 } };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
	c = (struct drm_xe_vm_create){ .flags = 1u << 3 };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
	/* Fault mode needs LR mode, and excludes the scratch page. */
	c = (struct drm_xe_vm_create){ .flags = FAULT };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
	c = (struct drm_xe_vm_create){ .flags = SCRATCH | LR | FAULT };
	EXPECT_EQ(-EINVAL, vm_create(self->fd, &c));
}

TEST_F(vm, destroy_checks)
{
	struct drm_xe_vm_create c = { .flags = LR | FAULT };
	struct drm_xe_vm_destroy d;

	ASSERT_EQ(0, vm_create(self->fd, &c));
	d = (struct drm_xe_vm_destroy){ .vm_id = c.vm_id, .pad = 1 };
	EXPECT_EQ(EINVAL, ioctl(self->fd, DRM_IOCTL_XE_VM_DESTROY, &d) ? errno : 0);
	d = (struct drm_xe_vm_destroy){ .vm_id = c.vm_id, .reserved = { 0, 1 } };
	EXPECT_EQ(EINVAL, ioctl(self->fd, DRM_IOCTL_XE_VM_DESTROY, &d) ? errno : 0);
	EXPECT_EQ(-ENOENT, vm_destroy(self->fd, 0));
	EXPECT_EQ(-ENOENT, vm_destroy(self->fd, c.vm_id + 1000));
	/* The failed attempts left the VM alone. */
	EXPECT_EQ(0, vm_destroy(self->fd, c.vm_id));
}

/* Ids belong to one open file: another file cannot destroy the VM. */
TEST_F(vm, ids_are_per_file)
{
	struct drm_xe_vm_create c = { .flags = LR | FAULT };
	int other = xe_open_card();

	ASSERT_GE(other, 0);
	ASSERT_EQ(0, vm_create(self->fd, &c));
	EXPECT_EQ(-ENOENT, vm_destroy(other, c.vm_id));
	EXPECT_EQ(0, vm_destroy(self->fd, c.vm_id));
	close(other);
}

/* VMs a file still owns go with its last close (IGT leaves them so). */
TEST(close_with_live_vms)
{
	int i, fd = xe_open_card();

	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	for (i = 0; i < 8; i++) {
		struct drm_xe_vm_create c = { .flags = i & 1 ? LR | FAULT : 0 };

		ASSERT_EQ(0, vm_create(fd, &c));
	}
	/* A kernel splat or leak report here fails the run (ci/vm-run). */
	EXPECT_EQ(0, close(fd));
}

/*
 * A process that exits holding fault-mode VMs: the files close after its
 * address space is gone (exit_mm() runs before exit_files()), and the
 * mirrors must still come down cleanly.
 */
TEST(exit_with_live_fault_vms)
{
	int status, fd = xe_open_card();
	pid_t pid;

	if (fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	close(fd);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (!pid) {
		int i, fd = xe_open_card();

		for (i = 0; i < 4; i++) {
			struct drm_xe_vm_create c = { .flags = LR | FAULT };

			if (fd < 0 || vm_create(fd, &c))
				_exit(1);
		}
		_exit(0);	/* no close: the exit does it */
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_HARNESS_MAIN
