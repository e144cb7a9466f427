// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests of vxe's VM_BIND arrays: all operations or none.  An array
 * that fails at its last operation (an injected error, a mirror still
 * mapped, a userptr of no memory, a page-table write failing) leaves the
 * VM's VMAs exactly as they were, with every binding working again, and
 * the same array without the failure applies completely.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/test.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <drm/drm_gpuvm.h>

#include "gpusvm_kunit.h"
#include "vxe_bind_job.h"
#include "vxe_bo.h"
#include "vxe_device.h"
#include "vxe_inject.h"
#include "vxe_vm.h"

#define RW		(PROT_READ | PROT_WRITE)
/* GPU addresses past the mirror (which ends at 1 << 47) */
#define UP_GVA		BIT_ULL(47)
#define BO_A		UP_GVA			/* BO A, 64K */
#define NULL_GVA	(UP_GVA + SZ_1M)	/* a NULL binding, 64K */
#define UPTR_GVA	(UP_GVA + SZ_2M)	/* a userptr of UPTR_CPU, 64K */
#define UPTR_CPU	(GK_BASE + SZ_1M)
#define MAX_VMAS	16
#define SEED		0x5eed

/* Xe's error injection flag (bit 31 of a bind's flags) */
#define FORCE_OP_ERROR	BIT(31)

/**
 * struct vb_vma - what a VMA is, to compare the tree before and after
 * @start: first address
 * @end: end (exclusive)
 * @flags: &drm_gpuva.flags
 * @obj: its BO, or NULL
 * @offset: &drm_gpuva.gem.offset
 */
struct vb_vma {
	u64 start;
	u64 end;
	u32 flags;
	struct drm_gem_object *obj;
	u64 offset;
};

/**
 * struct vb_test - the fixture: a VM with a mirror, two BOs, and a BO, a
 *	NULL and a userptr binding past the mirror
 * @gk: the device and VM
 * @a: BO A, bound at BO_A
 * @b: BO B, bound by the arrays
 * @n: VMAs in @vmas
 * @vmas: the VM's VMAs once set up
 */
struct vb_test {
	struct gpusvm_kunit *gk;
	struct vxe_bo *a;
	struct vxe_bo *b;
	unsigned int n;
	struct vb_vma vmas[MAX_VMAS];
};

static void vb_bo_put(void *data)
{
	struct vxe_bo *bo = data;

	drm_gem_object_put(&bo->ttm.base);
}

static struct vxe_bo *vb_bo(struct kunit *test, struct gpusvm_kunit *gk)
{
	struct vxe_bo *bo;

	bo = vxe_bo_create(gk->vxe, NULL, SZ_64K, DRM_XE_GEM_CPU_CACHING_WC, 0,
			   BIT(VXE_MEM_REGION_SYS));
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(bo));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vb_bo_put, bo),
			0);
	return bo;
}

static struct drm_xe_vm_bind_op vb_op(u32 op, u32 flags, u64 addr, u64 range,
				      u64 obj_offset)
{
	return (struct drm_xe_vm_bind_op) {
		.op = op,
		.flags = flags,
		.addr = addr,
		.range = range,
		.obj_offset = obj_offset,
		.pat_index = 2,
	};
}

static int vb_bind(struct vb_test *t, struct drm_xe_vm_bind_op *ops,
		   struct drm_gem_object **objs, u32 n)
{
	struct vxe_vm *vm = t->gk->vm;
	int err;

	mutex_lock(&vm->lock);
	err = vxe_vm_bind_ops(vm, ops, objs, n);
	mutex_unlock(&vm->lock);
	return err;
}

/* The VMAs of the VM, in address order. */
static unsigned int vb_snapshot(struct vb_test *t, struct vb_vma *vmas)
{
	struct vxe_vm *vm = t->gk->vm;
	struct drm_gpuva *va;
	unsigned int n = 0;

	mutex_lock(&vm->lock);
	drm_gpuvm_for_each_va(va, &vm->gpuvm) {
		if (WARN_ON(n == MAX_VMAS))
			break;
		vmas[n++] = (struct vb_vma) {
			.start = va->va.addr,
			.end = va->va.addr + va->va.range,
			.flags = va->flags,
			.obj = va->gem.obj,
			.offset = va->gem.offset,
		};
	}
	mutex_unlock(&vm->lock);
	return n;
}

static void vb_expect_vmas_unchanged(struct kunit *test, struct vb_test *t)
{
	struct vb_vma now[MAX_VMAS];
	unsigned int n = vb_snapshot(t, now), i;

	KUNIT_ASSERT_EQ(test, n, t->n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, now[i].start, t->vmas[i].start,
				    "VMA %u", i);
		KUNIT_EXPECT_EQ_MSG(test, now[i].end, t->vmas[i].end, "VMA %u", i);
		KUNIT_EXPECT_EQ_MSG(test, now[i].flags, t->vmas[i].flags,
				    "VMA %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, now[i].obj, t->vmas[i].obj,
					"VMA %u", i);
		KUNIT_EXPECT_EQ_MSG(test, now[i].offset, t->vmas[i].offset,
				    "VMA %u", i);
	}
}

/* Is BO @bo bound in the VM at all? */
static bool vb_bo_bound(struct vb_test *t, struct vxe_bo *bo)
{
	struct drm_gpuvm_bo *vm_bo;

	dma_resv_lock(bo->ttm.base.resv, NULL);
	vm_bo = drm_gpuvm_bo_find(&t->gk->vm->gpuvm, &bo->ttm.base);
	if (vm_bo)
		drm_gpuvm_bo_put(vm_bo);
	dma_resv_unlock(bo->ttm.base.resv);
	return vm_bo;
}

/* The GPU reads at @gva what the CPU has at @uaddr, page by page. */
static void vb_expect_gpu_sees_cpu(struct kunit *test, struct vb_test *t,
				   u64 gva, unsigned long uaddr, u64 size)
{
	u64 off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		u32 gpu = 0, cpu = 1;

		KUNIT_ASSERT_EQ(test, vxe_gpu_access(t->gk->vm, gva + off, &gpu,
						     4, false), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(&cpu,
						     (void __user *)(uaddr + off),
						     4), 0);
		KUNIT_EXPECT_EQ_MSG(test, gpu, cpu, "gva %#llx", gva + off);
	}
}

/* Every binding the fixture made works as it did. */
static void vb_expect_bindings_work(struct kunit *test, struct vb_test *t)
{
	unsigned long bad = 0;
	u32 v = 1;

	KUNIT_EXPECT_EQ(test, gk_gpu_check(t->gk, BO_A, SZ_64K, SEED, &bad), 0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(t->gk->vm, NULL_GVA + SZ_32K, &v,
					     4, false), 0);
	KUNIT_EXPECT_EQ(test, v, 0);
	vb_expect_gpu_sees_cpu(test, t, UPTR_GVA, UPTR_CPU, SZ_64K);
	KUNIT_EXPECT_EQ(test, gk_gpu_check(t->gk, GK_BASE, SZ_4M, SEED, &bad),
			0);
	KUNIT_EXPECT_EQ(test, bad, 0);
	KUNIT_EXPECT_FALSE(test, vb_bo_bound(t, t->b));
}

static struct vb_test *vb_create(struct kunit *test)
{
	struct vb_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct drm_xe_vm_bind_op ops[3];
	struct drm_gem_object *objs[3];
	unsigned long bad = 0;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t->gk = gk_create(test, NULL);
	gk_mmap(t->gk, GK_BASE, SZ_16M, RW);
	gk_cpu_fill(t->gk, GK_BASE, SZ_4M, SEED);
	t->a = vb_bo(test, t->gk);
	t->b = vb_bo(test, t->gk);

	ops[0] = vb_op(DRM_XE_VM_BIND_OP_MAP, 0, BO_A, SZ_64K, 0);
	objs[0] = &t->a->ttm.base;
	ops[1] = vb_op(DRM_XE_VM_BIND_OP_MAP, DRM_XE_VM_BIND_FLAG_NULL,
		       NULL_GVA, SZ_64K, 0);
	objs[1] = NULL;
	ops[2] = vb_op(DRM_XE_VM_BIND_OP_MAP_USERPTR, 0, UPTR_GVA, SZ_64K,
		       UPTR_CPU);
	objs[2] = NULL;
	KUNIT_ASSERT_EQ(test, vb_bind(t, ops, objs, 3), 0);

	/* Data in BO A; SVM ranges in the first 4M of the mirror */
	KUNIT_ASSERT_EQ(test, gk_gpu_fill(t->gk, BO_A, SZ_64K, SEED), 0);
	KUNIT_ASSERT_EQ(test, gk_gpu_check(t->gk, GK_BASE, SZ_4M, SEED, &bad),
			0);
	KUNIT_ASSERT_GT(test, gk_count_ranges(t->gk), 0);

	t->n = vb_snapshot(t, t->vmas);
	KUNIT_ASSERT_EQ(test, t->n, 4);	/* the mirror, A, NULL, the userptr */
	return t;
}

/*
 * Seven operations of every kind, touching every binding of the fixture:
 * a BO over part of BO A, the NULL binding removed and made again smaller,
 * a new userptr, a hole in the userptr, BO B inside the mirror, a
 * prefetch.
 */
static unsigned int vb_array(struct vb_test *t, struct drm_xe_vm_bind_op *ops,
			     struct drm_gem_object **objs)
{
	struct drm_gem_object *b = &t->b->ttm.base;
	unsigned int n = 0;

	objs[n] = b;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_MAP, 0, BO_A + SZ_16K, SZ_16K, 0);
	objs[n] = NULL;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_UNMAP, 0, NULL_GVA, SZ_64K, 0);
	objs[n] = NULL;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_MAP_USERPTR, 0, UP_GVA + SZ_4M,
			 SZ_64K, GK_BASE + SZ_2M);
	objs[n] = NULL;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_UNMAP, 0, UPTR_GVA + SZ_16K, SZ_16K,
			 0);
	objs[n] = b;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_MAP, 0, GK_BASE + SZ_8M, SZ_64K, 0);
	objs[n] = NULL;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_MAP, DRM_XE_VM_BIND_FLAG_NULL,
			 NULL_GVA, SZ_32K, 0);
	objs[n] = NULL;
	ops[n++] = vb_op(DRM_XE_VM_BIND_OP_PREFETCH, 0, GK_BASE + SZ_4M, SZ_2M,
			 0);
	return n;
}

/* An error injected at the last operation undoes all seven. */
static void vxe_vm_bind_array_injected_error(struct kunit *test)
{
	struct vb_test *t = vb_create(test);
	struct drm_xe_vm_bind_op ops[8];
	struct drm_gem_object *objs[8];
	unsigned int n = vb_array(t, ops, objs);
	struct vb_vma now[MAX_VMAS];

	ops[n - 1].flags |= FORCE_OP_ERROR;
	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, n), -ENOSPC);
	vb_expect_vmas_unchanged(test, t);
	vb_expect_bindings_work(test, t);

	/* Without the injection the same array applies, all of it. */
	ops[n - 1].flags &= ~FORCE_OP_ERROR;
	KUNIT_ASSERT_EQ(test, vb_bind(t, ops, objs, n), 0);
	KUNIT_EXPECT_NOT_NULL(test, gk_find_range(t->gk, GK_BASE + SZ_4M));
	/* The mirror and A split in 3, NULL, the userptrs: 2 + 1 */
	KUNIT_EXPECT_EQ(test, vb_snapshot(t, now), 10);
	KUNIT_EXPECT_TRUE(test, vb_bo_bound(t, t->b));
	vb_expect_gpu_sees_cpu(test, t, UP_GVA + SZ_4M, GK_BASE + SZ_2M,
			       SZ_64K);
}

/*
 * Operations that split and remove what earlier ones of the same array
 * inserted (IGT's bind-array-conflict): undone and applied alike.
 */
static void vxe_vm_bind_array_conflict(struct kunit *test)
{
	struct vb_test *t = vb_create(test);
	const u64 x = UP_GVA + SZ_8M;
	struct drm_gem_object *b = &t->b->ttm.base;
	struct drm_gem_object *objs[5] = { b, b, NULL, NULL, NULL };
	struct drm_xe_vm_bind_op ops[5] = {
		vb_op(DRM_XE_VM_BIND_OP_MAP, 0, x, SZ_64K, 0),
		vb_op(DRM_XE_VM_BIND_OP_MAP, 0, x + SZ_64K, SZ_64K, 0),
		vb_op(DRM_XE_VM_BIND_OP_UNMAP, 0, x + SZ_32K, SZ_64K, 0),
		vb_op(DRM_XE_VM_BIND_OP_MAP, DRM_XE_VM_BIND_FLAG_NULL, x, SZ_16K,
		      0),
		vb_op(DRM_XE_VM_BIND_OP_UNMAP, FORCE_OP_ERROR, BO_A, SZ_64K, 0),
	};
	struct vb_vma now[MAX_VMAS];
	u32 v = 1;

	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, 5), -ENOSPC);
	vb_expect_vmas_unchanged(test, t);
	vb_expect_bindings_work(test, t);

	ops[4].flags = 0;
	KUNIT_ASSERT_EQ(test, vb_bind(t, ops, objs, 5), 0);
	/* The mirror, NULL, userptr; NULL, B 16K-32K, B 96K-128K at x */
	KUNIT_EXPECT_EQ(test, vb_snapshot(t, now), 6);
	KUNIT_EXPECT_EQ(test, now[3].start, x);
	KUNIT_EXPECT_EQ(test, now[3].end, x + SZ_16K);
	KUNIT_EXPECT_EQ(test, now[4].start, x + SZ_16K);
	KUNIT_EXPECT_EQ(test, now[4].offset, SZ_16K);
	KUNIT_EXPECT_EQ(test, now[5].start, x + SZ_64K + SZ_32K);
	KUNIT_EXPECT_EQ(test, now[5].offset, SZ_32K);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(t->gk->vm, x + SZ_32K, &v, 4,
					     false), -EFAULT);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(t->gk->vm, BO_A, &v, 4, false),
			-EFAULT);
	KUNIT_EXPECT_FALSE(test, vb_bo_bound(t, t->a));
}

/*
 * A real error at the last operation: removing mirror pieces the GPU still
 * maps (-EBUSY), a userptr of memory that is not there (-EFAULT).
 */
static void vxe_vm_bind_array_real_errors(struct kunit *test)
{
	struct vb_test *t = vb_create(test);
	struct drm_xe_vm_bind_op ops[8];
	struct drm_gem_object *objs[8];
	unsigned int n = vb_array(t, ops, objs);

	objs[n] = NULL;
	ops[n] = vb_op(DRM_XE_VM_BIND_OP_UNMAP, 0, GK_BASE, SZ_64K, 0);
	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, n + 1), -EBUSY);
	vb_expect_vmas_unchanged(test, t);
	vb_expect_bindings_work(test, t);

	ops[n] = vb_op(DRM_XE_VM_BIND_OP_MAP_USERPTR, 0, UP_GVA + SZ_8M, SZ_64K,
		       GK_BASE + SZ_32M);
	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, n + 1), -EFAULT);
	vb_expect_vmas_unchanged(test, t);
	vb_expect_bindings_work(test, t);
}

/*
 * A page-table write failing in the second operation: the first, which
 * split BO A, is undone, and A is bound again.
 */
static void vxe_vm_bind_array_bind_fails(struct kunit *test)
{
	struct vb_test *t = vb_create(test);
	struct drm_gem_object *objs[2] = { &t->b->ttm.base, &t->b->ttm.base };
	struct drm_xe_vm_bind_op ops[2] = {
		vb_op(DRM_XE_VM_BIND_OP_MAP, 0, BO_A + SZ_16K, SZ_16K, 0),
		vb_op(DRM_XE_VM_BIND_OP_MAP, 0, UP_GVA + SZ_8M, SZ_64K, 0),
	};
	struct vxe_inject *inj = &t->gk->vxe->inj;

	vxe_inject_arm(inj, VXE_INJECT_PT_BIND, 1, 1, -ENOMEM);
	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, 2), -ENOMEM);
	KUNIT_EXPECT_EQ(test, atomic_read(&inj->hits[VXE_INJECT_PT_BIND]), 1);
	vxe_inject_disarm(inj, VXE_INJECT_PT_BIND);
	vb_expect_vmas_unchanged(test, t);
	vb_expect_bindings_work(test, t);
}

/*
 * A mirror the array added and prefetched into, then undone: the SVM
 * ranges the prefetch made there go with it, and the GPU faults there.
 */
static void vxe_vm_bind_array_mirror_undone(struct kunit *test)
{
	struct vb_test *t = vb_create(test);
	struct drm_xe_vm_bind_op ops[2] = {
		vb_op(DRM_XE_VM_BIND_OP_MAP, DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR,
		      GK_BASE + SZ_4M, SZ_4M, 0),
		vb_op(DRM_XE_VM_BIND_OP_PREFETCH, FORCE_OP_ERROR,
		      GK_BASE + SZ_4M, SZ_4M, 0),
	};
	struct drm_gem_object *objs[2] = {};
	struct drm_xe_vm_bind_op hole = vb_op(DRM_XE_VM_BIND_OP_UNMAP, 0,
					      GK_BASE + SZ_4M, SZ_4M, 0);
	unsigned int ranges;
	u32 v;

	/* A hole in the mirror, where nothing was mapped */
	KUNIT_ASSERT_EQ(test, vb_bind(t, &hole, objs, 1), 0);
	t->n = vb_snapshot(t, t->vmas);
	ranges = gk_count_ranges(t->gk);

	KUNIT_EXPECT_EQ(test, vb_bind(t, ops, objs, 2), -ENOSPC);
	vb_expect_vmas_unchanged(test, t);
	KUNIT_EXPECT_EQ(test, gk_count_ranges(t->gk), ranges);
	KUNIT_EXPECT_NULL(test, gk_find_range(t->gk, GK_BASE + SZ_4M));
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(t->gk->vm, GK_BASE + SZ_4M, &v, 4,
					     false), -EFAULT);
	vb_expect_bindings_work(test, t);

	/* Applied, the prefetch leaves ranges there. */
	ops[1].flags = 0;
	KUNIT_ASSERT_EQ(test, vb_bind(t, ops, objs, 2), 0);
	KUNIT_EXPECT_NOT_NULL(test, gk_find_range(t->gk, GK_BASE + SZ_4M));
	KUNIT_EXPECT_GT(test, gk_count_ranges(t->gk), ranges);
}

/* Bytes of Xe's bind-job batch writing @dwords dwords of entries */
#define VB_BATCH(dwords)	(4 * (2 + (dwords) + 1) + SZ_1K)

/*
 * The batch Xe would build for a bind job: 2 dwords per entry and 4 per
 * table (per 510 entries), 4K leaves where no whole 2M block is covered,
 * 2M leaves where one is, 1G entries for NULL bindings and unmaps, none
 * for a mirror; IGT's 1024 binds of 2M at 0x1a0000 do not fit.
 */
static void vxe_vm_bind_job_batch_size(struct kunit *test)
{
	const u32 map = DRM_XE_VM_BIND_OP_MAP, unmap = DRM_XE_VM_BIND_OP_UNMAP;
	struct drm_xe_vm_bind_op *ops;
	u32 i;

	/* Across a 2M boundary: 96 + 416 leaves in two tables */
	ops = kunit_kcalloc(test, 1024, sizeof(*ops), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ops);
	ops[0] = vb_op(map, 0, 0x1a0000, SZ_2M, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 1),
			VB_BATCH(4 + 2 * 96 + 4 + 2 * 416));
	/* A whole 2M block: one 2M leaf */
	ops[0] = vb_op(map, 0, SZ_2M, SZ_2M, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 1), VB_BATCH(4 + 2));
	/* A whole 1G: 512 2M leaves (two headers), or one 1G NULL entry */
	ops[0] = vb_op(map, 0, SZ_1G, SZ_1G, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 1),
			VB_BATCH(8 + 2 * 512));
	ops[0] = vb_op(map, DRM_XE_VM_BIND_FLAG_NULL, SZ_1G, SZ_1G, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 1), VB_BATCH(4 + 2));
	ops[0] = vb_op(unmap, 0, SZ_1G, SZ_1G + SZ_4K, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 1),
			VB_BATCH(4 + 2 + 4 + 2));
	/* A mirror, an UNMAP_ALL, no operation: the fixed part only */
	ops[0] = vb_op(map, DRM_XE_VM_BIND_FLAG_CPU_ADDR_MIRROR, 0, SZ_1G, 0);
	ops[1] = vb_op(DRM_XE_VM_BIND_OP_UNMAP_ALL, 0, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 2), VB_BATCH(0));
	KUNIT_EXPECT_EQ(test, vxe_bind_job_batch_bytes(ops, 0), VB_BATCH(0));

	/* xe_vm bind-array-enobufs: 1024 do not fit, 150 do */
	for (i = 0; i < 1024; i++)
		ops[i] = vb_op(map, 0, 0x1a0000 + (u64)i * SZ_2M, SZ_2M, 0);
	KUNIT_EXPECT_GT(test, vxe_bind_job_batch_bytes(ops, 1024),
			(u64)VXE_BIND_JOB_MAX_BATCH);
	KUNIT_EXPECT_LE(test, vxe_bind_job_batch_bytes(ops, 150),
			(u64)VXE_BIND_JOB_MAX_BATCH);
}

static struct kunit_case vxe_vm_bind_cases[] = {
	KUNIT_CASE(vxe_vm_bind_array_injected_error),
	KUNIT_CASE(vxe_vm_bind_array_conflict),
	KUNIT_CASE(vxe_vm_bind_array_real_errors),
	KUNIT_CASE(vxe_vm_bind_array_bind_fails),
	KUNIT_CASE(vxe_vm_bind_array_mirror_undone),
	KUNIT_CASE(vxe_vm_bind_job_batch_size),
	{}
};

static struct kunit_suite vxe_vm_bind_suite = {
	.name = "vxe_vm_bind",
	.test_cases = vxe_vm_bind_cases,
};

kunit_test_suite(vxe_vm_bind_suite);

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
