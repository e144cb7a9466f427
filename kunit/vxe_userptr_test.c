// SPDX-License-Identifier: GPL-2.0-only OR MIT
/*
 * KUnit tests for vxe's userptr and NULL bindings: binding process memory
 * at another GPU address, invalidation by CPU changes (and the TLB flush
 * it needs), -EFAULT for memory that is not there, pieces left by a
 * partial unbind, NULL bindings, and fault injection on the bind path.
 *
 * Copyright © 2026 The gpusvm authors
 */

#include <kunit/static_stub.h>
#include <kunit/test.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/uaccess.h>
#include <drm/xe_drm.h>

#include "gpusvm_kunit.h"

#define RW		(PROT_READ | PROT_WRITE)
/* GPU addresses past the mirror (which ends at 1 << 47) */
#define UP_GVA		BIT_ULL(47)

/* MAP_USERPTR, NULL MAP or UNMAP through the bind path, under the VM lock */
static int bind(struct gpusvm_kunit *gk, u32 op, u32 flags, u64 gva,
		u64 uaddr, u64 size)
{
	struct drm_xe_vm_bind_op b = {
		.op = op,
		.flags = flags,
		.obj_offset = uaddr,
		.addr = gva,
		.range = size,
		.pat_index = 2,
	};
	int err;

	mutex_lock(&gk->vm->lock);
	err = vxe_vm_bind_op(gk->vm, &b, NULL);
	mutex_unlock(&gk->vm->lock);
	return err;
}

static int bind_userptr(struct gpusvm_kunit *gk, u64 gva, u64 uaddr,
			u64 size)
{
	return bind(gk, DRM_XE_VM_BIND_OP_MAP_USERPTR, 0, gva, uaddr, size);
}

static struct vxe_vma *gpu_vma(struct gpusvm_kunit *gk, u64 gva)
{
	struct drm_gpuva *va = drm_gpuva_find_first(&gk->vm->gpuvm, gva, 1);

	return va ? to_vxe_vma(va) : NULL;
}

/* The GPU reads each page's first word; the CPU's must match. */
static void expect_gpu_sees(struct kunit *test, struct gpusvm_kunit *gk,
			    u64 gva, unsigned long uaddr, unsigned long size)
{
	unsigned long off;

	for (off = 0; off < size; off += PAGE_SIZE) {
		u32 gpu = 0, cpu = 0;

		KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, gva + off, &gpu,
						     4, false), 0);
		KUNIT_ASSERT_EQ(test, copy_from_user(&cpu,
						     (void __user *)(uaddr + off),
						     4), 0);
		KUNIT_EXPECT_EQ_MSG(test, gpu, cpu, "page %lu", off >> PAGE_SHIFT);
	}
}

static void vxe_userptr_bind_maps_now(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	const unsigned long size = SZ_64K + SZ_4K;
	int faults = atomic_read(&gk->vm->stats.faults);
	struct vxe_pt_xlate x;
	struct vxe_vma *vma;
	u32 word = 0x600dcafe;

	gk_mmap(gk, GK_BASE, size, RW);
	gk_cpu_fill(gk, GK_BASE, size, 51);
	KUNIT_ASSERT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, size), 0);
	vma = gpu_vma(gk, UP_GVA);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_TRUE(test, vxe_vma_is_userptr(vma));
	KUNIT_EXPECT_TRUE(test, vma->bound);
	KUNIT_EXPECT_EQ(test, vma->gpuva.gem.offset, GK_BASE);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 1);
	/* Bound by the bind: no GPU fault needed */
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&gk->vm->pt, UP_GVA + size - 1, &x), 0);
	expect_gpu_sees(test, gk, UP_GVA, GK_BASE, size);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vm->stats.faults), faults);

	/* A GPU write lands in the process's memory */
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_64K + 8, &word,
					     4, true), 0);
	word = 0;
	KUNIT_ASSERT_EQ(test, copy_from_user(&word, (void __user *)(GK_BASE +
								   SZ_64K + 8),
					     4), 0);
	KUNIT_EXPECT_EQ(test, word, 0x600dcafe);

	KUNIT_ASSERT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_UNMAP, 0, UP_GVA, 0,
				   size), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 0);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false),
			-EFAULT);
}

static void vxe_userptr_no_memory_efault(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	/* The last page is not mapped: the whole bind fails */
	KUNIT_EXPECT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_64K + SZ_4K),
			-EFAULT);
	KUNIT_EXPECT_NULL(test, gpu_vma(gk, UP_GVA));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 0);

	/* A writable userptr of read-only memory cannot be bound either */
	gk_mmap(gk, GK_BASE + SZ_1M, SZ_4K, PROT_READ);
	KUNIT_EXPECT_NE(test, bind_userptr(gk, UP_GVA, GK_BASE + SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_MAP_USERPTR,
				   DRM_XE_VM_BIND_FLAG_READONLY, UP_GVA,
				   GK_BASE + SZ_1M, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 1);
}

/* What a bind job checks in the ioctl, for one MAP_USERPTR */
static int precheck_userptr(struct gpusvm_kunit *gk, u32 flags, u64 uaddr,
			    u64 size)
{
	return gk_bind_precheck(gk, DRM_XE_VM_BIND_OP_MAP_USERPTR, flags,
				UP_GVA, size, uaddr);
}

/*
 * A bind job refuses in the ioctl the userptrs the bind itself refuses
 * (memory missing, or read-only under a writable binding), with the same
 * errno, and lets the others through.
 */
static void vxe_userptr_precheck_agrees(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int err;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_mmap(gk, GK_BASE + SZ_1M, SZ_4K, PROT_READ);
	KUNIT_EXPECT_EQ(test, precheck_userptr(gk, 0, GK_BASE, SZ_64K), 0);
	KUNIT_EXPECT_EQ(test, precheck_userptr(gk, 0, GK_BASE, SZ_64K + SZ_4K),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_64K + SZ_4K),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, precheck_userptr(gk, 0, GK_BASE - SZ_4K, SZ_4K),
			-EFAULT);

	err = precheck_userptr(gk, 0, GK_BASE + SZ_1M, SZ_4K);
	KUNIT_EXPECT_EQ(test, err, -EPERM);
	KUNIT_EXPECT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE + SZ_1M, SZ_4K),
			err);
	KUNIT_EXPECT_EQ(test, precheck_userptr(gk, DRM_XE_VM_BIND_FLAG_READONLY,
					       GK_BASE + SZ_1M, SZ_4K), 0);
	/* Nothing was made */
	KUNIT_EXPECT_NULL(test, gpu_vma(gk, UP_GVA));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 0);
}

static void vxe_userptr_invalidation_zaps(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int inval = atomic_read(&gk->vm->stats.invalidations);
	struct vxe_pt_xlate x;
	struct vxe_vma *vma;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_2M, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_2M, 52);
	KUNIT_ASSERT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_2M), 0);
	vma = gpu_vma(gk, UP_GVA);
	KUNIT_ASSERT_NOT_NULL(test, vma);

	/* The CPU drops one page: the whole userptr is zapped */
	gk_zap(gk, GK_BASE + SZ_4K, SZ_4K);
	KUNIT_EXPECT_FALSE(test, vma->bound);
	KUNIT_EXPECT_GT(test, atomic_read(&gk->vm->stats.invalidations), inval);
	KUNIT_EXPECT_EQ(test, vxe_pt_lookup(&gk->vm->pt, UP_GVA, &x), -ENOENT);

	/* The next GPU access binds it again, with the new (zero) page */
	gk_cpu_fill(gk, GK_BASE + SZ_8K, SZ_4K, 53);
	expect_gpu_sees(test, gk, UP_GVA, GK_BASE, SZ_2M);
	KUNIT_EXPECT_TRUE(test, vma->bound);

	/* Unmapped by the process: the GPU access fails, the unbind works */
	gk_munmap(gk, GK_BASE, SZ_2M);
	KUNIT_EXPECT_FALSE(test, vma->bound);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_UNMAP, 0, UP_GVA, 0,
				   SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 0);
}

/*
 * Without the TLB invalidation the userptr's invalidation does, the GPU
 * keeps reading the page the process replaced.
 */
static void vxe_userptr_missing_tlb_flush_is_caught(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct page *old;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_4K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 54);
	KUNIT_ASSERT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 54));
	/* Keep the old page allocated, so the stale access reads it safely. */
	old = gk_get_page(gk, GK_BASE);

	gk_forget_tlb_invalidations(gk);
	gk_zap(gk, GK_BASE, SZ_4K);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 55);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 54));
	kunit_deactivate_static_stub(test, vxe_vm_tlb_invalidate);

	/* With the flush, the same sequence reads the new data. */
	KUNIT_ASSERT_EQ(test, vxe_vm_tlb_invalidate(gk->vm, UP_GVA,
						    UP_GVA + SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 55));
	gk_zap(gk, GK_BASE, SZ_4K);
	gk_cpu_fill(gk, GK_BASE, SZ_4K, 56);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA, &word, 4, false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE, 56));
	put_page(old);
}

/*
 * A partial unbind leaves two userptr VMAs, each with its own notifier
 * and CPU address; they bind on first use, the hole faults.
 */
static void vxe_userptr_partial_unbind_pieces(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	struct vxe_vma *prev, *next;
	u32 word;

	gk_mmap(gk, GK_BASE, 16 * SZ_4K, RW);
	gk_cpu_fill(gk, GK_BASE, 16 * SZ_4K, 57);
	KUNIT_ASSERT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, 16 * SZ_4K), 0);
	KUNIT_ASSERT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_UNMAP, 0,
				   UP_GVA + 4 * SZ_4K, 0, 8 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 2);
	prev = gpu_vma(gk, UP_GVA);
	next = gpu_vma(gk, UP_GVA + 12 * SZ_4K);
	KUNIT_ASSERT_NOT_NULL(test, prev);
	KUNIT_ASSERT_NOT_NULL(test, next);
	KUNIT_EXPECT_EQ(test, prev->gpuva.gem.offset, GK_BASE);
	KUNIT_EXPECT_EQ(test, next->gpuva.gem.offset, GK_BASE + 12 * SZ_4K);
	KUNIT_EXPECT_FALSE(test, prev->bound);
	KUNIT_EXPECT_FALSE(test, next->bound);

	expect_gpu_sees(test, gk, UP_GVA, GK_BASE, 4 * SZ_4K);
	expect_gpu_sees(test, gk, UP_GVA + 12 * SZ_4K, GK_BASE + 12 * SZ_4K,
			4 * SZ_4K);
	KUNIT_EXPECT_TRUE(test, prev->bound);
	KUNIT_EXPECT_TRUE(test, next->bound);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + 4 * SZ_4K, &word,
					     4, false), -EFAULT);

	/* The VM goes with both pieces bound: nothing leaks */
	gk_destroy_vm(gk);
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), 0);
}

static void vxe_null_binding(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	const u64 size = SZ_2M + SZ_64K;
	struct vxe_vma *vma;
	u32 word = 0xdead;

	KUNIT_ASSERT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_MAP,
				   DRM_XE_VM_BIND_FLAG_NULL, UP_GVA, 0, size), 0);
	vma = gpu_vma(gk, UP_GVA);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_TRUE(test, vxe_vma_is_null(vma));
	KUNIT_EXPECT_TRUE(test, vma->bound);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_2M + 4, &word,
					     4, true), 0);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_2M + 4, &word,
					     4, false), 0);
	KUNIT_EXPECT_EQ(test, word, 0);

	/* Unbinding the middle keeps the rest NULL-mapped */
	KUNIT_ASSERT_EQ(test, bind(gk, DRM_XE_VM_BIND_OP_UNMAP, 0, UP_GVA + SZ_1M,
				   0, SZ_1M), 0);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_1M, &word, 4,
					     false), -EFAULT);
	word = 1;
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_1M - 4, &word,
					     4, false), 0);
	KUNIT_EXPECT_EQ(test, word, 0);
	word = 1;
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + SZ_2M, &word, 4,
					     false), 0);
	KUNIT_EXPECT_EQ(test, word, 0);
}

/* Page-table allocation fails while a userptr binds: nothing is left. */
static void vxe_userptr_inject_pt_alloc(struct kunit *test)
{
	struct gpusvm_kunit *gk = gk_create(test, NULL);
	int userptrs = atomic_read(&gk->vxe->nr_userptrs);
	struct vxe_vma *vma;
	u32 word;

	gk_mmap(gk, GK_BASE, SZ_64K, RW);
	gk_cpu_fill(gk, GK_BASE, SZ_64K, 58);
	vxe_inject_arm(&gk->vxe->inj, VXE_INJECT_PT_ALLOC, 0, 1, -ENOMEM);
	/* The bind is undone, as Xe's: no VMA, no process memory held */
	KUNIT_EXPECT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_64K), -ENOMEM);
	KUNIT_EXPECT_NULL(test, gpu_vma(gk, UP_GVA));
	KUNIT_EXPECT_EQ(test, atomic_read(&gk->vxe->nr_userptrs), userptrs);
	KUNIT_EXPECT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + 12, &word, 4,
					     false), -EFAULT);
	/* Done again, it binds at once */
	KUNIT_ASSERT_EQ(test, bind_userptr(gk, UP_GVA, GK_BASE, SZ_64K), 0);
	vma = gpu_vma(gk, UP_GVA);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_TRUE(test, vma->bound);
	KUNIT_ASSERT_EQ(test, vxe_gpu_access(gk->vm, UP_GVA + 12, &word, 4,
					     false), 0);
	KUNIT_EXPECT_EQ(test, word, gk_pattern(GK_BASE + 12, 58));
}

static struct kunit_case vxe_userptr_cases[] = {
	KUNIT_CASE(vxe_userptr_bind_maps_now),
	KUNIT_CASE(vxe_userptr_no_memory_efault),
	KUNIT_CASE(vxe_userptr_precheck_agrees),
	KUNIT_CASE(vxe_userptr_invalidation_zaps),
	KUNIT_CASE(vxe_userptr_missing_tlb_flush_is_caught),
	KUNIT_CASE(vxe_userptr_partial_unbind_pieces),
	KUNIT_CASE(vxe_null_binding),
	KUNIT_CASE(vxe_userptr_inject_pt_alloc),
	{}
};

static struct kunit_suite vxe_userptr_suite = {
	.name = "vxe_userptr",
	.test_cases = vxe_userptr_cases,
};

kunit_test_suite(vxe_userptr_suite);
