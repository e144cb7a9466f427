// SPDX-License-Identifier: GPL-2.0
/*
 * The Xe ioctls beyond queries and VM creation, on an Xe device (vxe or
 * hardware): buffer objects (create, mmap, bind into a VM, inside a
 * mirror), userptr and NULL bindings, exec queues, EXEC with syncobj and
 * timeline syncobj fences, user-fence waits, and every argument check with the errno upstream Xe
 * returns for it.  Only <drm/xe_drm.h>.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/sync_file.h>

#include "kselftest_harness.h"
#include "xe_open.h"
#include "xe_svm.h"

#define MIRROR_RANGE	0x800000000000ull	/* the user address space */
#define BO_ADDR		0x1a0000000ull		/* where BOs are bound */

static int bo_create(int fd, uint32_t vm, uint64_t size, uint32_t *handle)
{
	struct drm_xe_gem_create c = {
		.size = size,
		.vm_id = vm,
		.placement = 1,	/* system memory */
		.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB,
	};
	int err = xe_ioctl(fd, DRM_IOCTL_XE_GEM_CREATE, &c);

	*handle = c.handle;
	return err;
}

static void *bo_map(int fd, uint32_t handle, uint64_t size, void *at)
{
	struct drm_xe_gem_mmap_offset o = { .handle = handle };

	if (xe_ioctl(fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o))
		return MAP_FAILED;
	return mmap(at, size, PROT_READ | PROT_WRITE,
		    MAP_SHARED | (at ? MAP_FIXED : 0), fd, o.offset);
}

static void gem_close(int fd, uint32_t handle)
{
	struct drm_gem_close c = { .handle = handle };

	ioctl(fd, DRM_IOCTL_GEM_CLOSE, &c);
}

static int bind_bo(int fd, uint32_t vm, uint32_t op, uint32_t handle,
		   uint64_t offset, uint64_t addr, uint64_t range)
{
	struct drm_xe_vm_bind b = {
		.vm_id = vm,
		.num_binds = 1,
		.bind = {
			.op = op,
			.obj = handle,
			.obj_offset = offset,
			.addr = addr,
			.range = range,
			.pat_index = 2,
		},
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_VM_BIND, &b);
}

static int syncobj_create(int fd, uint32_t *handle)
{
	struct drm_syncobj_create c = { 0 };
	int err = xe_ioctl(fd, DRM_IOCTL_SYNCOBJ_CREATE, &c);

	*handle = c.handle;
	return err;
}

static int syncobj_wait(int fd, uint32_t handle, uint64_t point)
{
	struct drm_syncobj_timeline_wait w = {
		.handles = (uintptr_t)&handle,
		.points = (uintptr_t)&point,
		.count_handles = 1,
		.timeout_nsec = INT64_MAX,
		.flags = DRM_SYNCOBJ_WAIT_FLAGS_WAIT_FOR_SUBMIT,
	};

	return xe_ioctl(fd, DRM_IOCTL_SYNCOBJ_TIMELINE_WAIT, &w);
}

FIXTURE(uapi) {
	int fd;
	int vm;		/* LR + fault mode, mirroring the process */
	int q;		/* on it, engine 0 (render) */
	int plain_vm;	/* no LR, no faults: syncobj out-fences */
	int plain_q;
};

FIXTURE_SETUP(uapi)
{
	struct drm_xe_vm_create c = { 0 };

	self->vm = -1;
	self->plain_vm = -1;
	self->q = -1;
	self->plain_q = -1;
	self->fd = xe_open_card();
	if (self->fd < 0)
		SKIP(return, "no DRM device driven by \"xe\"");
	self->vm = xe_vm_create_fault(self->fd);
	if (self->vm < 0)
		SKIP(return, "no fault-mode VM: no GPU page faults");
	ASSERT_EQ(0, xe_mirror(self->fd, self->vm, 0, MIRROR_RANGE));
	self->q = xe_queue_create(self->fd, self->vm, DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, self->q);
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_CREATE, &c));
	self->plain_vm = c.vm_id;
	self->plain_q = xe_queue_create(self->fd, self->plain_vm,
					DRM_XE_ENGINE_CLASS_COPY, 0);
	ASSERT_LT(0, self->plain_q);
}

FIXTURE_TEARDOWN(uapi)
{
	if (self->fd < 0)
		return;
	if (self->q > 0)
		xe_queue_destroy(self->fd, self->q);
	if (self->plain_q > 0)
		xe_queue_destroy(self->fd, self->plain_q);
	if (self->vm > 0)
		xe_vm_destroy(self->fd, self->vm);
	if (self->plain_vm > 0)
		xe_vm_destroy(self->fd, self->plain_vm);
	close(self->fd);
}

/* GEM_CREATE: each rule Xe checks, with Xe's errno. */
TEST_F(uapi, gem_create_checks)
{
	struct drm_xe_gem_create good = {
		.size = 4096, .placement = 1,
		.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB,
	}, c;

	c = good; c.extensions = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.pad[1] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.placement = 0;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.placement = 1u << 31;	/* no such region */
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.flags = 1u << 31;		/* unknown flag */
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.handle = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.size = 0;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.size = 4096 + 12;		/* not page aligned */
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.cpu_caching = 0;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC + 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.flags = DRM_XE_GEM_CREATE_FLAG_SCANOUT;	/* WB scanout */
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	c = good; c.vm_id = 0xdead;
	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));

	c = good; c.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c));
	ASSERT_NE(0, c.handle);
	gem_close(self->fd, c.handle);
}

/* GEM_MMAP_OFFSET checks; the CPU reads back what it wrote through mmap. */
TEST_F(uapi, gem_mmap)
{
	struct drm_xe_gem_mmap_offset o = { 0 };
	uint32_t h, *p;

	ASSERT_EQ(0, bo_create(self->fd, 0, 8192, &h));
	o.handle = h; o.extensions = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o));
	o.extensions = 0; o.flags = DRM_XE_MMAP_OFFSET_FLAG_PCI_BARRIER;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o));
	o.flags = 0; o.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o));
	o.reserved[1] = 0; o.handle = h + 100;
	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o));

	p = bo_map(self->fd, h, 8192, NULL);
	ASSERT_NE(MAP_FAILED, p);
	p[0] = 0x600d;
	p[2047] = 0xcafe;
	EXPECT_EQ(0x600d, p[0]);
	EXPECT_EQ(0xcafe, p[2047]);
	munmap(p, 8192);
	gem_close(self->fd, h);
}

/*
 * A BO bound into a VM without faults: the GPU writes it, the CPU reads it
 * through its mmap; the exec's syncobj and timeline syncobj signal.
 */
TEST_F(uapi, bo_exec_syncobjs)
{
	struct drm_xe_sync syncs[2] = {
		{ .type = DRM_XE_SYNC_TYPE_SYNCOBJ, .flags = DRM_XE_SYNC_FLAG_SIGNAL },
		{ .type = DRM_XE_SYNC_TYPE_TIMELINE_SYNCOBJ,
		  .flags = DRM_XE_SYNC_FLAG_SIGNAL, .timeline_value = 7 },
	};
	struct drm_xe_exec e = {
		.exec_queue_id = self->plain_q, .num_batch_buffer = 1,
		.address = BO_ADDR, .num_syncs = 2, .syncs = (uintptr_t)syncs,
	};
	uint32_t h, s1, s2, *p;

	ASSERT_EQ(0, bo_create(self->fd, self->plain_vm, 65536, &h));
	p = bo_map(self->fd, h, 65536, NULL);
	ASSERT_NE(MAP_FAILED, p);
	xe_emit_end(xe_emit_store(xe_emit_store(p, BO_ADDR + 0x8000, 0xb0b0),
				  BO_ADDR + 0xfffc, 0x1234));
	ASSERT_EQ(0, bind_bo(self->fd, self->plain_vm, DRM_XE_VM_BIND_OP_MAP,
			     h, 0, BO_ADDR, 65536));
	ASSERT_EQ(0, syncobj_create(self->fd, &s1));
	ASSERT_EQ(0, syncobj_create(self->fd, &s2));
	syncs[0].handle = s1;
	syncs[1].handle = s2;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	ASSERT_EQ(0, syncobj_wait(self->fd, s1, 0));
	ASSERT_EQ(0, syncobj_wait(self->fd, s2, 7));
	EXPECT_EQ(0xb0b0, p[0x8000 / 4]);
	EXPECT_EQ(0x1234, p[0xfffc / 4]);

	/* A binary syncobj as an in-fence of the next exec */
	syncs[0].flags = 0;
	e.num_syncs = 1;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	/* No batch: the out-syncs get the queue's last fence */
	syncs[0].flags = DRM_XE_SYNC_FLAG_SIGNAL;
	e.num_batch_buffer = 0;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	ASSERT_EQ(0, syncobj_wait(self->fd, s1, 0));

	/* UNMAP_ALL of the BO: the GPU mapping goes */
	EXPECT_EQ(-EINVAL, xe_bind(self->fd, self->plain_vm,
				   DRM_XE_VM_BIND_OP_UNMAP_ALL, 0, 0, 0, 0));
	{
		struct drm_xe_vm_bind b = {
			.vm_id = self->plain_vm, .num_binds = 1,
			.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP_ALL, .obj = h,
				  .pat_index = 2 },
		};

		ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b));
	}
	munmap(p, 65536);
	gem_close(self->fd, h);
}

/*
 * A BO bound inside the mirror at the address of its own CPU mapping (as
 * IGT's bo-map sections do): the GPU writes the BO, the CPU reads it;
 * binding the mirror over it again replaces the BO binding.
 */
TEST_F(uapi, bo_inside_mirror)
{
	const uint64_t size = 2 << 20;
	uint32_t h, *p, *batch = malloc(4096);
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	void *addr;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	addr = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, addr);
	ASSERT_EQ(0, bo_create(self->fd, self->vm, size, &h));
	p = bo_map(self->fd, h, size, addr);
	ASSERT_EQ(addr, p);
	ASSERT_EQ(0, bind_bo(self->fd, self->vm, DRM_XE_VM_BIND_OP_MAP, h, 0,
			     (uintptr_t)addr, size));
	xe_emit_end(xe_emit_store(batch, (uintptr_t)&p[12345], 0x5157));
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0x5157, p[12345]);

	/* The mirror back over the BO binding */
	ASSERT_EQ(0, xe_mirror(self->fd, self->vm, (uintptr_t)addr, size));
	munmap(addr, size);
	gem_close(self->fd, h);
	munmap(ufence, 4096);
	free(batch);
}

/* VM_BIND: each rule Xe checks, with Xe's errno. */
TEST_F(uapi, vm_bind_checks)
{
	struct drm_xe_vm_bind b, good = {
		.vm_id = self->vm, .num_binds = 1,
		.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = 0x100000,
			  .range = 0x1000, .pat_index = 2 },
	};
	struct drm_xe_sync s = { .type = DRM_XE_SYNC_TYPE_USER_FENCE,
				 .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_vm_bind_op ops[2];
	uint32_t h;

	ASSERT_EQ(0, bo_create(self->fd, 0, 4096, &h));
#define BIND_ERR(err, stmt) do {						\
		b = good;						\
		stmt;							\
		EXPECT_EQ(err, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b));	\
	} while (0)
	BIND_ERR(-EINVAL, b.vm_id = 0xdead);
	BIND_ERR(-EINVAL, b.pad = 1);
	BIND_ERR(-EINVAL, b.reserved[1] = 1);
	BIND_ERR(-EINVAL, b.extensions = 1);
	BIND_ERR(-EINVAL, b.num_syncs = DRM_XE_MAX_SYNCS + 1);
	BIND_ERR(-EINVAL, b.bind.pat_index = 28);	/* past BMG's table */
	BIND_ERR(-EINVAL, b.bind.pat_index = 17);	/* reserved */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_PREFETCH + 1);
	BIND_ERR(-EINVAL, b.bind.flags = 1u << 30);	/* unknown flag */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP);	/* no BO */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
		 b.bind.flags = DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR);
	BIND_ERR(-EINVAL, b.bind.obj = h);	/* UNMAP names no BO */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_UNMAP_ALL);
	BIND_ERR(-EINVAL, b.bind.prefetch_mem_region_instance = 1);
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_PREFETCH;
		 b.bind.prefetch_mem_region_instance = 5);
	BIND_ERR(-EINVAL, b.bind.addr = 0x100010);	/* misaligned */
	BIND_ERR(-EINVAL, b.bind.range = 0x10);
	BIND_ERR(-EINVAL, b.bind.range = 0);
	BIND_ERR(-EINVAL, b.bind.addr = ~0xfffull);	/* addr + range overflows */
	BIND_ERR(-EINVAL, b.bind.range = 1ull << 60);	/* larger than the VM */
	BIND_ERR(-ENOENT, b.exec_queue_id = 0xdead);
	BIND_ERR(-EINVAL, b.exec_queue_id = self->q);	/* not a VM_BIND queue */
	BIND_ERR(-ENOENT, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h + 99);
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
		 b.bind.range = 0x2000);	/* larger than the BO */
	BIND_ERR(-EINVAL, b.vm_id = self->plain_vm; b.bind.op = DRM_XE_VM_BIND_OP_MAP;
		 b.bind.flags = DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR);
	/* NULL binds: MAP only, no BO; userptrs: no BO, an aligned address */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
		 b.bind.flags = DRM_XE_VM_BIND_FLAG_NULL);
	BIND_ERR(-EINVAL, b.bind.flags = DRM_XE_VM_BIND_FLAG_NULL);
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
		 b.bind.obj = h);
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
		 b.bind.obj_offset = 0x1008);	/* misaligned */
	BIND_ERR(-EFAULT, b.bind.op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
		 b.bind.obj_offset = 0x1000);	/* nothing mapped there */
	/*
	 * PAT index 3 (uncached, not coherent with the CPU's caches): not for
	 * a userptr (refused before its address is looked at) or a WB BO; a
	 * WC BO may use it.
	 */
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP_USERPTR;
		 b.bind.obj_offset = 0x1000; b.bind.pat_index = 3);
	BIND_ERR(-EINVAL, b.bind.op = DRM_XE_VM_BIND_OP_MAP; b.bind.obj = h;
		 b.bind.pat_index = 3);
	{
		struct drm_gem_close cl = { 0 };
		struct drm_xe_gem_create wc = {
			.size = 4096,
			.placement = 1,		/* system memory */
			.cpu_caching = DRM_XE_GEM_CPU_CACHING_WC,
		};

		ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &wc));
		BIND_ERR(0, b.bind.op = DRM_XE_VM_BIND_OP_MAP;
			 b.bind.obj = wc.handle; b.bind.pat_index = 3);
		BIND_ERR(0, (void)0);	/* unbound again */
		cl.handle = wc.handle;
		EXPECT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_GEM_CLOSE, &cl));
	}
	/* A user fence on a bind without binds, two user fences, bad ones */
	BIND_ERR(-EOPNOTSUPP, b.num_binds = 0; b.num_syncs = 1;
		 b.syncs = (uintptr_t)&s);
	s.addr = 0x1004;
	BIND_ERR(-EINVAL, b.num_syncs = 1; b.syncs = (uintptr_t)&s);
	s.addr = 0; s.flags = 0;
	BIND_ERR(-EOPNOTSUPP, b.num_syncs = 1; b.syncs = (uintptr_t)&s);
	s.flags = 1u << 5;
	BIND_ERR(-EINVAL, b.num_syncs = 1; b.syncs = (uintptr_t)&s);
	s.flags = DRM_XE_SYNC_FLAG_SIGNAL; s.type = 7;
	BIND_ERR(-EINVAL, b.num_syncs = 1; b.syncs = (uintptr_t)&s);
	s.type = DRM_XE_SYNC_TYPE_SYNCOBJ;	/* LR VM: no syncobj signal */
	BIND_ERR(-EOPNOTSUPP, b.num_syncs = 1; b.syncs = (uintptr_t)&s);
	s.type = DRM_XE_SYNC_TYPE_USER_FENCE;
	BIND_ERR(-EFAULT, b.num_syncs = 1; b.syncs = 8);
	/* Arrays: one bad op refuses all, unreadable arrays -EFAULT */
	ops[0] = good.bind;
	ops[1] = good.bind;
	ops[1].range = 0x10;
	BIND_ERR(-EINVAL, b.num_binds = 2; b.vector_of_binds = (uintptr_t)ops);
	BIND_ERR(-EFAULT, b.num_binds = 2; b.vector_of_binds = 8);
	ops[1].range = 0x1000;
	BIND_ERR(0, b.num_binds = 2; b.vector_of_binds = (uintptr_t)ops);
	/* Nothing bound there: UNMAP is a no-op, and no binds at all is 0 */
	BIND_ERR(0, (void)0);
	BIND_ERR(0, b.num_binds = 0);
#undef BIND_ERR
	gem_close(self->fd, h);
}

/* EXEC_QUEUE_CREATE / DESTROY / GET_PROPERTY and EXEC checks. */
TEST_F(uapi, exec_queue_and_exec_checks)
{
	struct drm_xe_engine_class_instance eci[2] = {
		{ .engine_class = DRM_XE_ENGINE_CLASS_RENDER },
		{ .engine_class = DRM_XE_ENGINE_CLASS_RENDER },
	};
	struct drm_xe_exec_queue_create c, good = {
		.width = 1, .num_placements = 1, .vm_id = self->vm,
		.instances = (uintptr_t)eci,
	};
	struct drm_xe_ext_set_property prop = {
		.base.name = DRM_XE_EXEC_QUEUE_EXTENSION_SET_PROPERTY,
		.property = DRM_XE_EXEC_QUEUE_SET_PROPERTY_TIMESLICE,
		.value = 1000,
	};
	struct drm_xe_exec_queue_get_property gp = { .exec_queue_id = self->q };
	struct drm_xe_exec_queue_set_property sp = { 0 };
	struct drm_xe_exec_queue_destroy d = { .exec_queue_id = 0xdead };
	struct drm_xe_exec e = { .exec_queue_id = self->q, .num_batch_buffer = 1 };
	struct drm_xe_engine_class_instance bind_eci = {
		.engine_class = DRM_XE_ENGINE_CLASS_VM_BIND,
	};

#define QC_ERR(err, stmt) do {						\
		c = good;						\
		stmt;							\
		EXPECT_EQ(err, xe_ioctl(self->fd,			\
					DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));	\
	} while (0)
	QC_ERR(-EINVAL, c.flags = 2);	/* bit 0 is the low-latency hint */
	c = good;
	c.flags = DRM_XE_EXEC_QUEUE_LOW_LATENCY_HINT;	/* a hint: accepted */
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));
	EXPECT_EQ(0, xe_queue_destroy(self->fd, c.exec_queue_id));
	QC_ERR(-EINVAL, c.reserved[0] = 1);
	QC_ERR(-EINVAL, c.width = 0);
	QC_ERR(-EINVAL, c.num_placements = 10);
	QC_ERR(-EFAULT, c.instances = 8);
	QC_ERR(-EINVAL, eci[0].gt_id = 1);
	eci[0].gt_id = 0;
	QC_ERR(-EINVAL, eci[0].engine_instance = 3);	/* no such engine */
	eci[0].engine_instance = 0;
	QC_ERR(-EINVAL, c.width = 2);			/* parallel: two render engines */
	/* A virtual engine: placements of one class (here twice the same). */
	c = good;
	c.num_placements = 2;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));
	EXPECT_EQ(0, xe_queue_destroy(self->fd, c.exec_queue_id));
	QC_ERR(-EINVAL, c.num_placements = 2;
	       eci[1].engine_class = DRM_XE_ENGINE_CLASS_COPY);
	eci[1].engine_class = DRM_XE_ENGINE_CLASS_RENDER;
	QC_ERR(-ENOENT, c.vm_id = 0xdead);
	QC_ERR(-EINVAL, c.extensions = (uintptr_t)&prop; prop.base.name = 1);
	prop.base.name = DRM_XE_EXEC_QUEUE_EXTENSION_SET_PROPERTY;
	QC_ERR(-EINVAL, c.extensions = (uintptr_t)&prop; prop.property = 99);
	prop.property = DRM_XE_EXEC_QUEUE_SET_PROPERTY_PRIORITY;
	QC_ERR(-EINVAL, c.extensions = (uintptr_t)&prop; prop.value = 3);
	prop.value = 0;
	QC_ERR(-EINVAL, c.extensions = (uintptr_t)&prop; prop.reserved[0] = 1);
	prop.reserved[0] = 0;
	QC_ERR(-EFAULT, c.extensions = 8);
	prop.base.next_extension = (uintptr_t)&prop;	/* a loop */
	QC_ERR(-E2BIG, c.extensions = (uintptr_t)&prop);
	prop.base.next_extension = 0;
	QC_ERR(-EINVAL, c.instances = (uintptr_t)&bind_eci; c.width = 2);
	bind_eci.engine_instance = 1;
	QC_ERR(-EINVAL, c.instances = (uintptr_t)&bind_eci);
	bind_eci.engine_instance = 0;
	QC_ERR(0, c.instances = (uintptr_t)&bind_eci);
	/* A VM_BIND queue binds, and cannot EXEC */
	{
		struct drm_xe_vm_bind b = {
			.vm_id = self->vm, .num_binds = 1,
			.exec_queue_id = c.exec_queue_id,
			.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = 0x100000,
				  .range = 0x1000, .pat_index = 2 },
		};
		struct drm_xe_exec be = { .exec_queue_id = c.exec_queue_id,
					  .num_batch_buffer = 1 };

		EXPECT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b));
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &be));
		EXPECT_EQ(0, xe_queue_destroy(self->fd, c.exec_queue_id));
	}
	QC_ERR(0, c.extensions = (uintptr_t)&prop);	/* low priority */
	EXPECT_EQ(0, xe_queue_destroy(self->fd, c.exec_queue_id));
#undef QC_ERR

	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d));
	d.exec_queue_id = self->q;
	d.pad = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_DESTROY, &d));

	gp.property = 5;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	gp.property = DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN;
	gp.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	gp.reserved[0] = 0;
	gp.exec_queue_id = 0xdead;
	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	gp.exec_queue_id = self->q;
	EXPECT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	EXPECT_EQ(0, gp.value);

	/* SET_PROPERTY: only a multi-queue group's priority, and vxe has no groups */
	sp.exec_queue_id = self->q;
	sp.property = DRM_XE_EXEC_QUEUE_SET_PROPERTY_PRIORITY;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_SET_PROPERTY, &sp));
	sp.property = DRM_XE_EXEC_QUEUE_SET_PROPERTY_MULTI_QUEUE_PRIORITY;
	sp.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_SET_PROPERTY, &sp));
	sp.reserved[1] = 0;
	sp.exec_queue_id = 0xdead;
	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_SET_PROPERTY, &sp));
	sp.exec_queue_id = self->q;
	sp.value = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_SET_PROPERTY, &sp));

	e.extensions = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	e.extensions = 0; e.pad[2] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	e.pad[2] = 0; e.num_syncs = DRM_XE_MAX_SYNCS + 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	e.num_syncs = 0; e.num_batch_buffer = 2;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	e.num_batch_buffer = 1; e.exec_queue_id = 0xdead;
	EXPECT_EQ(-ENOENT, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
}

/* WAIT_USER_FENCE: argument checks, ops, time-outs, time left written back. */
TEST_F(uapi, wait_user_fence)
{
	uint64_t value = 10;
	struct drm_xe_wait_user_fence w, good = {
		.addr = (uintptr_t)&value, .op = DRM_XE_UFENCE_WAIT_OP_EQ,
		.value = 10, .mask = ~0ull, .timeout = 1000000,
	};

#define WAIT(err, stmt) do {						\
		w = good;						\
		stmt;							\
		EXPECT_EQ(err, xe_ioctl(self->fd,			\
					DRM_IOCTL_XE_WAIT_USER_FENCE, &w));	\
	} while (0)
	WAIT(-EINVAL, w.extensions = 1);
	WAIT(-EINVAL, w.pad = 1);
	WAIT(-EINVAL, w.reserved[1] = 1);
	WAIT(-EINVAL, w.flags = 2);
	WAIT(-EINVAL, w.op = DRM_XE_UFENCE_WAIT_OP_LTE + 1);
	WAIT(-EINVAL, w.addr += 4);
	WAIT(-ENOENT, w.exec_queue_id = 0xdead);
	WAIT(-EFAULT, w.addr = 8);
	WAIT(0, (void)0);
	WAIT(0, w.op = DRM_XE_UFENCE_WAIT_OP_NEQ; w.value = 11);
	WAIT(0, w.op = DRM_XE_UFENCE_WAIT_OP_GT; w.value = 9);
	WAIT(0, w.op = DRM_XE_UFENCE_WAIT_OP_GTE; w.value = 10);
	WAIT(0, w.op = DRM_XE_UFENCE_WAIT_OP_LT; w.value = 11);
	WAIT(0, w.op = DRM_XE_UFENCE_WAIT_OP_LTE; w.value = 10);
	WAIT(0, w.mask = 0xff; w.value = 0x330a);	/* masked: 0x0a == 0x0a */
	WAIT(-ETIME, w.value = 11; w.timeout = 0);
	WAIT(-ETIME, w.value = 11);
	EXPECT_EQ(0, w.timeout);	/* nothing left */
	WAIT(-ETIME, w.value = 11; w.flags = DRM_XE_UFENCE_WAIT_FLAG_ABSTIME;
	     w.timeout = 1);	/* long past */
	WAIT(0, w.timeout = -1);	/* forever, but already true */
#undef WAIT
}

/*
 * MADVISE on the middle of a BO binding splits it in three, each piece
 * mapping its part of the BO: the GPU writes through all of them.  Then
 * the argument checks of MADVISE and VM_QUERY_MEM_RANGE_ATTRS.
 */
TEST_F(uapi, madvise_splits_bo_binding)
{
	struct drm_xe_madvise m = {
		.vm_id = self->plain_vm, .start = BO_ADDR + 0x4000,
		.range = 0x4000, .type = DRM_XE_MEM_RANGE_ATTR_ATOMIC,
		.atomic.val = DRM_XE_ATOMIC_DEVICE,
	}, bad;
	struct drm_xe_vm_query_mem_range_attr q = {
		.vm_id = self->plain_vm, .start = BO_ADDR, .range = 0x10000,
	};
	struct drm_xe_mem_range_attr attrs[3];
	struct drm_xe_sync s = { .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				 .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_exec e = {
		.exec_queue_id = self->plain_q, .num_batch_buffer = 1,
		.address = BO_ADDR, .num_syncs = 1, .syncs = (uintptr_t)&s,
	};
	uint32_t h, *p, *b;

	ASSERT_EQ(0, bo_create(self->fd, self->plain_vm, 0x10000, &h));
	p = bo_map(self->fd, h, 0x10000, NULL);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, bind_bo(self->fd, self->plain_vm, DRM_XE_VM_BIND_OP_MAP,
			     h, 0, BO_ADDR, 0x10000));
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_MADVISE, &m));

	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	ASSERT_EQ(3, q.num_mem_ranges);
	q.vector_of_mem_attr = (uintptr_t)attrs;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	EXPECT_EQ(BO_ADDR + 0x4000, attrs[1].start);
	EXPECT_EQ(BO_ADDR + 0x8000, attrs[1].end);
	EXPECT_EQ(DRM_XE_ATOMIC_DEVICE, attrs[1].atomic.val);
	EXPECT_EQ(DRM_XE_ATOMIC_UNDEFINED, attrs[2].atomic.val);

	ASSERT_EQ(0, syncobj_create(self->fd, &s.handle));
	b = xe_emit_store(p, BO_ADDR + 0x3ffc, 0xa);
	b = xe_emit_store(b, BO_ADDR + 0x4000, 0xb);
	b = xe_emit_store(b, BO_ADDR + 0x8000, 0xc);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	ASSERT_EQ(0, syncobj_wait(self->fd, s.handle, 0));
	EXPECT_EQ(0xa, p[0x3ffc / 4]);
	EXPECT_EQ(0xb, p[0x4000 / 4]);
	EXPECT_EQ(0xc, p[0x8000 / 4]);

#define MADV_ERR(err, stmt) do {						\
		bad = m;						\
		stmt;							\
		EXPECT_EQ(err, xe_ioctl(self->fd, DRM_IOCTL_XE_MADVISE, &bad)); \
	} while (0)
	MADV_ERR(-EINVAL, bad.extensions = 1);
	MADV_ERR(-EINVAL, bad.reserved[0] = 1);
	MADV_ERR(-EINVAL, bad.atomic.pad = 1);
	MADV_ERR(-EINVAL, bad.atomic.reserved = 1);
	MADV_ERR(-EINVAL, bad.range = ~0xfffull);	/* wraps around */
	MADV_ERR(-EINVAL, bad.type = DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC;
		 bad.preferred_mem_loc.devmem_fd = 0;
		 bad.preferred_mem_loc.migration_policy = 2);
	/* A region instance only with a device's fd */
	MADV_ERR(-EINVAL, bad.type = DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC;
		 bad.preferred_mem_loc.devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_DEVICE;
		 bad.preferred_mem_loc.region_instance = 1);
	MADV_ERR(-EINVAL, bad.type = DRM_XE_MEM_RANGE_ATTR_PREFERRED_LOC;
		 bad.preferred_mem_loc.devmem_fd = DRM_XE_PREFERRED_LOC_DEFAULT_SYSTEM;
		 bad.preferred_mem_loc.region_instance = 1);
	MADV_ERR(-EINVAL, bad.type = DRM_XE_MEM_RANGE_ATTR_PAT;
		 bad.pat_index.val = 28);
	MADV_ERR(-EINVAL, bad.type = DRM_XE_MEM_RANGE_ATTR_PAT;
		 bad.pat_index.val = 2; bad.pat_index.pad = 1);
	/* Nothing bound there: nothing to do */
	MADV_ERR(0, bad.start = 0x7f0000000000ull);
#undef MADV_ERR

	q.extensions = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	q.extensions = 0;
	q.reserved[1] = 1;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	q.reserved[1] = 0;
	q.vm_id = 0xdead;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	q.vm_id = self->plain_vm;
	q.vector_of_mem_attr = 8;
	EXPECT_EQ(-EFAULT, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_QUERY_MEM_RANGE_ATTRS, &q));
	munmap(p, 0x10000);
	gem_close(self->fd, h);
}

/*
 * Every flag bit upstream's xe_drm.h does not define, in every ioctl
 * field of flags, is refused with -EINVAL (each from an argument that
 * is accepted without it); the device works afterwards.
 */
TEST_F(uapi, every_unknown_flag_bit)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(64), h, bit, checks = 0;
	struct drm_xe_engine_class_instance eci = {
		.engine_class = DRM_XE_ENGINE_CLASS_RENDER,
	};
	struct drm_xe_sync s;
	int err;

	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_NE(NULL, batch);
	xe_emit_end(batch);
	ASSERT_EQ(0, bo_create(self->fd, 0, 4096, &h));
	for (bit = 3; bit < 32; bit++, checks++) {
		struct drm_xe_gem_create c = {
			.size = 4096, .placement = 1, .flags = 1u << bit,
			.cpu_caching = DRM_XE_GEM_CPU_CACHING_WB,
		};
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_CREATE, &c))
			TH_LOG("GEM_CREATE flag bit %u", bit);
	}
	for (bit = 1; bit < 32; bit++, checks++) {
		struct drm_xe_gem_mmap_offset o = { .handle = h, .flags = 1u << bit };

		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_GEM_MMAP_OFFSET, &o))
			TH_LOG("GEM_MMAP_OFFSET flag bit %u", bit);
	}
	for (bit = 3; bit < 32; bit++, checks++) {
		struct drm_xe_vm_create c = { .flags = 1u << bit };

		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_CREATE, &c))
			TH_LOG("VM_CREATE flag bit %u", bit);
	}
	for (bit = 6; bit < 31; bit++, checks++) {
		EXPECT_EQ(-EINVAL, xe_bind(self->fd, self->vm,
					   DRM_XE_VM_BIND_OP_UNMAP, 1u << bit,
					   0x100000, 4096, 0))
			TH_LOG("VM_BIND bind flag bit %u", bit);
	}
	/* Bit 31 injects an error in a debug kernel, as in Xe's */
	err = xe_bind(self->fd, self->vm, DRM_XE_VM_BIND_OP_UNMAP, 1u << 31,
		      0x100000, 4096, 0);
	EXPECT_TRUE(err == -EINVAL || err == -ENOSPC)
		TH_LOG("VM_BIND bind flag bit 31: %d", err);
	checks++;
	for (bit = 1; bit < 32; bit++, checks++) {
		struct drm_xe_vm_bind b = {
			.vm_id = self->vm, .num_binds = 1, .num_syncs = 1,
			.syncs = (uintptr_t)&s,
			.bind = { .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = 0x100000,
				  .range = 4096, .pat_index = 2 },
		};

		s = (struct drm_xe_sync){
			.type = DRM_XE_SYNC_TYPE_USER_FENCE,
			.flags = DRM_XE_SYNC_FLAG_SIGNAL | 1u << bit,
			.addr = (uintptr_t)ufence, .timeline_value = 1,
		};
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b))
			TH_LOG("VM_BIND sync flag bit %u", bit);
	}
	for (bit = 1; bit < 32; bit++, checks++) {
		struct drm_xe_exec_queue_create c = {
			.width = 1, .num_placements = 1, .vm_id = self->vm,
			.flags = 1u << bit, .instances = (uintptr_t)&eci,
		};

		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c))
			TH_LOG("EXEC_QUEUE_CREATE flag bit %u", bit);
	}
	for (bit = 1; bit < 32; bit++, checks++) {
		struct drm_xe_exec e = {
			.exec_queue_id = self->q, .num_syncs = 1,
			.syncs = (uintptr_t)&s, .address = (uintptr_t)batch,
			.num_batch_buffer = 1,
		};

		s = (struct drm_xe_sync){
			.type = DRM_XE_SYNC_TYPE_USER_FENCE,
			.flags = DRM_XE_SYNC_FLAG_SIGNAL | 1u << bit,
			.addr = (uintptr_t)ufence, .timeline_value = 1,
		};
		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e))
			TH_LOG("EXEC sync flag bit %u", bit);
	}
	/* WAIT_USER_FENCE's flags are 16 bits */
	for (bit = 1; bit < 16; bit++, checks++) {
		struct drm_xe_wait_user_fence w = {
			.addr = (uintptr_t)ufence, .op = DRM_XE_UFENCE_WAIT_OP_EQ,
			.flags = 1u << bit, .value = 0, .mask = ~0ull,
			.exec_queue_id = self->q,
		};

		EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_WAIT_USER_FENCE, &w))
			TH_LOG("WAIT_USER_FENCE flag bit %u", bit);
	}
	TH_LOG("%u unknown flag bits refused", checks);

	/* Still working: the batch runs, its user fence is written */
	*ufence = 0;
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	EXPECT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	gem_close(self->fd, h);
	munmap(ufence, 4096);
	free(batch);
}

#define UP_ADDR		0x1c0000000ull		/* where userptrs are bound */
#define NULL_ADDR	0x1e0000000ull		/* where NULL binds go */
/* MI_COPY_MEM_MEM: + destination lo, hi, source lo, hi */
#define MI_COPY_MEM_MEM	((0x2e << 23) | 3)

static int bind_userptr(int fd, uint32_t vm, const void *cpu, uint64_t addr,
			uint64_t range, uint32_t flags)
{
	struct drm_xe_vm_bind b = {
		.vm_id = vm,
		.num_binds = 1,
		.bind = {
			.op = DRM_XE_VM_BIND_OP_MAP_USERPTR,
			.flags = flags,
			.obj_offset = (uintptr_t)cpu,
			.addr = addr,
			.range = range,
			.pat_index = 2,
		},
	};

	return xe_ioctl(fd, DRM_IOCTL_XE_VM_BIND, &b);
}

static uint32_t *emit_copy(uint32_t *b, uint64_t dst, uint64_t src)
{
	*b++ = MI_COPY_MEM_MEM;
	*b++ = (uint32_t)dst;
	*b++ = dst >> 32;
	*b++ = (uint32_t)src;
	*b++ = src >> 32;
	return b;
}

/* EXEC @batch (at GPU address @addr) on a dma-fence queue; *@syncobj signals */
static int dma_fence_exec(int fd, uint32_t q, uint64_t addr, uint32_t *syncobj)
{
	struct drm_xe_sync sync = { .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				    .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_exec e = {
		.exec_queue_id = q, .num_batch_buffer = 1, .address = addr,
		.num_syncs = 1, .syncs = (uintptr_t)&sync,
	};
	int err = syncobj_create(fd, &sync.handle);

	*syncobj = sync.handle;
	return err ?: xe_ioctl(fd, DRM_IOCTL_XE_EXEC, &e);
}

/* Run @batch on the plain VM's queue and wait for its syncobj. */
static int plain_exec(int fd, uint32_t q, uint64_t batch)
{
	uint32_t syncobj;
	int err = dma_fence_exec(fd, q, batch, &syncobj);

	return err ?: syncobj_wait(fd, syncobj, 0);
}

/*
 * MAP_USERPTR in a VM without page faults: the batch lives in the userptr
 * and writes into it, at GPU addresses unlike the CPU's.  The memory is a
 * memfd mapped twice; when the process puts fresh memory over the bound
 * mapping (MAP_FIXED), the GPU must use the new pages: the old ones, still
 * alive through the second mapping, must not change.
 */
TEST_F(uapi, userptr_follows_process_memory)
{
	const uint64_t size = 65536;
	uint32_t *p, *alias;
	int mfd;

	mfd = memfd_create("userptr", 0);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, ftruncate(mfd, size));
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	alias = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, alias);
	xe_emit_end(xe_emit_store(p, UP_ADDR + 0x8000, 0x0a0a));
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, p, UP_ADDR, size, 0));
	ASSERT_EQ(0, plain_exec(self->fd, self->plain_q, UP_ADDR));
	EXPECT_EQ(0x0a0a, p[0x8000 / 4]);
	EXPECT_EQ(0x0a0a, alias[0x8000 / 4]);

	/* Fresh memory over the bound range: the notifier invalidates it */
	ASSERT_EQ(p, mmap(p, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0));
	xe_emit_end(xe_emit_store(p, UP_ADDR + 0x8000, 0x0b0b));
	ASSERT_EQ(0, plain_exec(self->fd, self->plain_q, UP_ADDR));
	EXPECT_EQ(0x0b0b, p[0x8000 / 4]);
	EXPECT_EQ(0x0a0a, alias[0x8000 / 4]);

	/* Unbound: the GPU address no longer reaches the memory */
	ASSERT_EQ(0, xe_unbind(self->fd, self->plain_vm, UP_ADDR, size));
	munmap(p, size);
	munmap(alias, size);
	close(mfd);
}

/*
 * A userptr in a fault-mode VM (inside its mirror, which it splits): the
 * GPU writes it; once the process unmapped the memory, a GPU access to the
 * userptr is a fault that cannot be served (the queue is banned, nothing
 * is written elsewhere), the unbind still works, and the mirror back over
 * the range lets a new queue run.
 */
TEST_F(uapi, userptr_unmapped_memory_faults)
{
	const uint64_t size = 2 << 20;
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *p;
	int q, err;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[3] = 0;
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR, size, 0));
	xe_emit_end(xe_emit_store(xe_emit_store(batch, UP_ADDR + 12, 0x5eed),
				  UP_ADDR + size - 4, 0x7a11));
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0x5eed, p[3]);
	EXPECT_EQ(0x7a11, p[size / 4 - 1]);

	ASSERT_EQ(0, munmap(p, size));
	*ufence = 0;
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	err = xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS);
	EXPECT_TRUE(err == -EIO || err == -ETIME) TH_LOG("wait: %d", err);
	EXPECT_EQ(0, *ufence);

	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR, size));
	ASSERT_EQ(0, xe_mirror(self->fd, self->vm, UP_ADDR, size));
	q = xe_queue_create(self->fd, self->vm, DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, q);
	xe_emit_end(xe_emit_store(batch, (uintptr_t)&batch[1000], 0x900d));
	ASSERT_EQ(0, xe_exec(self->fd, q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0x900d, batch[1000]);
	xe_queue_destroy(self->fd, q);
	munmap(ufence, 4096);
	free(batch);
}

/*
 * DRM_IOCTL_XE_VM_GET_PROPERTY: every argument check with upstream Xe's
 * errno, and the fault list: a GPU store to memory the process unmapped
 * fails, and the VM keeps the fault (its page, a 4K precision, a write,
 * nothing present); the size query, a copy of part of the list, and the
 * size checks.
 */
TEST_F(uapi, vm_get_property_faults)
{
	struct drm_xe_vm_get_property gp = {
		.vm_id = self->vm, .property = DRM_XE_VM_GET_PROPERTY_FAULTS,
	};
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096);
	struct xe_vm_fault f[2];
	uint64_t gone;
	void *p;
	int q, err;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
#define GP_ERR(err, stmt) do {						\
		struct drm_xe_vm_get_property bad = gp;			\
		stmt;							\
		EXPECT_EQ(err, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_GET_PROPERTY, &bad)); \
	} while (0)
	GP_ERR(-EINVAL, bad.extensions = 1);
	GP_ERR(-EINVAL, bad.pad = 1);
	GP_ERR(-EINVAL, bad.reserved[2] = 1);
	GP_ERR(-ENOENT, bad.vm_id = 0xdead);
	GP_ERR(-EINVAL, bad.property = 1);
	/* No fault yet: an empty list */
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_GET_PROPERTY, &gp));
	EXPECT_EQ(0, gp.size);
	GP_ERR(-EINVAL, bad.size = sizeof(f[0]));

	/* A store to a page the process unmapped: the fault fails */
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	gone = (uintptr_t)p;
	ASSERT_EQ(0, munmap(p, 4096));
	q = xe_queue_create(self->fd, self->vm, DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, q);
	xe_emit_end(xe_emit_store(batch, gone + 8, 0xbad));
	ASSERT_EQ(0, xe_exec(self->fd, q, batch, ufence));
	err = xe_wait_ufence(self->fd, q, ufence, XE_WAIT_NS);
	EXPECT_TRUE(err == -EIO || err == -ETIME) TH_LOG("wait: %d", err);
	xe_queue_destroy(self->fd, q);

	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_GET_PROPERTY, &gp));
	ASSERT_EQ(sizeof(f[0]), gp.size);
	GP_ERR(-EINVAL, bad.size = sizeof(f[0]) - 1);
	GP_ERR(-EINVAL, bad.size = 2 * sizeof(f[0]));
	GP_ERR(-EFAULT, bad.data = 8);
	memset(f, 0xa5, sizeof(f));
	gp.data = (uintptr_t)f;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_GET_PROPERTY, &gp));
	EXPECT_EQ(gone, f[0].address);
	EXPECT_EQ(4096, f[0].address_precision);
	EXPECT_EQ(FAULT_ACCESS_TYPE_WRITE, f[0].access_type);
	EXPECT_EQ(FAULT_TYPE_NOT_PRESENT, f[0].fault_type);
	EXPECT_GE(FAULT_LEVEL_PML4, f[0].fault_level);
	EXPECT_EQ(0, f[0].pad);
	EXPECT_EQ(0, f[0].reserved[0] | f[0].reserved[3]);
	/* Only what was asked for was written */
	EXPECT_EQ(0xa5a5a5a5a5a5a5a5ull, f[1].address);
#undef GP_ERR
	munmap(ufence, 4096);
	free(batch);
}

/*
 * debugfs gt0/pat_sw_config (what IGT takes its PAT indices from) says
 * what VM_BIND does: binding a write-back BO with each index of the table
 * succeeds exactly where the entry is neither reserved ("*") nor
 * non-coherent (coh_mode 0, the last field), as IGT's pat-index-all
 * expects; one past the table is -EINVAL.  The cache-level indices are
 * entries of the table; the tile directory has the VRAM manager.
 */
TEST_F(uapi, pat_sw_config_matches_binds)
{
	FILE *f = debugfs_open(self->fd, "gt0/pat_sw_config");
	unsigned int n = 0, i, fields[6], value;
	int idx_none = -1, idx_wt = -1, idx_wb = -1, rsvd = 0;
	bool reserved[64] = { false }, coherent[64] = { false };
	char line[256];
	uint32_t bo;

	if (!f)
		SKIP(return, "no debugfs gt0/pat_sw_config (not vxe, or an older Xe)");
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "PAT[", 4)) {
			int nr = sscanf(line, "PAT[%u] = [ %u, %u, %u, %u, %u, %u ]  (%x)",
					&i, &fields[0], &fields[1], &fields[2],
					&fields[3], &fields[4], &fields[5], &value);

			ASSERT_EQ(8, nr) TH_LOG("%s", line);
			ASSERT_EQ(n, i);
			ASSERT_GT(64, n);
			reserved[n] = strchr(line, '*');
			coherent[n] = fields[5] != 0;
			EXPECT_EQ(fields[5], value & 3);
			rsvd += reserved[n];
			n++;
		}
		if (sscanf(line, "IDX[XE_CACHE_NONE] = %d", &idx_none) == 1 ||
		    sscanf(line, "IDX[XE_CACHE_WT] = %d", &idx_wt) == 1 ||
		    sscanf(line, "IDX[XE_CACHE_WB] = %d", &idx_wb) == 1)
			continue;
	}
	fclose(f);
	ASSERT_LT(0, n);
	EXPECT_LT(idx_none, (int)n);
	EXPECT_LT(idx_wt, (int)n);
	EXPECT_LT(idx_wb, (int)n);
	EXPECT_LE(0, idx_none);
	EXPECT_LE(0, idx_wt);
	EXPECT_TRUE(idx_wb >= 0 && coherent[idx_wb]);
	TH_LOG("%u PAT entries, %d reserved; uc %d wt %d wb %d", n, rsvd,
	       idx_none, idx_wt, idx_wb);

	ASSERT_EQ(0, bo_create(self->fd, self->plain_vm, 0x1000, &bo));
	for (i = 0; i <= n; i++) {
		struct drm_xe_vm_bind b = {
			.vm_id = self->plain_vm, .num_binds = 1,
			.bind = { .op = DRM_XE_VM_BIND_OP_MAP, .obj = bo,
				  .addr = BO_ADDR, .range = 0x1000,
				  .pat_index = i },
		};
		int want = i < n && !reserved[i] && coherent[i] ? 0 : -EINVAL;

		EXPECT_EQ(want, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b))
			TH_LOG("pat_index %u", i);
		if (!want)
			ASSERT_EQ(0, bind_bo(self->fd, self->plain_vm,
					     DRM_XE_VM_BIND_OP_UNMAP, 0, 0,
					     BO_ADDR, 0x1000));
	}
	gem_close(self->fd, bo);

	f = debugfs_open(self->fd, "tile0/vram_mm");
	if (f) {
		EXPECT_TRUE(fgets(line, sizeof(line), f));
		fclose(f);
	}
}

/*
 * A read-only userptr (DRM_XE_VM_BIND_FLAG_READONLY) of read-only process
 * memory: the GPU reads it (copies a word out of it) but a write through
 * it is refused with a ban, and the memory is unchanged.
 */
TEST_F(uapi, userptr_read_only)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *p;
	int err;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	p[5] = 0xfeed;
	ASSERT_EQ(0, mprotect(p, 8192, PROT_READ));
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR, 8192,
				  DRM_XE_VM_BIND_FLAG_READONLY));
	batch[1000] = 0;
	xe_emit_end(emit_copy(batch, (uintptr_t)&batch[1000], UP_ADDR + 20));
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0xfeed, batch[1000]);

	*ufence = 0;
	xe_emit_end(xe_emit_store(batch, UP_ADDR + 20, 0xbad));
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	err = xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS);
	EXPECT_TRUE(err == -EIO || err == -ETIME) TH_LOG("wait: %d", err);
	EXPECT_EQ(0xfeed, p[5]);
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR, 8192));
	munmap(p, 8192);
	munmap(ufence, 4096);
	free(batch);
}

/*
 * A partial unbind of a userptr keeps the rest: the GPU still writes the
 * pieces on both sides of the hole, into the right pages.
 */
TEST_F(uapi, userptr_partial_unbind)
{
	const uint64_t size = 16 * 4096;
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *p, *b;
	int i;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR, size, 0));
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR + 4 * 4096,
			       8 * 4096));
	b = batch;
	for (i = 0; i < 16; i++)
		if (i < 4 || i >= 12)
			b = xe_emit_store(b, UP_ADDR + i * 4096 + 4, 0x100 + i);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(i < 4 || i >= 12 ? 0x100u + i : 0u, p[i * 1024 + 1])
			TH_LOG("page %d", i);
	}
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR, size));
	munmap(p, size);
	munmap(ufence, 4096);
	free(batch);
}

/*
 * A VM_BIND array is carried out all or not at all, as Xe unwinds one:
 * when its last operation fails (a userptr of memory the process does not
 * have), the hole the first punched in a userptr binding and the NULL
 * binding the second made are undone: the GPU writes all 16 pages, and
 * the NULL range faults (the job that touches it is banned).
 */
TEST_F(uapi, vm_bind_array_all_or_none)
{
	const uint64_t size = 16 * 4096;
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *p, *gone, *b;
	struct drm_xe_vm_bind_op ops[3] = {
		{ .op = DRM_XE_VM_BIND_OP_UNMAP, .addr = UP_ADDR + 4 * 4096,
		  .range = 8 * 4096, .pat_index = 2 },
		{ .op = DRM_XE_VM_BIND_OP_MAP, .flags = DRM_XE_VM_BIND_FLAG_NULL,
		  .addr = NULL_ADDR, .range = size, .pat_index = 2 },
		{ .op = DRM_XE_VM_BIND_OP_MAP_USERPTR, .addr = UP_ADDR + size,
		  .range = size, .pat_index = 2 },
	};
	struct drm_xe_vm_bind arr = {
		.vm_id = self->vm, .num_binds = 3,
		.vector_of_binds = (uintptr_t)ops,
	};
	int i;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	gone = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, size));
	ops[2].obj_offset = (uintptr_t)gone;
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR, size, 0));

	EXPECT_EQ(-EFAULT, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &arr));
	b = batch;
	for (i = 0; i < 16; i++)
		b = xe_emit_store(b, UP_ADDR + i * 4096 + 4, 0x200 + i);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(0x200u + i, p[i * 1024 + 1]) TH_LOG("page %d", i);

	/* The NULL binding is gone too: its range is no mirror, no BO */
	b = xe_emit_store(batch, NULL_ADDR + 4, 1);
	xe_emit_end(b);
	*ufence = 0;
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	EXPECT_EQ(-EIO, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));

	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR, size));
	munmap(p, size);
	munmap(ufence, 4096);
	free(batch);
}

/*
 * Fault-mode jobs and dma-fence jobs take turns on an engine group, as on
 * Xe: a fault-mode job submitted while a dma-fence job spins on the same
 * group waits for it (IGT's exec-spinner-interrupted-dma-fence); a
 * dma-fence job submitted while a fault-mode job spins runs at once (the
 * fault-mode job pauses) and the fault-mode job goes on after it.
 */
TEST_F(uapi, engine_group_modes)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *out = malloc(4096), *b, sobj;
	const uint64_t flag = UP_ADDR + 4096;	/* mem[1024], to the GPU */
	int rq;

	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(NULL, batch);
	ASSERT_NE(NULL, out);
	memset(mem, 0, 2 * 4096);
	memset(out, 0, 4096);
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, mem, UP_ADDR,
				  2 * 4096, 0));
	rq = xe_queue_create(self->fd, self->plain_vm,
			     DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, rq);

	/* A dma-fence spinner on the render group, a fault-mode job after */
	b = xe_emit_wait_eq(mem, flag, 1);
	b = xe_emit_store(b, flag + 4, 0xd0d0);
	xe_emit_end(b);
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR, &sobj));
	b = xe_emit_store(batch, (uintptr_t)out, 0xf00d);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	EXPECT_EQ(-ETIME, xe_wait_ufence(self->fd, self->q, ufence,
					 300 * 1000 * 1000));
	EXPECT_EQ(0u, out[0]);
	mem[1024] = 1;
	EXPECT_EQ(0, syncobj_wait(self->fd, sobj, 0));
	EXPECT_EQ(0xd0d0u, mem[1025]);
	EXPECT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0xf00du, out[0]);

	/* A fault-mode spinner, a dma-fence job through it */
	*ufence = 0;
	out[0] = 0;
	out[1] = 0;
	b = xe_emit_wait_eq(batch, (uintptr_t)&out[1], 1);
	b = xe_emit_store(b, (uintptr_t)out, 0xbeef);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	b = xe_emit_store(mem, flag + 8, 0xcafe);
	xe_emit_end(b);
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR, &sobj));
	EXPECT_EQ(0, syncobj_wait(self->fd, sobj, 0));
	EXPECT_EQ(0xcafeu, mem[1026]);
	EXPECT_EQ(-ETIME, xe_wait_ufence(self->fd, self->q, ufence,
					 100 * 1000 * 1000));
	out[1] = 1;
	EXPECT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0xbeefu, out[0]);

	xe_queue_destroy(self->fd, rq);
	munmap(mem, 2 * 4096);
	munmap(ufence, 4096);
	free(batch);
	free(out);
}

/*
 * Lock order: a bind reads its syncs from user memory under the VM lock
 * (VM lock, then mmap lock); a process whose BO mapping holds the last
 * reference on a VM frees it in exit_mmap() (mmap lock, then the device's
 * list of VMs); debugfs' svm file walks that list and shows each VM under
 * its lock, which must not be taken inside the list's lock.  With lockdep
 * (the test kernel), having all three happen is enough for a splat if the
 * order is broken.
 */
TEST_F(uapi, vm_freed_at_exit_then_debugfs)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char line[256];
	pid_t pid;
	FILE *f;
	int st;

	ASSERT_NE(MAP_FAILED, ufence);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct drm_xe_vm_create c = { 0 };
		struct drm_xe_sync s = {
			.type = DRM_XE_SYNC_TYPE_USER_FENCE,
			.flags = DRM_XE_SYNC_FLAG_SIGNAL,
			.addr = (uintptr_t)ufence, .timeline_value = 1,
		};
		struct drm_xe_vm_bind b = {
			.num_binds = 1, .num_syncs = 1, .syncs = (uintptr_t)&s,
		};
		uint32_t h;
		void *p;

		if (xe_ioctl(self->fd, DRM_IOCTL_XE_VM_CREATE, &c) ||
		    bo_create(self->fd, c.vm_id, 4096, &h))
			_exit(1);
		p = bo_map(self->fd, h, 4096, NULL);
		b.vm_id = c.vm_id;
		b.bind = (struct drm_xe_vm_bind_op){
			.op = DRM_XE_VM_BIND_OP_MAP, .obj = h, .addr = BO_ADDR,
			.range = 4096, .pat_index = 2,
		};
		if (p == MAP_FAILED || xe_ioctl(self->fd, DRM_IOCTL_XE_VM_BIND, &b))
			_exit(2);
		/* The mapping keeps the BO, the BO its VM, past these */
		gem_close(self->fd, h);
		xe_vm_destroy(self->fd, c.vm_id);
		close(self->fd);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &st, 0));
	ASSERT_TRUE(WIFEXITED(st));
	ASSERT_EQ(0, WEXITSTATUS(st));
	EXPECT_EQ(1u, *ufence);

	/* The fixture's VMs are listed, each under its lock */
	f = debugfs_open(self->fd, "svm");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		;
	fclose(f);
	munmap(ufence, 4096);
}

/*
 * The same pages bound twice in one VM and once in another (IGT's
 * many-vm userptr sections do this): each binding reaches them.  With
 * CONFIG_DMA_API_DEBUG, mapping a page for DMA more than once with CPU
 * syncs is a kernel warning; vxe, as drm_gpusvm, maps without them.
 */
TEST_F(uapi, userptr_same_pages_bound_thrice)
{
	const uint64_t size = 8192;
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *p, *b;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 0, size);
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR, size, 0));
	ASSERT_EQ(0, bind_userptr(self->fd, self->vm, p, UP_ADDR + size, size, 0));
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, p, UP_ADDR, size, 0));
	b = xe_emit_store(batch, UP_ADDR + 4, 0x11);
	b = xe_emit_store(b, UP_ADDR + size + 4096 + 8, 0x22);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	EXPECT_EQ(0x11, p[1]);
	EXPECT_EQ(0x22, p[1024 + 2]);

	/* The plain VM runs a batch in the userptr, into the same pages */
	xe_emit_end(xe_emit_store(&p[512], UP_ADDR + 12, 0x33));
	ASSERT_EQ(0, plain_exec(self->fd, self->plain_q, UP_ADDR + 2048));
	EXPECT_EQ(0x33, p[3]);
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, UP_ADDR, 2 * size));
	ASSERT_EQ(0, xe_unbind(self->fd, self->plain_vm, UP_ADDR, size));
	munmap(p, size);
	munmap(ufence, 4096);
	free(batch);
}

/*
 * A VM with a scratch page (DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE, no page
 * faults): GPU accesses where nothing is bound do not fail the job, as on
 * Xe; a read there gives zeros (vxe's scratch page is never written).
 */
TEST_F(uapi, scratch_page_vm)
{
	struct drm_xe_vm_create c = {
		.flags = DRM_XE_VM_CREATE_FLAG_SCRATCH_PAGE,
	};
	struct drm_xe_sync sync = { .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				    .flags = DRM_XE_SYNC_FLAG_SIGNAL };
	struct drm_xe_exec e = { .num_batch_buffer = 1, .address = BO_ADDR,
				 .num_syncs = 1, .syncs = (uintptr_t)&sync };
	struct drm_syncobj_wait w = { .count_handles = 1 };
	const uint64_t hole = 0xdead0000ull;
	struct timespec now;
	uint32_t h, *p, *b;
	int q;

	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_VM_CREATE, &c));
	q = xe_queue_create(self->fd, c.vm_id, DRM_XE_ENGINE_CLASS_COPY, 0);
	ASSERT_LT(0, q);
	ASSERT_EQ(0, bo_create(self->fd, c.vm_id, 65536, &h));
	p = bo_map(self->fd, h, 65536, NULL);
	ASSERT_NE(MAP_FAILED, p);
	p[0x100 / 4] = 0xffffffff;
	b = xe_emit_store(p, hole + 0x40, 0x1234);
	b = emit_copy(b, BO_ADDR + 0x100, hole + 0x40);
	b = xe_emit_store(b, BO_ADDR + 0x104, 0x600d);
	xe_emit_end(b);
	ASSERT_EQ(0, bind_bo(self->fd, c.vm_id, DRM_XE_VM_BIND_OP_MAP, h, 0,
			     BO_ADDR, 65536));
	ASSERT_EQ(0, syncobj_create(self->fd, &sync.handle));
	e.exec_queue_id = q;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	/* A failed job never signals: wait 10 s, not forever */
	clock_gettime(CLOCK_MONOTONIC, &now);
	w.handles = (uintptr_t)&sync.handle;
	w.timeout_nsec = (now.tv_sec + 10) * 1000000000ll + now.tv_nsec;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_SYNCOBJ_WAIT, &w));
	EXPECT_EQ(0u, p[0x100 / 4]);
	EXPECT_EQ(0x600du, p[0x104 / 4]);
	xe_queue_destroy(self->fd, q);
	munmap(p, 65536);
	gem_close(self->fd, h);
	xe_vm_destroy(self->fd, c.vm_id);
}

/*
 * A NULL binding (DRM_XE_VM_BIND_FLAG_NULL) over 2M + 64K + 4K: GPU writes
 * and atomics into it are dropped, reads give zeros, and the job completes.
 */
TEST_F(uapi, null_binding_reads_zero)
{
	const uint64_t size = (2 << 20) + 65536 + 4096;
	const uint64_t offs[] = { 0x100, (2 << 20) + 8, size - 4 };
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = malloc(4096), *b;
	unsigned int i;

	ASSERT_NE(NULL, batch);
	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_EQ(0, xe_bind(self->fd, self->vm, DRM_XE_VM_BIND_OP_MAP,
			     DRM_XE_VM_BIND_FLAG_NULL, NULL_ADDR, size, 0));
	b = batch;
	for (i = 0; i < 3; i++) {
		batch[1000 + i] = 0xffffffff;
		b = xe_emit_store(b, NULL_ADDR + offs[i], 0x1234);
		b = xe_emit_atomic_inc(b, NULL_ADDR + offs[i]);
		b = emit_copy(b, (uintptr_t)&batch[1000 + i], NULL_ADDR + offs[i]);
	}
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, self->q, batch, ufence));
	ASSERT_EQ(0, xe_wait_ufence(self->fd, self->q, ufence, XE_WAIT_NS));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0u, batch[1000 + i])
			TH_LOG("offset %#llx", (unsigned long long)offs[i]);
	}
	ASSERT_EQ(0, xe_unbind(self->fd, self->vm, NULL_ADDR, size));
	munmap(ufence, 4096);
	free(batch);
}

/*
 * Two engines of one class, instances 0 and 1, into @eng: of a video class
 * (those that run parallel queues) when @multi_lrc, of another otherwise;
 * 0 if none.
 */
static int two_of_a_class(int fd, struct drm_xe_engine_class_instance *eng,
			  bool multi_lrc)
{
	struct drm_xe_engine_class_instance all[8];
	int n = query_engines(fd, all, 8), i;

	for (i = 0; i < n; i++) {
		bool video = all[i].engine_class == DRM_XE_ENGINE_CLASS_VIDEO_DECODE ||
			     all[i].engine_class == DRM_XE_ENGINE_CLASS_VIDEO_ENHANCE;

		if (all[i].engine_instance != 1 || video != multi_lrc)
			continue;
		eng[0] = all[i];
		eng[0].engine_instance = 0;
		eng[1] = all[i];
		return 1;
	}
	return 0;
}

/* A parallel queue of width 2 on @vm, placements @eci (2 * @np): id or -errno */
static int parallel_queue(int fd, uint32_t vm,
			  const struct drm_xe_engine_class_instance *eci,
			  uint16_t np)
{
	struct drm_xe_exec_queue_create c = {
		.width = 2,
		.num_placements = np,
		.vm_id = vm,
		.instances = (uintptr_t)eci,
	};
	int err = xe_ioctl(fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c);

	return err ? err : (int)c.exec_queue_id;
}

/*
 * Parallel submission (width 2): Xe's placement rules, EXEC's batch
 * count and address array, both batches running at once (each waits for
 * the other: run one after the other, they never end), and a batch that
 * faults stopping the other and banning the queue.
 */
TEST_F(uapi, parallel_queue)
{
	struct drm_xe_engine_class_instance eng[2], eci[4];
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *mem = calloc(4, 4096), *b;
	uint64_t batches[2];
	uint32_t *flags;
	int pq;

	if (!two_of_a_class(self->fd, eng, true))
		SKIP(return, "no video engine class with two instances (vxe.engines=...,vcs,vcs)");
	/* Only video decode and enhance engines run parallel queues (Battlemage) */
	if (two_of_a_class(self->fd, eci, false))
		EXPECT_EQ(-EINVAL, parallel_queue(self->fd, self->vm, eci, 1));
	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_NE(NULL, mem);
	flags = mem + 2 * 1024;		/* page 2: flags, page 3: results */

	/* Batch i on engine i: instances 0 then 1, else -EINVAL */
	eci[0] = eng[1];
	eci[1] = eng[0];
	EXPECT_EQ(-EINVAL, parallel_queue(self->fd, self->vm, eci, 1));
	eci[0] = eng[0];
	eci[1] = eng[0];
	EXPECT_EQ(-EINVAL, parallel_queue(self->fd, self->vm, eci, 1));
	eci[1] = eng[1];
	eci[1].engine_class = eng[0].engine_class ? 0 : 1;
	EXPECT_EQ(-EINVAL, parallel_queue(self->fd, self->vm, eci, 1));
	/* Two placements of the same two engines (rows of width 2) */
	eci[1] = eng[1];
	eci[2] = eng[0];
	eci[3] = eng[1];
	pq = parallel_queue(self->fd, self->vm, eci, 2);
	ASSERT_LT(0, pq);
	EXPECT_EQ(0, xe_queue_destroy(self->fd, pq));
	pq = parallel_queue(self->fd, self->vm, eci, 1);
	ASSERT_LT(0, pq);

	/* Batch 0 raises flag 0 and waits for flag 1; batch 1 the other way */
	b = xe_emit_store(mem, (uintptr_t)&flags[0], 1);
	b = xe_emit_wait_eq(b, (uintptr_t)&flags[1], 1);
	xe_emit_end(xe_emit_store(b, (uintptr_t)&mem[3 * 1024], 0xa0));
	b = xe_emit_wait_eq(mem + 1024, (uintptr_t)&flags[0], 1);
	b = xe_emit_store(b, (uintptr_t)&flags[1], 1);
	xe_emit_end(xe_emit_store(b, (uintptr_t)&mem[3 * 1024 + 1], 0xa1));
	batches[0] = (uintptr_t)mem;
	batches[1] = (uintptr_t)(mem + 1024);

	EXPECT_EQ(-EINVAL, xe_exec_batches(self->fd, pq, (uintptr_t)batches,
					   1, ufence));
	EXPECT_EQ(-EFAULT, xe_exec_batches(self->fd, pq, 8, 2, ufence));
	ASSERT_EQ(0, xe_exec_batches(self->fd, pq, (uintptr_t)batches, 2,
				     ufence));
	EXPECT_EQ(0, xe_wait_ufence(self->fd, pq, ufence, XE_WAIT_NS));
	EXPECT_EQ(0xa0u, mem[3 * 1024]);
	EXPECT_EQ(0xa1u, mem[3 * 1024 + 1]);

	/* Batch 1 at no memory: batch 0, waiting, is stopped; queue banned */
	*ufence = 0;
	flags[1] = 0;
	mem[3 * 1024] = 0;
	batches[1] = 0x1000;
	ASSERT_EQ(0, xe_exec_batches(self->fd, pq, (uintptr_t)batches, 2,
				     ufence));
	EXPECT_EQ(-EIO, xe_wait_ufence(self->fd, pq, ufence, XE_WAIT_NS));
	EXPECT_EQ(0u, *ufence);
	EXPECT_EQ(0u, mem[3 * 1024]);
	EXPECT_EQ(-ECANCELED, xe_exec_batches(self->fd, pq, (uintptr_t)batches,
					      2, ufence));

	EXPECT_EQ(0, xe_queue_destroy(self->fd, pq));
	munmap(ufence, 4096);
	free(mem);
}

/* /proc/self/fdinfo/@fd into @buf (NUL-terminated) */
static void fdinfo_read(int fd, char *buf, size_t size)
{
	char path[64];
	size_t n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (f) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = 0;
}

/*
 * The value of key @key ("drm-cycles-rcs"...) in fdinfo text @buf, in
 * bytes for a size (KiB and MiB units read), or -1 when it is not there.
 */
static int64_t fdinfo_get(const char *buf, const char *key)
{
	size_t n = strlen(key);
	const char *l;

	for (l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *end;
		int64_t val;

		if (strncmp(l, key, n) || l[n] != ':')
			continue;
		val = strtoll(l + n + 1, &end, 10);
		if (!strncmp(end, " KiB", 4))
			val <<= 10;
		else if (!strncmp(end, " MiB", 4))
			val <<= 20;
		return val;
	}
	return -1;
}

static int64_t fdinfo_value(int fd, const char *key)
{
	char buf[4096];

	fdinfo_read(fd, buf, sizeof(buf));
	return fdinfo_get(buf, key);
}

/* drm-cycles-rcs and drm-total-cycles-rcs of @fd, from one read */
static void fdinfo_rcs(int fd, int64_t *cycles, int64_t *total)
{
	char buf[4096];

	fdinfo_read(fd, buf, sizeof(buf));
	*cycles = fdinfo_get(buf, "drm-cycles-rcs");
	*total = fdinfo_get(buf, "drm-total-cycles-rcs");
}

/*
 * fdinfo, the keys and meaning Xe gives them: drm-cycles-<class> is the
 * time the file's queues ran (a running job counts while it runs; a
 * destroyed queue's time stays), drm-total-cycles-<class> the engines'
 * clock in the same ticks; another file shows none of it.  Memory keys
 * per region: a bound system BO is resident in "gtt".
 */
TEST_F(uapi, fdinfo)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *batch = calloc(1, 4096), *flag = calloc(1, 4096), *b, h;
	int64_t c0, t0, c1, t1, c2, other;
	int fd2 = xe_open_card(), rq, i;

	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_NE(NULL, batch);
	ASSERT_NE(NULL, flag);
	ASSERT_LE(0, fd2);
	/* Keys for the classes the device has; a capacity when more than one */
	{
		struct drm_xe_engine_class_instance all[64];
		int n = query_engines(self->fd, all, 64), count[5] = { 0 };
		char key[64];

		for (i = 0; i < n; i++)
			count[all[i].engine_class]++;
		for (i = 0; i < 5; i++) {
			snprintf(key, sizeof(key), "drm-cycles-%s", xe_class_name(i));
			EXPECT_EQ(count[i] ? 0 : -1, fdinfo_value(self->fd, key))
				TH_LOG("%s", key);
			snprintf(key, sizeof(key), "drm-total-cycles-%s", xe_class_name(i));
			EXPECT_EQ(!!count[i], fdinfo_value(self->fd, key) > 0)
				TH_LOG("%s", key);
			snprintf(key, sizeof(key), "drm-engine-capacity-%s", xe_class_name(i));
			EXPECT_EQ(count[i] > 1 ? count[i] : -1,
				  fdinfo_value(self->fd, key))
				TH_LOG("%s", key);
		}
	}

	/* A render job spinning until *flag: its time counts while it runs */
	rq = xe_queue_create(self->fd, self->vm, DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, rq);
	b = xe_emit_wait_eq(batch, (uintptr_t)flag, 1);
	xe_emit_end(b);
	ASSERT_EQ(0, xe_exec(self->fd, rq, batch, ufence));
	for (i = 0; i < 1000; i++) {	/* until it runs (or 10 s) */
		fdinfo_rcs(self->fd, &c0, &t0);
		if (c0)
			break;
		usleep(10 * 1000);
	}
	usleep(500 * 1000);
	fdinfo_rcs(self->fd, &c1, &t1);
	other = fdinfo_value(fd2, "drm-cycles-rcs");
	*flag = 1;
	EXPECT_EQ(0, xe_wait_ufence(self->fd, rq, ufence, XE_WAIT_NS));
	TH_LOG("busy: %lld of %lld cycles", (long long)(c1 - c0),
	       (long long)(t1 - t0));
	EXPECT_LT(0, c0);
	/*
	 * Busy all along: the same clock, up to the reads' own delays (each
	 * read takes the run time a little before the engines' clock).
	 */
	EXPECT_LE(c1 - c0, (t1 - t0) * 101 / 100);
	EXPECT_GE(c1 - c0, (t1 - t0) * 9 / 10);
	EXPECT_EQ(0, other);
	EXPECT_EQ(0, fdinfo_value(self->fd, "drm-cycles-bcs"));
	/* Done: the count stops, and stays when the queue goes */
	c1 = fdinfo_value(self->fd, "drm-cycles-rcs");
	usleep(100 * 1000);
	c2 = fdinfo_value(self->fd, "drm-cycles-rcs");
	EXPECT_EQ(c1, c2);
	EXPECT_EQ(0, xe_queue_destroy(self->fd, rq));
	EXPECT_EQ(c1, fdinfo_value(self->fd, "drm-cycles-rcs"));

	/*
	 * A 64K system BO: populated at once, in "gtt" (Xe's name for
	 * GPU-mapped system memory), resident there, and still after a bind.
	 * VRAM is "vram0", there when the device has some.
	 */
	c0 = fdinfo_value(self->fd, "drm-total-gtt");
	c1 = fdinfo_value(self->fd, "drm-total-system");
	ASSERT_EQ(0, bo_create(self->fd, 0, 65536, &h));
	EXPECT_EQ(c0 + 65536, fdinfo_value(self->fd, "drm-total-gtt"));
	EXPECT_EQ(c1, fdinfo_value(self->fd, "drm-total-system"));
	ASSERT_EQ(0, bind_bo(self->fd, self->vm, DRM_XE_VM_BIND_OP_MAP, h, 0,
			     BO_ADDR, 65536));
	EXPECT_EQ(c0 + 65536, fdinfo_value(self->fd, "drm-total-gtt"));
	EXPECT_LE(65536, fdinfo_value(self->fd, "drm-resident-gtt"));
	EXPECT_EQ(has_vram(self->fd) ? 0 : -1,
		  fdinfo_value(self->fd, "drm-total-vram0") < 0 ? -1 : 0);
	EXPECT_EQ(0, bind_bo(self->fd, self->vm, DRM_XE_VM_BIND_OP_UNMAP, 0, 0,
			     BO_ADDR, 65536));
	gem_close(self->fd, h);
	EXPECT_EQ(c0, fdinfo_value(self->fd, "drm-total-gtt"));

	close(fd2);
	munmap(ufence, 4096);
	free(batch);
	free(flag);
}

/* Path of file @name of engine class @class's sysfs directory of @fd */
static void eclass_path(int fd, const char *class, const char *name,
			char *path, size_t size)
{
	struct stat st = { 0 };

	fstat(fd, &st);
	snprintf(path, size, "/sys/dev/char/%u:%u/device/tile0/gt0/engines/%s/%s",
		 major(st.st_rdev), minor(st.st_rdev), class, name);
}

/* Read a number from sysfs file @name of class @class: it, or -errno */
static long eclass_read(int fd, const char *class, const char *name)
{
	char path[256];
	long val = -1;
	FILE *f;

	eclass_path(fd, class, name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &val) != 1)
		val = -EIO;
	fclose(f);
	return val;
}

/* Write @text to sysfs file @name of class @class: 0 or -errno */
static int eclass_write(int fd, const char *class, const char *name,
			const char *text)
{
	char path[256];

	eclass_path(fd, class, name, path, sizeof(path));
	return sysfs_write(path, text);
}

/*
 * Xe's engine class sysfs: the directories of the classes the device has,
 * defaults, the range rules of every write, the timeslice an exec queue
 * may ask for, and the job time-out taken by the next queue created.
 */
TEST_F(uapi, engine_class_sysfs)
{
	struct drm_xe_engine_class_instance all[64];
	uint32_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct drm_xe_ext_set_property ts = {
		.base.name = DRM_XE_EXEC_QUEUE_EXTENSION_SET_PROPERTY,
		.property = DRM_XE_EXEC_QUEUE_SET_PROPERTY_TIMESLICE,
	};
	struct drm_xe_engine_class_instance eci = {
		.engine_class = DRM_XE_ENGINE_CLASS_COPY,
	};
	struct drm_xe_exec_queue_create c = {
		.width = 1, .num_placements = 1, .vm_id = self->plain_vm,
		.instances = (uintptr_t)&eci, .extensions = (uintptr_t)&ts,
	};
	struct drm_xe_exec_queue_get_property gp = {
		.property = DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN,
	};
	int n = query_engines(self->fd, all, 64), i, cq;
	uint32_t sobj, *b;

	ASSERT_NE(MAP_FAILED, mem);
	if (eclass_read(self->fd, "bcs", "job_timeout_ms") == -ENOENT)
		SKIP(return, "no engine class sysfs (tile0/gt0/engines)");
	/* A directory for each class the device has, none for others */
	for (i = 0; i < n; i++) {
		EXPECT_LT(0, eclass_read(self->fd, xe_class_name(all[i].engine_class),
					 "job_timeout_ms"));
	}

	/* Xe's defaults, in the class and in .defaults */
	EXPECT_EQ(5000, eclass_read(self->fd, "bcs", "job_timeout_ms"));
	EXPECT_EQ(5000, eclass_read(self->fd, "bcs", ".defaults/job_timeout_ms"));
	EXPECT_EQ(10000, eclass_read(self->fd, "bcs", "job_timeout_max"));
	EXPECT_EQ(1, eclass_read(self->fd, "bcs", "job_timeout_min"));
	EXPECT_EQ(1000, eclass_read(self->fd, "rcs", "timeslice_duration_us"));
	EXPECT_EQ(10000000, eclass_read(self->fd, "rcs", "timeslice_duration_max"));
	EXPECT_EQ(640000, eclass_read(self->fd, "rcs", "preempt_timeout_us"));
	EXPECT_EQ(-EACCES, eclass_write(self->fd, "bcs", ".defaults/job_timeout_ms", "7"));

	/* The rules: values in range, ranges in Xe's limits, numbers only */
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_ms", "10001"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_ms", "0"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_ms", "999abc"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_max", "10001"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_min", "-1"));
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_max", "6000"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_ms", "6001"));
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_min", "100"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_max", "99"));
	EXPECT_EQ(-EINVAL, eclass_write(self->fd, "bcs", "job_timeout_min", "6001"));
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_ms", "100"));
	EXPECT_EQ(100, eclass_read(self->fd, "bcs", "job_timeout_ms"));
	EXPECT_EQ(5000, eclass_read(self->fd, "bcs", ".defaults/job_timeout_ms"));

	/* A timeslice in Xe's limits (root: CAP_SYS_NICE) */
	ts.value = 10000001;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));
	ts.value = 0;
	EXPECT_EQ(-EINVAL, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));

	/* A queue created now stops a dma-fence job after 100 ms */
	ts.value = 10000000;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_CREATE, &c));
	cq = c.exec_queue_id;
	memset(mem, 0, 2 * 4096);
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, mem, UP_ADDR,
				  2 * 4096, 0));
	b = xe_emit_wait_eq(mem, UP_ADDR + 4096, 1);	/* never true */
	xe_emit_end(b);
	ASSERT_EQ(0, dma_fence_exec(self->fd, cq, UP_ADDR, &sobj));
	gp.exec_queue_id = cq;
	for (i = 0; i < 300 && !gp.value; i++) {	/* 3 s, not the default 5 */
		usleep(10 * 1000);
		ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	}
	EXPECT_EQ(1, gp.value);
	EXPECT_EQ(0, syncobj_wait(self->fd, sobj, 0));

	/* Back to the defaults */
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_ms", "5000"));
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_min", "1"));
	EXPECT_EQ(0, eclass_write(self->fd, "bcs", "job_timeout_max", "10000"));
	EXPECT_EQ(0, xe_queue_destroy(self->fd, cq));
	munmap(mem, 2 * 4096);
}

#define JOB_ADDR	0x200000000ull		/* where bind jobs bind */
#define ENOBUFS_ADDR	0x400000000ull		/* big NULL bind arrays */
#define NR_NULL_BINDS	300

/* Status of a syncobj's fence: 1 signalled, 0 pending, -errno failed */
static int syncobj_status(int fd, uint32_t handle)
{
	struct drm_syncobj_handle h = {
		.handle = handle,
		.flags = DRM_SYNCOBJ_HANDLE_TO_FD_FLAGS_EXPORT_SYNC_FILE,
		.fd = -1,
	};
	struct sync_file_info info = { 0 };
	int err = xe_ioctl(fd, DRM_IOCTL_SYNCOBJ_HANDLE_TO_FD, &h);

	if (err)
		return err;
	err = ioctl(h.fd, SYNC_IOC_FILE_INFO, &info) ? -errno : info.status;
	close(h.fd);
	return err;
}

/* VM_BIND of @n operations on queue @q (0: the VM's), with @syncs */
static int bind_ops(int fd, uint32_t vm, uint32_t q,
		    struct drm_xe_vm_bind_op *ops, uint32_t n,
		    struct drm_xe_sync *syncs, uint32_t num_syncs)
{
	struct drm_xe_vm_bind b = {
		.vm_id = vm, .exec_queue_id = q, .num_binds = n,
		.num_syncs = num_syncs, .syncs = (uintptr_t)syncs,
	};

	if (n == 1)
		b.bind = ops[0];
	else
		b.vector_of_binds = (uintptr_t)ops;
	return xe_ioctl(fd, DRM_IOCTL_XE_VM_BIND, &b);
}

static struct drm_xe_sync wait_on(uint32_t handle)
{
	return (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				     .handle = handle };
}

static struct drm_xe_sync signal_to(uint32_t handle)
{
	return (struct drm_xe_sync){ .type = DRM_XE_SYNC_TYPE_SYNCOBJ,
				     .flags = DRM_XE_SYNC_FLAG_SIGNAL,
				     .handle = handle };
}

/*
 * A VM_BIND with an in-fence that has not signalled returns at once and
 * runs later as a bind job, as on Xe: its out-fence waits; the VM's bind
 * queue keeps its order; another bind queue goes ahead unless it writes a
 * page table the pending job writes; an EXEC behind the bind's out-fence
 * sees the binding; a bind job whose batch would not fit Xe's pool is
 * -ENOBUFS, unless what it waits for signals within vxe's catch-up time;
 * a job's user fence is written; a job that fails signals its fence with
 * the error.
 */
TEST_F(uapi, bind_job)
{
	uint64_t *ufence = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	uint32_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct drm_xe_vm_bind_op *nulls = calloc(NR_NULL_BINDS, sizeof(*nulls));
	struct drm_xe_vm_bind_op op = {
		.op = DRM_XE_VM_BIND_OP_MAP, .range = 65536, .pat_index = 2,
	};
	struct drm_xe_sync syncs[2];
	struct drm_xe_exec e = {
		.exec_queue_id = self->plain_q, .num_batch_buffer = 1,
		.address = JOB_ADDR, .num_syncs = 2, .syncs = (uintptr_t)syncs,
	};
	uint32_t spin, s[8], h, *p, *b, *gone;
	int rq, bq, bq2, i;

	ASSERT_NE(MAP_FAILED, ufence);
	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_NE(NULL, nulls);
	memset(mem, 0, 2 * 4096);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, syncobj_create(self->fd, &s[i]));
	ASSERT_EQ(0, bo_create(self->fd, self->plain_vm, 65536, &h));
	p = bo_map(self->fd, h, 65536, NULL);
	ASSERT_NE(MAP_FAILED, p);
	xe_emit_end(xe_emit_store(p, JOB_ADDR + 0x8000, 0xb1d));
	op.obj = h;
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, mem, UP_ADDR,
				  2 * 4096, 0));
	rq = xe_queue_create(self->fd, self->plain_vm,
			     DRM_XE_ENGINE_CLASS_RENDER, 0);
	bq = xe_queue_create(self->fd, self->plain_vm,
			     DRM_XE_ENGINE_CLASS_VM_BIND, 0);
	bq2 = xe_queue_create(self->fd, self->plain_vm,
			      DRM_XE_ENGINE_CLASS_VM_BIND, 0);
	ASSERT_LT(0, rq);
	ASSERT_LT(0, bq);
	ASSERT_LT(0, bq2);

	/* Page tables around JOB_ADDR: bound and unbound once, at once */
	op.addr = JOB_ADDR + 0x100000;
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, 0, &op, 1, NULL, 0));
	ASSERT_EQ(0, xe_unbind(self->fd, self->plain_vm, op.addr, op.range));

	/* A spinner on the render engine until mem[1024] is 1 */
	b = xe_emit_wait_eq(mem, UP_ADDR + 4096, 1);
	xe_emit_end(b);
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR, &spin));

	/* 1: the BO at JOB_ADDR, behind the spinner: the ioctl returns */
	op.addr = JOB_ADDR;
	syncs[0] = wait_on(spin);
	syncs[1] = signal_to(s[1]);
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, 0, &op, 1, syncs, 2));
	EXPECT_EQ(0, syncobj_status(self->fd, s[1]));

	/* 2: the VM's queue keeps its order, with no in-fence of its own */
	op.addr = JOB_ADDR + 0x200000;
	syncs[0] = signal_to(s[2]);
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, 0, &op, 1, syncs, 1));
	EXPECT_EQ(0, syncobj_status(self->fd, s[2]));

	/* 3: another queue, no page table in common with 1: done at once */
	op.addr = JOB_ADDR + 0x80000;
	syncs[0] = signal_to(s[3]);
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, bq, &op, 1, syncs, 1));
	EXPECT_EQ(1, syncobj_status(self->fd, s[3]));

	/* 4: that queue again, writing 1's leaves: it waits for 1 */
	op.op = DRM_XE_VM_BIND_OP_UNMAP;
	op.obj = 0;
	op.addr = JOB_ADDR + 0xf000;
	op.range = 0x1000;
	syncs[0] = signal_to(s[4]);
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, bq, &op, 1, syncs, 1));
	EXPECT_EQ(0, syncobj_status(self->fd, s[4]));

	/* 5: an EXEC behind 1 runs the batch 1 binds, once 1 is done */
	syncs[0] = wait_on(s[1]);
	syncs[1] = signal_to(s[5]);
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	usleep(100 * 1000);
	EXPECT_EQ(0, syncobj_status(self->fd, s[5]));
	EXPECT_EQ(0u, p[0x8000 / 4]);

	/*
	 * 6: 300 NULL bindings of 2M, each across a 2M boundary (512 4K
	 * leaves), as a job: 1.2 MiB of Xe's batch, -ENOBUFS; 150 fit
	 */
	for (i = 0; i < NR_NULL_BINDS; i++) {
		nulls[i].op = DRM_XE_VM_BIND_OP_MAP;
		nulls[i].flags = DRM_XE_VM_BIND_FLAG_NULL;
		nulls[i].addr = ENOBUFS_ADDR + 0x1a0000 + i * 0x200000ull;
		nulls[i].range = 0x200000;
		nulls[i].pat_index = 2;
	}
	syncs[0] = wait_on(spin);
	EXPECT_EQ(-ENOBUFS, bind_ops(self->fd, self->plain_vm, bq2, nulls,
				     NR_NULL_BINDS, syncs, 1));
	EXPECT_EQ(0, bind_ops(self->fd, self->plain_vm, bq2, nulls,
			      NR_NULL_BINDS / 2, syncs, 1));
	syncs[1] = (struct drm_xe_sync){
		.type = DRM_XE_SYNC_TYPE_USER_FENCE,
		.flags = DRM_XE_SYNC_FLAG_SIGNAL,
		.addr = (uintptr_t)ufence, .timeline_value = XE_UFENCE_VALUE,
	};
	EXPECT_EQ(0, bind_ops(self->fd, self->plain_vm, bq2,
			      nulls + NR_NULL_BINDS / 2, NR_NULL_BINDS / 2,
			      syncs, 2));
	EXPECT_EQ(0u, *ufence);

	/* The spinner ends: everything behind it completes */
	mem[1024] = 1;
	EXPECT_EQ(0, syncobj_wait(self->fd, spin, 0));
	for (i = 1; i <= 5; i++) {
		EXPECT_EQ(0, syncobj_wait(self->fd, s[i], 0));
		EXPECT_EQ(1, syncobj_status(self->fd, s[i]));
	}
	EXPECT_EQ(0xb1du, p[0x8000 / 4]);
	EXPECT_EQ(0, xe_wait_ufence(self->fd, 0, ufence, XE_WAIT_NS));

	/*
	 * 7: a userptr without memory behind it is refused in the ioctl, job
	 * or not, as Xe refuses it; one whose memory goes after the ioctl
	 * fails the job, and its fence says so
	 */
	gone = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone + 1024, 4096);		/* no memory after @gone */
	b = xe_emit_wait_eq(mem, UP_ADDR + 4096, 2);
	xe_emit_end(b);
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR, &spin));
	op = (struct drm_xe_vm_bind_op){
		.op = DRM_XE_VM_BIND_OP_MAP_USERPTR,
		.obj_offset = (uintptr_t)(gone + 1024),
		.addr = JOB_ADDR + 0x400000, .range = 4096, .pat_index = 2,
	};
	syncs[0] = wait_on(spin);
	syncs[1] = signal_to(s[6]);
	EXPECT_EQ(-EFAULT, bind_ops(self->fd, self->plain_vm, 0, &op, 1,
				    syncs, 2));
	EXPECT_EQ(-EFAULT, bind_ops(self->fd, self->plain_vm, 0, &op, 1,
				    NULL, 0));
	op.obj_offset = (uintptr_t)gone;
	ASSERT_EQ(0, bind_ops(self->fd, self->plain_vm, 0, &op, 1, syncs, 2));
	EXPECT_EQ(0, syncobj_status(self->fd, s[6]));
	munmap(gone, 4096);
	mem[1024] = 2;
	EXPECT_EQ(0, syncobj_wait(self->fd, s[6], 0));
	EXPECT_EQ(-EFAULT, syncobj_status(self->fd, s[6]));

	/*
	 * 8: the 300 NULL bindings unbound behind a one-store batch just
	 * submitted, as IGT's bind-array-enobufs unbinds: vxe gives the
	 * engine time to finish it (a GPU would have), and the unbind, too
	 * big for a job, is done at once rather than refused
	 */
	p[0x8000 / 4] = 0;
	e.num_syncs = 1;
	syncs[0] = signal_to(s[7]);
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC, &e));
	for (i = 0; i < NR_NULL_BINDS; i++) {
		nulls[i].op = DRM_XE_VM_BIND_OP_UNMAP;
		nulls[i].flags = 0;
	}
	syncs[0] = wait_on(s[7]);
	syncs[1] = signal_to(s[0]);
	EXPECT_EQ(0, bind_ops(self->fd, self->plain_vm, bq2, nulls,
			      NR_NULL_BINDS, syncs, 2));
	EXPECT_EQ(1, syncobj_status(self->fd, s[0]));
	EXPECT_EQ(0xb1du, p[0x8000 / 4]);

	xe_queue_destroy(self->fd, bq2);
	xe_queue_destroy(self->fd, bq);
	xe_queue_destroy(self->fd, rq);
	munmap(p, 65536);
	gem_close(self->fd, h);
	munmap(mem, 2 * 4096);
	munmap(ufence, 4096);
	free(nulls);
}

/* Write to debugfs gt0/@name of @fd's device: 0 or -errno */
static int gt_debugfs_write(int fd, const char *name)
{
	char file[64], path[128];
	int err;

	snprintf(file, sizeof(file), "gt0/%s", name);
	err = debugfs_path(fd, file, path, sizeof(path));
	return err ?: sysfs_write(path, "1");
}

/*
 * A GT reset through Xe's debugfs gt0/force_reset_sync: the job running
 * then fails (-ECANCELED) and its queue is banned, with the job queued
 * behind it; a queue that was idle is not banned and runs jobs after it.
 */
TEST_F(uapi, gt_reset)
{
	struct drm_xe_exec_queue_get_property gp = {
		.property = DRM_XE_EXEC_QUEUE_GET_PROPERTY_BAN,
	};
	uint32_t *mem = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uint64_t flags = UP_ADDR + 4096;	/* mem[1024] on */
	uint32_t spin, behind, *b;
	int rq, i, err;

	ASSERT_NE(MAP_FAILED, mem);
	memset(mem, 0, 2 * 4096);
	ASSERT_EQ(0, bind_userptr(self->fd, self->plain_vm, mem, UP_ADDR,
				  2 * 4096, 0));
	rq = xe_queue_create(self->fd, self->plain_vm,
			     DRM_XE_ENGINE_CLASS_RENDER, 0);
	ASSERT_LT(0, rq);

	/* On the render queue: a spinner that says it runs, a job behind */
	b = xe_emit_store(mem, flags + 8, 1);
	b = xe_emit_wait_eq(b, flags, 1);
	xe_emit_end(b);
	xe_emit_end(xe_emit_store(mem + 64, flags + 12, 0x5a));
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR, &spin));
	ASSERT_EQ(0, dma_fence_exec(self->fd, rq, UP_ADDR + 256, &behind));
	for (i = 0; i < 500 && !__atomic_load_n(&mem[1026], __ATOMIC_ACQUIRE); i++)
		usleep(10 * 1000);
	ASSERT_EQ(1u, mem[1026]);

	err = gt_debugfs_write(self->fd, "force_reset_sync");
	if (err == -ENOENT) {
		mem[1024] = 1;
		SKIP(return, "no debugfs gt0/force_reset_sync");
	}
	ASSERT_EQ(0, err);
	EXPECT_EQ(0, syncobj_wait(self->fd, spin, 0));
	EXPECT_EQ(-ECANCELED, syncobj_status(self->fd, spin));
	EXPECT_EQ(0, syncobj_wait(self->fd, behind, 0));
	EXPECT_EQ(-ECANCELED, syncobj_status(self->fd, behind));
	EXPECT_EQ(0u, mem[1027]);
	gp.exec_queue_id = rq;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	EXPECT_EQ(1, gp.value);
	EXPECT_EQ(-ECANCELED, dma_fence_exec(self->fd, rq, UP_ADDR + 256,
					     &behind));

	/* The copy queue was idle: not banned, it runs after the reset */
	gp.exec_queue_id = self->plain_q;
	ASSERT_EQ(0, xe_ioctl(self->fd, DRM_IOCTL_XE_EXEC_QUEUE_GET_PROPERTY, &gp));
	EXPECT_EQ(0, gp.value);
	EXPECT_EQ(0, plain_exec(self->fd, self->plain_q, UP_ADDR + 256));
	EXPECT_EQ(0x5au, mem[1027]);
	/* An idle GT: a reset stops nothing */
	EXPECT_EQ(0, gt_debugfs_write(self->fd, "force_reset"));
	EXPECT_EQ(0, plain_exec(self->fd, self->plain_q, UP_ADDR + 256));

	xe_queue_destroy(self->fd, rq);
	munmap(mem, 2 * 4096);
}

/* Does debugfs file @name of @fd's device have the line @line? */
static int debugfs_has_line(int fd, const char *name, const char *line)
{
	FILE *f = debugfs_open(fd, name);
	char buf[256];
	int found = 0;

	if (!f)
		return -ENOENT;
	while (!found && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		found = !strcmp(buf, line);
	}
	fclose(f);
	return found;
}

/*
 * The debugfs files Xe has and IGT's xe_debugfs reads: info (device and
 * revision ids as the config query has them, discrete when there is
 * VRAM, one tile), forcewake_all (its holders counted in info), gtt_mm
 * and vram0_mm (TTM's managers).
 */
TEST_F(uapi, debugfs_files)
{
	uint64_t id = xe_config(self->fd, DRM_XE_QUERY_CONFIG_REV_AND_DEVICE_ID);
	char line[64], path[96];
	FILE *f;
	int fw;

	snprintf(line, sizeof(line), "devid 0x%x", (unsigned int)(id & 0xffff));
	if (debugfs_has_line(self->fd, "info", line) == -ENOENT)
		SKIP(return, "no debugfs info");
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", line));
	snprintf(line, sizeof(line), "revid %u", (unsigned int)(id >> 16));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", line));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", has_vram(self->fd) ?
				      "is_dgfx yes" : "is_dgfx no"));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", "tile_count 1"));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", "gt0 force wake 0"));

	ASSERT_EQ(0, debugfs_path(self->fd, "forcewake_all", path, sizeof(path)));
	fw = open(path, O_WRONLY);
	ASSERT_LE(0, fw);
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", "gt0 force wake 1"));
	close(fw);
	EXPECT_EQ(1, debugfs_has_line(self->fd, "info", "gt0 force wake 0"));

	f = debugfs_open(self->fd, "gtt_mm");
	ASSERT_NE(NULL, f);
	EXPECT_NE(NULL, fgets(line, sizeof(line), f));
	fclose(f);
	f = debugfs_open(self->fd, "vram0_mm");
	EXPECT_EQ(has_vram(self->fd), !!f);
	if (f)
		fclose(f);
}

/* Sum of the values of debugfs @name's "key: value" lines; lines, or -errno */
static long debugfs_sum(int fd, const char *name, unsigned long long *sum)
{
	FILE *f = debugfs_open(fd, name);
	unsigned long long v;
	char key[64];
	long n = 0;

	if (!f)
		return -errno;
	*sum = 0;
	while (fscanf(f, " %63[^:]: %llu", key, &v) == 2) {
		*sum += v;
		n++;
	}
	fclose(f);
	return n;
}

/* Write @s to debugfs @name of @fd's device: 0 or -errno */
static int debugfs_write(int fd, const char *name, const char *s)
{
	char path[128];
	int err = debugfs_path(fd, name, path, sizeof(path));

	return err ?: sysfs_write(path, s);
}

/*
 * Xe's SVM statistics (gt0/stats, "name: value" lines, which IGT's
 * xe_exec_system_allocator reads): a true value written clears them, other
 * text is -EINVAL.  atomic_svm_timeslice_ms, the time a range moved for a
 * GPU atomic stays in VRAM: read, written, and -EINVAL above 32 bits.
 */
TEST_F(uapi, gt_stats_and_atomic_timeslice)
{
	unsigned long long sum;
	char buf[32];
	long lines, old;
	FILE *f;

	lines = debugfs_sum(self->fd, "gt0/stats", &sum);
	if (lines == -ENOENT || vxe_param("vram_size") < 0)
		SKIP(return, "no gt0/stats, or not vxe");
	ASSERT_EQ(0, debugfs_write(self->fd, "gt0/stats", "1"));
	ASSERT_LT(20, debugfs_sum(self->fd, "gt0/stats", &sum));
	EXPECT_EQ(0, sum);
	EXPECT_EQ(1, debugfs_has_line(self->fd, "gt0/stats",
				      "svm_pagefault_count: 0"));
	EXPECT_EQ(-EINVAL, debugfs_write(self->fd, "gt0/stats", "maybe"));

	f = debugfs_open(self->fd, "atomic_svm_timeslice_ms");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(1, fscanf(f, "%ld", &old));
	fclose(f);
	ASSERT_EQ(0, debugfs_write(self->fd, "atomic_svm_timeslice_ms", "7"));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "atomic_svm_timeslice_ms", "7"));
	EXPECT_EQ(-EINVAL, debugfs_write(self->fd, "atomic_svm_timeslice_ms",
					 "4294967296"));
	EXPECT_EQ(1, debugfs_has_line(self->fd, "atomic_svm_timeslice_ms", "7"));
	snprintf(buf, sizeof(buf), "%ld", old);
	EXPECT_EQ(0, debugfs_write(self->fd, "atomic_svm_timeslice_ms", buf));
}

TEST_HARNESS_MAIN
